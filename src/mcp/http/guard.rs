//! The checks every `/mcp` request passes before anything touches a session, in
//! this order: `Host` and `Origin` against DNS rebinding (403), the bearer token
//! (401), the session's owner (a session is used only with the token that opened
//! it: 404 otherwise, as for a session that ended), then the body, read whole within
//! the read timeout (408) and the size cap (413) ([`crate::server::guard`]). Only
//! then does rmcp see the request, with the caller known to the server it makes
//! ([`CALLER`]); a session refused by the cap becomes 503 (found in rmcp's 500).

use super::sessions;
use crate::server::auth::{Identity, Tokens};
use crate::server::guard::{Origins, forbidden, read_body};
use crate::server::{Peer, client_of};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Limited};
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The session id header of MCP's Streamable HTTP.
const SESSION: &str = "mcp-session-id";

tokio::task_local! {
    /// Who sent the request being answered: the server rmcp makes for it (a new
    /// session, a stateless request) acts with this caller's permissions.
    pub static CALLER: Caller;
}

/// Who sent a request: the token's identity and the client's address.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: Identity,
    /// The client's address (no port): the peer's, or a trusted proxy's
    /// `X-Forwarded-For`.
    pub client: String,
}

/// What the checks need; shared by every request.
#[derive(Debug)]
pub struct Guard {
    pub tokens: Arc<Tokens>,
    pub origins: Origins,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Vec<IpAddr>,
    pub max_body_bytes: usize,
    /// Longest wait for a whole request body.
    pub read_timeout: Duration,
    /// Which token opened each recent session (oldest first, bounded).
    pub owners: Mutex<VecDeque<(String, String)>>,
    /// Most sessions remembered in `owners`.
    pub max_owners: usize,
}

impl Guard {
    fn owners(&self) -> std::sync::MutexGuard<'_, VecDeque<(String, String)>> {
        self.owners.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `session` may be used by token `name`: it was opened by it.
    fn owned_by(&self, session: &str, name: &str) -> bool {
        self.owners().iter().any(|(s, n)| s == session && n == name)
    }

    fn remember(&self, session: String, name: String) {
        let mut o = self.owners();
        if o.len() >= self.max_owners {
            o.pop_front();
        }
        o.push_back((session, name));
    }
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "missing or wrong bearer token: send `Authorization: Bearer TOKEN` with the token \
         this server was started with (its stderr says where it is kept)\n",
    )
        .into_response()
}

/// The `/mcp` middleware: see the module doc for the order of the checks.
pub async fn check(State(g): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    if let Err(why) = g.origins.check(req.uri(), req.headers()) {
        return forbidden(why);
    }
    let given = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let Some(id) = g.tokens.bearer(given) else {
        return unauthorized();
    };
    let session = req
        .headers()
        .get(SESSION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(s) = &session
        && !g.owned_by(s, &id.name)
    {
        return (StatusCode::NOT_FOUND, "no such session for this token\n").into_response();
    }
    let req = match read_body(req, g.max_body_bytes, g.read_timeout).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let (client, _) = client_of(req.headers(), req.extensions().get::<Peer>(), &g.trusted_proxies, false);
    let delete = req.method() == axum::http::Method::DELETE;
    let name = id.name.clone();
    let caller = Caller { id, client };
    let response = CALLER.scope(caller, next.run(req)).await;
    if session.is_none()
        && let Some(new) = response.headers().get(SESSION).and_then(|v| v.to_str().ok())
    {
        g.remember(new.to_owned(), name);
    }
    // A session ended by its client: 204 No Content, which clients expect
    // (rmcp answers 202; the Python SDK warns "Session termination failed: 202").
    if delete && response.status() == StatusCode::ACCEPTED {
        return StatusCode::NO_CONTENT.into_response();
    }
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR {
        return refused_session(response).await;
    }
    response
}

/// rmcp answers a session the cap refused ([`sessions::ALL_BUSY`]) with HTTP 500: it
/// is 503 with `Retry-After`, which clients retry. Any other 500 is passed on.
async fn refused_session(response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = match Limited::new(body, 64 * 1024).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response(),
    };
    if String::from_utf8_lossy(&bytes).contains(sessions::ALL_BUSY) {
        let msg = "every MCP session is answering a call; retry later\n";
        return (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "1")], msg).into_response();
    }
    Response::from_parts(parts, Body::from(bytes))
}
