//! Process status: one `getAllProcessInfo`, filtered by names, states and groups.

use super::names::select;
use crate::supervisor::Client;
use crate::supervisor::error::Result;
use crate::supervisor::types::{ProcessInfo, ProcessState};
use serde::Serialize;

/// One process as the front ends show it. `name` is the full namespec.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProcessStatus {
    /// Full namespec (`name` or `group:name`), usable in every command.
    pub name: String,
    pub group: String,
    pub state: ProcessState,
    /// 0 when not running.
    pub pid: i64,
    /// Seconds since start, when RUNNING.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uptime_secs: Option<i64>,
    /// Supervisord's description (`pid 1, uptime 0:01:02`, the stop time, the spawn error).
    pub description: String,
    /// The last exit status (0 while running).
    pub exitstatus: i64,
    /// Why the last spawn failed, when it did.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub spawnerr: String,
    /// Start and stop times, epoch seconds (0 = never).
    pub start: i64,
    pub stop: i64,
    pub stdout_logfile: String,
    pub stderr_logfile: String,
    /// CPU, memory and children of its process tree, when asked for (local daemon).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<crate::supervisor::host::Metrics>,
}

impl From<&ProcessInfo> for ProcessStatus {
    fn from(p: &ProcessInfo) -> Self {
        ProcessStatus {
            name: p.namespec(),
            group: p.group.clone(),
            state: p.state(),
            pid: p.pid,
            uptime_secs: p.uptime_secs(),
            description: p.description.clone(),
            exitstatus: p.exitstatus,
            spawnerr: p.spawnerr.clone(),
            start: p.start,
            stop: p.stop,
            stdout_logfile: p.stdout_logfile.clone(),
            stderr_logfile: p.stderr_logfile.clone(),
            metrics: None,
        }
    }
}

/// What `status` found.
#[derive(Debug, Clone, Serialize, Default)]
pub struct StatusReport {
    pub processes: Vec<ProcessStatus>,
    /// Names that matched no process.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
}

impl StatusReport {
    /// True when a selected process is in a stopped state (STOPPED, EXITED, FATAL,
    /// UNKNOWN): supervisorctl's exit status 3.
    pub fn any_stopped(&self) -> bool {
        self.processes.iter().any(|p| p.state.is_stopped())
    }

    /// How many processes are in each state, in state order (RUNNING first).
    pub fn counts(&self) -> Vec<(ProcessState, usize)> {
        use ProcessState::*;
        [Running, Starting, Backoff, Stopping, Stopped, Exited, Fatal, Unknown]
            .into_iter()
            .map(|s| (s, self.processes.iter().filter(|p| p.state == s).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// Filters for [`status`].
#[derive(Debug, Clone, Default)]
pub struct StatusFilter {
    /// Keep only processes in one of these states (empty: any).
    pub states: Vec<ProcessState>,
    /// Keep only processes of this group.
    pub group: Option<String>,
}

/// Status of the named processes (all when `names` is empty), from one
/// `getAllProcessInfo` call.
pub async fn status(client: &Client, names: &[String], filter: &StatusFilter) -> Result<StatusReport> {
    let all = client.get_all_process_info().await?;
    Ok(select_status(&all, names, filter))
}

/// The status report for `names` and `filter`, out of every process's info.
pub fn select_status(all: &[ProcessInfo], names: &[String], filter: &StatusFilter) -> StatusReport {
    // Reading only: no names means every process (selection itself never does).
    let sel = if names.is_empty() {
        select(all, &["all".to_owned()])
    } else {
        select(all, names)
    };
    let processes = sel
        .processes
        .iter()
        .filter(|p| filter.states.is_empty() || filter.states.contains(&p.state()))
        .filter(|p| filter.group.as_ref().is_none_or(|g| &p.group == g))
        .map(ProcessStatus::from)
        .collect();
    StatusReport {
        processes,
        unknown: sel.unknown,
    }
}
