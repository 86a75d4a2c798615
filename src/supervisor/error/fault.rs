//! Supervisord's faults: the fault codes by name, and one fault as the daemon
//! returned it for a call.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_has_a_name_and_others_are_shown_by_number() {
        // The names against supervisord's own table: tests/faults.rs.
        for code in [1, 2, 3, 4, 6, 10, 11, 20, 21, 30, 40, 50, 60, 70, 80, 90, 91, 92] {
            let name = FaultCode::from_code(code).name();
            assert!(!name.starts_with("FAULT_"), "{code} has no name");
        }
        assert_eq!(FaultCode::from_code(-32500).name(), "FAULT_-32500");
    }
}
