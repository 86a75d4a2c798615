//! The core's one error type: what went wrong talking to Supervisord, and what to do.

use crate::xmlrpc::DecodeError;
use std::fmt;

/// A Supervisord fault code (`supervisor/xmlrpc.py::Faults`), or an unknown one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "String")]
pub enum FaultCode {
    UnknownMethod,
    IncorrectParameters,
    BadArguments,
    SignatureUnsupported,
    ShutdownState,
    BadName,
    BadSignal,
    NoFile,
    NotExecutable,
    Failed,
    AbnormalTermination,
    SpawnError,
    AlreadyStarted,
    NotRunning,
    Success,
    AlreadyAdded,
    StillRunning,
    CantReread,
    Other(i64),
}

impl FaultCode {
    /// Maps a numeric `faultCode` to its name.
    pub fn from_code(code: i64) -> FaultCode {
        use FaultCode::*;
        match code {
            1 => UnknownMethod,
            2 => IncorrectParameters,
            3 => BadArguments,
            4 => SignatureUnsupported,
            6 => ShutdownState,
            10 => BadName,
            11 => BadSignal,
            20 => NoFile,
            21 => NotExecutable,
            30 => Failed,
            40 => AbnormalTermination,
            50 => SpawnError,
            60 => AlreadyStarted,
            70 => NotRunning,
            80 => Success,
            90 => AlreadyAdded,
            91 => StillRunning,
            92 => CantReread,
            other => Other(other),
        }
    }

    /// The name Supervisord uses, e.g. `BAD_NAME`.
    pub fn name(self) -> String {
        use FaultCode::*;
        match self {
            UnknownMethod => "UNKNOWN_METHOD",
            IncorrectParameters => "INCORRECT_PARAMETERS",
            BadArguments => "BAD_ARGUMENTS",
            SignatureUnsupported => "SIGNATURE_UNSUPPORTED",
            ShutdownState => "SHUTDOWN_STATE",
            BadName => "BAD_NAME",
            BadSignal => "BAD_SIGNAL",
            NoFile => "NO_FILE",
            NotExecutable => "NOT_EXECUTABLE",
            Failed => "FAILED",
            AbnormalTermination => "ABNORMAL_TERMINATION",
            SpawnError => "SPAWN_ERROR",
            AlreadyStarted => "ALREADY_STARTED",
            NotRunning => "NOT_RUNNING",
            Success => "SUCCESS",
            AlreadyAdded => "ALREADY_ADDED",
            StillRunning => "STILL_RUNNING",
            CantReread => "CANT_REREAD",
            Other(code) => return format!("FAULT_{code}"),
        }
        .to_owned()
    }

    /// Faults that mean "the program is dead": supervisorctl's `DEAD_PROGRAM_FAULTS`
    /// (exit status 7).
    pub fn is_dead_program(self) -> bool {
        matches!(
            self,
            FaultCode::SpawnError | FaultCode::AbnormalTermination | FaultCode::NotRunning
        )
    }
}

impl From<FaultCode> for String {
    fn from(c: FaultCode) -> String {
        c.name()
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A fault returned by the daemon for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: FaultCode,
    /// The daemon's `faultString`, e.g. `BAD_NAME: nope`.
    pub text: String,
    /// The XML-RPC method that failed, e.g. `supervisor.startProcess`.
    pub method: String,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.text, self.method)
    }
}

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
    #[error("HTTP {status} from {url} for {method}")]
    HttpStatus { url: String, method: String, status: u16 },
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
    /// Refused by this server's policy (`--read-only`, `--allow`).
    #[error("{0}")]
    Refused(String),
}

impl Error {
    /// The fault code, when the daemon answered with a fault.
    pub fn fault_code(&self) -> Option<FaultCode> {
        match self {
            Error::Fault(f) => Some(f.code),
            _ => None,
        }
    }

