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
            Error::ConnectionRefused { .. } | Error::SocketMissing { .. } | Error::Transport { .. } => {
                "UNREACHABLE".into()
            }
            Error::PermissionDenied { .. } => "PERMISSION_DENIED".into(),
            Error::Unauthorized { .. } => "UNAUTHORIZED".into(),
            Error::Timeout { .. } => "TIMEOUT".into(),
            Error::HttpStatus { status, .. } => format!("HTTP_{status}"),
            Error::Decode { .. } | Error::Shape { .. } => "BAD_REPLY".into(),
            Error::BadUrl { .. } | Error::Invalid(_) => "INVALID".into(),
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
        )
    }

    /// What the user should do next, in one sentence; shared by the CLI and MCP.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::ConnectionRefused { .. } => {
                "is supervisord running? check the server URL (-s, SUPERVISOR_SERVER_URL or [supervisorctl] serverurl)".into()
            }
            Error::SocketMissing { .. } => {
                "is supervisord running? the socket appears when it starts; check [unix_http_server] file and the server URL".into()
            }
            Error::PermissionDenied { .. } => {
                "run as the socket's owner, or set [unix_http_server] chmod/chown so this user may connect".into()
            }
            Error::Unauthorized { sent_credentials: false, .. } => {
                "this server requires a username and password: pass -u/-p, set SUPERVISOR_USERNAME/SUPERVISOR_PASSWORD, or [supervisorctl] username/password".into()
            }
            Error::Unauthorized { .. } => {
                "check the username and password (-u/-p, SUPERVISOR_USERNAME/SUPERVISOR_PASSWORD, [supervisorctl])".into()
            }
            Error::Timeout { .. } => {
                "supervisord may be frozen or overloaded; raise --rpc-timeout if it is just slow".into()
            }
            Error::HttpStatus { status: 400 | 404 | 405, .. } => {
                "is this supervisord's XML-RPC address? it is served at /RPC2 (e.g. http://127.0.0.1:9001)".into()
            }
            Error::HttpStatus { status: 500, .. } => "supervisord hit an internal error; see its main log (`maintail`)".into(),
            Error::Fault(f) => return fault_hint(f.code),
            Error::Refused(_) => "this server's operator limits what may be changed; use only the allowed names, or ask them".into(),
            Error::Decode { .. } => "is this address a supervisord XML-RPC server?".into(),
            _ => return None,
        })
    }
}

fn fault_hint(code: FaultCode) -> Option<String> {
    Some(
        match code {
            FaultCode::BadName => "run `status` to list the valid names (name, group:name, group:*, all)",
            FaultCode::BadSignal => "use a signal name such as HUP, TERM, USR1, or a number",
            FaultCode::NoFile => "the command or log file does not exist; check the program's configuration",
            FaultCode::NotExecutable => "the command is not executable; check its path and permissions",
            FaultCode::SpawnError | FaultCode::AbnormalTermination => {
                "the program exited while starting; read its stderr with `logs NAME --stderr`"
            }
            FaultCode::ShutdownState => "supervisord is shutting down or restarting; retry in a moment",
            FaultCode::CantReread => "the configuration file has an error; fix it and retry",
            FaultCode::StillRunning => "stop the group's processes first",
            FaultCode::UnknownMethod => "is [rpcinterface:supervisor] enabled in supervisord's configuration?",
            _ => return None,
        }
        .to_owned(),
    )
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
    fn messages_say_what_happened_and_hints_what_to_do() {
        let e = Error::SocketMissing {
            url: "unix:///x.sock".into(),
        };
        assert_eq!(e.to_string(), "unix:///x.sock: no such socket file");
        assert!(e.hint().is_some_and(|h| h.contains("is supervisord running")));
        let e = Error::Unauthorized {
            url: "http://h:1".into(),
            sent_credentials: false,
        };
        assert!(e.hint().is_some_and(|h| h.contains("SUPERVISOR_PASSWORD")));
    }
}
