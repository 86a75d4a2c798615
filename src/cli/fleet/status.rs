//! `status`, `status --unhealthy`, `targets [check]`, `info`/`version`, `pid` and
//! `avail` across targets: rendering of their reports.

use super::{envelope, failed_lines, json, or_failed, target_table, typed, unless_failed};
use crate::cli::exit::ExitStatus;
use crate::cli::output::Printer;
use crate::fleet::exec::{Output, Pids, Report, Version};
use crate::fleet::{Fleet, TargetOutcome};
use crate::supervisor::ProcessState;
use crate::supervisor::ops::info::DaemonInfo;
use crate::supervisor::ops::status::{Health, ProcessStatus, StatusReport, count_states};
use crate::supervisor::ops::update::Available;
use crate::supervisor::text::shown;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;

/// How many processes the reports hold, and how many in each state (RUNNING first).
fn process_counts(reports: &[&StatusReport]) -> (usize, Vec<(ProcessState, usize)>) {
    let counts = count_states(reports.iter().flat_map(|r| &r.processes));
    (counts.iter().map(|(_, n)| n).sum(), counts)
}

/// `389 processes: 380 RUNNING, 2 FATAL`.
fn counts_text(total: usize, counts: &[(ProcessState, usize)]) -> String {
    let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    format!("{total} processes: {}", parts.join(", "))
}

/// `status` on each target, one table with a TARGET column, then the summary and
/// the counts by state. Exit status as on one daemon: 4 when a target failed or a
/// name is unknown on a target, else 3 when a process is stopped (or, `--port`, no
/// supervised process listens there).
pub fn status(p: Printer, report: &Report) -> Result<ExitStatus> {
    let outcomes = typed(report, |o| match o {
        Output::Status(r) => Some(r),
        _ => None,
    });
    let reports: Vec<&StatusReport> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok().copied())
        .collect();
    let (total, counts) = process_counts(&reports);
    if p.json {
        let counts: BTreeMap<&str, usize> = counts.iter().map(|(s, n)| (s.name(), *n)).collect();
        let extra = serde_json::json!({ "processes": total, "counts": counts });
        p.json(&envelope(&report.outcomes, extra))?;
    } else {
        print_status(p, &outcomes)?;
        p.line(&format!("{} · {}", report.summary.line(), counts_text(total, &counts)))?;
    }
    let unknown = reports.iter().any(|r| !r.unknown.is_empty());
    let stopped = reports.iter().any(|r| r.any_stopped() || r.port_unsupervised());
    Ok(unless_failed(
        &outcomes,
        if unknown {
            ExitStatus::Unknown
        } else if stopped {
            ExitStatus::NotRunning
        } else {
            ExitStatus::Success
        },
    ))
}

/// The processes of every target as one table (a failed target as one row with its
/// error), and on stderr each name a target did not know.
fn print_status(p: Printer, outcomes: &[TargetOutcome<&StatusReport>]) -> Result<()> {
    target_table(p, &["TARGET", "NAME", "STATE", "DESCRIPTION"], 2, outcomes, |t, r| {
        r.processes.iter().map(|s| row(t, s)).collect()
    })?;
    for o in outcomes {
        if let Ok(r) = &o.result {
            unknown_names(&o.target, &r.unknown, &r.did_you_mean);
        }
    }
    Ok(())
}

/// `target/name: ERROR (BAD_NAME) no such process; did you mean ...` on stderr, for
/// each name a target did not know (as on one daemon).
fn unknown_names(target: &str, unknown: &[String], did_you_mean: &BTreeMap<String, String>) {
    let report = StatusReport {
        unknown: unknown.iter().map(|n| format!("{target}/{n}")).collect(),
        did_you_mean: did_you_mean
            .iter()
            .map(|(n, s)| (format!("{target}/{n}"), s.clone()))
            .collect(),
        ..StatusReport::default()
    };
    Printer { json: false }.unknown(&report);
}

fn row(target: &str, s: &ProcessStatus) -> Vec<String> {
    vec![
        target.to_owned(),
        s.name.clone(),
        s.state.name().to_owned(),
        s.description_and_history(),
    ]
}

