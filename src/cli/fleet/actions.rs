//! Changes across targets: start, stop, restart, signal, clear, wait; configuration
//! (reread, update, reload, add, remove); diagnose; and the commands that act on one
//! named target only (`program`, `run`). A change on more than one target needs an
//! explicit selection (`-t` or qualified names), and a read-only target refuses it.

use super::{each, envelope, failed_lines, or_failed};
use crate::cli::Command;
use crate::cli::cmd::{self, wait_options};
use crate::cli::exit::{self, ExitStatus};
use crate::cli::output::Printer;
use crate::fleet::{Fleet, FleetError, Outcome, Summary};
use crate::settings::Settings;
use crate::supervisor::ops::control::{self, ProcessResult};
use crate::supervisor::ops::ready::ReadyCheck;
use crate::supervisor::ops::update::{self, STOP_TIMEOUT};
use crate::supervisor::ops::wait::{self, WaitFor};
use crate::supervisor::ops::{diagnose, logs};
use anyhow::Result;
use std::time::Duration;

/// What a per-process command does on each target.
#[derive(Clone)]
enum Act {
    Start(control::WaitOptions),
    Stop(control::WaitOptions),
    Restart(control::WaitOptions),
    Signal(String, bool),
    Clear,
    Wait(WaitFor),
}

pub async fn run(fleet: &Fleet, p: Printer, command: Command) -> Result<ExitStatus> {
    let (act, names) = match command {
        Command::Start { names, wait } => (Act::Start(wait_options(&wait)), names),
        Command::Stop { names, wait } => (Act::Stop(wait_options(&wait)), names),
        Command::Restart { names, wait } => (Act::Restart(wait_options(&wait)), names),
        Command::Signal { signal, names, tree } => (Act::Signal(signal, tree), names),
        Command::Clear { names } => (Act::Clear, names),
        Command::Wait(a) => {
            let w = WaitFor {
                names: Vec::new(),
                state: a.state,
                check: ReadyCheck::new(a.url.clone(), a.expect_status, a.port.clone(), a.pattern.as_deref())?,
                timeout: a.timeout.duration(),
            };
            (Act::Wait(w), a.names)
        }
        Command::Diagnose { name, lines } => return diagnose(fleet, p, &name, lines.get()).await,
        Command::Reread => return config(fleet, p, Config::Reread).await,
        Command::Update { groups } => return config(fleet, p, Config::Update(groups, false)).await,
        Command::Reload { dry_run } => return config(fleet, p, Config::Update(Vec::new(), dry_run)).await,
        Command::Add { groups } => return config(fleet, p, Config::Add(groups)).await,
        Command::Remove { groups } => return config(fleet, p, Config::Remove(groups)).await,
        _ => return Err(FleetError::Selection("this command does not run across targets".into()).into()),
    };
    let changes = !matches!(act, Act::Wait(_));
    let planned = fleet.plan(&names, changes)?;
    let extra = match &act {
        Act::Start(o) | Act::Stop(o) | Act::Restart(o) => o.timeout,
        Act::Wait(w) => w.timeout,
        _ => Duration::ZERO,
    };
    let outcomes = each(fleet, planned, extra, |t, names| {
        let act = act.clone();
        async move {
            let c = &t.client;
            match act {
                Act::Start(o) => control::start(c, &names, &o).await,
                Act::Stop(o) => control::stop(c, &names, &o).await,
                Act::Restart(o) => control::restart(c, &names, &o).await,
                Act::Signal(s, true) => control::signal_tree(c, &s, &names).await,
                Act::Signal(s, false) => control::signal(c, &s, &names).await,
                Act::Clear => logs::clear(c, &names).await,
                Act::Wait(mut w) => {
                    w.names = names;
                    wait::wait(c, &w, |_| {}).await
                }
            }
        }
    })
    .await;
    results(p, &outcomes)
}

/// Per-process results, each name qualified by its target, then failed targets and
/// the summary.
fn results(p: Printer, outcomes: &[Outcome<Vec<ProcessResult>>]) -> Result<ExitStatus> {
    if p.json {
        p.json(&envelope(outcomes, serde_json::json!({})))?;
    } else {
        let mut all: Vec<ProcessResult> = Vec::new();
        for o in outcomes {
            if let Ok(rs) = &o.result {
                all.extend(rs.iter().cloned().map(|mut r| {
                    r.name = format!("{}/{}", o.target, r.name);
                    r
                }));
            }
        }
        let quiet = Printer { json: false };
        quiet.results(&all)?;
        let mut tail = failed_lines(outcomes);
        tail.push(Summary::of(outcomes).line());
        p.lines(&tail)?;
    }
    let rs: Vec<ProcessResult> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .flatten()
        .cloned()
        .collect();
    Ok(or_failed(outcomes, exit::for_results(&rs)))
}

