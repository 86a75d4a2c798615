//! Exit codes, chosen in one place (supervisorctl's LSB codes where it has one).

use crate::config::ConfigError;
use crate::supervisor::Error;
use crate::supervisor::ops::control::{Outcome, ProcessResult};

pub const SUCCESS: u8 = 0;
/// A fault, an unknown name, a timeout, a bad reply.
pub const GENERIC: u8 = 1;
/// Bad arguments or configuration (clap uses it too).
pub const INVALID_ARGS: u8 = 2;
/// `status`: a selected process is not running (LSB status 3).
pub const STATUS_NOT_RUNNING: u8 = 3;
/// `status`: unknown name or daemon unreachable (LSB status 4).
pub const STATUS_UNKNOWN: u8 = 4;
/// Connection refused, permission denied, credentials rejected (LSB init 4).
pub const INSUFFICIENT_PRIVILEGES: u8 = 4;
/// A program failed to start or is not running; or no daemon socket (LSB init 7).
pub const NOT_RUNNING: u8 = 7;

/// The exit code for an error that stopped a command.
pub fn for_error(err: &anyhow::Error, is_status: bool) -> u8 {
    if let Some(e) = err.downcast_ref::<crate::mcp::http::HttpError>() {
        use crate::mcp::http::HttpError;
        return match e {
            HttpError::NoToken { .. } | HttpError::TokenFile { .. } => INVALID_ARGS,
            _ => GENERIC,
        };
    }
    if let Some(e) = err.downcast_ref::<ConfigError>() {
        return match e {
            ConfigError::Server(s) => for_core(s, is_status),
            _ => INVALID_ARGS,
        };
    }
    match err.downcast_ref::<Error>() {
        Some(e) => for_core(e, is_status),
        None => GENERIC,
    }
}

fn for_core(e: &Error, is_status: bool) -> u8 {
    if matches!(e, Error::BadUrl { .. }) {
        return INVALID_ARGS;
    }
    // LSB: any other error that prevents a status is "status unknown".
    if is_status {
        return STATUS_UNKNOWN;
    }
    match e {
        Error::ConnectionRefused { .. } | Error::PermissionDenied { .. } | Error::Unauthorized { .. } => {
            INSUFFICIENT_PRIVILEGES
        }
        Error::SocketMissing { .. } => NOT_RUNNING,
        Error::Fault(f) if f.code.is_dead_program() => NOT_RUNNING,
        _ => GENERIC,
    }
}

/// The exit code for per-process results: 7 if a program is dead (failed to
/// start, not running), else 1 if anything failed, else 0.
pub fn for_results(results: &[ProcessResult]) -> u8 {
    let failed: Vec<&ProcessResult> = results.iter().filter(|r| !r.outcome.is_success()).collect();
    if failed.is_empty() {
        SUCCESS
    } else if failed
        .iter()
        .any(|r| r.outcome == Outcome::Failed && r.fault.is_some_and(|f| f.is_dead_program()))
    {
        NOT_RUNNING
    } else {
        GENERIC
    }
}