/// Only what is wrong across the targets; 3 when something is.
pub fn unhealthy(p: Printer, report: &Report) -> Result<ExitStatus> {
    let outcomes: Vec<TargetOutcome<Health>> = typed(report, |o| match o {
        Output::Health(h) => Some(h),
        _ => None,
    })
    .into_iter()
    .map(|o| TargetOutcome {
        target: o.target,
        elapsed: o.elapsed,
        result: o.result.cloned(),
    })
    .collect();
    let sick = outcomes
        .iter()
        .any(|o| o.result.as_ref().is_ok_and(|h| !h.is_healthy()));
    if p.json {
        json(p, report)?;
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

/// `targets`: every target of the file (`*` after the selected ones), from the
/// file alone.
pub fn list_targets(fleet: &Fleet, p: Printer) -> Result<ExitStatus> {
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

/// `targets check`: each selected target's version and round trip, or its error.
pub fn check_targets(p: Printer, report: &Report) -> Result<ExitStatus> {
    let outcomes = typed(report, |o| match o {
        Output::Version(v) => Some(v),
        _ => None,
    });
    if p.json {
        json(p, report)?;
    } else {
        let header = ["TARGET", "CHECK", "VERSION", "ROUND TRIP / ERROR"];
        target_table(p, &header, 1, &outcomes, |t, c: &&Version| {
            vec![vec![
                t.to_owned(),
                "ok".into(),
                c.version.clone(),
                format!("{:.1} ms", c.rtt_ms),
            ]]
        })?;
        p.line(&report.summary.line())?;
    }
    Ok(or_failed(&outcomes, ExitStatus::Success))
}

pub fn info(p: Printer, report: &Report) -> Result<ExitStatus> {
    let outcomes = typed(report, |o| match o {
        Output::Info(i) => Some(i),
        _ => None,
    });
    if p.json {
        json(p, report)?;
    } else {
        target_table(p, &["TARGET", "STATE", "VERSION", "SERVER"], 1, &outcomes, |t, i| {
            vec![info_row(t, i)]
        })?;
        p.line(&report.summary.line())?;
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

/// Pids, `target pid` or `target/name pid`; names a target did not know on stderr.
/// Exit status as on one daemon: 1 for an unknown name (or a failed target), else
/// 7 when a process is not running.
pub fn pid(p: Printer, report: &Report) -> Result<ExitStatus> {
    let outcomes = typed(report, |o| match o {
        Output::Pids(x) => Some(x),
        _ => None,
    });
    if p.json {
        json(p, report)?;
    } else {
        let mut lines = Vec::new();
        for o in &outcomes {
            if let Ok(pids) = &o.result {
                unknown_names(&o.target, &pids.unknown, &pids.did_you_mean);
                lines.extend(pids.pids.iter().map(|(name, pid)| pid_line(&o.target, name, *pid)));
            }
        }
        lines.extend(failed_lines(&outcomes));
        p.lines(&lines)?;
    }
    let ok = || outcomes.iter().filter_map(|o| o.result.as_ref().ok());
    let unknown = ok().any(|x: &&Pids| !x.unknown.is_empty());
    let dead = ok().any(|x| x.pids.iter().any(|(_, pid)| *pid == 0));
    Ok(or_failed(
        &outcomes,
        if unknown {
            ExitStatus::Failure
        } else if dead {
            ExitStatus::Dead
        } else {
            ExitStatus::Success
        },
    ))
}

fn pid_line(target: &str, name: &str, pid: i64) -> String {
    if name.is_empty() {
        format!("{target} {pid}")
    } else {
        format!("{target}/{} {pid}", shown(name))
    }
}

pub fn avail(p: Printer, report: &Report) -> Result<ExitStatus> {
    let outcomes = typed(report, |o| match o {
        Output::Avail(a) => Some(a),
        _ => None,
    });
    if p.json {
        json(p, report)?;
    } else {
        target_table(p, &["TARGET", "NAME", "IN USE", "START"], 2, &outcomes, |t, list| {
            list.iter().map(|a| avail_row(t, a)).collect()
        })?;
        p.line(&report.summary.line())?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::ProcessInfo;

    fn report(states: &[i64]) -> StatusReport {
        let processes = states
            .iter()
            .map(|&state| {
                ProcessStatus::from(&ProcessInfo {
                    state,
                    ..Default::default()
                })
            })
            .collect();
        StatusReport {
            processes,
            ..Default::default()
        }
    }

    #[test]
    fn the_summary_counts_every_targets_processes_by_state_running_first() {
        // FATAL 200, RUNNING 20, STOPPED 0, BACKOFF 30, an unknown code.
        let (a, b) = (report(&[200, 20, 20]), report(&[0, 20, 30, 7]));
        let (total, counts) = process_counts(&[&a, &b]);
        assert_eq!(total, 7);
        assert_eq!(
            counts_text(total, &counts),
            "7 processes: 3 RUNNING, 1 BACKOFF, 1 STOPPED, 1 FATAL, 1 UNKNOWN"
        );
        assert_eq!(process_counts(&[]), (0, Vec::new()));
    }
}
