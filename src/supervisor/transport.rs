//! The one way bytes reach the daemon: HTTP/1.1 over TCP or over its unix socket,
//! through one reqwest client, with basic auth, a connect timeout and a per-call
//! timeout. Knows XML-RPC only as "POST a body, decode the reply".

use super::error::{Error, Fault, FaultCode, Result};
use crate::xmlrpc::{Value, decode_response, encode_call};
use reqwest::StatusCode;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// A secret (the daemon's password) whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    /// The secret itself: only for the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(redacted)")
    }
}

/// Where the daemon listens: `http://host:port[/path]` or `unix:///path/to.sock`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// An HTTP base URL, without credentials.
    Http(Url),
    /// The path of the daemon's unix socket.
    Unix(PathBuf),
}

/// A parsed server URL: the endpoint, plus any `user:password@` found in it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedServerUrl {
    pub endpoint: Endpoint,
    pub username: Option<String>,
    pub password: Option<Secret>,
}

impl Endpoint {
    /// Parses a supervisorctl-style server URL. Credentials embedded in an HTTP URL
    /// are taken out (so that they are never displayed) and returned beside it.
    ///
    /// Errors: anything that is not `http://` or `unix://` (https is refused: the
    /// daemon has no TLS, see supervisord-api.md §1.1).
    pub fn parse(raw: &str) -> Result<ParsedServerUrl> {
        let bad = |detail: &str| Error::BadUrl {
            url: redact_url(raw),
            detail: detail.to_owned(),
        };
        if let Some(path) = raw.strip_prefix("unix://") {
            if path.is_empty() {
                return Err(bad("no socket path after unix://"));
            }
            return Ok(ParsedServerUrl {
                endpoint: Endpoint::Unix(PathBuf::from(path)),
                username: None,
                password: None,
            });
        }
        let mut url = Url::parse(raw)
            .map_err(|e| bad(&format!("{e}; use http://host:port or unix:///path/to/supervisor.sock")))?;
        match url.scheme() {
            "http" => {}
            "https" => {
                return Err(bad(
                    "supervisord serves no TLS; use http:// (behind a TLS proxy, point at the proxy's plain side)",
                ));
            }
            _ => {
                return Err(bad("use http://host:port or unix:///path/to/supervisor.sock"));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("no host"));
        }
        let username = (!url.username().is_empty()).then(|| percent_decode(url.username()));
        let password = url.password().map(|p| Secret::new(percent_decode(p)));
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Ok(ParsedServerUrl {
            endpoint: Endpoint::Http(url),
            username,
            password,
        })
    }

    /// The URL as shown to people: never with credentials.
    pub fn display(&self) -> String {
        match self {
            Endpoint::Http(u) => u.as_str().trim_end_matches('/').to_owned(),
            Endpoint::Unix(p) => format!("unix://{}", p.display()),
        }
    }

    pub fn is_unix(&self) -> bool {
        matches!(self, Endpoint::Unix(_))
    }

    /// True when the daemon is on this host: a unix socket, or a loopback address.
    /// Local-only features (reading rotated log files) use this; they never guess.
    pub fn is_local(&self) -> bool {
        match self {
            Endpoint::Unix(_) => true,
            Endpoint::Http(u) => match u.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            },
        }
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Removes `user:password@` from a URL-like string, for error messages.
pub fn redact_url(raw: &str) -> String {
    match (raw.find("://"), raw.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}{}", &raw[..s + 3], &raw[at + 1..]),
        _ => raw.to_owned(),
    }
}

/// How to talk to the daemon: resolved once from flags, environment and config.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub endpoint: Endpoint,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Bound on establishing a connection.
    pub connect_timeout: Duration,
    /// Bound on one XML-RPC call (request sent to reply read).
    pub timeout: Duration,
}

/// Replies larger than this are refused rather than buffered (a runaway reply must
/// not exhaust memory). Our largest replies stay far below it: a log window is at
/// most 4 MiB, and getAllProcessInfo for 3,000 processes is about 4 MB.
pub const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;

/// The HTTP client bound to one daemon.
#[derive(Debug, Clone)]
pub struct Transport {
    http: reqwest::Client,
    local: bool,
    rpc_url: Url,
    base_url: Url,
    display: String,
    auth: Option<(String, Secret)>,
    timeout: Duration,
}