    /// A short name for the kind of failure, for machines and agents: the fault
    /// name (`BAD_NAME`, `SPAWN_ERROR`, …), or `UNREACHABLE`, `UNAUTHORIZED`,
    /// `TIMEOUT`, `HTTP_<status>`, `BAD_REPLY`, `INVALID`.
    pub fn kind(&self) -> String {
        match self {
            Error::Fault(f) => f.code.name(),
            Error::NoSuchProcess { .. } => FaultCode::BadName.name(),
            Error::ConnectionRefused { .. } | Error::SocketMissing { .. } | Error::Transport { .. } => {
                "UNREACHABLE".into()
            }
            Error::PermissionDenied { .. } => "PERMISSION_DENIED".into(),
            Error::Tls { .. } => "TLS".into(),
            Error::Ssh { .. } => "SSH".into(),
            Error::Unauthorized { .. } => "UNAUTHORIZED".into(),
            Error::Timeout { .. } => "TIMEOUT".into(),
            Error::HttpStatus { status, .. } => format!("HTTP_{status}"),
            Error::Decode { .. } | Error::Shape { .. } | Error::NotHttp { .. } => "BAD_REPLY".into(),
            Error::BadUrl { .. } | Error::Invalid(_) | Error::Usage(_) => "INVALID".into(),
            Error::Refused(_) => "REFUSED".into(),
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
                | Error::Transport { .. }
                | Error::Tls { .. }
                | Error::Ssh { .. }
        )
    }

    /// The stable kind of a target's failure, one of exactly these words (the fleet
    /// reports them; scripts may match on them):
    /// - `timeout`: no reply within the deadline (a frozen daemon included);
    /// - `refused`: the connection was refused;
    /// - `unreachable`: socket missing, permission denied on it, no route, DNS;
    /// - `unauthorized`: HTTP 401;
    /// - `tls`: any certificate or handshake failure (a CA not trusted, a certificate
    ///   for another host name, a client certificate missing or rejected), or an
    ///   unusable CA or client certificate file;
    /// - `ssh`: the SSH tunnel could not be made or died, or a connection through
    ///   it failed (ssh's own words in the message);
    /// - `protocol`: a reply that is not HTTP or XML-RPC, or is not of the method's
    ///   shape, or an unexpected HTTP status;
    /// - `fault`: the daemon answered with a fault (a name it does not know included);
    /// - `refused_here`: this tool refused the request (read-only, a name not allowed);
    /// - `invalid`: the request or the target's settings are wrong (bad arguments, a
    ///   server URL that cannot name a daemon).
    pub fn target_kind(&self) -> &'static str {
        match self {
            Error::Timeout { .. } => "timeout",
            Error::ConnectionRefused { .. } => "refused",
            Error::SocketMissing { .. } | Error::PermissionDenied { .. } | Error::Transport { .. } => "unreachable",
            Error::Unauthorized { .. } => "unauthorized",
            Error::Tls { .. } => "tls",
            Error::Ssh { .. } => "ssh",
            Error::HttpStatus { .. } | Error::Decode { .. } | Error::Shape { .. } | Error::NotHttp { .. } => "protocol",
            Error::Fault(_) | Error::NoSuchProcess { .. } => "fault",
            Error::Refused(_) => "refused_here",
            Error::BadUrl { .. } | Error::Invalid(_) | Error::Usage(_) => "invalid",
        }
    }

    /// What to do next, as data; each front end says it in its own words.
    pub fn next_step(&self) -> Option<NextStep> {
        Some(match self {
            Error::ConnectionRefused { .. } => NextStep::CheckServerUrl,
            Error::SocketMissing { .. } => NextStep::CheckSocketPath,
            Error::PermissionDenied { .. } => NextStep::CheckSocketPermissions,
            Error::Unauthorized {
                sent_credentials: false,
                ..
            } => NextStep::GiveCredentials,
            Error::Unauthorized { .. } => NextStep::CheckCredentials,
            Error::Timeout { .. } => NextStep::RaiseRpcTimeout,
            Error::HttpStatus {
                status: 400 | 404 | 405,
                ..
            } => NextStep::CheckRpcPath,
            Error::HttpStatus { status: 500, .. } => NextStep::ReadMainLog,
            Error::Fault(f) => return NextStep::for_fault(f.code, None),
            Error::NoSuchProcess { suggestion, .. } => NextStep::ListNames {
                suggestion: suggestion.clone(),
            },
            Error::Refused(_) => NextStep::AskOperator,
            Error::Decode { .. } | Error::NotHttp { .. } => NextStep::CheckRpcPath,
            _ => return None,
        })
    }
}

