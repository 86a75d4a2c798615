//! The checks every `/mcp` request passes before anything touches a session, in
//! this order: `Host` and `Origin` against DNS rebinding (403), the bearer token
//! (401), then the body, read whole within the read timeout (408) and the size cap
//! (413). Only then does rmcp see the request; a session refused by the cap
//! becomes 503 (found in rmcp's 500).

use super::sessions;
use super::token;
use crate::supervisor::Secret;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::sync::Arc;
use std::time::Duration;

/// What the checks need; shared by every request.
#[derive(Debug)]
pub struct Guard {
    /// `None` only with `--dangerously-serve-without-token`.
    pub token: Option<Secret>,
    /// Accepted `Host` names (`name` matches any port, `name:port` only that one).
    pub hosts: Vec<String>,
    /// Accepted `Origin`s (`scheme://host:port`, `:*` for any port).
    pub origins: Vec<String>,
    pub max_body_bytes: usize,
    /// Longest wait for a whole request body.
    pub read_timeout: Duration,
}

/// The `/mcp` middleware: see the module doc for the order of the checks.
pub async fn check(State(g): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    if let Err(why) = host_allowed(req.uri(), req.headers(), &g.hosts) {
        return (StatusCode::FORBIDDEN, format!("Forbidden: {why}\n")).into_response();
    }
    if let Err(why) = origin_allowed(req.headers(), &g.origins) {
        return (StatusCode::FORBIDDEN, format!("Forbidden: {why}\n")).into_response();
    }
    if let Some(t) = &g.token {
        let given = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if !token::matches(given, t) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "missing or wrong bearer token: send `Authorization: Bearer TOKEN` with the token \
                 this bridge was started with (its stderr says where it is kept)\n",
            )
                .into_response();
        }
    }
    let (parts, body) = req.into_parts();
    let limited = Limited::new(body, g.max_body_bytes);
    let bytes = match tokio::time::timeout(g.read_timeout, limited.collect()).await {
        Err(_) => return (StatusCode::REQUEST_TIMEOUT, "the request body took too long\n").into_response(),
        Ok(Err(e)) if e.is::<LengthLimitError>() => {
            let msg = format!("the request body exceeds {} bytes\n", g.max_body_bytes);
            return (StatusCode::PAYLOAD_TOO_LARGE, msg).into_response();
        }
        Ok(Err(_)) => return (StatusCode::BAD_REQUEST, "the request body broke off\n").into_response(),
        Ok(Ok(c)) => c.to_bytes(),
    };
    let delete = parts.method == axum::http::Method::DELETE;
    let req = Request::from_parts(parts, Body::from(bytes));
    let response = next.run(req).await;
    // A session ended by its client: 204 No Content, which clients expect (rmcp
    // answers 202; the Python SDK warns "Session termination failed: 202").
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

/// `host` lowercased without IPv6 brackets.
fn normalize(host: &str) -> String {
    host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase()
}

/// The `Host` header (or the URI's authority) must name an allowed host.
fn host_allowed(uri: &Uri, headers: &HeaderMap, allowed: &[String]) -> Result<(), &'static str> {
    let raw = match headers.get(header::HOST) {
        Some(h) => h.to_str().map_err(|_| "the Host header is not text")?.to_owned(),
        None => uri.authority().ok_or("no Host header")?.to_string(),
    };
    let auth: axum::http::uri::Authority = raw.parse().map_err(|_| "the Host header is malformed")?;
    let (host, port) = (normalize(auth.host()), auth.port_u16());
    let ok = allowed.iter().any(|a| match a.parse::<axum::http::uri::Authority>() {
        Ok(a) => normalize(a.host()) == host && a.port_u16().is_none_or(|p| Some(p) == port),
        Err(_) => normalize(a) == host,
    });
    if ok {
        Ok(())
    } else {
        Err("the Host header is not allowed")
    }
}

/// An `Origin` header, when present, must match an allowed origin: same scheme
/// and host, and the same port (`:*` any; a missing port is the scheme's default).
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> Result<(), &'static str> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| "the Origin header is not text")?;
    let Some(given) = parse_origin(origin) else {
        return Err("the Origin header is malformed");
    };
    let ok = allowed.iter().any(|a| {
        let (base, any_port) = match a.strip_suffix(":*") {
            Some(b) => (b, true),
            None => (a.as_str(), false),
        };
        parse_origin(base).is_some_and(|want| want.0 == given.0 && want.1 == given.1 && (any_port || want.2 == given.2))
    });
    if ok {
        Ok(())
    } else {
        Err("the Origin header is not allowed")
    }
}

/// `(scheme, host, port)` of an origin, the port defaulted from the scheme.
fn parse_origin(s: &str) -> Option<(String, String, Option<u16>)> {
    let uri: Uri = s.trim().parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let auth = uri.authority()?;
    let port = auth.port_u16().or(match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    });
    Some((scheme, normalize(auth.host()), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> Vec<String> {
        ["localhost", "127.0.0.1", "[::1]", "mcp.example:8443"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn with(name: header::HeaderName, v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, v.parse().unwrap_or_else(|_| unreachable!()));
        h
    }

    #[test]
    fn hosts_are_matched_by_name_and_optional_port() {
        let u = Uri::from_static("/mcp");
        for ok in [
            "localhost:8765",
            "127.0.0.1",
            "[::1]:1",
            "LOCALHOST",
            "mcp.example:8443",
        ] {
            assert!(host_allowed(&u, &with(header::HOST, ok), &hosts()).is_ok(), "{ok}");
        }
        for bad in [
            "evil.example",
            "mcp.example:80",
            "mcp.example",
            "localhost.evil:80",
            "a b",
        ] {
            assert!(host_allowed(&u, &with(header::HOST, bad), &hosts()).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_need_scheme_host_and_port() {
        let allowed: Vec<String> = vec!["http://localhost:*".into(), "https://app.example".into()];
        assert!(origin_allowed(&HeaderMap::new(), &allowed).is_ok());
        for ok in [
            "http://localhost:3000",
            "https://app.example",
            "https://app.example:443",
        ] {
            assert!(origin_allowed(&with(header::ORIGIN, ok), &allowed).is_ok(), "{ok}");
        }
        for bad in [
            "https://localhost:3000",
            "https://evil.example",
            "https://app.example:8443",
            "null",
        ] {
            assert!(origin_allowed(&with(header::ORIGIN, bad), &allowed).is_err(), "{bad}");
        }
    }
}
