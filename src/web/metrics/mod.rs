//! `GET /metrics`: every selected target's supervisord and processes for
//! Prometheus, with a bearer token of any scope (`authorization: {credentials_file:
//! ...}` in a scrape config). One scrape fans out to the targets, each within its
//! deadline ([`scrape`]): a frozen target costs at most its deadline and shows as
//! `supervisord_up 0`. Scrapers asking at once share one scrape (single flight), and
//! an answer is served again while it is under [`scrape::MAX_AGE`] (1 s) old.

mod encode;
pub mod scrape;

use super::Web;
use crate::server::guard::forbidden;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use scrape::{Counters, Scrape};
use std::sync::Arc;
use std::time::Instant;

/// The last scrape and the counters, behind the single-flight lock.
#[derive(Debug, Default)]
pub struct Cache {
    last: Option<(Instant, Arc<Scrape>)>,
    counters: Counters,
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
    let scrape = fresh(&w).await;
    let (body, kind) = encode::render(scrape, openmetrics);
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

/// The last scrape while it is fresh, else a new one (one at a time).
pub async fn fresh(w: &Web) -> Arc<Scrape> {
    let mut cache = w.metrics.lock().await;
    if let Some((at, s)) = &cache.last
        && at.elapsed() < scrape::MAX_AGE
    {
        return s.clone();
    }
    let s = Arc::new(scrape::scrape(&w.fleet, &mut cache.counters).await);
    cache.last = Some((Instant::now(), s.clone()));
    s
}