/// What the user, or the agent, can do next: typed, so that each front end renders
/// it in its own words (a flag or a command for people, a tool and its arguments for
/// agents, who have no flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Nothing answers at the server URL: is supervisord running, is the URL right?
    CheckServerUrl,
    /// The socket file does not exist: is supervisord running, is the path right?
    CheckSocketPath,
    /// The socket refuses this user.
    CheckSocketPermissions,
    /// The daemon wants a username and password and none was sent.
    GiveCredentials,
    /// The username or password was rejected.
    CheckCredentials,
    /// No reply in time: the daemon may be frozen, or slow enough to need more time.
    RaiseRpcTimeout,
    /// This address answers, but not as supervisord's XML-RPC (`/RPC2`).
    CheckRpcPath,
    /// The daemon failed internally: its own log says why.
    ReadMainLog,
    /// A name matched nothing: list the valid names; `suggestion` is the closest one.
    ListNames { suggestion: Option<String> },
    /// The signal is not one the daemon knows.
    UseSignalName,
    /// The program's command or log file does not exist.
    CheckCommand,
    /// The program's command is not executable.
    CheckExecutable,
    /// The program exited while starting: its stderr says why.
    ReadStderr { name: Option<String> },
    /// The daemon is shutting down or restarting.
    RetryLater,
    /// The daemon's configuration file has an error.
    FixConfigFile,
    /// A group cannot be removed while its processes run.
    StopGroupFirst,
    /// The daemon's XML-RPC interface lacks the method.
    EnableRpcInterface,
    /// This server's operator does not allow the change.
    AskOperator,
}

impl NextStep {
    /// The next step after a fault; `name` is the process concerned, when known.
    pub fn for_fault(code: FaultCode, name: Option<&str>) -> Option<NextStep> {
        Some(match code {
            FaultCode::BadName => NextStep::ListNames { suggestion: None },
            FaultCode::BadSignal => NextStep::UseSignalName,
            FaultCode::NoFile => NextStep::CheckCommand,
            FaultCode::NotExecutable => NextStep::CheckExecutable,
            FaultCode::SpawnError | FaultCode::AbnormalTermination => NextStep::ReadStderr {
                name: name.map(str::to_owned),
            },
            FaultCode::ShutdownState => NextStep::RetryLater,
            FaultCode::CantReread => NextStep::FixConfigFile,
            FaultCode::StillRunning => NextStep::StopGroupFirst,
            FaultCode::UnknownMethod => NextStep::EnableRpcInterface,
            _ => return None,
        })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_names_round_trip_codes() {
        for code in [1, 2, 3, 4, 6, 10, 11, 20, 21, 30, 40, 50, 60, 70, 80, 90, 91, 92] {
            let name = FaultCode::from_code(code).name();
            assert!(!name.starts_with("FAULT_"), "{code} has no name");
        }
        assert_eq!(FaultCode::from_code(-32500).name(), "FAULT_-32500");
    }

    #[test]
    fn target_kinds_are_stable_words() {
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
            (Error::ConnectionRefused { url: url() }, "refused"),
            (
                Error::Transport {
                    url: url(),
                    detail: detail(),
                },
                "unreachable",
            ),
            (Error::Refused("read-only".into()), "refused_here"),
            (Error::Usage("x".into()), "invalid"),
        ] {
            assert_eq!(e.target_kind(), kind, "{e}");
        }
    }

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
