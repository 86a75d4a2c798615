//! MCP over Streamable HTTP (`supervisord-mcp mcp --http ADDR`): one long-lived bridge
//! for several agents. It runs process control for whoever reaches it, so:
//! - loopback by default; any other address needs a bearer token (or a loudly named
//!   override), checked in constant time on every `/mcp` request;
//! - `Host` and `Origin` are checked against DNS rebinding (loopback names by
//!   default, plus allow-lists);
//! - request bodies are capped (413), sessions are capped (503) and idle ones reaped;
//! - `GET /health` needs no token and reveals no command, log, session or secret;
//! - SIGTERM/SIGINT stop accepting, let calls in flight finish, and exit 0.

use super::SupervisorMcp;
use crate::supervisor::{Client, Policy, Secret};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use rmcp::transport::streamable_http_server::session::local::{LocalSessionManager, SessionConfig};
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio_util::sync::CancellationToken;

/// Settings of the HTTP transport, resolved before anything is bound.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub addr: SocketAddr,
    /// The bearer token clients must send; `None` only on loopback (or with the override).
    pub token: Option<Secret>,
    /// Extra `Host` names accepted besides loopback ones.
    pub allowed_hosts: Vec<String>,
    /// Extra `Origin`s accepted besides loopback ones (`https://app.example:443`).
    pub allowed_origins: Vec<String>,
    pub max_body_bytes: usize,
    pub max_sessions: usize,
    /// Sessions idle this long are closed.
    pub idle_timeout: Duration,
    pub policy: Policy,
    pub include_dir: Option<PathBuf>,
}

/// Why the HTTP server refuses to start (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(
        "refusing to serve {addr} without a bearer token: anyone who reaches it could control your processes. \
         Set SUPERVISORD_MCP_TOKEN or --token-file FILE (or bind 127.0.0.1)"
    )]
    NoToken { addr: SocketAddr },
    #[error("cannot read the token file {path}: {detail}")]
    TokenFile { path: PathBuf, detail: String },
    #[error("cannot listen on {addr}: {detail}")]
    Bind { addr: SocketAddr, detail: String },
    #[error("the HTTP server failed: {0}")]
    Serve(String),
}

/// Reads the token from a file (first line, trimmed). Errors: unreadable or empty.
pub fn token_from_file(path: &std::path::Path) -> Result<Secret, HttpError> {
    let text = std::fs::read_to_string(path).map_err(|e| HttpError::TokenFile {
        path: path.to_owned(),
        detail: e.to_string(),
    })?;
    let t = text.lines().next().unwrap_or("").trim().to_owned();
    if t.is_empty() {
        return Err(HttpError::TokenFile {
            path: path.to_owned(),
            detail: "it is empty".into(),
        });
    }
    Ok(Secret::new(t))
}

/// Checks the bind rule: a non-loopback address needs a token unless `insecure`.
pub fn check_bind(addr: SocketAddr, token: &Option<Secret>, insecure: bool) -> Result<(), HttpError> {
    if addr.ip().is_loopback() || token.is_some() || insecure {
        Ok(())
    } else {
        Err(HttpError::NoToken { addr })
    }
}

#[derive(Clone)]
struct AppState {
    token: Option<Arc<Secret>>,
    sessions: Arc<LocalSessionManager>,
    max_sessions: usize,
    client: Client,
    started: Instant,
}

/// `Authorization: Bearer <token>`, compared in constant time; 401 otherwise.
async fn require_token(State(st): State<AppState>, headers: HeaderMap, req: Request, next: Next) -> Response {
    if let Some(token) = &st.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let ok: bool = given.as_bytes().ct_eq(token.expose().as_bytes()).into();
        if !ok {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "missing or wrong bearer token\n",
            )
                .into_response();
        }
    }
    // A new session (no Mcp-Session-Id) when the cap is reached: 503.
    if !headers.contains_key("mcp-session-id") && st.sessions.sessions.read().await.len() >= st.max_sessions {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many MCP sessions; close one or retry later\n",
        )
            .into_response();
    }
    next.run(req).await
}

/// `GET /health`: status, uptime, whether supervisord answers, versions. No secrets,
/// no commands, logs or sessions.
async fn health(State(st): State<AppState>) -> Json<serde_json::Value> {
    let (reachable, state, version) = match crate::supervisor::ops::info::info(&st.client).await {
        Ok(i) => (true, Some(i.state), Some(i.supervisor_version)),
        Err(_) => (false, None, None),
    };
    Json(serde_json::json!({
        "status": "ok",
        "uptime_s": st.started.elapsed().as_secs(),
        "supervisord": { "reachable": reachable, "state": state, "version": version },
        "version": env!("CARGO_PKG_VERSION"),
    }))
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

/// Builds the app (router and services); `shutdown` cancels sessions on exit.
pub fn app(client: Client, s: &HttpSettings, shutdown: CancellationToken) -> Router {
    let sessions = Arc::new({
        let mut m = LocalSessionManager::default();
        let mut cfg = SessionConfig::default();
        cfg.keep_alive = Some(s.idle_timeout);
        m.session_config = cfg;
        m
    });
    let mut hosts = loopback_hosts();
    hosts.extend(s.allowed_hosts.iter().cloned());
    let mut origins = loopback_origins();
    origins.extend(s.allowed_origins.iter().cloned());
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(origins)
        .with_max_request_body_bytes(s.max_body_bytes)
        .with_cancellation_token(shutdown.child_token());
    let (c, policy, include_dir) = (client.clone(), s.policy.clone(), s.include_dir.clone());
    let service = StreamableHttpService::new(
        move || Ok(SupervisorMcp::with_policy(c.clone(), policy.clone()).with_include_dir(include_dir.clone())),
        sessions.clone(),
        config,
    );
    let state = AppState {
        token: s.token.clone().map(Arc::new),
        sessions,
        max_sessions: s.max_sessions,
        client,
        started: Instant::now(),
    };
    let mcp = Router::new()
        .nest_service("/mcp", service)
        .layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new().route("/health", get(health)).with_state(state).merge(mcp)
}

/// Serves until SIGTERM or SIGINT, then stops accepting, lets calls in flight finish,
/// and returns.
pub async fn serve(client: Client, s: HttpSettings) -> Result<(), HttpError> {
    let listener = tokio::net::TcpListener::bind(s.addr)
        .await
        .map_err(|e| HttpError::Bind {
            addr: s.addr,
            detail: e.to_string(),
        })?;
    let shutdown = CancellationToken::new();
    let router = app(client, &s, shutdown.clone());
    tracing::info!(addr = %s.addr, auth = s.token.is_some(), "serving MCP over HTTP at /mcp");
    let signal = async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
        }
        tracing::info!("shutting down");
        shutdown.cancel();
    };
    axum::serve(listener, router)
        .with_graceful_shutdown(signal)
        .await
        .map_err(|e| HttpError::Serve(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_loopback_binds_need_a_token_or_the_override() {
        let lo: SocketAddr = "127.0.0.1:8080".parse().unwrap_or_else(|_| unreachable!());
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap_or_else(|_| unreachable!());
        assert!(check_bind(lo, &None, false).is_ok());
        assert!(check_bind(any, &None, false).is_err());
        assert!(check_bind(any, &Some(Secret::new("t")), false).is_ok());
        assert!(check_bind(any, &None, true).is_ok());
        let msg = check_bind(any, &None, false).unwrap_err().to_string();
        assert!(msg.contains("SUPERVISORD_MCP_TOKEN") && msg.contains("--token-file"));
    }
}
