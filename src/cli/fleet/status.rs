//! `status`, `status --unhealthy`, `targets [check]`, `info`/`version`, `pid` and
//! `avail` across targets.

use super::{each, envelope, every, failed_lines, or_failed, target_table, unless_failed};
use crate::cli::exit::ExitStatus;
use crate::cli::output::Printer;
use crate::fleet::{Fleet, Outcome, Summary};
use crate::supervisor::ProcessState;
use crate::supervisor::ops::info::{self, DaemonInfo};
use crate::supervisor::ops::status::{self, ProcessStatus, StatusQuery, StatusReport};
use crate::supervisor::ops::update::{self, Available};
use crate::supervisor::text::shown;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How many processes the reports hold, and how many in each state (RUNNING first).
fn process_counts(reports: &[&StatusReport]) -> (usize, Vec<(ProcessState, usize)>) {
    let mut merged = StatusReport::default();
    for r in reports {
        merged.processes.extend(r.processes.iter().cloned());
    }
    (merged.processes.len(), merged.counts())
}

/// `389 processes: 380 RUNNING, 2 FATAL`.
fn counts_text(total: usize, counts: &[(ProcessState, usize)]) -> String {
    let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    format!("{total} processes: {}", parts.join(", "))
}

/// `status` on each target (its names, or every process), one table with a TARGET
/// column, then the summary and the counts by state. Exit status as supervisorctl's
/// (3 when a process is stopped or a name unknown), 4 when a target failed.
pub async fn status(
    fleet: &Fleet,
    p: Printer,
    names: &[String],
    states: &[ProcessState],
    metrics: bool,
    port: Option<u16>,
) -> Result<ExitStatus> {
    let planned = if names.is_empty() {
        every(fleet)?
    } else {
        fleet.plan(names, false)?
    };
    let states = states.to_vec();
    let outcomes = each(fleet, planned, Duration::ZERO, |t, names| {
        let q = StatusQuery {
            names,
            states: states.clone(),
            metrics,
            port,
            daemon: false,
        };
        async move { status::query(&t.client, &q).await }
    })
    .await;
    let reports: Vec<&StatusReport> = outcomes.iter().filter_map(|o| o.result.as_ref().ok()).collect();
    let (total, counts) = process_counts(&reports);
    if p.json {
        let counts: BTreeMap<&str, usize> = counts.iter().map(|(s, n)| (s.name(), *n)).collect();
        let extra = serde_json::json!({ "processes": total, "counts": counts });
        p.json(&envelope(&outcomes, extra))?;
    } else {
        print_status(p, &outcomes)?;
        p.line(&format!(
            "{} · {}",
            Summary::of(&outcomes).line(),
            counts_text(total, &counts)
        ))?;
    }
    let stopped = reports.iter().any(|r| r.any_stopped() || !r.unknown.is_empty());
    Ok(unless_failed(
        &outcomes,
        if stopped {
            ExitStatus::NotRunning
        } else {
            ExitStatus::Success
        },
    ))
}

/// The processes of every target as one table (a failed target as one row with its
/// error), and on stderr each name a target did not know.
fn print_status(p: Printer, outcomes: &[Outcome<StatusReport>]) -> Result<()> {
    target_table(p, &["TARGET", "NAME", "STATE", "DESCRIPTION"], 2, outcomes, |t, r| {
        r.processes.iter().map(|s| row(t, s)).collect()
    })?;
    for o in outcomes {
        if let Ok(r) = &o.result {
            for n in &r.unknown {
                crate::cli::output::warn(&format!("{}/{}: ERROR (BAD_NAME) no such process", o.target, shown(n)));
            }
        }
    }
    Ok(())
}

fn row(target: &str, s: &ProcessStatus) -> Vec<String> {
    vec![
        target.to_owned(),
        s.name.clone(),
        s.state.name().to_owned(),
        s.description.clone(),
    ]
}

pub async fn unhealthy(fleet: &Fleet, p: Printer) -> Result<ExitStatus> {
    let outcomes = each(fleet, every(fleet)?, Duration::ZERO, |t, _| async move {
        status::health(&t.client).await
    })
    .await;
    let sick = outcomes
        .iter()
        .any(|o| o.result.as_ref().is_ok_and(|h| !h.is_healthy()));
    if p.json {
        p.json(&envelope(&outcomes, serde_json::json!({})))?;
    } else {
        p.lines(&crate::fleet::report::health_lines(&outcomes))?;
    }
    Ok(unless_failed(
        &outcomes,
        if sick {
            ExitStatus::NotRunning
        } else {
            ExitStatus::Success
        },
    ))
}

/// One target, as `targets` lists it.
#[derive(Serialize)]
struct TargetRow<'a> {
    target: &'a str,
    url: &'a str,
    tags: &'a [String],
    auth: &'a str,
    read_only: bool,
    selected: bool,
}

/// What `targets check` learns of a target.
#[derive(Serialize)]
struct Check {
    version: String,
    rtt_ms: f64,
}

/// `targets`: the targets of the file, the selected ones marked; with `check`, each
/// selected target asked for its version, with the round trip time.
pub async fn targets(fleet: &Fleet, p: Printer, check: bool) -> Result<ExitStatus> {
    if check {
        check_targets(fleet, p).await
    } else {
        list_targets(fleet, p)
    }
}

