//! What to do after an error, as data: the next step for each error and fault, for
//! each front end to say in its own words.

use super::{Error, FaultCode};

impl Error {
    /// What to do next, as data; each front end says it in its own words.
    pub fn next_step(&self) -> Option<NextStep> {
        Some(match self {
            Error::ConnectionRefused { .. } | Error::ConnectTimeout { .. } | Error::Redirect { .. } => {
                NextStep::CheckServerUrl
            }
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
