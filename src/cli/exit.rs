//! How a command ends: one [`ExitStatus`] that commands return (as uv does), mapped to
//! a code in one place, with supervisorctl's LSB codes where it has one. The table in
//! `--help`, the man page and docs/cli.md come from [`TABLE`] (a test checks docs/cli.md).

use crate::fleet::FleetError;
use crate::settings::SettingsError as ConfigError;
use crate::supervisor::ops::control::{Outcome, ProcessResult};
use crate::supervisor::{Error, ErrorKind, FaultCode};
use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: it did what was asked (already running / already stopped included).
    Success,
    /// 1: a fault, an unknown name, a timeout, a reply that is not XML-RPC.
    Failure,
    /// 2: bad arguments or configuration.
    Usage,
    /// 3: `status`: a selected process is not running, or no supervised process
    /// listens on the port asked for (LSB "not running").
    NotRunning,
    /// 4: `status`: unknown name, or the daemon could not be asked (LSB "unknown");
    /// other commands: connection refused, permission denied, credentials rejected
    /// (LSB "insufficient privilege").
    Unknown,
    /// 7: a program failed to start or is not running, or the daemon's socket file
    /// does not exist (LSB "program is not running").
    Dead,
    /// 124: `run`: the command was stopped after its timeout.
    TimedOut,
    /// 130: interrupted by SIGINT (Ctrl-C), after undoing what was half done.
    Interrupted,
    /// 143: stopped by SIGTERM, after undoing what was half done.
    Terminated,
    /// `run`: the command's own exit status.
    Command(u8),
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
            ExitStatus::NotRunning => 3,
            ExitStatus::Unknown => 4,
            ExitStatus::Dead => 7,
            ExitStatus::TimedOut => 124,
            ExitStatus::Interrupted => 130,
            ExitStatus::Terminated => 143,
            ExitStatus::Command(code) => code,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        ExitCode::from(s.code())
    }
}

/// Every exit status with what it means, as `--help` and docs/cli.md show them.
pub const TABLE: &[(u8, &str)] = &[
    (0, "success (already running / already stopped are success)"),
    (
        1,
        "failure: unknown name, a fault, a timeout, a reply that is not XML-RPC, a change refused (read-only, not allowed, several targets without `-t`)",
    ),
    (
        2,
        "bad arguments or configuration (unknown flag, bad URL, unreadable `-c` file, a target selection that names nothing)",
    ),
    (
        3,
        "`status`: a selected process is not running, or (`--port`) no supervised process listens there",
    ),
    (
        4,
        "`status`: unknown name, or the daemon could not be asked; other commands: connection refused, permission denied on the socket, credentials rejected (401)",
    ),
    (
        7,
        "a program failed to start or is not running (SPAWN_ERROR, ABNORMAL_TERMINATION, NOT_RUNNING, `pid` of a stopped process), or the daemon's socket file does not exist",
    ),
    (124, "`run`: the command was stopped after `--timeout`"),
    (
        130,
        "`run`, `program add`: interrupted by Ctrl-C (SIGINT); what was half done was undone first",
    ),
    (
        143,
        "`run`, `program add`: stopped by SIGTERM; what was half done was undone first",
    ),
];

/// The exit-code section of `--help` and of the man page.
pub fn help() -> String {
    let mut out = String::from("Exit codes (as supervisorctl's LSB codes, for scripts):\n");
    for (code, what) in TABLE {
        out.push_str(&format!("  {code:>3}  {}\n", what.replace('`', "")));
    }
    out.push_str("  run exits with the command's own status otherwise.");
    out
}

/// What stopped a command, classified once: the one place an error is told apart
/// by its type (the core's, the fleet's, the settings'). Feeds the exit status
/// ([`for_error`]) and the message (`Printer::error`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Classified<'a> {
    /// `None` for an error of no kind (an I/O error writing the output, say).
    pub kind: Option<ErrorKind>,
    /// The daemon's fault code, beside kind `fault`.
    pub fault: Option<FaultCode>,
    /// The core's error, when that is what it is (for its next step).
    pub core: Option<&'a Error>,
    /// The fleet's error, when that is what it is.
    pub fleet: Option<&'a FleetError>,
}

/// Classifies `err` ([`Classified`]).
pub fn classify(err: &anyhow::Error) -> Classified<'_> {
    let core = |e| Classified {
        kind: Some(Error::kind(e)),
        fault: e.fault_code(),
        core: Some(e),
        fleet: None,
    };
    let fleet = err
        .downcast_ref::<FleetError>()
        .or_else(|| match err.downcast_ref::<ConfigError>() {
            Some(ConfigError::Fleet(f)) => Some(f),
            _ => None,
        });
    if let Some(f) = fleet {
        return match f {
            FleetError::Core(e) | FleetError::Target { source: e, .. } => Classified {
                fleet: Some(f),
                ..core(e)
            },
            _ => Classified {
                kind: Some(f.kind()),
                fleet: Some(f),
                ..Classified::default()
            },
        };
    }
    if let Some(c) = err.downcast_ref::<ConfigError>() {
        return match c {
            ConfigError::Server(e) => core(e),
            _ => Classified {
                kind: Some(ErrorKind::Usage),
                ..Classified::default()
            },
        };
    }
    err.downcast_ref::<Error>().map(core).unwrap_or_default()
}

/// The exit status for an error that stopped a command ([`for_kind`] of its
/// [`classify`]); an error of no kind is 1.
pub fn for_error(err: &anyhow::Error, is_status: bool) -> ExitStatus {
    let c = classify(err);
    c.kind.map_or(ExitStatus::Failure, |k| for_kind(k, c.fault, is_status))
}