/// Every target of the file (`*` after the selected ones), from the file alone.
fn list_targets(fleet: &Fleet, p: Printer) -> Result<ExitStatus> {
    let selected: Vec<String> = fleet.selected()?.into_iter().map(|t| t.name).collect();
    let rows: Vec<TargetRow> = fleet
        .targets
        .iter()
        .map(|t| TargetRow {
            target: &t.name,
            url: &t.url,
            tags: &t.tags,
            auth: t.auth,
            read_only: t.read_only,
            selected: selected.contains(&t.name),
        })
        .collect();
    if p.json {
        p.json(&serde_json::json!({ "targets": rows }))?;
    } else {
        let table = rows
            .iter()
            .map(|r| {
                let mark = if r.selected { "*" } else { "" };
                vec![
                    format!("{}{mark}", r.target),
                    r.url.to_owned(),
                    r.tags.join(","),
                    r.auth.to_owned(),
                    if r.read_only { "read-only" } else { "" }.to_owned(),
                ]
            })
            .collect();
        p.table(&["TARGET", "URL", "TAGS", "AUTH", ""], table)?;
    }
    Ok(ExitStatus::Success)
}

/// `targets check`: `getSupervisorVersion` on each selected target, timed.
async fn check_targets(fleet: &Fleet, p: Printer) -> Result<ExitStatus> {
    let outcomes = each(fleet, every(fleet)?, Duration::ZERO, |t, _| async move {
        let started = Instant::now();
        let version = t.client.get_supervisor_version().await?;
        Ok(Check {
            version,
            rtt_ms: (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0,
        })
    })
    .await;
    if p.json {
        p.json(&envelope(&outcomes, serde_json::json!({})))?;
    } else {
        let header = ["TARGET", "CHECK", "VERSION", "ROUND TRIP / ERROR"];
        target_table(p, &header, 1, &outcomes, |t, c| {
            vec![vec![
                t.to_owned(),
                "ok".into(),
                c.version.clone(),
                format!("{:.1} ms", c.rtt_ms),
            ]]
        })?;
        p.line(&Summary::of(&outcomes).line())?;
    }
    Ok(or_failed(&outcomes, ExitStatus::Success))
}

pub async fn info(fleet: &Fleet, p: Printer) -> Result<ExitStatus> {
    let outcomes = each(fleet, every(fleet)?, Duration::ZERO, |t, _| async move {
        info::info(&t.client).await
    })
    .await;
    if p.json {
        p.json(&envelope(&outcomes, serde_json::json!({})))?;
    } else {
        target_table(p, &["TARGET", "STATE", "VERSION", "SERVER"], 1, &outcomes, |t, i| {
            vec![info_row(t, i)]
        })?;
        p.line(&Summary::of(&outcomes).line())?;
    }
    Ok(unless_failed(&outcomes, ExitStatus::Success))
}

fn info_row(target: &str, i: &DaemonInfo) -> Vec<String> {
    vec![
        target.to_owned(),
        i.state.to_string(),
        i.supervisor_version.clone(),
        format!("{} (pid {})", i.server_url, i.pid),
    ]
}

pub async fn pid(fleet: &Fleet, p: Printer, names: &[String]) -> Result<ExitStatus> {
    let planned = if names.is_empty() {
        every(fleet)?
    } else {
        fleet.plan(names, false)?
    };
    let whole = names.is_empty();
    let outcomes = each(fleet, planned, Duration::ZERO, |t, names| async move {
        if whole {
            let pid = t.client.get_pid().await?;
            return Ok(vec![(String::new(), pid)]);
        }
        let r = status::status(&t.client, &names).await?;
        Ok(r.processes.iter().map(|s| (s.name.clone(), s.pid)).collect::<Vec<_>>())
    })
    .await;
    if p.json {
        p.json(&envelope(&outcomes, serde_json::json!({})))?;
    } else {
        let mut lines = Vec::new();
        for o in &outcomes {
            if let Ok(pids) = &o.result {
                for (name, pid) in pids {
                    let who = if name.is_empty() {
                        o.target.clone()
                    } else {
                        format!("{}/{}", o.target, shown(name))
                    };
                    lines.push(format!("{who} {pid}"));
                }
            }
        }
        lines.extend(failed_lines(&outcomes));
        p.lines(&lines)?;
    }
    let dead = outcomes
        .iter()
        .any(|o| o.result.as_ref().is_ok_and(|v| v.iter().any(|(_, pid)| *pid == 0)));
    Ok(or_failed(
        &outcomes,
        if dead { ExitStatus::Dead } else { ExitStatus::Success },
    ))
}

pub async fn avail(fleet: &Fleet, p: Printer) -> Result<ExitStatus> {
    let outcomes = each(fleet, every(fleet)?, Duration::ZERO, |t, _| async move {
        update::avail(&t.client).await
    })
    .await;
    if p.json {
        p.json(&envelope(&outcomes, serde_json::json!({})))?;
    } else {
        target_table(p, &["TARGET", "NAME", "IN USE", "START"], 2, &outcomes, |t, list| {
            list.iter().map(|a| avail_row(t, a)).collect()
        })?;
        p.line(&Summary::of(&outcomes).line())?;
    }
    Ok(or_failed(&outcomes, ExitStatus::Success))
}

fn avail_row(target: &str, a: &Available) -> Vec<String> {
    vec![
        target.to_owned(),
        a.name.clone(),
        if a.in_use { "in use" } else { "avail" }.to_owned(),
        if a.autostart { "auto" } else { "manual" }.to_owned(),
    ]
}
