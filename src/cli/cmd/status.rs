//! `status`, `list-processes` and `pid`.

use super::{parse_state, usage};
use crate::cli::exit::ExitStatus;
use crate::cli::output::Printer;
use crate::supervisor::Client;
use crate::supervisor::host;
use crate::supervisor::ops::status::{StatusFilter, select_status, status};
use anyhow::Result;
use serde::Serialize;

pub async fn cmd_status(
    c: &Client,
    p: Printer,
    names: &[String],
    states: &[String],
    metrics: bool,
    port: Option<u16>,
) -> Result<ExitStatus> {
    let states = states.iter().map(|s| parse_state(s)).collect::<Result<Vec<_>>>()?;
    let filter = StatusFilter { states, group: None };
    let all = c.get_all_process_info().await?;
    let mut names = names.to_vec();
    if let Some(port) = port {
        let Some(found) = host::port_listeners(c, &all, port).await? else {
            return Err(usage(format!("--port: {}", host::NOT_LOCAL)));
        };
        for l in &found.listeners {
            let owner = l.supervised.as_deref().unwrap_or("not supervised");
            eprintln!("port {}: pid {} ({owner}) {}", l.port, l.pid, l.command);
        }
        names = found.supervised;
        if names.is_empty() {
            if found.listeners.is_empty() {
                eprintln!("nothing listens on port {port}");
            }
            return Ok(ExitStatus::Unknown);
        }
    }
    let mut report = select_status(&all, &names, &filter);
    if metrics {
        let pids: Vec<i64> = report.processes.iter().map(|s| s.pid).collect();
        let Some(mut m) = host::process_metrics(c, &pids).await? else {
            return Err(usage(format!("--metrics: {}", host::NOT_LOCAL)));
        };
        report.processes.iter_mut().for_each(|s| s.metrics = m.remove(&s.pid));
    }
    p.status(&report)?;
    Ok(if !report.unknown.is_empty() {
        ExitStatus::Unknown
    } else if report.any_stopped() {
        ExitStatus::NotRunning
    } else {
        ExitStatus::Success
    })
}

pub async fn cmd_pid(c: &Client, p: Printer, names: &[String]) -> Result<ExitStatus> {
    if names.is_empty() {
        let pid = c.get_pid().await?;
        if p.json {
            p.json(&serde_json::json!({ "pid": pid }))?;
        } else {
            p.line(&pid.to_string())?;
        }
        return Ok(ExitStatus::Success);
    }
    let report = status(c, names, &StatusFilter::default()).await?;
    #[derive(Serialize)]
    struct Pid<'a> {
        name: &'a str,
        pid: i64,
    }
    let pids: Vec<Pid> = report
        .processes
        .iter()
        .map(|s| Pid {
            name: &s.name,
            pid: s.pid,
        })
        .collect();
    if p.json {
        p.json(&serde_json::json!({ "processes": pids, "unknown": report.unknown }))?;
    } else {
        for n in &report.unknown {
            eprintln!("{n}: ERROR (no such process)");
        }
        let lines: Vec<String> = pids.iter().map(|x| x.pid.to_string()).collect();
        p.lines(&lines)?;
    }
    Ok(if !report.unknown.is_empty() {
        ExitStatus::Failure
    } else if pids.iter().any(|x| x.pid == 0) {
        ExitStatus::Dead
    } else {
        ExitStatus::Success
    })
}
