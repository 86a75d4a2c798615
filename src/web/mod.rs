//! `supervisord-mcp serve`: one long-running HTTP server for agents (`/mcp`, as
//! `mcp --http` serves it), browsers (the dashboard at `/`) and Prometheus
//! (`/metrics`), and `/health`, all behind the shared hardening of
//! [`crate::server`] (token, `Host`/`Origin`, timeouts, connection cap, drain on
//! SIGTERM). Every request carries a caller (a named token with a scope); every
//! change goes through the one policy gate narrowed by that scope, and is recorded
//! in the audit log. Nothing here decides what a change does: the dashboard's
//! actions are [`crate::fleet::exec`] operations, its live updates come from the
//! watch engine ([`crate::supervisor::watch`]), its history from the journal.

pub mod actions;
pub mod live;
pub mod login;
pub mod metrics;
pub mod pages;

use crate::fleet::watch::Watchers;
use crate::fleet::{Fleet, Target};
use crate::mcp::Backend;
use crate::mcp::http::{self, HttpSettings, McpOptions};
use crate::server::HttpError;
use crate::server::audit::AuditLog;
use crate::server::auth::Tokens;
use crate::server::guard::{self, Origins};
use crate::server::run::{self, Stopping};
use crate::supervisor::Policy;
use crate::supervisor::watch::Watcher;
use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What `serve` needs beside where calls go (resolved by [`crate::settings`]).
#[derive(Debug)]
pub struct ServeSettings {
    /// The address, limits and `Host`/`Origin` allowances (its `token` is unused:
    /// `tokens` holds every accepted one).
    pub http: HttpSettings,
    /// The tokens accepted: the single one (`default`, `operate`) or the named ones
    /// of `--tokens-file`.
    pub tokens: Arc<Tokens>,
    /// Where changes made through `serve` are recorded.
    pub audit: Arc<AuditLog>,
    /// Reverse proxies whose `X-Forwarded-For`/`X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Reached over https whatever the proxy says (`--behind-https`).
    pub behind_https: bool,
    /// How long a dashboard login lasts.
    pub login_ttl: Duration,
    /// Bound on asking one daemon (`--rpc-timeout`): the one daemon's deadline.
    pub deadline: Duration,
    /// How often `/metrics` is refreshed in the background once scraped
    /// (`--metrics-refresh`; `None`: each scrape fans out).
    pub metrics_refresh: Option<Duration>,
}

/// What every handler of `serve` shares.
#[derive(Debug)]
pub struct Web {
    /// The targets (the one daemon as a target named `default`) and the selection.
    pub fleet: Fleet,
    /// Whether there is a targets file (else the one daemon).
    pub has_targets: bool,
    /// The server's permissions (`--read-only`, `--allow`), before a token's scope.
    pub policy: Policy,
    pub tokens: Arc<Tokens>,
    pub origins: Origins,
    pub sessions: login::Sessions,
    pub trusted_proxies: Vec<IpAddr>,
    pub behind_https: bool,
    pub audit: Arc<AuditLog>,
    /// One watcher per daemon, shared with `/mcp`.
    pub watchers: Watchers,
    /// Cancelled when the server stops: event streams end.
    pub stopping: CancellationToken,
    /// The last scrape and the counters kept across scrapes.
    pub metrics: metrics::Cache,
    /// The background refresh of `/metrics` (`--metrics-refresh`; `None`: off).
    pub metrics_refresh: Option<Duration>,
}

impl Web {
    /// The state of `backend` under `s`.
    pub fn new(backend: &Backend, s: &ServeSettings, watchers: Watchers, stopping: CancellationToken) -> Web {
        let fleet = match &backend.fleet {
            Some(f) => (**f).clone(),
            None => Fleet::implicit(backend.client.clone(), s.deadline),
        };
        Web {
            fleet,
            has_targets: backend.fleet.is_some(),
            policy: backend.policy.clone(),
            tokens: s.tokens.clone(),
            origins: Origins::new(&s.http.allowed_hosts, &s.http.allowed_origins),
            sessions: login::Sessions::new(s.login_ttl),
            trusted_proxies: s.trusted_proxies.clone(),
            behind_https: s.behind_https,
            audit: s.audit.clone(),
            watchers,
            stopping,
            metrics: metrics::Cache::default(),
            metrics_refresh: s.metrics_refresh,
        }
    }

