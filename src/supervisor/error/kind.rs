//! One vocabulary for what went wrong: [`ErrorKind`], a lowercase word per kind,
//! the same in the CLI's `--json` `kind`, the exit status, MCP texts and a fleet's
//! per-target errors. Every error is classified once, here ([`Error::kind`]); the
//! fleet's and the settings' errors map onto the same words.

use super::Error;
use serde::Serialize;
use std::fmt;

/// The kind of a failure, one stable word each (documented in the README's table,
/// which a test checks against [`ErrorKind::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No reply within the deadline (a frozen daemon), or no connection within the
    /// connect timeout (a listen backlog full, a firewall dropping packets).
    Timeout,
    /// Nothing accepted the connection at the daemon's address.
    ConnectionRefused,
    /// The daemon's socket refuses this user (its file permissions).
    PermissionDenied,
    /// The daemon's socket file does not exist (supervisord is not running?).
    NoSocket,
    /// The address cannot be reached otherwise (DNS, no route, a reset).
    Unreachable,
    /// The daemon rejected the credentials, or wants some (HTTP 401).
    Unauthorized,
    /// A certificate or TLS handshake failure, or an unusable CA or client certificate file.
    Tls,
    /// The SSH tunnel could not be made or died.
    Ssh,
    /// A reply that is not HTTP or XML-RPC, not of the method's shape, or an
    /// unexpected HTTP status (a redirect included: never followed).
    Protocol,
    /// A reply larger than this tool holds (64 MiB, or a target's part of a fan-out's
    /// reply memory).
    TooLarge,
    /// The daemon answered with a fault; its code (`BAD_NAME`, `SPAWN_ERROR`, ...) is
    /// given beside the kind. A name it does not know is `BAD_NAME`.
    Fault,
    /// This tool refused the request: `--read-only`, `--allow`, a target's
    /// `read_only`, a change on several targets without an explicit selection, or a
    /// program it did not add.
    Refused,
    /// The request cannot be carried out as asked (a name XML-RPC cannot carry, a
    /// feature that needs the daemon's host, a file that cannot be read).
    Invalid,
    /// Bad arguments or configuration: a flag, a URL, a settings or targets file, a
    /// target selection.
    Usage,
}

impl ErrorKind {
    /// Every kind, with what it means (the README's table).
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::Timeout,
        ErrorKind::ConnectionRefused,
        ErrorKind::PermissionDenied,
        ErrorKind::NoSocket,
        ErrorKind::Unreachable,
        ErrorKind::Unauthorized,
        ErrorKind::Tls,
        ErrorKind::Ssh,
        ErrorKind::Protocol,
        ErrorKind::TooLarge,
        ErrorKind::Fault,
        ErrorKind::Refused,
        ErrorKind::Invalid,
        ErrorKind::Usage,
    ];

    /// The word: `timeout`, `connection_refused`, ... (lowercase, stable).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::ConnectionRefused => "connection_refused",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NoSocket => "no_socket",
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Tls => "tls",
            ErrorKind::Ssh => "ssh",
            ErrorKind::Protocol => "protocol",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Fault => "fault",
            ErrorKind::Refused => "refused",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Usage => "usage",
        }
    }

    /// What the kind means, one line (the README's table).
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "no reply within the deadline, or no connection within the connect timeout",
            ErrorKind::ConnectionRefused => "nothing accepted the connection at the daemon's address",
            ErrorKind::PermissionDenied => "the daemon's socket refuses this user",
            ErrorKind::NoSocket => "the daemon's socket file does not exist",
            ErrorKind::Unreachable => "the address cannot be reached (DNS, no route, a reset connection)",
            ErrorKind::Unauthorized => "credentials rejected or missing (HTTP 401)",
            ErrorKind::Tls => "a certificate or TLS handshake failure, or an unusable CA or client certificate file",
            ErrorKind::Ssh => "the SSH tunnel could not be made or died",
            ErrorKind::Protocol => {
                "a reply that is not HTTP or XML-RPC or not of the method's shape, or an unexpected HTTP status (redirects included)"
            }
            ErrorKind::TooLarge => "a reply larger than this tool holds",
            ErrorKind::Fault => "the daemon answered with a fault (its code beside: BAD_NAME for an unknown name)",
            ErrorKind::Refused => {
                "this tool refused: --read-only, --allow, a target's read_only, a change on several targets without an explicit selection, a program it did not add"
            }
            ErrorKind::Invalid => {
                "the request cannot be carried out as asked (a name XML-RPC cannot carry, a feature that needs the daemon's host)"
            }
            ErrorKind::Usage => {
                "bad arguments or configuration (a flag, a URL, a settings or targets file, a selection)"
            }
        }
    }

    /// How MCP texts start for this kind: the word in upper case (`REFUSED`,
    /// `TIMEOUT`); a fault starts with its own code instead (see [`Error::label`]).
    pub fn label(self) -> String {
        self.as_str().to_uppercase()
    }
}

