//! `GET /metrics`: every selected target's supervisord and processes for
//! Prometheus, with a bearer token of any scope (`authorization: {credentials_file:
//! ...}` in a scrape config). A scrape fans out to the targets, each within its
//! deadline ([`scrape`]): a frozen target costs at most its deadline and shows as
//! `supervisord_up 0`. With `--metrics-refresh SECS` (default 5; 0: off), once
//! scraped, the fan-out runs in the background every SECS and `/metrics` answers
//! from the last one, written once per format: a scrape costs writing bytes, not the
//! slowest daemon. An answer is served while it is younger than `max_age` (two
//! periods plus the longest deadline, counted from the start of its fan-out, which
//! `supervisord_scrape_timestamp_seconds` gives); one that finds nothing that young
//! fans out itself, and scrapers asking at once share that (single flight). The
//! refresh stops with the server, or after [`IDLE_STOP`] without a scrape.

mod encode;
pub mod scrape;

use super::Web;
use crate::server::guard::forbidden;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use scrape::{Counters, Scrape};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How long without a scrape before the background refresh stops.
pub const IDLE_STOP: Duration = Duration::from_secs(300);

/// The last scrape, its written forms, and the refresh's state.
#[derive(Debug, Default)]
pub struct Cache {
    /// The last scrape (a short lock: read by every `/metrics`).
    last: std::sync::Mutex<Option<Arc<Served>>>,
    /// Held while fanning out (one at a time); the counters kept across scrapes.
    scraping: tokio::sync::Mutex<Counters>,
    /// When `/metrics` was last asked.
    asked: std::sync::Mutex<Option<Instant>>,
    /// Whether the background refresh runs.
    refreshing: AtomicBool,
}

/// One scrape and its text in each format, written at the first request for it.
#[derive(Debug)]
struct Served {
    /// When its fan-out started.
    at: Instant,
    scrape: Arc<Scrape>,
    openmetrics: OnceLock<Bytes>,
    prometheus: OnceLock<Bytes>,
}

impl Served {
    /// A fan-out of `w`'s targets, now (the caller holds the scraping lock).
    async fn fan_out(w: &Web, counters: &mut Counters) -> Arc<Served> {
        let at = Instant::now();
        let scrape = scrape::scrape(&w.fleet, counters).await;
        let s = Arc::new(Served {
            at,
            scrape: Arc::new(scrape),
            openmetrics: OnceLock::new(),
            prometheus: OnceLock::new(),
        });
        w.metrics.store(&s);
        s
    }

    /// The text in one format (shared, not copied), and its content type.
    fn text(&self, openmetrics: bool) -> (Bytes, &'static str) {
        let cell = if openmetrics {
            &self.openmetrics
        } else {
            &self.prometheus
        };
        let body = cell.get_or_init(|| Bytes::from(encode::render(self.scrape.clone(), openmetrics)));
        (body.clone(), encode::content_type(openmetrics))
    }
}

impl Cache {
    fn last(&self) -> Option<Arc<Served>> {
        self.last.lock().ok().and_then(|l| l.clone())
    }

    fn store(&self, s: &Arc<Served>) {
        if let Ok(mut l) = self.last.lock() {
            *l = Some(s.clone());
        }
    }

    fn asked_now(&self) {
        if let Ok(mut a) = self.asked.lock() {
            *a = Some(Instant::now());
        }
    }

    fn idle(&self) -> bool {
        self.asked
            .lock()
            .ok()
            .and_then(|a| *a)
            .is_none_or(|a| a.elapsed() > IDLE_STOP)
    }
}

/// `GET /metrics`: `Host`/`Origin` checked, then the token, then the scrape written
/// as the `Accept` header asks (OpenMetrics or the Prometheus text format).
pub async fn metrics(State(w): State<Arc<Web>>, req: Request) -> Response {
    if let Err(why) = w.origins.check(req.uri(), req.headers()) {
        return forbidden(why);
    }
    let given = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if w.tokens.bearer(given).is_none() {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "missing or wrong bearer token: send `Authorization: Bearer TOKEN` (any scope)\n",
        )
            .into_response();
    }
    let openmetrics = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/openmetrics-text"));
    w.metrics.asked_now();
    start_refresh(&w);
    let (body, kind) = fresh(&w).await.text(openmetrics);
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

/// How old a scrape may be and still be served: [`scrape::MAX_AGE`] without a
/// refresh; with one, two periods plus the longest deadline of a target (the refresh
/// under way may be waiting on a frozen one).
fn max_age(w: &Web) -> Duration {
    match w.metrics_refresh {
        Some(every) => {
            let slowest = w.fleet.targets.iter().map(|t| t.deadline).max().unwrap_or_default();
            (2 * every + slowest).max(scrape::MAX_AGE)
        }
        None => scrape::MAX_AGE,
    }
}

/// The last scrape while it is fresh, else a new one (one at a time).
async fn fresh(w: &Web) -> Arc<Served> {
    let young = |s: &Arc<Served>| s.at.elapsed() < max_age(w);
    if let Some(s) = w.metrics.last().filter(young) {
        return s;
    }
    let mut counters = w.metrics.scraping.lock().await;
    // Another request or the refresh may have scraped while this one waited.
    if let Some(s) = w.metrics.last().filter(young) {
        return s;
    }
    Served::fan_out(w, &mut counters).await
}

/// Starts the background refresh (`--metrics-refresh`) unless it runs: every period,
/// a fan-out whose answer the next `/metrics` serves, until the server stops or
/// nobody scraped for [`IDLE_STOP`].
fn start_refresh(w: &Arc<Web>) {
    let Some(every) = w.metrics_refresh else { return };
    if w.metrics.refreshing.swap(true, Ordering::AcqRel) {
        return;
    }
    let w = w.clone();
    tokio::spawn(async move {
        loop {
            refresh(&w, every).await;
            w.metrics.refreshing.store(false, Ordering::Release);
            // A scrape that came while this task was leaving saw it still running.
            let wanted = !w.stopping.is_cancelled() && !w.metrics.idle();
            if !wanted || w.metrics.refreshing.swap(true, Ordering::AcqRel) {
                break;
            }
        }
    });
}

/// Fans out every `every` until the server stops or nobody scrapes; skips a turn
/// when a scrape fanned out itself less than half a period ago.
async fn refresh(w: &Web, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = w.stopping.cancelled() => return,
            _ = tick.tick() => {}
        }
        if w.metrics.idle() {
            return;
        }
        let mut counters = w.metrics.scraping.lock().await;
        if w.metrics.last().is_some_and(|s| s.at.elapsed() < every / 2) {
            continue;
        }
        Served::fan_out(w, &mut counters).await;
    }
}
