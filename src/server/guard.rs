//! Checks every served endpoint shares, before a token is looked at or a body read:
//! `Host` and `Origin` against DNS rebinding (403), and reading a request body whole
//! within the read timeout (408) and a size cap (413).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::time::Duration;

/// The `Host` names and `Origin`s a request may carry: loopback ones, and those
/// added with `--allow-host` and `--allow-origin`.
#[derive(Debug, Clone)]
pub struct Origins {
    /// Accepted `Host` names (`name` matches any port, `name:port` only that one).
    pub hosts: Vec<String>,
    /// Accepted `Origin`s (`scheme://host:port`, `:*` for any port).
    pub origins: Vec<String>,
    /// The `--allow-origin` ones alone (a state-changing browser request must come
    /// from the server's own origin or one of these, never any loopback port).
    pub extra_origins: Vec<String>,
}

impl Origins {
    /// Loopback names and origins (http and https, any port), and `hosts` and
    /// `origins` too.
    pub fn new(hosts: &[String], origins: &[String]) -> Origins {
        let mut h: Vec<String> = ["localhost", "127.0.0.1", "[::1]", "::1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        h.extend(hosts.iter().cloned());
        let mut o: Vec<String> = [
            "http://localhost:*",
            "http://127.0.0.1:*",
            "http://[::1]:*",
            "https://localhost:*",
            "https://127.0.0.1:*",
            "https://[::1]:*",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        o.extend(origins.iter().cloned());
        Origins {
            hosts: h,
            origins: o,
            extra_origins: origins.to_vec(),
        }
    }

    /// The DNS-rebinding check: `Host` must name an allowed host and `Origin`, when
    /// present, an allowed origin. Errors: which, for a 403 ([`forbidden`]).
    pub fn check(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), &'static str> {
        host_allowed(uri, headers, &self.hosts).and_then(|()| origin_allowed(headers, &self.origins))
    }

    /// For a browser's state-changing request: its `Origin` (or, without one, its
    /// `Referer`'s origin) must be this server's own origin, as the `Host` header
    /// names it, or one of `--allow-origin`; a request with neither is refused.
    /// Errors: why, for a 403.
    pub fn same_origin(&self, headers: &HeaderMap, https: bool) -> Result<(), &'static str> {
        let given = match headers.get(header::ORIGIN) {
            Some(o) => o.to_str().ok().and_then(parse_origin),
            None => headers
                .get(header::REFERER)
                .and_then(|r| r.to_str().ok())
                .and_then(parse_origin),
        }
        .ok_or("the request says no Origin (or Referer): it cannot be told from a cross-site one")?;
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .ok_or("no Host header")?;
        let scheme = if https { "https" } else { "http" };
        let own = parse_origin(&format!("{scheme}://{host}"));
        let extra = self.extra_origins.iter().filter_map(|o| parse_origin(o));
        if own.into_iter().chain(extra).any(|o| o == given) {
            Ok(())
        } else {
            Err("cross-site request: its Origin is not this server's")
        }
    }
}

/// 403 with `why`.
pub fn forbidden(why: &str) -> Response {
    (StatusCode::FORBIDDEN, format!("Forbidden: {why}\n")).into_response()
}

/// `req` with its body read whole: at most `max` bytes within `timeout`. Errors:
/// 408 (too slow), 413 (too large), 400 (broken off).
#[allow(clippy::result_large_err)]
pub async fn read_body(req: Request, max: usize, timeout: Duration) -> Result<Request, Response> {
    let (parts, body) = req.into_parts();
    let limited = Limited::new(body, max);
    let bytes = match tokio::time::timeout(timeout, limited.collect()).await {
        Err(_) => return Err((StatusCode::REQUEST_TIMEOUT, "the request body took too long\n").into_response()),
        Ok(Err(e)) if e.is::<LengthLimitError>() => {
            let msg = format!("the request body exceeds {max} bytes\n");
            return Err((StatusCode::PAYLOAD_TOO_LARGE, msg).into_response());
        }
        Ok(Err(_)) => return Err((StatusCode::BAD_REQUEST, "the request body broke off\n").into_response()),
        Ok(Ok(c)) => c.to_bytes(),
    };
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Middleware for what needs no token (`/health`, the dashboard's assets and login
/// page): the `Host` (and any `Origin`) must be allowed all the same, so a page of
/// another site reached by DNS rebinding cannot read it. 403 otherwise.
pub async fn hosts_checked(State(o): State<Origins>, req: Request, next: Next) -> Response {
    match o.check(req.uri(), req.headers()) {
        Ok(()) => next.run(req).await,
        Err(why) => forbidden(why),
    }
}

/// Middleware: a request's body (any method but GET and HEAD) is read whole, at most
/// `max` bytes within `timeout` ([`read_body`]), before a handler sees it: a client
/// that sends a body slowly holds its connection for `timeout` at most.
pub async fn bodies_bounded(State((max, timeout)): State<(usize, Duration)>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), axum::http::Method::GET | axum::http::Method::HEAD) {
        return next.run(req).await;
    }
    match read_body(req, max, timeout).await {
        Ok(req) => next.run(req).await,
        Err(refused) => refused,
    }
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

/// `(scheme, host, port)` of an origin (or of a URL's origin), the port defaulted
/// from the scheme.
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

    /// Another port of the same host is another origin, though the same site (its
    /// cookies would go along): refused for a change.
    #[test]
    fn a_change_must_come_from_the_servers_own_origin() {
        let o = Origins::new(&[], &["https://ops.example".into()]);
        let mut h = with(header::HOST, "127.0.0.1:8765");
        h.insert(
            header::ORIGIN,
            "http://127.0.0.1:8765".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert!(o.same_origin(&h, false).is_ok());
        assert!(o.same_origin(&h, true).is_err(), "https expected behind a TLS proxy");
        h.insert(
            header::ORIGIN,
            "http://127.0.0.1:9999".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert!(o.same_origin(&h, false).is_err());
        h.insert(
            header::ORIGIN,
            "https://ops.example".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert!(o.same_origin(&h, false).is_ok());
        h.remove(header::ORIGIN);
        assert!(o.same_origin(&h, false).is_err(), "neither Origin nor Referer");
        h.insert(
            header::REFERER,
            "http://127.0.0.1:8765/process/x"
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        );
        assert!(o.same_origin(&h, false).is_ok());
    }
}
