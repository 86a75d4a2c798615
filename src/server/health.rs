//! `GET /health`: whether the server and supervisord answer. Needs no token and
//! shows no command, log, session, token or password. Since anyone who reaches the
//! port may call it as often as they like, the daemon is asked at most once per
//! [`MAX_AGE`] whatever the load: one caller asks (single flight), every other
//! caller waits for that answer or takes the last one while it is fresh.

use crate::supervisor::Client;
use axum::extract::State;
use axum::response::Json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long one answer of the daemon is served to every caller.
pub const MAX_AGE: Duration = Duration::from_secs(1);
/// Bound on asking the daemon (a frozen daemon is "not reachable" after this).
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What `/health` reads: the daemon's client and the last answer.
#[derive(Debug)]
pub struct Health {
    client: Client,
    started: Instant,
    /// The last probe and when it ended; the lock is held while probing.
    last: Mutex<Option<(Instant, Probe)>>,
}

/// What the daemon said: `getState` and `getSupervisorVersion`, or nothing.
#[derive(Debug, Clone, Default)]
struct Probe {
    state: Option<crate::supervisor::types::SupervisorState>,
    version: Option<String>,
}

impl Health {
    pub fn new(client: Client) -> Health {
        Health {
            client,
            started: Instant::now(),
            last: Mutex::new(None),
        }
    }

    /// The daemon's state and version, at most [`MAX_AGE`] old; asks the daemon
    /// (through `ops::info`) only when the last answer is older.
    async fn probe(&self) -> Probe {
        let mut last = self.last.lock().await;
        if let Some((at, p)) = last.as_ref()
            && at.elapsed() < MAX_AGE
        {
            return p.clone();
        }
        let asked = tokio::time::timeout(PROBE_TIMEOUT, crate::supervisor::ops::info::info(&self.client)).await;
        let p = match asked {
            Ok(Ok(i)) => Probe {
                state: Some(i.state),
                version: Some(i.supervisor_version),
            },
            _ => Probe::default(),
        };
        *last = Some((Instant::now(), p.clone()));
        p
    }
}

/// `{"status":"ok","uptime_s":N,"supervisord":{"reachable":bool,"state":..,"version":..},"version":..}`.
pub async fn health(State(h): State<Arc<Health>>) -> Json<serde_json::Value> {
    let p = h.probe().await;
    Json(serde_json::json!({
        "status": "ok",
        "uptime_s": h.started.elapsed().as_secs(),
        "supervisord": { "reachable": p.state.is_some(), "state": p.state, "version": p.version },
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// `GET /health` for `client`'s daemon, its `Host` (and any `Origin`) checked against
/// `origins` though it needs no token ([`super::guard::hosts_checked`]: no DNS
/// rebinding). The one route every server mounts.
pub fn route(client: Client, origins: super::guard::Origins) -> axum::Router {
    let state = Arc::new(Health::new(client));
    axum::Router::new()
        .route("/health", axum::routing::get(health))
        .with_state(state)
        .route_layer(axum::middleware::from_fn_with_state(
            origins,
            super::guard::hosts_checked,
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::fake::{FakeDaemon, Model};

    /// 200 callers at once, for 2.5 s: the daemon is asked about once a second
    /// (`getState` once per probe), and every caller gets an answer.
    #[tokio::test]
    async fn a_flood_of_callers_asks_the_daemon_about_once_a_second() {
        let d = FakeDaemon::start(Model::recorded()).await;
        let h = Arc::new(Health::new(d.client()));
        let started = Instant::now();
        let mut callers = tokio::task::JoinSet::new();
        for _ in 0..200 {
            let h = h.clone();
            callers.spawn(async move {
                let mut answers = 0u32;
                while started.elapsed() < Duration::from_millis(2500) {
                    let Json(v) = health(State(h.clone())).await;
                    assert_eq!(v["supervisord"]["reachable"], true, "{v}");
                    answers += 1;
                    tokio::task::yield_now().await;
                }
                answers
            });
        }
        let mut answers = 0;
        while let Some(n) = callers.join_next().await {
            answers += n.unwrap_or_else(|e| panic!("{e}"));
        }
        let asked = d.model().count("supervisor.getState");
        let secs = started.elapsed().as_secs_f64();
        assert!(answers > 1000, "{answers} answers");
        assert!(
            (1..=secs.ceil() as usize + 1).contains(&asked),
            "the daemon was asked {asked} times in {secs:.1} s"
        );
    }

    #[tokio::test]
    async fn a_frozen_daemon_is_unreachable_within_the_probe_timeout() {
        let mut model = Model::recorded();
        model.stalled.insert("supervisor.getState".into());
        model.stalled.insert("system.multicall".into());
        let d = FakeDaemon::start(model).await;
        let h = Arc::new(Health::new(d.client()));
        let started = Instant::now();
        let Json(v) = health(State(h)).await;
        assert_eq!(v["supervisord"]["reachable"], false, "{v}");
        assert!(started.elapsed() < PROBE_TIMEOUT + Duration::from_secs(1));
    }
}
