//! Configuration: `reread`, `update`, `reload`, `avail`, `add` and `remove`.

use crate::cli::exit::ExitStatus;
use crate::cli::output::Printer;
use crate::supervisor::Client;
use crate::supervisor::ops::update;
use crate::supervisor::text::shown;
use anyhow::Result;
use serde::Serialize;

pub async fn cmd_update(c: &Client, p: Printer, groups: &[String], dry_run: bool) -> Result<ExitStatus> {
    let report = update::update(c, groups, dry_run, update::STOP_TIMEOUT).await?;
    if p.json {
        p.json(&report)?;
    } else if report.changes.is_empty() {
        p.line("No config updates to processes")?;
    } else {
        let lines: Vec<String> = report
            .changes
            .iter()
            .map(|ch| match (&ch.error, dry_run) {
                (Some(e), _) => format!("{}: {} — ERROR {}", shown(&ch.group), ch.change, shown(e)),
                (None, true) => format!("{}: {} (dry run: not applied)", shown(&ch.group), ch.change),
                (None, false) => format!(
                    "{}: {}",
                    shown(&ch.group),
                    match ch.change {
                        update::Change::Added => "added process group",
                        update::Change::Changed => "updated process group",
                        update::Change::Removed => "removed process group",
                    }
                ),
            })
            .collect();
        p.lines(&lines)?;
    }
    Ok(if report.all_applied() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn group_results(p: Printer, r: &[update::GroupResult]) -> Result<ExitStatus> {
    if p.json {
        p.json(&serde_json::json!({ "results": r }))?;
    } else {
        let lines: Vec<String> = r
            .iter()
            .map(|g| match &g.error {
                Some(e) => format!("{}: ERROR {}", shown(&g.group), shown(e)),
                None => format!("{}: {}", shown(&g.group), g.outcome.describe()),
            })
            .collect();
        p.lines(&lines)?;
    }
    Ok(if r.iter().any(|g| g.error.is_some()) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

pub async fn cmd_reread(c: &Client, p: Printer) -> Result<ExitStatus> {
    let diff = update::reread(c).await?;
    if p.json {
        p.json(&diff)?;
    } else if diff.is_empty() {
        p.line("No config updates to processes")?;
    } else {
        let mut lines = Vec::new();
        lines.extend(diff.added.iter().map(|g| format!("{}: available", shown(g))));
        lines.extend(diff.changed.iter().map(|g| format!("{}: changed", shown(g))));
        lines.extend(diff.removed.iter().map(|g| format!("{}: disappeared", shown(g))));
        p.lines(&lines)?;
    }
    Ok(ExitStatus::Success)
}

pub async fn cmd_avail(c: &Client, p: Printer) -> Result<ExitStatus> {
    let a = update::avail(c).await?;
    if p.json {
        #[derive(Serialize)]
        struct Avail<'a> {
            processes: &'a [update::Available],
        }
        p.json(&Avail { processes: &a })?;
    } else {
        let rows = a
            .iter()
            .map(|x| {
                vec![
                    x.name.clone(),
                    if x.in_use { "in use" } else { "avail" }.to_owned(),
                    if x.autostart { "auto" } else { "manual" }.to_owned(),
                    format!("{}:{}", x.group_prio, x.process_prio),
                ]
            })
            .collect();
        p.table(&["NAME", "IN USE", "START", "PRIORITY"], rows)?;
    }
    Ok(ExitStatus::Success)
}

pub async fn cmd_add(c: &Client, p: Printer, groups: &[String]) -> Result<ExitStatus> {
    group_results(p, &update::add_groups(c, groups).await?)
}

pub async fn cmd_remove(c: &Client, p: Printer, groups: &[String]) -> Result<ExitStatus> {
    group_results(p, &update::remove_groups(c, groups).await?)
}
