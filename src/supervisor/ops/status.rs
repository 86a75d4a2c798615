//! Process status: one `getAllProcessInfo`, filtered by names and states, with the
//! daemon's info, CPU/memory and port listeners when asked.

use super::exits;
use super::info::{DaemonInfo, DaemonSlots};
use super::names::{self, Selection, select};
use crate::supervisor::Client;
use crate::supervisor::client::methods::{GetAllProcessInfo, GetProcessInfo};
use crate::supervisor::client::multicall::{Batch, Replies};
use crate::supervisor::error::Result;
use crate::supervisor::host::{self, Listener};
use crate::supervisor::journal::{self, ProcessHistory};
use crate::supervisor::types::{ProcessInfo, ProcessState, SupervisorState};
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
    /// Its starts and crashes over [`StatusQuery::history`], from the daemon's event
    /// journal, when it has one and the process restarted or failed in the window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<ProcessHistory>,
}

/// What supervisord appends to a spawn error; `logs` and `diagnose` say more.
pub(crate) const LOG_HINT: &str = " (process log may have details)";

impl ProcessStatus {
    /// Why a process that is not running is not, in a few words: supervisord's
    /// description without its [`LOG_HINT`], then `, exit N` when the exit status is
    /// not 0 (`Exited too quickly, exit 3`).
    pub fn why_stopped(&self) -> String {
        let why = self.description.trim_end_matches(LOG_HINT);
        if self.exitstatus != 0 {
            format!("{why}, exit {}", self.exitstatus)
        } else {
            why.to_owned()
        }
    }

    /// Its starts and crashes over `window` in a few words (`14 starts, 14 crashes
    /// in 1 h`), when [`Self::history`] has them.
    pub fn history_brief(&self, window: std::time::Duration) -> Option<String> {
        self.history.as_ref().and_then(|h| h.brief(window))
    }

    /// Supervisord's description, then the history in a few words when there is one
    /// (`pid 12, uptime 0:00:03; 14 starts, 14 crashes in 1 h`).
    pub fn description_and_history(&self) -> String {
        match self.history_brief(HISTORY_WINDOW) {
            Some(h) if self.description.is_empty() => h,
            Some(h) => format!("{}; {h}", self.description),
            None => self.description.clone(),
        }
    }

    /// True when supervisord kept no exit status for it (it exited before
    /// `startsecs`: BACKOFF or FATAL with a spawn error).
    pub fn exit_status_unknown(&self) -> bool {
        exits::status_unknown(self.state, self.exitstatus, &self.spawnerr)
    }
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
            history: None,
        }
    }
}

/// What `status` found.
#[derive(Debug, Clone, Serialize, Default)]
pub struct StatusReport {
    /// The daemon's identity and state, when asked for ([`StatusQuery::daemon`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daemon: Option<DaemonInfo>,
    pub processes: Vec<ProcessStatus>,
    /// Names that matched no process.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
    /// For each unknown name, the closest known one, when one is close.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub did_you_mean: std::collections::BTreeMap<String, String>,
    /// Who listens on the port asked for ([`StatusQuery::port`]), supervised or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listeners: Option<Vec<Listener>>,
    /// True when metrics or a port were asked for but the daemon is not on this host,
    /// so they are missing ([`host::NOT_LOCAL`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub remote: bool,
}

impl StatusReport {
    /// True when a selected process is in a stopped state (STOPPED, EXITED, FATAL,
    /// UNKNOWN): supervisorctl's exit status 3.
    pub fn any_stopped(&self) -> bool {
        self.processes.iter().any(|p| p.state.is_stopped())
    }

    /// True when a port was asked for and no supervised process listens there.
    pub fn port_unsupervised(&self) -> bool {
        self.listeners.is_some() && self.processes.is_empty()
    }

    /// How many processes are in each state, in state order (RUNNING first).
    pub fn counts(&self) -> Vec<(ProcessState, usize)> {
        count_states(&self.processes)
    }
}

/// What `status` is asked for.
#[derive(Debug, Clone, Default)]
pub struct StatusQuery {
    /// Namespecs (`name`, `group:name`, `group:*`, `all`); empty means every process.
    pub names: Vec<String>,
    /// Keep only processes in one of these states (empty: any).
    pub states: Vec<ProcessState>,
    /// Add CPU, memory and children of each process tree (daemon on this host).
    pub metrics: bool,
    /// Only the supervised processes that listen on this TCP port, and every
    /// listener there (daemon on this host).
    pub port: Option<u16>,
    /// Include the daemon's identity and state (one more entry in the same
    /// `system.multicall`).
    pub daemon: bool,
    /// Add each process's starts and crashes over this window (e.g. [`HISTORY_WINDOW`])
    /// when the daemon has an event journal: whether it has one rides in the same
    /// `system.multicall` (`getProcessInfo` of the relay), and only then is the
    /// journal's end read ([`journal::summary`]).
    pub history: Option<std::time::Duration>,
}