    /// The target called `name` (any target of the file; the one daemon is
    /// `default`).
    pub fn target(&self, name: &str) -> Option<&Target> {
        self.fleet.targets.iter().find(|t| t.name == name)
    }

    /// The watcher of target `name`.
    pub fn watcher(&self, name: &str) -> Option<Watcher> {
        self.target(name)?;
        let key = self.has_targets.then_some(name);
        self.watchers.watcher(key).ok().cloned()
    }
}

async fn not_found() -> (StatusCode, &'static str) {
    (
        StatusCode::NOT_FOUND,
        "not found: this server serves the dashboard at /, /mcp, /metrics and /health\n",
    )
}

/// The whole app: `/health` (no token), `/mcp` and `/metrics` (bearer token), the
/// dashboard (a bearer token or a login's cookie: `/`, `/process`, `/events`), its
/// login and assets; 404 elsewhere.
/// Cancelling `stopping`'s tokens ends streams, then calls.
pub fn app(backend: &Backend, s: &ServeSettings, watchers: Watchers, stopping: &Stopping) -> Router {
    let web = Arc::new(Web::new(backend, s, watchers.clone(), stopping.streams.clone()));
    let mcp = McpOptions {
        tokens: s.tokens.clone(),
        origins: Origins::new(&s.http.allowed_hosts, &s.http.allowed_origins),
        audit: Some(s.audit.clone()),
        trusted_proxies: s.trusted_proxies.clone(),
        ..McpOptions::of(&s.http)
    };
    let open_hosts = middleware::from_fn_with_state(mcp.origins.clone(), guard::hosts_checked);
    let bodies = (s.http.max_body_bytes, s.http.read_timeout);
    let dashboard = Router::new()
        .route("/", get(pages::overview::overview))
        .route("/process", get(pages::process::process))
        .route("/events", get(live::states))
        .route("/events/log", get(live::log))
        .route("/action", get(actions::confirm).post(actions::act))
        .route("/logout", post(login::logout))
        .route_layer(middleware::from_fn_with_state(web.clone(), login::viewer))
        .route("/login", get(login::login_page).post(login::login))
        .route("/metrics", get(metrics::metrics))
        .with_state(web)
        .layer(middleware::from_fn_with_state(bodies, guard::bodies_bounded));
    let assets = Router::new()
        .route("/assets/{name}", get(pages::asset))
        .route_layer(open_hosts);
    crate::server::health::route(watchers.first().client().clone(), mcp.origins.clone())
        .merge(assets)
        .merge(dashboard)
        .merge(http::routes(watchers, backend, &mcp, stopping.calls.clone()))
        .fallback(not_found)
}

/// Serves until SIGTERM or SIGINT, then drains (see [`crate::server::run`]).
/// Errors: the address cannot be bound.
pub async fn serve(backend: Backend, s: ServeSettings) -> Result<(), HttpError> {
    let listener = run::bind(s.http.addr).await?;
    let stopping = Stopping::default();
    let watchers = Watchers::new(backend.client.clone(), backend.fleet.as_deref());
    let router = app(&backend, &s, watchers.clone(), &stopping);
    tracing::info!(
        addr = %s.http.addr,
        tokens = s.tokens.identities().count(),
        audit = %s.audit.path().display(),
        "serving the dashboard at /, /mcp, /metrics and /health"
    );
    let streams = stopping.streams.clone();
    tokio::spawn(async move {
        streams.cancelled().await;
        watchers.close();
    });
    run::serve(listener, router, http::limits(&s.http), stopping).await;
    Ok(())
}
