//! MCP over Streamable HTTP (`supervisord-mcp mcp --http ADDR`): one long-lived bridge
//! for several agents. It runs process control for whoever reaches it, so:
//! - a bearer token is always required (`token`), generated and kept in a
//!   user-private file when none is given; only `--dangerously-serve-without-token`
//!   serves without one;
//! - `/mcp` checks `Host`/`Origin`, then the token, then reads the body within a
//!   timeout and a size cap, before any session is touched (`guard`);
//! - a `subscriptions/listen` is acknowledged without processes the daemon does not
//!   know (`listen`);
//! - sessions are capped atomically, making room by closing the least recently used
//!   idle one (`sessions`);
//! - connections get TCP_NODELAY, a header read timeout and a cap below the fd
//!   limit that sheds the oldest idle ones (`conn`);
//! - `GET /health` needs no token and reveals nothing secret (`health`); any other
//!   path is 404;
//! - SIGTERM/SIGINT stop accepting, let calls in flight finish within the grace
//!   period, then cancel the rest and return.

mod guard;
mod health;
mod listen;
mod sessions;
pub mod strength;
pub mod token;

use super::Backend;
use crate::fleet::watch::Watchers;
use crate::supervisor::Secret;
use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::get;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub use crate::server::max_connections;
pub use token::TokenSource;

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

/// Why the HTTP server refuses to start or stops. `NoToken`, `TokenFile` and
/// `WeakToken` are bad configuration (exit 2); `Bind` and `Serve` are faults (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(
        "refusing to serve {addr} without a bearer token: there is no place to keep a generated one \
         (neither XDG_CONFIG_HOME nor HOME is set). Set SUPERVISORD_MCP_TOKEN or --token-file FILE"
    )]
    NoToken { addr: SocketAddr },
    /// The token file, or the directory of a generated token, cannot be used
    /// (`what`: "token file", "token directory").
    #[error("{what} {}: {detail}", path.display())]
    TokenFile {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },
    /// A configured token is too weak (see [`strength`]); `from` says where it is.
    #[error("the token {from} is too weak: {detail}")]
    WeakToken { from: String, detail: String },
    #[error("cannot listen on {addr}: {detail}")]
    Bind { addr: SocketAddr, detail: String },
    #[error("the HTTP server failed: {0}")]
    Serve(String),
}

fn loopback_hosts() -> Vec<String> {
    ["localhost", "127.0.0.1", "[::1]", "::1"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn loopback_origins() -> Vec<String> {
    ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

async fn not_found() -> (StatusCode, &'static str) {
    (
        StatusCode::NOT_FOUND,
        "not found: this bridge serves /mcp and /health\n",
    )
}

/// Builds the app serving `backend`: `/mcp` behind the guard, `/health`, 404
/// elsewhere. Cancelling `sessions_ct` ends every session and stream.
pub fn app(backend: &Backend, s: &HttpSettings, sessions_ct: CancellationToken) -> Router {
    let watchers = Watchers::new(backend.client.clone(), backend.fleet.as_deref());
    app_with_watchers(watchers, backend, s, sessions_ct)
}

/// [`app`] with the resource watchers given (one per daemon: see [`Watchers`]):
/// every MCP session and every stateless request (a 2026-07-28
/// `subscriptions/listen`) gets a server sharing them, so each daemon is polled
/// once for all of them.
pub fn app_with_watchers(
    watchers: Watchers,
    backend: &Backend,
    s: &HttpSettings,
    sessions_ct: CancellationToken,
) -> Router {
    let client = watchers.first().client().clone();
    let mut hosts = loopback_hosts();
    hosts.extend(s.allowed_hosts.iter().cloned());
    let mut origins = loopback_origins();
    origins.extend(s.allowed_origins.iter().cloned());
    // rmcp repeats the Host/Origin checks; ours run first, before the token.
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts.clone())
        .with_allowed_origins(origins.clone())
        .with_max_request_body_bytes(s.max_body_bytes)
        .with_cancellation_token(sessions_ct);
    let checked = watchers.clone();
    let backend = backend.clone();
    let service = StreamableHttpService::new(
        move || Ok(backend.server().with_watchers(watchers.clone())),
        Arc::new(sessions::CappedSessions::new(s.max_sessions, s.idle_timeout)),
        config,
    );
    let guard = Arc::new(guard::Guard {
        token: s.token.clone(),
        hosts,
        origins,
        max_body_bytes: s.max_body_bytes,
        read_timeout: s.read_timeout,
    });
    let mcp = Router::new()
        .route_service("/mcp", service)
        .route_layer(middleware::from_fn_with_state(checked, listen::drop_unknown))
        .route_layer(middleware::from_fn_with_state(guard, guard::check));
    let state = Arc::new(health::Health::new(client));
    Router::new()
        .route("/health", get(health::health))
        .with_state(state)
        .merge(mcp)
        .fallback(not_found)
}

/// Serves `backend` until SIGTERM or SIGINT, then stops accepting, lets calls in flight
/// finish for at most `shutdown_grace` (a second signal cuts it short), cancels the
/// rest, and returns. Errors: the address cannot be bound.
pub async fn serve(backend: Backend, s: HttpSettings) -> Result<(), HttpError> {
    let listener = tokio::net::TcpListener::bind(s.addr)
        .await
        .map_err(|e| HttpError::Bind {
            addr: s.addr,
            detail: e.to_string(),
        })?;
    let sessions_ct = CancellationToken::new();
    let watchers = Watchers::new(backend.client.clone(), backend.fleet.as_deref());
    let router = app_with_watchers(watchers.clone(), &backend, &s, sessions_ct.clone());
    let (stop, hard) = (CancellationToken::new(), CancellationToken::new());
    tokio::spawn(on_signals(stop.clone(), hard.clone()));
    let trimmer = tokio::spawn(crate::server::memory::trim_loop(Duration::from_secs(2)));
    tracing::info!(addr = %s.addr, auth = s.token.is_some(), max_connections = s.max_connections, "serving MCP over HTTP at /mcp");
    let conns = crate::server::conn::Conns::new(s.max_connections, s.read_timeout);
    conns.accept(listener, router, stop, hard.clone()).await;
    // Subscription streams never end on their own: end them now, gracefully, so
    // they do not hold the shutdown for the whole grace period.
    watchers.close();
    let busy = conns.len();
    if busy > 0 {
        tracing::info!(
            connections = busy,
            grace_s = s.shutdown_grace.as_secs_f64(),
            "letting calls in flight finish"
        );
    }
    let finished = tokio::select! {
        done = conns.wait(s.shutdown_grace) => done,
        () = hard.cancelled() => false,
    };
    if !finished {
        tracing::warn!(
            connections = conns.len(),
            "shutdown grace over: cancelling the calls still in flight"
        );
    }
    sessions_ct.cancel();
    hard.cancel();
    trimmer.abort();
    conns.wait(Duration::from_secs(5)).await;
    // Give the handlers just cancelled a turn to drop their futures (and spawn
    // their cleanups) before the caller drains `supervisor::cleanup`.
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(())
}

/// The first SIGTERM/SIGINT cancels `stop`; a second one `hard`.
async fn on_signals(stop: CancellationToken, hard: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        tracing::warn!("cannot listen for SIGTERM/SIGINT");
        return;
    };
    for token in [stop, hard] {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("shutting down");
        token.cancel();
    }
}
