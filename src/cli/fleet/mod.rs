//! The command line across a fleet: the same commands, each run on every selected
//! target in parallel (the core's operations through `fleet::fan_out`), rendered with
//! the target: a TARGET column or `target/name`, a failed target as its own row or
//! line, then a summary line; `--json` is one document with a summary and one entry
//! per target. A partial failure is a normal answer; the exit status says it.

mod actions;
mod logs;
mod status;

use super::Command;
use super::exit::ExitStatus;
use super::output::Printer;
pub(crate) use crate::fleet::report::envelope;
use crate::fleet::{Fleet, Outcome, Target, fan_out};
use crate::settings::Settings;
use crate::supervisor::Error;
use anyhow::Result;
use std::future::Future;
use std::time::Duration;

/// Runs `command` across the fleet's selected targets.
pub async fn run(fleet: &Fleet, g: &Settings, p: Printer, command: Command) -> Result<ExitStatus> {
    match command {
        Command::Status {
            names,
            states,
            metrics,
            port,
            unhealthy,
        } => {
            if unhealthy {
                status::unhealthy(fleet, p).await
            } else {
                status::status(fleet, p, &names, &states, metrics, port).await
            }
        }
        Command::ListProcesses { states } => status::status(fleet, p, &[], &states, false, None).await,
        Command::Targets { check } => status::targets(fleet, p, check.is_some()).await,
        Command::Info | Command::Version => status::info(fleet, p).await,
        Command::Pid { names } => status::pid(fleet, p, &names).await,
        Command::Avail => status::avail(fleet, p).await,
        Command::Logs(a) => logs::logs(fleet, p, &a).await,
        Command::Maintail { lines, follow, raw } => logs::maintail(fleet, p, lines.get(), follow, raw).await,
        Command::Program(_) | Command::Run(_) => actions::one_target(fleet, g, p, command).await,
        other => actions::run(fleet, p, other).await,
    }
}

/// Runs `op` on each planned target (with its names), each bounded by its read
/// deadline plus `extra` (the wait an action may take).
pub(crate) async fn each<T, F, Fut>(
    fleet: &Fleet,
    planned: Vec<(Target, Vec<String>)>,
    extra: Duration,
    op: F,
) -> Vec<Outcome<T>>
where
    T: Send + 'static,
    F: Fn(Target, Vec<String>) -> Fut,
    Fut: Future<Output = Result<T, Error>> + Send + 'static,
{
    fan_out(planned, fleet.limits(), |t| t.deadline + extra, op).await
}

/// Every selected target, with no names.
pub(crate) fn every(fleet: &Fleet) -> Result<Vec<(Target, Vec<String>)>> {
    Ok(fleet.selected()?.into_iter().map(|t| (t, Vec::new())).collect())
}

/// A table of every target's rows (`rows` of its result, in order), a failed target
/// as one row: its name, its error's kind (upper case) in column `kind_col`, its
/// message in the last column, `-` elsewhere.
pub(crate) fn target_table<T>(
    p: Printer,
    header: &[&str],
    kind_col: usize,
    outcomes: &[Outcome<T>],
    rows: impl Fn(&str, &T) -> Vec<Vec<String>>,
) -> Result<()> {
    let last = header.len().saturating_sub(1);
    let table = outcomes
        .iter()
        .flat_map(|o| match &o.result {
            Ok(v) => rows(&o.target, v),
            Err(e) => vec![
                (0..header.len())
                    .map(|i| match i {
                        0 => o.target.clone(),
                        _ if i == kind_col => e.kind.to_uppercase(),
                        _ if i == last => e.message.clone(),
                        _ => "-".into(),
                    })
                    .collect(),
            ],
        })
        .collect();
    p.table(header, table)?;
    Ok(())
}

/// `db-2: ERROR (timeout) no reply in 5.0 s` for each failed target.
pub(crate) fn failed_lines<T>(outcomes: &[Outcome<T>]) -> Vec<String> {
    outcomes
        .iter()
        .filter_map(|o| {
            o.result
                .as_ref()
                .err()
                .map(|e| crate::fleet::report::failed_line(&o.target, e))
        })
        .collect()
}

/// 4 when a target could not be asked, else `otherwise`.
pub(crate) fn unless_failed<T>(outcomes: &[Outcome<T>], otherwise: ExitStatus) -> ExitStatus {
    if outcomes.iter().any(|o| o.result.is_err()) {
        ExitStatus::Unknown
    } else {
        otherwise
    }
}

/// For commands other than `status`: 1 when a target failed (unless `otherwise` says
/// worse), else `otherwise`.
pub(crate) fn or_failed<T>(outcomes: &[Outcome<T>], otherwise: ExitStatus) -> ExitStatus {
    if otherwise == ExitStatus::Success && outcomes.iter().any(|o| o.result.is_err()) {
        ExitStatus::Failure
    } else {
        otherwise
    }
}
