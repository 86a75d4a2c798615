//! Changes across targets: start, stop, restart, signal, clear, wait; configuration
//! (reread, update, reload, add, remove); diagnose; and the commands that act on one
//! named target only (`program`, `run`). A change on more than one target needs an
//! explicit selection (`-t` or qualified names); the policy gate refuses a change on
//! a read-only target.

use super::{failed_lines, json, or_failed, typed};
use crate::cli::cmd::{self, wait_options};
use crate::cli::exit::{self, ExitStatus};
use crate::cli::output::Printer;
use crate::cli::{Command, ProgramCmd};
use crate::fleet::exec::{self, Op, Output, Report};
use crate::fleet::{Fleet, FleetError};
use crate::settings::Settings;
use crate::supervisor::ops::control::ProcessResult;
use crate::supervisor::{Change, Policy};
use anyhow::Result;

/// The operation of a command that changes processes or the configuration, with
/// its names.
pub fn change(command: &Command) -> Result<(Op, Vec<String>)> {
    Ok(match command {
        Command::Start { names, wait } => (Op::Start(wait_options(wait)), names.clone()),
        Command::Stop { names, wait } => (Op::Stop(wait_options(wait)), names.clone()),
        Command::Restart { names, wait } => (Op::Restart(wait_options(wait)), names.clone()),
        Command::Signal { signal, names, tree } => (
            Op::Signal {
                signal: signal.clone(),
                tree: *tree,
            },
            names.clone(),
        ),
        Command::Clear { names } => (Op::Clear, names.clone()),
        Command::Reread => (Op::Reread, Vec::new()),
        Command::Update { groups } => (
            Op::Update {
                groups: groups.clone(),
                dry_run: false,
            },
            Vec::new(),
        ),
        Command::Reload { dry_run } => (
            Op::Update {
                groups: Vec::new(),
                dry_run: *dry_run,
            },
            Vec::new(),
        ),
        Command::Add { groups } => (Op::AddGroups(groups.clone()), Vec::new()),
        Command::Remove { groups } => (Op::RemoveGroups(groups.clone()), Vec::new()),
        _ => return Err(cmd::usage("this command does not run across targets")),
    })
}

/// Per-process results (each name qualified by its target) or, for configuration
/// changes, each target's answer; then failed targets and the summary.
pub fn render(p: Printer, report: &Report) -> Result<ExitStatus> {
    if p.json {
        json(p, report)?;
    }
    let mut all: Vec<ProcessResult> = Vec::new();
    let mut lines = Vec::new();
    for o in &report.outcomes {
        match &o.result {
            Ok(Output::Results(rs)) => all.extend(rs.iter().cloned().map(|mut r| {
                r.name = format!("{}/{}", o.target, r.name);
                r
            })),
            Ok(other) => lines.push(format!(
                "{}: {}",
                o.target,
                serde_json::to_value(other).unwrap_or_default()
            )),
            Err(_) => {}
        }
    }
    if !p.json {
        Printer { json: false }.results(&all)?;
        lines.extend(failed_lines(&report.outcomes));
        lines.push(report.summary.line());
        p.lines(&lines)?;
    }
    Ok(or_failed(&report.outcomes, exit::for_results(&all)))
}

/// `diagnose` on each target: a section each, then failed targets and the summary.
pub fn diagnose(p: Printer, report: &Report) -> Result<ExitStatus> {
    let outcomes = typed(report, |o| match o {
        Output::Diagnosis(d) => Some(d),
        _ => None,
    });
    if p.json {
        json(p, report)?;
    } else {
        for o in &outcomes {
            if let Ok(d) = &o.result {
                p.line(&format!("== {} ==\n{}", o.target, d.summary().trim_end()))?;
            }
        }
        let mut tail = failed_lines(&outcomes);
        tail.push(report.summary.line());
        p.lines(&tail)?;
    }
    Ok(or_failed(&outcomes, ExitStatus::Success))
}

/// `program add|remove` and `run` act on one target: the one the name is qualified
/// by, else the selection's only one ([`exec::plan`]); the policy gate checks it
/// (a read-only target refuses); then the command runs there as it does without a
/// fleet.
pub async fn one_target(fleet: &Fleet, g: &Settings, p: Printer, command: Command) -> Result<ExitStatus> {
    let name = match &command {
        Command::Program(ProgramCmd::Add(a)) => Some(a.name.clone()),
        Command::Program(ProgramCmd::Remove { name }) => Some(name.clone()),
        _ => None,
    };
    let (target, bare) = fleet.one_target(name.as_deref())?;
    let policy = exec::policy_for(fleet, &Policy::default(), &target);
    let (what, change) = match &bare {
        Some(n) => ("program", Change::Program(n)),
        None => ("run", Change::Everything),
    };
    policy.check_change(what, &change).map_err(FleetError::from)?;
    let c = &target.client;
    match (command, bare) {
        (Command::Program(ProgramCmd::Add(mut a)), Some(n)) => {
            a.name = n;
            cmd::program::cmd_program(c, p, g, ProgramCmd::Add(a)).await
        }
        (Command::Program(ProgramCmd::Remove { .. }), Some(n)) => {
            cmd::program::cmd_program(c, p, g, ProgramCmd::Remove { name: n }).await
        }
        (Command::Run(a), _) => cmd::program::cmd_run(c, p, g, &a).await,
        _ => Ok(ExitStatus::Usage),
    }
}
