//! Server URLs: parsing `http://`, `https://`, `unix://` and `ssh://` (credentials
//! taken out), showing them without credentials, and [`redact_url`] for any text that
//! may quote a URL.

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

/// Where the daemon listens: `http://host:port[/path]`, `https://host:port[/path]`,
/// `unix:///path/to.sock`, or `ssh://[user@]host[:port]/path/to.sock`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// An HTTP base URL, without credentials.
    Http(Url),
    /// An HTTPS base URL (a TLS proxy in front of the daemon), without credentials.
    Https(Url),
    /// The path of the daemon's unix socket.
    Unix(PathBuf),
    /// The daemon's unix socket on another host, reached through a tunnel made by
    /// the system's `ssh` (keys or agent only: never a password, never a prompt).
    Ssh {
        /// The login name (`user@`); ssh's own default when `None`.
        user: Option<String>,
        /// The host name or address, as ssh takes it (an IPv6 address without brackets).
        host: String,
        /// The SSH port; ssh's own default (its config, or 22) when `None`.
        port: Option<u16>,
        /// The absolute path of the daemon's socket on that host.
        socket: PathBuf,
    },
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
    /// Errors ([`Error::BadUrl`], showing the URL without its credentials): any other
    /// scheme, credentials in a `unix://` URL (`unix://user:pw@/path`, which
    /// supervisorctl does not read either), a password in an `ssh://` URL, and an
    /// `ssh://` URL whose user, host or socket path ssh could misread (see
    /// [`Endpoint::parse_ssh`]).
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
        const USE: &str = "use http://host:port, https://host:port, unix:///path/to/supervisor.sock \
                           or ssh://[user@]host[:port]/path/to/supervisor.sock";
        let mut url = Url::parse(raw).map_err(|e| bad(&format!("{e}; {USE}")))?;
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            "ssh" => return Self::parse_ssh(&url).map_err(|d| bad(&d)),
            _ => return Err(bad(USE)),
        };
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("no host"));
        }
        let username = (!url.username().is_empty()).then(|| percent_decode(url.username()));
        let password = url.password().map(|p| Secret::new(percent_decode(p)));
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Ok(ParsedServerUrl {
            endpoint: if tls { Endpoint::Https(url) } else { Endpoint::Http(url) },
            username,
            password,
        })
    }

    /// Parses `ssh://[user@]host[:port]/path/to/supervisor.sock`. What ssh could
    /// take for an option or misread is refused: a user or host starting with `-`
    /// or holding anything but letters, digits and `._-` (`:` too in an IPv6
    /// address), a socket path with `:` (it separates `-L`'s parts) or a control
    /// character, a password (ssh never gets one), a query or a fragment.
    fn parse_ssh(url: &Url) -> std::result::Result<ParsedServerUrl, String> {
        if url.password().is_some() {
            return Err("an ssh:// URL takes no password: ssh uses your keys or agent and never prompts".into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("an ssh:// URL takes no ?query or #fragment".into());
        }
        let word = |s: &str, extra: &[char]| {
            !s.is_empty()
                && !s.starts_with('-')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c) || extra.contains(&c))
        };
        let user = match url.username() {
            "" => None,
            u if word(u, &[]) => Some(u.to_owned()),
            _ => return Err("the user may hold only letters, digits and ._- (not first)".into()),
        };
        let host = match url.host_str() {
            Some(h) if h.starts_with('[') && h.ends_with(']') && word(&h[1..h.len() - 1], &[':']) => {
                h[1..h.len() - 1].to_owned()
            }
            Some(h) if word(h, &[]) => h.to_owned(),
            Some(h) if !h.is_empty() => return Err("the host may hold only letters, digits and ._- (not first)".into()),
            _ => return Err("no host".into()),
        };
        let socket = percent_decode(url.path());
        if socket.len() <= 1 {
            return Err("no socket path: ssh://[user@]host[:port]/path/to/supervisor.sock".into());
        }
        if let Some(why) = ssh_path_problem(&socket) {
            return Err(format!("the socket path may not hold {why}"));
        }
        Ok(ParsedServerUrl {
            endpoint: Endpoint::Ssh {
                user,
                host,
                port: url.port(),
                socket: PathBuf::from(socket),
            },
            username: None,
            password: None,
        })
    }

    /// The URL as shown to people: never with credentials.
    pub fn display(&self) -> String {
        match self {
            Endpoint::Http(u) | Endpoint::Https(u) => u.as_str().trim_end_matches('/').to_owned(),
            Endpoint::Unix(p) => format!("unix://{}", p.display()),
            Endpoint::Ssh { host, port, socket, .. } => {
                let host = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.clone()
                };
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                format!("ssh://{host}{port}{}", socket.display())
            }
        }
    }

    pub fn is_unix(&self) -> bool {
        matches!(self, Endpoint::Unix(_))
    }

    /// True when the daemon is on this host: a unix socket, or a loopback `http://`
    /// address. Local-only features (reading rotated log files) use this; they never
    /// guess. `https://` and `ssh://` daemons are remote, always (an ssh tunnel's
    /// socket is local, its daemon is not).
    pub fn is_local(&self) -> bool {
        match self {
            Endpoint::Unix(_) => true,
            Endpoint::Http(u) => is_loopback(u),
            Endpoint::Https(_) | Endpoint::Ssh { .. } => false,
        }
    }
}