async fn diagnose(fleet: &Fleet, p: Printer, name: &str, lines: usize) -> Result<ExitStatus> {
    let planned = fleet.plan(&[name.to_owned()], false)?;
    let outcomes = each(fleet, planned, Duration::ZERO, |t, names| async move {
        let name = names.first().cloned().unwrap_or_default();
        diagnose::diagnose(&t.client, &name, lines).await
    })
    .await;
    if p.json {
        p.json(&envelope(&outcomes, serde_json::json!({})))?;
    } else {
        for o in &outcomes {
            if let Ok(d) = &o.result {
                p.line(&format!("== {} ==\n{}", o.target, d.summary().trim_end()))?;
            }
        }
        let mut tail = failed_lines(&outcomes);
        tail.push(Summary::of(&outcomes).line());
        p.lines(&tail)?;
    }
    Ok(or_failed(&outcomes, ExitStatus::Success))
}

enum Config {
    Reread,
    Update(Vec<String>, bool),
    Add(Vec<String>),
    Remove(Vec<String>),
}

/// Configuration changes, per target: reread shows, update/reload applies. Each is a
/// change, a reread and a dry run included ([`update::reread`]): an explicit selection
/// when on more than one target; read-only targets refuse.
async fn config(fleet: &Fleet, p: Printer, what: Config) -> Result<ExitStatus> {
    let planned = fleet.for_change()?.into_iter().map(|t| (t, Vec::new())).collect();
    let what = std::sync::Arc::new(what);
    let outcomes = each(fleet, planned, STOP_TIMEOUT, |t, _| {
        let what = what.clone();
        async move {
            let c = &t.client;
            Ok(match what.as_ref() {
                Config::Reread => serde_json::to_value(update::reread(c).await?).unwrap_or_default(),
                Config::Update(groups, dry) => {
                    serde_json::to_value(update::update(c, groups, *dry, STOP_TIMEOUT).await?).unwrap_or_default()
                }
                Config::Add(groups) => serde_json::to_value(update::add_groups(c, groups).await?).unwrap_or_default(),
                Config::Remove(groups) => {
                    serde_json::to_value(update::remove_groups(c, groups).await?).unwrap_or_default()
                }
            })
        }
    })
    .await;
    if p.json {
        p.json(&envelope(&outcomes, serde_json::json!({})))?;
    } else {
        for o in &outcomes {
            if let Ok(v) = &o.result {
                p.line(&format!("{}: {}", o.target, v))?;
            }
        }
        let mut tail = failed_lines(&outcomes);
        tail.push(Summary::of(&outcomes).line());
        p.lines(&tail)?;
    }
    Ok(or_failed(&outcomes, ExitStatus::Success))
}

/// `program add|remove` and `run` act on one target: the selection (or the qualified
/// name) must name exactly one, and it must not be read-only; then the command runs
/// there as it does without a fleet.
pub async fn one_target(fleet: &Fleet, g: &Settings, p: Printer, command: Command) -> Result<ExitStatus> {
    let name = match &command {
        Command::Program(crate::cli::ProgramCmd::Add(a)) => Some(a.name.clone()),
        Command::Program(crate::cli::ProgramCmd::Remove { name }) => Some(name.clone()),
        _ => None,
    };
    let (target, bare) = fleet.one_target(name.as_deref())?;
    let c = &target.client;
    match (command, bare) {
        (Command::Program(crate::cli::ProgramCmd::Add(mut a)), Some(n)) => {
            a.name = n;
            cmd::program::cmd_program(c, p, g, crate::cli::ProgramCmd::Add(a)).await
        }
        (Command::Program(crate::cli::ProgramCmd::Remove { .. }), Some(n)) => {
            cmd::program::cmd_program(c, p, g, crate::cli::ProgramCmd::Remove { name: n }).await
        }
        (Command::Run(a), _) => cmd::program::cmd_run(c, p, g, &a).await,
        _ => Ok(ExitStatus::Usage),
    }
}