/// The window `status` shows history over: the last hour.
pub const HISTORY_WINDOW: std::time::Duration = std::time::Duration::from_secs(3600);

/// How many of `processes` are in each state (none: left out), RUNNING first.
pub fn count_states<'a>(processes: impl IntoIterator<Item = &'a ProcessStatus>) -> Vec<(ProcessState, usize)> {
    let mut n = [0usize; ProcessState::ALL.len()];
    for p in processes {
        if let Some(i) = ProcessState::ALL.iter().position(|s| *s == p.state) {
            n[i] += 1;
        }
    }
    ProcessState::ALL.into_iter().zip(n).filter(|(_, k)| *k > 0).collect()
}

/// Status of the processes `query` selects, with the least daemon work: named
/// processes cost one `getProcessInfo` each, groups and `all` one `getAllProcessInfo`
/// ([`names::lookup`]), the daemon's info riding in the same `system.multicall`;
/// then /proc for ports and metrics when the daemon is on this host. Who listens on a
/// port needs every process (their pids).
pub async fn query(client: &Client, q: &StatusQuery) -> Result<StatusReport> {
    let mut batch = Batch::new();
    let daemon_slots = q.daemon.then(|| DaemonSlots::add(&mut batch));
    let relay = q.history.map(|_| {
        batch.add(GetProcessInfo {
            name: journal::LISTENER.into(),
        })
    });
    let (mut report, mut replies) = match q.port {
        Some(port) => select_by_port(client, batch, port, q).await?,
        None => select_by_names(client, batch, q).await?,
    };
    if let Some(slots) = daemon_slots {
        report.daemon = Some(slots.take(client, &mut replies)?);
    }
    let journal = match relay {
        Some(slot) => replies
            .take_each(slot)?
            .is_ok_and(|p| p.state() == ProcessState::Running),
        None => false,
    };
    fill_logged_exits(client, &mut report).await;
    if let (true, Some(window)) = (journal, q.history) {
        add_history(client, &mut report, window).await;
    }
    if q.metrics {
        add_metrics(client, &mut report).await?;
    }
    Ok(report)
}

/// The supervised processes that listen on `port`, with every listener there (sent
/// with `batch`, one `getAllProcessInfo`). When the daemon is not on this host, the
/// processes `q.names` selects, marked remote.
async fn select_by_port(
    client: &Client,
    mut batch: Batch,
    port: u16,
    q: &StatusQuery,
) -> Result<(StatusReport, Replies)> {
    let every = batch.add(GetAllProcessInfo {});
    let mut replies = client.multicall(batch).await?;
    let all = replies.take(every)?;
    let report = match host::port_listeners(client, &all, port).await? {
        // Nothing supervised listens there: no process (no names mean all).
        Some(owners) if owners.supervised.is_empty() => StatusReport {
            listeners: Some(owners.listeners),
            ..StatusReport::default()
        },
        Some(owners) => StatusReport {
            listeners: Some(owners.listeners),
            ..report(select(&all, &owners.supervised), &q.states)
        },
        None => StatusReport {
            remote: true,
            ..report(select(&all, &q.names), &q.states)
        },
    };
    Ok((report, replies))
}

/// The processes `q.names` selects (every one when empty), sent with `batch`.
async fn select_by_names(client: &Client, batch: Batch, q: &StatusQuery) -> Result<(StatusReport, Replies)> {
    let names = if q.names.is_empty() {
        vec!["all".to_owned()]
    } else {
        q.names.clone()
    };
    let (sel, replies) = names::lookup(client, &names, batch).await?;
    Ok((report(sel, &q.states), replies))
}