impl Transport {
    /// Builds the client. Over TCP every call uses a fresh connection: the daemon's
    /// medusa server writes replies in 4 KiB pieces without TCP_NODELAY, and on a
    /// reused connection the client's delayed ACK stalls every reply over 4 KiB by
    /// about 40 ms (python-peer-baseline.md §4.4; `benches/transport.rs` measures it).
    /// A loopback connect costs ~0.1 ms. Unix sockets have no Nagle: they are pooled.
    pub fn new(settings: &ServerSettings) -> Result<Transport> {
        Self::with_pooling(settings, settings.endpoint.is_unix())
    }

    /// Like [`Transport::new`], choosing connection reuse explicitly (for benchmarks).
    pub fn with_pooling(settings: &ServerSettings, reuse_connections: bool) -> Result<Transport> {
        let display = settings.endpoint.display();
        let builder = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .no_proxy()
            .http1_only()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(if reuse_connections { 8 } else { 0 });
        let (builder, base_url) = match &settings.endpoint {
            Endpoint::Unix(path) => (
                builder.unix_socket(path.as_path()),
                Url::parse("http://localhost/").map_err(|e| Error::Invalid(e.to_string()))?,
            ),
            Endpoint::Http(url) => (builder, url.clone()),
        };
        let http = builder.build().map_err(|e| Error::Transport {
            url: display.clone(),
            detail: e.to_string(),
        })?;
        let mut rpc_url = base_url.clone();
        if matches!(rpc_url.path(), "" | "/") {
            rpc_url.set_path("/RPC2");
        }
        let mut base_url = base_url;
        base_url.set_path("/");
        let auth = match (&settings.username, &settings.password) {
            (Some(u), p) => Some((u.clone(), p.clone().unwrap_or_else(|| Secret::new("")))),
            (None, Some(p)) => Some((String::new(), p.clone())),
            (None, None) => None,
        };
        Ok(Transport {
            http,
            local: settings.endpoint.is_local(),
            rpc_url,
            base_url,
            display,
            auth,
            timeout: settings.timeout,
        })
    }

    /// The server URL as shown to people (no credentials).
    pub fn display_url(&self) -> &str {
        &self.display
    }

    /// True when the daemon runs on this host (see [`Endpoint::is_local`]), unless
    /// host access was turned off ([`Transport::without_host_access`]).
    pub fn is_local(&self) -> bool {
        self.local
    }

    /// Treats the daemon as remote whatever its URL (`--no-host-access`): nothing is
    /// read from this host's /proc or disk on its behalf, everything goes through
    /// its API. For a daemon in another container that shares this pid namespace.
    pub fn without_host_access(mut self) -> Transport {
        self.local = false;
        self
    }

    /// The default per-call timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Calls one XML-RPC method with the default timeout.
    /// Errors: unreachable daemon, 401, other HTTP statuses, a reply that is not
    /// XML-RPC, or the daemon's fault as [`Error::Fault`].
    pub async fn call(&self, method: &str, params: &[Value]) -> Result<Value> {
        self.call_with_timeout(method, params, self.timeout).await
    }

