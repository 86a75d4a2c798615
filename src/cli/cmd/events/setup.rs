//! `events install|uninstall|status`, on each selected target.

use super::Ctx;
use crate::cli::InstallArgs;
use crate::cli::exit::ExitStatus;
use crate::fleet::TargetOutcome;
use crate::fleet::report::envelope;
use crate::supervisor::journal::install::{self, Installed, JournalStatus, SectionOptions, Uninstalled};
use anyhow::Result;
use serde::Serialize;
use std::time::Duration;

/// Extra time an install may take past a target's deadline (applying, the relay's start).
const CHANGE_TIME: Duration = Duration::from_secs(60);

/// `events install`: on each target (a change: the selection must be explicit for
/// more than one).
pub(super) async fn install(ctx: &Ctx, a: &InstallArgs) -> Result<ExitStatus> {
    let opts = SectionOptions {
        bin: a.bin.clone(),
        journal_file: a.journal_file.clone(),
        max_bytes: a.max_bytes.clone(),
        backups: a.backups,
        print_only: a.print,
    };
    let planned = if a.print {
        ctx.fleet.selected()?
    } else {
        ctx.fleet.for_change()?
    };
    let planned: Vec<_> = planned.into_iter().map(|t| (t, ())).collect();
    let dir = ctx.include_dir.clone();
    let outcomes = ctx
        .each(planned, CHANGE_TIME, |t, ()| {
            let (opts, dir) = (opts.clone(), dir.clone());
            async move { install::install(&t.client, dir.as_deref(), &opts).await }
        })
        .await?;
    render(ctx, &outcomes, |target, i: &Installed| {
        let mut out = Vec::new();
        let at = if ctx.many { format!("{target}: ") } else { String::new() };
        match &i.file {
            Some(f) => out.push(format!(
                "{at}journal {}: {f}; events go to {}",
                i.action, i.journal_file
            )),
            None => {
                out.push(format!(
                    "{at}add this section to the daemon's configuration (a file its [include] reads), then \
                     `supervisord-mcp update`:"
                ));
                out.extend(i.section.lines().map(str::to_owned));
            }
        }
        out
    })?;
    ctx.finish(&outcomes, ExitStatus::Success)
}

/// `events uninstall`.
pub(super) async fn uninstall(ctx: &Ctx) -> Result<ExitStatus> {
    let planned: Vec<_> = ctx.fleet.for_change()?.into_iter().map(|t| (t, ())).collect();
    let dir = ctx.include_dir.clone();
    let outcomes = ctx
        .each(planned, CHANGE_TIME, |t, ()| {
            let dir = dir.clone();
            async move { install::uninstall(&t.client, dir.as_deref()).await }
        })
        .await?;
    render(ctx, &outcomes, |target, u: &Uninstalled| {
        let at = if ctx.many { format!("{target}: ") } else { String::new() };
        vec![match u.action.as_str() {
            "removed" => format!("{at}journal removed: {} (the journal files stay)", u.file),
            _ => format!("{at}no journal installed ({} is absent)", u.file),
        }]
    })?;
    ctx.finish(&outcomes, ExitStatus::Success)
}

/// `events status`: exit 3 when a target has no journal.
pub(super) async fn status(ctx: &Ctx) -> Result<ExitStatus> {
    let planned: Vec<_> = ctx.fleet.selected()?.into_iter().map(|t| (t, ())).collect();
    let outcomes = ctx
        .each(planned, Duration::ZERO, |t, ()| async move {
            install::status(&t.client).await
        })
        .await?;
    render(ctx, &outcomes, |target, s: &Option<JournalStatus>| {
        let at = if ctx.many { format!("{target}: ") } else { String::new() };
        vec![match s {
            None => format!("{at}no journal (install one with `supervisord-mcp events install`)"),
            Some(s) => format!(
                "{at}journal {}: {}, {} bytes{}, events from {} to {}",
                s.state,
                s.file,
                s.size_bytes,
                if s.rotated > 0 {
                    format!(" in {} files", s.rotated + 1)
                } else {
                    String::new()
                },
                s.first.as_deref().unwrap_or("-"),
                s.last.as_deref().unwrap_or("-"),
            ),
        }]
    })?;
    let missing = outcomes.iter().any(|o| matches!(o.result, Ok(None)));
    ctx.finish(
        &outcomes,
        if missing {
            ExitStatus::NotRunning
        } else {
            ExitStatus::Success
        },
    )
}

/// Prints each target's result (`--json`: the result for one daemon, the fleet's
/// envelope for many).
fn render<T: Serialize>(
    ctx: &Ctx,
    outcomes: &[TargetOutcome<T>],
    lines: impl Fn(&str, &T) -> Vec<String>,
) -> Result<()> {
    if ctx.p.json {
        match (ctx.many, outcomes.first().map(|o| &o.result)) {
            (false, Some(Ok(v))) => ctx.p.json(v)?,
            _ => ctx.p.json(&envelope(outcomes, serde_json::json!({})))?,
        }
        return Ok(());
    }
    for o in outcomes {
        if let Ok(v) = &o.result {
            ctx.p.lines(&lines(&o.target, v))?;
        }
    }
    Ok(())
}