/// Exited before `startsecs`: supervisord kept no exit status, but logged it. Fills
/// it in from the daemon's log, when it can be read.
async fn fill_logged_exits(client: &Client, report: &mut StatusReport) {
    if !report.processes.iter().any(ProcessStatus::exit_status_unknown) {
        return;
    }
    let short = |p: &ProcessStatus| p.name.rsplit(':').next().unwrap_or(&p.name).to_owned();
    let names: Vec<(String, i64, i64)> = report
        .processes
        .iter()
        .filter(|p| p.exit_status_unknown())
        .map(|p| (short(p), p.start, p.stop))
        .collect();
    let runs: Vec<(&str, i64, i64)> = names
        .iter()
        .map(|(n, start, stop)| (n.as_str(), *start, *stop))
        .collect();
    let logged = exits::logged_exits_of(client, &runs).await;
    for p in report.processes.iter_mut().filter(|p| p.exit_status_unknown()) {
        if let Some(code) = logged.get(&short(p)).and_then(|e| e.status) {
            p.exitstatus = code;
        }
    }
}

/// Each notable process's history over `window` from the journal. The journal is
/// extra: when it cannot be read, `status` answers without it.
async fn add_history(client: &Client, report: &mut StatusReport, window: std::time::Duration) {
    let Ok(Some(mut summary)) = journal::summary(client, window).await else {
        return;
    };
    for p in &mut report.processes {
        p.history = summary.processes.remove(&p.name).filter(ProcessHistory::is_notable);
    }
}

/// CPU, memory and children of each process tree from /proc; marks the report
/// remote when the daemon is not on this host.
async fn add_metrics(client: &Client, report: &mut StatusReport) -> Result<()> {
    let pids: Vec<i64> = report.processes.iter().map(|s| s.pid).collect();
    match host::process_metrics(client, &pids).await? {
        Some(mut m) => report.processes.iter_mut().for_each(|s| s.metrics = m.remove(&s.pid)),
        None => report.remote = true,
    }
    Ok(())
}

/// The report of a selection, kept to `states` (empty: any).
fn report(sel: Selection, states: &[ProcessState]) -> StatusReport {
    StatusReport {
        processes: sel
            .processes
            .iter()
            .filter(|p| states.is_empty() || states.contains(&p.state()))
            .map(ProcessStatus::from)
            .collect(),
        did_you_mean: sel.suggestions.into_iter().collect(),
        unknown: sel.unknown,
        ..StatusReport::default()
    }
}

/// Status of the named processes (every one when `names` is empty), with the least
/// daemon work ([`names::lookup`]).
pub async fn status(client: &Client, names: &[String]) -> Result<StatusReport> {
    let names = if names.is_empty() {
        vec!["all".to_owned()]
    } else {
        names.to_vec()
    };
    let (sel, _) = names::lookup(client, &names, Batch::new()).await?;
    Ok(report(sel, &[]))
}

/// What is wrong on one daemon: its own state when not RUNNING, and its processes
/// that are FATAL, BACKOFF, UNKNOWN, or EXITED with a non-zero status. Empty when all
/// is well.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Health {
    /// The daemon's state, when not RUNNING.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daemon: Option<SupervisorState>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unhealthy: Vec<Unhealthy>,
}

impl Health {
    pub fn is_healthy(&self) -> bool {
        self.daemon.is_none() && self.unhealthy.is_empty()
    }
}

/// A process that is not well.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Unhealthy {
    /// Full namespec.
    pub name: String,
    pub state: ProcessState,
    /// Why: the spawn error, or the exit status.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub info: String,
}

/// True for a process that is not well: FATAL, BACKOFF, UNKNOWN, or EXITED with a
/// non-zero status (STOPPED is a choice, not a fault).
pub fn is_unhealthy(p: &ProcessStatus) -> bool {
    match p.state {
        ProcessState::Fatal | ProcessState::Backoff | ProcessState::Unknown => true,
        ProcessState::Exited => p.exitstatus != 0,
        _ => false,
    }
}

/// What is wrong on the daemon, in one `system.multicall` (its state and every
/// process).
pub async fn health(client: &Client) -> Result<Health> {
    let q = StatusQuery {
        daemon: true,
        ..StatusQuery::default()
    };
    let report = query(client, &q).await?;
    let state = report.daemon.map(|d| d.state).unwrap_or_default();
    Ok(Health {
        daemon: (state != SupervisorState::Running).then_some(state),
        unhealthy: report
            .processes
            .iter()
            .filter(|p| is_unhealthy(p))
            .map(|p| Unhealthy {
                name: p.name.clone(),
                state: p.state,
                info: match p.state {
                    ProcessState::Exited => format!("exit {}", p.exitstatus),
                    _ => p.why_stopped(),
                },
            })
            .collect(),
    })
}