    /// Calls one XML-RPC method, bounded by `timeout`.
    pub async fn call_with_timeout(&self, method: &str, params: &[Value], timeout: Duration) -> Result<Value> {
        let body = encode_call(method, params);
        let mut req = self
            .http
            .post(self.rpc_url.clone())
            .header(reqwest::header::CONTENT_TYPE, "text/xml")
            .body(body)
            .timeout(timeout);
        if let Some((user, pass)) = &self.auth {
            req = req.basic_auth(user, Some(pass.expose()));
        }
        let mut resp = req.send().await.map_err(|e| self.classify(e, method, timeout))?;
        self.check_status(resp.status(), method)?;
        let mut buf = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(e, method, timeout))? {
            if buf.len() + chunk.len() > MAX_REPLY_BYTES {
                return Err(Error::Shape {
                    method: method.to_owned(),
                    detail: format!("reply larger than {} MiB; refused", MAX_REPLY_BYTES >> 20),
                });
            }
            buf.extend_from_slice(&chunk);
        }
        match decode_response(&buf) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(fault)) => Err(Error::Fault(Fault {
                code: FaultCode::from_code(fault.code),
                text: fault.text,
                method: method.to_owned(),
            })),
            Err(source) => Err(Error::Decode {
                url: self.display.clone(),
                method: method.to_owned(),
                source,
            }),
        }
    }

    /// Opens a streaming GET (for `/logtail/...` and `/mainlogtail`), with no overall
    /// timeout: the caller reads chunks until it stops. HTTP/1.1, so the daemon sends
    /// chunks as they come (HTTP/1.0 would buffer 64 KiB first).
    pub async fn get_stream(&self, path: &str) -> Result<reqwest::Response> {
        let mut url = self.base_url.clone();
        url.set_path(path);
        let mut req = self.http.get(url);
        if let Some((user, pass)) = &self.auth {
            req = req.basic_auth(user, Some(pass.expose()));
        }
        let what = format!("GET {path}");
        let resp = req.send().await.map_err(|e| self.classify(e, &what, self.timeout))?;
        self.check_status(resp.status(), &what)?;
        Ok(resp)
    }

    fn check_status(&self, status: StatusCode, method: &str) -> Result<()> {
        if status == StatusCode::UNAUTHORIZED {
            return Err(Error::Unauthorized {
                url: self.display.clone(),
                sent_credentials: self.auth.is_some(),
            });
        }
        if !status.is_success() {
            return Err(Error::HttpStatus {
                url: self.display.clone(),
                method: method.to_owned(),
                status: status.as_u16(),
            });
        }
        Ok(())
    }

    /// Sorts a reqwest error into what the user can act on.
    fn classify(&self, err: reqwest::Error, method: &str, timeout: Duration) -> Error {
        let url = self.display.clone();
        if err.is_timeout() {
            return Error::Timeout {
                url,
                method: method.to_owned(),
                secs: timeout.as_secs_f64(),
            };
        }
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(e) = source {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => {
                        return Error::ConnectionRefused { url };
                    }
                    std::io::ErrorKind::NotFound => return Error::SocketMissing { url },
                    std::io::ErrorKind::PermissionDenied => return Error::PermissionDenied { url },
                    std::io::ErrorKind::TimedOut => {
                        return Error::Timeout {
                            url,
                            method: method.to_owned(),
                            secs: timeout.as_secs_f64(),
                        };
                    }
                    _ => {}
                }
            }
            source = e.source();
        }
        let mut detail = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(e) = source {
            detail.push_str(": ");
            detail.push_str(&e.to_string());
            source = e.source();
        }
        Error::Transport {
            url,
            detail: redact_url(&detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_schemes_and_takes_credentials_out() -> Result<()> {
        let p = Endpoint::parse("unix:///tmp/s.sock")?;
        assert_eq!(p.endpoint, Endpoint::Unix("/tmp/s.sock".into()));
        let p = Endpoint::parse("http://admin:s%3Acret@127.0.0.1:9001/RPC2")?;
        assert_eq!(p.username.as_deref(), Some("admin"));
        assert_eq!(p.password.as_ref().map(Secret::expose), Some("s:cret"));
        assert_eq!(p.endpoint.display(), "http://127.0.0.1:9001/RPC2");
        assert!(!format!("{:?}", Secret::new("hunter2")).contains("hunter2"));
        Ok(())
    }

    #[test]
    fn refuses_what_supervisord_cannot_serve() {
        for bad in ["https://h:1", "ftp://h", "notaurl", "unix://", "http://u:pw@"] {
            let err = Endpoint::parse(bad).unwrap_err().to_string();
            assert!(!err.contains("pw"), "{err}");
        }
    }

    #[test]
    fn only_sockets_and_loopback_are_local() -> Result<()> {
        for (url, local) in [
            ("unix:///run/s.sock", true),
            ("http://127.0.0.1:9001", true),
            ("http://127.3.2.1:9001", true),
            ("http://localhost:9001", true),
            ("http://[::1]:9001", true),
            ("http://10.0.0.5:9001", false),
            ("http://supervisor.example:9001", false),
        ] {
            assert_eq!(Endpoint::parse(url)?.endpoint.is_local(), local, "{url}");
        }
        Ok(())
    }

    #[test]
    fn redacts_credentials_in_text() {
        assert_eq!(redact_url("error for http://u:p@h:1/x"), "error for http://h:1/x");
        assert_eq!(redact_url("http://h:1"), "http://h:1");
    }
}
