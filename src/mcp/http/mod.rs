//! MCP over Streamable HTTP: `/mcp` of `supervisord-mcp mcp --http ADDR` (one
//! long-lived bridge for several agents) and of `serve`. It runs process control for
//! whoever reaches it, so:
//! - a bearer token is always required ([`crate::server::auth`]): the one
//!   configured or generated and kept in a user-private file, or `serve`'s named
//!   tokens; only `--dangerously-serve-without-token` serves without one;
//! - `/mcp` checks `Host`/`Origin`, then the token, then that a session is used by
//!   the token that opened it, then reads the body within a timeout and a size cap,
//!   before any session is touched (`guard`); each session acts with its token's
//!   scope, and under `serve` its changes are audited (`audit`);
//! - a `subscriptions/listen` is acknowledged without processes the daemon does not
//!   know (`listen`);
//! - sessions are capped atomically, making room by closing the least recently used
//!   idle one (`sessions`);
//! - connections, `/health` and the drain on SIGTERM/SIGINT are the shared server's
//!   ([`crate::server`]); any other path is 404.

mod audit;
mod guard;
mod listen;
mod sessions;

use super::Backend;
use crate::fleet::watch::Watchers;
use crate::server::audit::AuditLog;
use crate::server::auth::Tokens;
use crate::server::guard::Origins;
use crate::server::run::{self, Limits, Stopping};
use crate::supervisor::Secret;
use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub use crate::server::HttpError;
pub use crate::server::max_connections;
pub use crate::server::token::TokenSource;
pub use audit::{Audited, record};
pub use guard::{CALLER, Caller};

/// Settings of the HTTP transport, resolved before anything is bound.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub addr: SocketAddr,
    /// The bearer token clients must send; `None` only with
    /// `--dangerously-serve-without-token`.
    pub token: Option<Secret>,
    /// Extra `Host` names accepted besides loopback ones.
    pub allowed_hosts: Vec<String>,
    /// Extra `Origin`s accepted besides loopback ones (`https://app.example:443`).
    pub allowed_origins: Vec<String>,
    pub max_body_bytes: usize,
    pub max_sessions: usize,
    /// Sessions idle this long are closed.
    pub idle_timeout: Duration,
    /// Most connections open at once (see [`max_connections`]).
    pub max_connections: usize,
    /// Longest wait for a request's headers (idle keep-alive included) or its body.
    pub read_timeout: Duration,
    /// On SIGTERM/SIGINT, how long calls in flight may take to finish.
    pub shutdown_grace: Duration,
}

async fn not_found() -> (StatusCode, &'static str) {
    (
        StatusCode::NOT_FOUND,
        "not found: this bridge serves /mcp and /health\n",
    )
}

/// What `/mcp` needs beside the backend and its watchers: who may call (tokens
/// and origins), what is recorded (`serve`'s audit log), and the limits.
#[derive(Debug, Clone)]
pub struct McpOptions {
    pub tokens: Arc<Tokens>,
    pub origins: Origins,
    /// Reverse proxies whose `X-Forwarded-For` names the client in audit lines.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub audit: Option<Arc<AuditLog>>,
    pub max_body_bytes: usize,
    pub max_sessions: usize,
    pub idle_timeout: Duration,
    pub read_timeout: Duration,
}

impl McpOptions {
    /// The options of `mcp --http`: its one token, no audit log.
    pub fn of(s: &HttpSettings) -> McpOptions {
        McpOptions {
            tokens: Arc::new(Tokens::single(s.token.clone())),
            origins: Origins::new(&s.allowed_hosts, &s.allowed_origins),
            trusted_proxies: Vec::new(),
            audit: None,
            max_body_bytes: s.max_body_bytes,
            max_sessions: s.max_sessions,
            idle_timeout: s.idle_timeout,
            read_timeout: s.read_timeout,
        }
    }
}

/// Builds the app serving `backend`: `/mcp` behind the guard, `/health`, 404
/// elsewhere. Cancelling `sessions_ct` ends every session and stream.
pub fn app(backend: &Backend, s: &HttpSettings, sessions_ct: CancellationToken) -> Router {
    let watchers = Watchers::new(backend.client.clone(), backend.fleet.as_deref());
    app_with_watchers(watchers, backend, s, sessions_ct)
}

