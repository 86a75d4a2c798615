//! `status`, `list-processes` and `pid`.

use super::usage;
use crate::cli::exit::ExitStatus;
use crate::cli::output::Printer;
use crate::supervisor::host;
use crate::supervisor::ops::status::{self, StatusQuery};
use crate::supervisor::{Client, ProcessState};
use anyhow::Result;
use serde::Serialize;

pub async fn cmd_status(
    c: &Client,
    p: Printer,
    names: &[String],
    states: &[ProcessState],
    metrics: bool,
    port: Option<u16>,
) -> Result<ExitStatus> {
    let query = StatusQuery {
        names: names.to_vec(),
        states: states.to_vec(),
        metrics,
        port,
        daemon: false,
        history: Some(status::HISTORY_WINDOW),
    };
    let report = status::query(c, &query).await?;
    if report.remote {
        let what = if port.is_some() { "--port" } else { "--metrics" };
        return Err(usage(format!("{what}: {}", host::NOT_LOCAL)));
    }
    p.status(&report)?;
    Ok(if !report.unknown.is_empty() {
        ExitStatus::Unknown
    } else if report.any_stopped() || report.port_unsupervised() {
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
    let report = status::status(c, names).await?;
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
        p.json(
            &serde_json::json!({ "processes": pids, "unknown": report.unknown, "did_you_mean": report.did_you_mean }),
        )?;
    } else {
        p.unknown(&report);
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
