//! The command line across a fleet: each command becomes one typed operation
//! ([`crate::fleet::exec`]), which runs on every selected target in parallel through
//! the policy gate; this module renders the report with the target: a TARGET column
//! or `target/name`, a failed target as its own row or line, then a summary line;
//! `--json` is one document with a summary and one entry per target. A partial
//! failure is a normal answer; the exit status says it.

mod actions;
mod logs;
mod status;

use super::Command;
use super::exit::ExitStatus;
use super::output::Printer;
use crate::fleet::exec::{self, Call, LogsRead, Op, Output, Report};
pub(crate) use crate::fleet::report::envelope;
use crate::fleet::{Fleet, TargetError, TargetOutcome};
use crate::settings::Settings;
use crate::supervisor::ops::logs::TailOptions;
use crate::supervisor::ops::ready::ReadyCheck;
use crate::supervisor::ops::status::StatusQuery;
use crate::supervisor::ops::wait::WaitFor;
use crate::supervisor::{Channel, ErrorKind, Policy};
use anyhow::Result;

/// Runs `command` across the fleet's selected targets.
pub async fn run(fleet: &Fleet, g: &Settings, p: Printer, command: Command) -> Result<ExitStatus> {
    match command {
        Command::Targets { check: None } => return status::list_targets(fleet, p),
        Command::Logs(a) if a.follow => return logs::follow_logs(fleet, p, &a).await,
        Command::Maintail {
            follow: true,
            lines,
            raw,
            ..
        } => return logs::follow_main(fleet, p, lines.get(), raw).await,
        Command::Program(_) | Command::Run(_) => return actions::one_target(fleet, g, p, command).await,
        _ => {}
    }
    let call = call(&command)?;
    let report = exec::run(fleet, &Policy::default(), call.clone()).await?;
    render(p, &call.op, &report)
}

/// The operation a command stands for, with its names.
fn call(command: &Command) -> Result<Call> {
    let (op, names) = match command {
        Command::Status { unhealthy: true, .. } => (Op::Health, Vec::new()),
        Command::Status {
            names,
            states,
            metrics,
            port,
            ..
        } => (status_op(states, *metrics, *port), names.clone()),
        Command::ListProcesses { states } => (status_op(states, false, None), Vec::new()),
        Command::Targets { .. } => (Op::Version, Vec::new()),
        Command::Info | Command::Version => (Op::Info, Vec::new()),
        Command::Pid { names } => (Op::Pid, names.clone()),
        Command::Avail => (Op::Avail, Vec::new()),
        Command::Logs(a) => (logs::logs_op(a)?, vec![a.name.clone()]),
        Command::Maintail { lines, raw, .. } => (main_log_op(lines.get(), *raw), Vec::new()),
        Command::Diagnose {
            name,
            lines,
            cpu_sample,
        } => (
            Op::Diagnose {
                lines: lines.get(),
                cpu_sample: cpu_sample.map(|s| std::time::Duration::from_millis(s.get() as u64)),
            },
            vec![name.clone()],
        ),
        Command::Wait(a) => (wait_op(a)?, a.names.clone()),
        other => actions::change(other)?,
    };
    Ok(Call::new(op, names))
}

fn status_op(states: &[crate::supervisor::ProcessState], metrics: bool, port: Option<u16>) -> Op {
    Op::Status(StatusQuery {
        names: Vec::new(),
        states: states.to_vec(),
        metrics,
        port,
        daemon: false,
        history: Some(crate::supervisor::ops::status::HISTORY_WINDOW),
    })
}

fn main_log_op(lines: usize, raw: bool) -> Op {
    Op::Logs(LogsRead {
        channel: Channel::Stdout,
        opts: TailOptions {
            lines,
            raw,
            ..TailOptions::default()
        },
        filter: Default::default(),
        cursor: None,
        at_end: false,
    })
}

fn wait_op(a: &crate::cli::WaitCmdArgs) -> Result<Op> {
    Ok(Op::Wait {
        wait: WaitFor {
            names: Vec::new(),
            state: a.state,
            check: ReadyCheck::new(a.url.clone(), a.expect_status, a.port.clone(), a.pattern.as_deref())?,
            timeout: a.timeout.duration(),
        },
        progress: None,
    })
}

/// Renders the report of `op`, and says how it ended.
fn render(p: Printer, op: &Op, report: &Report) -> Result<ExitStatus> {
    match op {
        Op::Status(_) => status::status(p, report),
        Op::Health => status::unhealthy(p, report),
        Op::Version => status::check_targets(p, report),
        Op::Info => status::info(p, report),
        Op::Pid => status::pid(p, report),
        Op::Avail => status::avail(p, report),
        Op::Logs(r) => logs::sections(p, report, r.channel),
        Op::Diagnose { .. } => actions::diagnose(p, report),
        _ => actions::render(p, report),
    }
}

/// The outcomes with each target's output as `T` (`view` picks it); an output of
/// another kind, which the operation never gives, is that target's error.
pub(crate) fn typed<'a, T>(
    report: &'a Report,
    view: impl Fn(&'a Output) -> Option<&'a T>,
) -> Vec<TargetOutcome<&'a T>> {
    report
        .outcomes
        .iter()
        .map(|o| TargetOutcome {
            target: o.target.clone(),
            elapsed: o.elapsed,
            result: match &o.result {
                Ok(out) => view(out).ok_or_else(|| TargetError::new(ErrorKind::Protocol, "an unexpected answer")),
                Err(e) => Err(e.clone()),
            },
        })
        .collect()
}

/// A table of every target's rows (`rows` of its result, in order), a failed target
/// as one row: its name, its error's kind (upper case) in column `kind_col`, its
/// message in the last column, `-` elsewhere.
pub(crate) fn target_table<T>(
    p: Printer,
    header: &[&str],
    kind_col: usize,
    outcomes: &[TargetOutcome<T>],
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
                        _ if i == kind_col => e.kind.label(),
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
pub(crate) fn failed_lines<T>(outcomes: &[TargetOutcome<T>]) -> Vec<String> {
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

/// The JSON document of the report (one entry per target).
pub(crate) fn json(p: Printer, report: &Report) -> Result<()> {
    p.json(&envelope(&report.outcomes, serde_json::json!({})))?;
    Ok(())
}

/// 4 when a target could not be asked, else `otherwise`.
pub(crate) fn unless_failed<T>(outcomes: &[TargetOutcome<T>], otherwise: ExitStatus) -> ExitStatus {
    if outcomes.iter().any(|o| o.result.is_err()) {
        ExitStatus::Unknown
    } else {
        otherwise
    }
}

/// For commands other than `status`: 1 when a target failed (unless `otherwise` says
/// worse), else `otherwise`.
pub(crate) fn or_failed<T>(outcomes: &[TargetOutcome<T>], otherwise: ExitStatus) -> ExitStatus {
    if otherwise == ExitStatus::Success && outcomes.iter().any(|o| o.result.is_err()) {
        ExitStatus::Failure
    } else {
        otherwise
    }
}
