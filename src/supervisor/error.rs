//! The core's one error type: what went wrong talking to Supervisord. The daemon's
//! faults are in `fault`, what to do next in `next_step`.

mod fault;
mod kind;
mod next_step;

pub use fault::{Fault, FaultCode};
pub use kind::ErrorKind;
pub use next_step::NextStep;

use crate::xmlrpc::DecodeError;

/// Everything that can go wrong between us and the daemon.
///
/// `url` fields never carry credentials: they are the server URL as the user gave it,
/// without any `user:password@`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{url} refused the connection")]
    ConnectionRefused { url: String },
    #[error("{url}: no such socket file")]
    SocketMissing { url: String },
    #[error("{url}: permission denied")]
    PermissionDenied { url: String },
    #[error("{url} rejected the credentials (HTTP 401)")]
    Unauthorized { url: String, sent_credentials: bool },
    #[error("{url} did not answer {method} within {secs:.1} s")]
    Timeout { url: String, method: String, secs: f64 },
    /// Nothing accepted the connection within the connect timeout (`secs`): a listen
    /// backlog full, a host or firewall dropping it, a wrong address.
    #[error(
        "could not connect to {url} within {secs:.1} s (the connect timeout): nothing accepted the connection \
         (a daemon too busy to accept, a firewall dropping it, or a wrong address)"
    )]
    ConnectTimeout { url: String, secs: f64 },
    #[error("HTTP {status} from {url} for {method}")]
    HttpStatus { url: String, method: String, status: u16 },
    /// The daemon's URL answered a redirect (HTTP 3xx). Never followed: the request
    /// went nowhere else. The `Location` is not shown (the peer chose it).
    #[error(
        "{url} answered {method} with HTTP {status} (a redirect to another address); \
         redirects are never followed: point the URL at the daemon itself"
    )]
    Redirect { url: String, method: String, status: u16 },
    /// A reply larger than this tool holds: past [`MAX_REPLY_BYTES`](super::transport::MAX_REPLY_BYTES),
    /// or past this target's part of a fan-out's reply memory (`--fleet-memory`).
    /// `detail` says which bound.
    #[error("{url}: the reply to {method} was refused: {detail}")]
    TooLarge {
        url: String,
        method: String,
        detail: String,
    },
    #[error("cannot reach {url}: {detail}")]
    Transport { url: String, detail: String },
    /// TLS with an `https://` daemon failed: its certificate is not trusted or not
    /// for that name, the handshake was refused (a client certificate missing or
    /// rejected), or a CA or client certificate file cannot be used. `detail` says
    /// which, and which roots were trusted.
    #[error("TLS with {url} failed: {detail}")]
    Tls { url: String, detail: String },
    /// The SSH tunnel to an `ssh://` daemon could not be made or died. `detail`
    /// carries ssh's own message (bounded, control characters removed).
    #[error("SSH tunnel to {url} failed: {detail}")]
    Ssh { url: String, detail: String },
    /// Something answered, but not in HTTP (e.g. `http://` to a TLS port).
    #[error("{url} did not answer in HTTP: {detail}")]
    NotHttp { url: String, detail: String },
    #[error("bad response from {url} for {method}: {source}")]
    Decode {
        url: String,
        method: String,
        #[source]
        source: DecodeError,
    },
    #[error("{0}")]
    Fault(Fault),
    #[error("unexpected reply to {method}: {detail}")]
    Shape { method: String, detail: String },
    #[error("invalid server URL {url:?}: {detail}")]
    BadUrl { url: String, detail: String },
    #[error("{0}")]
    Invalid(String),
    /// The caller's arguments or configuration cannot work (exit status 2).
    #[error("{0}")]
    Usage(String),
    /// A name the daemon does not know (its BAD_NAME fault), with the closest known
    /// name when one is close.
    #[error("BAD_NAME: no such process: {name}")]
    NoSuchProcess { name: String, suggestion: Option<String> },
    /// Refused by this tool: the policy gate ([`crate::supervisor::Policy`]:
    /// `--read-only`, `--allow`, a target's `read_only`), or a program it did not add.
    #[error("{0}")]
    Refused(String),
}

impl Error {
    /// The fault code, when the daemon answered with a fault (`BAD_NAME` for a name
    /// it does not know).
    pub fn fault_code(&self) -> Option<FaultCode> {
        match self {
            Error::Fault(f) => Some(f.code),
            Error::NoSuchProcess { .. } => Some(FaultCode::BadName),
            _ => None,
        }
    }

    /// True when the daemon could not be reached at all (down, wrong address, no
    /// permission), as opposed to answering with an error.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Error::ConnectionRefused { .. }
                | Error::SocketMissing { .. }
                | Error::PermissionDenied { .. }
                | Error::Timeout { .. }
                | Error::ConnectTimeout { .. }
                | Error::Transport { .. }
                | Error::Tls { .. }
                | Error::Ssh { .. }
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_happened_and_what_to_do_next() {
        let e = Error::SocketMissing {
            url: "unix:///x.sock".into(),
        };
        assert_eq!(e.to_string(), "unix:///x.sock: no such socket file");
        assert_eq!(e.next_step(), Some(NextStep::CheckSocketPath));
        let e = Error::Unauthorized {
            url: "http://h:1".into(),
            sent_credentials: false,
        };
        assert_eq!(e.next_step(), Some(NextStep::GiveCredentials));
    }
}