/// Kinds sort by their word (summaries list them alphabetically).
impl Ord for ErrorKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for ErrorKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The kind of this error: the one classification every front end renders.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Timeout { .. } | Error::ConnectTimeout { .. } => ErrorKind::Timeout,
            Error::ConnectionRefused { .. } => ErrorKind::ConnectionRefused,
            Error::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            Error::SocketMissing { .. } => ErrorKind::NoSocket,
            Error::Transport { .. } => ErrorKind::Unreachable,
            Error::Unauthorized { .. } => ErrorKind::Unauthorized,
            Error::Tls { .. } => ErrorKind::Tls,
            Error::Ssh { .. } => ErrorKind::Ssh,
            Error::HttpStatus { .. }
            | Error::Redirect { .. }
            | Error::Decode { .. }
            | Error::Shape { .. }
            | Error::NotHttp { .. } => ErrorKind::Protocol,
            Error::TooLarge { .. } => ErrorKind::TooLarge,
            Error::Fault(_) | Error::NoSuchProcess { .. } => ErrorKind::Fault,
            Error::Refused(_) => ErrorKind::Refused,
            Error::Invalid(_) => ErrorKind::Invalid,
            Error::BadUrl { .. } | Error::Usage(_) => ErrorKind::Usage,
        }
    }

    /// How MCP texts start for this error: the fault's code for a fault
    /// (`BAD_NAME`), else the kind in upper case.
    pub fn label(&self) -> String {
        match self.fault_code() {
            Some(code) => code.name(),
            None => self.kind().label(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_stable_words() {
        let url = || "https://h:1".to_owned();
        let detail = || "d".to_owned();
        for (e, kind) in [
            (
                Error::Tls {
                    url: url(),
                    detail: detail(),
                },
                "tls",
            ),
            (
                Error::Ssh {
                    url: url(),
                    detail: detail(),
                },
                "ssh",
            ),
            (
                Error::NotHttp {
                    url: url(),
                    detail: detail(),
                },
                "protocol",
            ),
            (Error::ConnectionRefused { url: url() }, "connection_refused"),
            (Error::SocketMissing { url: url() }, "no_socket"),
            (
                Error::Transport {
                    url: url(),
                    detail: detail(),
                },
                "unreachable",
            ),
            (Error::Refused("read-only".into()), "refused"),
            (
                Error::Redirect {
                    url: url(),
                    method: "m".into(),
                    status: 307,
                },
                "protocol",
            ),
            (Error::ConnectTimeout { url: url(), secs: 2.0 }, "timeout"),
            (
                Error::TooLarge {
                    url: url(),
                    method: "m".into(),
                    detail: detail(),
                },
                "too_large",
            ),
            (Error::Usage("x".into()), "usage"),
            (
                Error::NoSuchProcess {
                    name: "x".into(),
                    suggestion: None,
                },
                "fault",
            ),
        ] {
            assert_eq!(e.kind().as_str(), kind, "{e}");
            let json = serde_json::to_value(e.kind()).unwrap_or_default();
            assert_eq!(json, kind, "{e}");
        }
        let words: std::collections::HashSet<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(words.len(), ErrorKind::ALL.len(), "one word per kind");
    }

    #[test]
    fn mcp_labels_are_the_kind_or_the_fault_code() {
        assert_eq!(Error::Refused("x".into()).label(), "REFUSED");
        assert_eq!(
            Error::NoSuchProcess {
                name: "x".into(),
                suggestion: None
            }
            .label(),
            "BAD_NAME"
        );
    }
}
