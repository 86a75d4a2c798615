//! How a command ends: one [`ExitStatus`] that commands return (as uv does), mapped to
//! a code in one place, with supervisorctl's LSB codes where it has one. The table in
//! `--help`, the man page and docs/cli.md come from [`TABLE`] (a test checks docs/cli.md).

use crate::settings::SettingsError as ConfigError;
use crate::supervisor::Error;
use crate::supervisor::ops::control::{Outcome, ProcessResult};
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
        "failure: unknown name, a fault, a timeout, a reply that is not XML-RPC",
    ),
    (
        2,
        "bad arguments or configuration (unknown flag, bad URL, unreadable `-c` file)",
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

/// The exit status for an error that stopped a command (`status` maps every failure
/// to ask the daemon to 4, as LSB wants).
pub fn for_error(err: &anyhow::Error, is_status: bool) -> ExitStatus {
    if err.downcast_ref::<crate::fleet::FleetError>().is_some() {
        return ExitStatus::Usage;
    }
    if let Some(e) = err.downcast_ref::<ConfigError>() {
        return match e {
            ConfigError::Server(s) => for_core(s, is_status),
            _ => ExitStatus::Usage,
        };
    }
    match err.downcast_ref::<Error>() {
        Some(e) => for_core(e, is_status),
        None => ExitStatus::Failure,
    }
}

fn for_core(e: &Error, is_status: bool) -> ExitStatus {
    if matches!(e, Error::BadUrl { .. } | Error::Usage(_)) {
        return ExitStatus::Usage;
    }
    // LSB: any other error that prevents a status is "status unknown".
    if is_status {
        return ExitStatus::Unknown;
    }
    match e {
        Error::ConnectionRefused { .. } | Error::PermissionDenied { .. } | Error::Unauthorized { .. } => {
            ExitStatus::Unknown
        }
        Error::SocketMissing { .. } => ExitStatus::Dead,
        Error::Fault(f) if f.code.is_dead_program() => ExitStatus::Dead,
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

    #[test]
    fn codes_are_the_table_s() {
        for s in [
            ExitStatus::Success,
            ExitStatus::Failure,
            ExitStatus::Usage,
            ExitStatus::NotRunning,
            ExitStatus::Unknown,
            ExitStatus::Dead,
            ExitStatus::TimedOut,
            ExitStatus::Interrupted,
            ExitStatus::Terminated,
        ] {
            assert!(TABLE.iter().any(|(c, _)| *c == s.code()), "{s:?}");
        }
        assert!(help().contains("  124  run: the command was stopped"));
    }
}