/// The exit status for an error of `kind` (with the daemon's `fault` code, for kind
/// `fault`): `usage` is 2; for `status` (`is_status`) everything else is 4, as LSB
/// wants ("status unknown"); for other commands `connection_refused`,
/// `permission_denied` and `unauthorized` are 4, `no_socket` and the faults of a
/// dead program 7, the rest 1.
pub fn for_kind(kind: ErrorKind, fault: Option<FaultCode>, is_status: bool) -> ExitStatus {
    match kind {
        ErrorKind::Usage => ExitStatus::Usage,
        _ if is_status => ExitStatus::Unknown,
        ErrorKind::ConnectionRefused | ErrorKind::PermissionDenied | ErrorKind::Unauthorized => ExitStatus::Unknown,
        ErrorKind::NoSocket => ExitStatus::Dead,
        ErrorKind::Fault if fault.is_some_and(FaultCode::is_dead_program) => ExitStatus::Dead,
        _ => ExitStatus::Failure,
    }
}

/// The exit status for per-process results: 7 if a program is dead (failed to
/// start, not running), else 1 if anything failed, else 0.
pub fn for_results(results: &[ProcessResult]) -> ExitStatus {
    let failed: Vec<&ProcessResult> = results.iter().filter(|r| !r.outcome.is_success()).collect();
    if failed.is_empty() {
        ExitStatus::Success
    } else if failed
        .iter()
        .any(|r| r.outcome == Outcome::Failed && r.fault.is_some_and(|f| f.is_dead_program()))
    {
        ExitStatus::Dead
    } else {
        ExitStatus::Failure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_page_lists_every_exit_code_as_defined_here() {
        let page = include_str!("../../docs/cli.md");
        for (code, what) in TABLE {
            let row = format!("| {code} | {what} |");
            assert!(page.contains(&row), "docs/cli.md lacks the row {row}");
        }
    }

    /// The CLI page's table of error kinds: each kind, what it means, its exit codes.
    #[test]
    fn the_cli_page_lists_every_error_kind_with_its_exit_codes() {
        let page = include_str!("../../docs/cli.md");
        let dead: Vec<String> = [
            FaultCode::SpawnError,
            FaultCode::AbnormalTermination,
            FaultCode::NotRunning,
        ]
        .iter()
        .filter(|f| for_kind(ErrorKind::Fault, Some(**f), false) == ExitStatus::Dead)
        .map(|f| f.name())
        .collect();
        let missing: Vec<String> = ErrorKind::ALL
            .iter()
            .map(|&k| {
                let mut exit = for_kind(k, None, false).code().to_string();
                if k == ErrorKind::Fault {
                    exit.push_str(&format!(" (7: {})", dead.join(", ")));
                }
                let status = for_kind(k, None, true).code();
                format!("| `{k}` | {} | {exit} | {status} |", k.meaning())
            })
            .filter(|row| !page.contains(row.as_str()))
            .collect();
        assert!(missing.is_empty(), "docs/cli.md lacks the rows\n{}", missing.join("\n"));
    }

    /// One classification, whatever the error's type: the core's, the fleet's, the
    /// settings'.
    #[test]
    fn every_error_is_classified_once_into_its_exit_status() {
        let socket = || Error::SocketMissing {
            url: "unix:///x".into(),
        };
        let cases: [(anyhow::Error, Option<ErrorKind>, ExitStatus); 6] = [
            (socket().into(), Some(ErrorKind::NoSocket), ExitStatus::Dead),
            (
                ConfigError::Server(socket()).into(),
                Some(ErrorKind::NoSocket),
                ExitStatus::Dead,
            ),
            (
                ConfigError::Usage("x".into()).into(),
                Some(ErrorKind::Usage),
                ExitStatus::Usage,
            ),
            (
                FleetError::NothingSelected.into(),
                Some(ErrorKind::Usage),
                ExitStatus::Usage,
            ),
            (
                FleetError::NotExplicit {
                    targets: vec!["a".into(), "b".into()],
                }
                .into(),
                Some(ErrorKind::Refused),
                ExitStatus::Failure,
            ),
            (anyhow::anyhow!("no kind"), None, ExitStatus::Failure),
        ];
        for (e, kind, status) in cases {
            assert_eq!(classify(&e).kind, kind, "{e}");
            assert_eq!(for_error(&e, false), status, "{e}");
        }
        assert_eq!(for_error(&socket().into(), true), ExitStatus::Unknown);
        let refused = FleetError::Core(Error::Refused("start: this server is read-only".into()));
        assert_eq!(classify(&refused.into()).kind, Some(ErrorKind::Refused));
    }

    /// Each status has the code scripts rely on (supervisorctl's LSB codes, and the
    /// shell's for timeouts and signals), distinct, and in the table: two swapped
    /// codes fail here.
    #[test]
    fn codes_are_the_lsb_codes_and_the_table_s() {
        let expected = [
            (ExitStatus::Success, 0),
            (ExitStatus::Failure, 1),
            (ExitStatus::Usage, 2),
            (ExitStatus::NotRunning, 3),
            (ExitStatus::Unknown, 4),
            (ExitStatus::Dead, 7),
            (ExitStatus::TimedOut, 124),
            (ExitStatus::Interrupted, 130),
            (ExitStatus::Terminated, 143),
        ];
        for (s, code) in expected {
            assert_eq!(s.code(), code, "{s:?}");
            assert!(TABLE.iter().any(|(c, _)| *c == code), "{s:?}");
        }
        assert_eq!(TABLE.len(), expected.len(), "a code in the table that no status has");
        assert_eq!(ExitStatus::Command(42).code(), 42);
        assert!(help().contains("  124  run: the command was stopped"));
    }
}