/// Why ssh would not take `path` literally in `-L LOCAL:REMOTE`, or `None`: `:`
/// separates the parts, and OpenSSH expands `%` tokens (`%d` is the home directory)
/// and `${VAR}` (this host's environment, sent to the remote host) and drops `\`
/// (checked with `ssh -G`); control characters are refused too.
pub(super) fn ssh_path_problem(path: &str) -> Option<&'static str> {
    if path.contains(':') {
        Some("':' (it separates ssh's -L parts)")
    } else if path.contains(['%', '$', '\\']) {
        Some("'%', '$' or '\\' (ssh would expand or drop them in -L paths)")
    } else if path.chars().any(char::is_control) {
        Some("control characters")
    } else {
        None
    }
}

/// True when the URL's host is `localhost` or a loopback address.
pub(super) fn is_loopback(u: &Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
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
        for bad in ["ftp://h", "notaurl", "unix://", "http://u:pw@", "https://u:pw@"] {
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
            "https://user:hunter2@",
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
            ("https://127.0.0.1:9001", false),
            ("https://localhost:9001", false),
            ("ssh://localhost/run/supervisor.sock", false),
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

    #[test]
    fn https_and_ssh_urls_parse_and_show_no_credentials() -> Result<()> {
        let p = Endpoint::parse("https://admin:hunter2@sup.example:8443/RPC2")?;
        assert!(matches!(p.endpoint, Endpoint::Https(_)));
        assert_eq!(p.password.as_ref().map(Secret::expose), Some("hunter2"));
        assert_eq!(p.endpoint.display(), "https://sup.example:8443/RPC2");
        let p = Endpoint::parse("ssh://deploy@web-1.example:2222/run/supervisor%20x.sock")?;
        assert_eq!(
            p.endpoint,
            Endpoint::Ssh {
                user: Some("deploy".into()),
                host: "web-1.example".into(),
                port: Some(2222),
                socket: "/run/supervisor x.sock".into(),
            }
        );
        assert_eq!(p.endpoint.display(), "ssh://web-1.example:2222/run/supervisor x.sock");
        let p = Endpoint::parse("ssh://[::1]/s.sock")?;
        assert!(matches!(&p.endpoint, Endpoint::Ssh { host, user: None, port: None, .. } if host == "::1"));
        assert_eq!(p.endpoint.display(), "ssh://[::1]/s.sock");
        Ok(())
    }

    #[test]
    fn ssh_urls_that_ssh_could_misread_are_refused() {
        for (bad, why) in [
            ("ssh://u:hunter2@h/s.sock", "no password"),
            ("ssh://-oProxyCommand=x/s.sock", "host"),
            ("ssh://-oProxyCommand=x@h/s.sock", "user"),
            ("ssh://h%20-oX/s.sock", "host"),
            ("ssh://h/", "no socket path"),
            ("ssh://h", "no socket path"),
            ("ssh://h/a:b.sock", "':'"),
            ("ssh://h/%d/s.sock", "'%'"),
            ("ssh://h/%25d/s.sock", "'%'"),
            ("ssh://h/run/$%7BHOME%7D/s.sock", "'$'"),
            ("ssh://h/run/$HOME/s.sock", "'$'"),
            ("ssh://h/run/a%5Cb.sock", "'\\'"),
            ("ssh://h/a%0Ab.sock", "control"),
            ("ssh://h/s.sock?x=1", "query"),
        ] {
            let err = Endpoint::parse(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }
}
