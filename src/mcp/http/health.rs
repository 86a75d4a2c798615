//! `GET /health`: whether the bridge and supervisord answer. Needs no token and
//! shows no command, log, session, token or password.

use crate::supervisor::Client;
use axum::extract::State;
use axum::response::Json;
use std::sync::Arc;
use std::time::Instant;

/// What `/health` reads.
#[derive(Debug)]
pub struct Health {
    pub client: Client,
    pub started: Instant,
}

/// `{"status":"ok","uptime_s":N,"supervisord":{"reachable":bool,"state":..,"version":..},"version":..}`
/// (`getState` and `getSupervisorVersion` through `ops::info`).
pub async fn health(State(h): State<Arc<Health>>) -> Json<serde_json::Value> {
    let (reachable, state, version) = match crate::supervisor::ops::info::info(&h.client).await {
        Ok(i) => (true, Some(i.state), Some(i.supervisor_version)),
        Err(_) => (false, None, None),
    };
    Json(serde_json::json!({
        "status": "ok",
        "uptime_s": h.started.elapsed().as_secs(),
        "supervisord": { "reachable": reachable, "state": state, "version": version },
        "version": env!("CARGO_PKG_VERSION"),
    }))
}
