//! Server URLs: parsing `http://` and `unix://` (credentials taken out), showing them
//! without credentials, and [`redact_url`] for any text that may quote a URL.

use crate::supervisor::error::{Error, Result};
use std::path::PathBuf;
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
    /// Errors ([`Error::BadUrl`], showing the URL without its credentials): anything
    /// that is not `http://` or `unix://` (https is refused: the daemon has no TLS, see
    /// docs/supervisord-api.md, "Transport"), and credentials in a `unix://` URL
    /// (`unix://user:pw@/path`), which supervisorctl does not read either.
    pub fn parse(raw: &str) -> Result<ParsedServerUrl> {
        let bad = |detail: &str| Error::BadUrl {
            url: redact_url(raw),
            detail: detail.to_owned(),
        };
        if let Some(path) = raw.strip_prefix("unix://") {
            if path.is_empty() {
                return Err(bad("no socket path after unix://"));
            }
            if !path.starts_with('/') && path.contains('@') {
                return Err(bad(
                    "a unix:// URL carries no credentials (supervisorctl reads none there either); \
                     pass them with -u/-p, SUPERVISOR_USERNAME/SUPERVISOR_PASSWORD or [supervisorctl] username/password",
                ));
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

/// Removes the credentials (`user:password@`) of every URL in `text`, whatever its
/// scheme (`http`, `https`, `unix`, `ssh`, …): what is shown of a URL, or of an error
/// that may quote one, goes through here.
///
/// After each `://`, everything up to the last `@` before the next `://` (or the end)
/// is removed. This never leaves a password behind, even one holding `/`, `@` or a
/// space; an `@` in a path or later in the text makes it remove more than the
/// credentials (`http://h/a@b` shows as `http://b`), never less.
pub fn redact_url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let region = rest.find("://").unwrap_or(rest.len());
        if let Some(at) = rest[..region].rfind('@') {
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    out
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
    fn credentials_in_a_unix_url_are_refused_and_never_echoed() {
        for bad in [
            "unix://user:hunter2@/tmp/s.sock",
            "unix://hunter2@/tmp/s.sock",
            "unix://user:hun/ter2@/tmp/s.sock",
            "https://user:hunter2@h:1",
            "ssh://user:hunter2@h/x",
            "http://user:hunter2 with space@h:1:2",
        ] {
            let err = Endpoint::parse(bad).unwrap_err().to_string();
            assert!(!err.contains("hunter2") && !err.contains("hun/"), "{err}");
        }
        let err = Endpoint::parse("unix://user:hunter2@/tmp/s.sock")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unix:///tmp/s.sock") && err.contains("-u/-p"), "{err}");
        assert!(Endpoint::parse("unix:///tmp/a@b/s.sock").is_ok());
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
        for (text, shown) in [
            ("error for http://u:p@h:1/x", "error for http://h:1/x"),
            ("http://h:1", "http://h:1"),
            ("unix://user:pw@/run/s.sock", "unix:///run/s.sock"),
            (
                "https://u:p@h and ssh://v:q@k:22/x, then http://h",
                "https://h and ssh://k:22/x, then http://h",
            ),
            ("(http://u:p@ss@h/RPC2): refused", "(http://h/RPC2): refused"),
            ("http://h/a@b", "http://b"),
            ("no url: user@host", "no url: user@host"),
        ] {
            assert_eq!(redact_url(text), shown, "{text}");
        }
    }
}