/// [`app`] with the resource watchers given (one per daemon: see [`Watchers`]).
pub fn app_with_watchers(
    watchers: Watchers,
    backend: &Backend,
    s: &HttpSettings,
    sessions_ct: CancellationToken,
) -> Router {
    let o = McpOptions::of(s);
    crate::server::health::route(watchers.first().client().clone(), o.origins.clone())
        .merge(routes(watchers, backend, &o, sessions_ct))
        .fallback(not_found)
}

/// `/mcp` alone, behind its guard: every MCP session and every stateless request
/// (a 2026-07-28 `subscriptions/listen`) gets a server sharing `watchers`, so each
/// daemon is polled once for all of them, and acting with its caller's permissions
/// (the backend's policy narrowed by the token's scope). Cancelling `sessions_ct`
/// ends every session and stream.
pub fn routes(watchers: Watchers, backend: &Backend, o: &McpOptions, sessions_ct: CancellationToken) -> Router {
    // rmcp repeats the Host/Origin checks; ours run first, before the token.
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(o.origins.hosts.clone())
        .with_allowed_origins(o.origins.origins.clone())
        .with_max_request_body_bytes(o.max_body_bytes)
        .with_cancellation_token(sessions_ct);
    let checked = watchers.clone();
    let (backend, audit) = (backend.clone(), o.audit.clone());
    let service = StreamableHttpService::new(
        move || Ok(server_for(&backend, &watchers, audit.as_ref())),
        Arc::new(sessions::CappedSessions::new(o.max_sessions, o.idle_timeout)),
        config,
    );
    let guard = Arc::new(guard::Guard {
        tokens: o.tokens.clone(),
        origins: o.origins.clone(),
        trusted_proxies: o.trusted_proxies.clone(),
        max_body_bytes: o.max_body_bytes,
        read_timeout: o.read_timeout,
        owners: Mutex::new(VecDeque::new()),
        max_owners: o.max_sessions.saturating_mul(4).max(1024),
    });
    Router::new()
        .route_service("/mcp", service)
        .route_layer(middleware::from_fn_with_state(checked, listen::drop_unknown))
        .route_layer(middleware::from_fn_with_state(guard, guard::check))
}

/// The server of the request being answered: the backend's, with the caller's
/// permissions ([`CALLER`]; read-only if, unexpectedly, none is known) and, with an
/// audit log, its changes recorded under the caller's name.
fn server_for(backend: &Backend, watchers: &Watchers, audit: Option<&Arc<AuditLog>>) -> super::SupervisorMcp {
    let caller = CALLER.try_with(Caller::clone).ok();
    let mut server = backend.server().with_watchers(watchers.clone());
    server.policy = Arc::new(match &caller {
        Some(c) => c.id.policy(&backend.policy),
        None => backend.policy.clone().narrowed(crate::supervisor::Policy {
            read_only: true,
            ..Default::default()
        }),
    });
    if let (Some(log), Some(c)) = (audit, caller) {
        server.audit = Some(Arc::new(audit::Audited {
            log: log.clone(),
            caller: c,
        }));
    }
    server
}

/// Serves `backend` until SIGTERM or SIGINT, then stops accepting, lets calls in flight
/// finish for at most `shutdown_grace` (a second signal cuts it short), cancels the
/// rest, and returns. Errors: the address cannot be bound.
pub async fn serve(backend: Backend, s: HttpSettings) -> Result<(), HttpError> {
    let listener = run::bind(s.addr).await?;
    let stopping = Stopping::default();
    let watchers = Watchers::new(backend.client.clone(), backend.fleet.as_deref());
    let router = app_with_watchers(watchers.clone(), &backend, &s, stopping.calls.clone());
    tracing::info!(addr = %s.addr, auth = s.token.is_some(), max_connections = s.max_connections, "serving MCP over HTTP at /mcp");
    let streams = stopping.streams.clone();
    tokio::spawn(async move {
        streams.cancelled().await;
        watchers.close();
    });
    run::serve(listener, router, limits(&s), stopping).await;
    Ok(())
}

/// The connection limits of `s`.
pub fn limits(s: &HttpSettings) -> Limits {
    Limits {
        max_connections: s.max_connections,
        read_timeout: s.read_timeout,
        shutdown_grace: s.shutdown_grace,
    }
}
