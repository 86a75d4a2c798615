//! `status`: the daemon's state and version, and its processes (filters, paging,
//! CPU/memory, who listens on a port).

use super::{Cx, Planned, ToolDef, reads};
use crate::fleet::exec::{Call, Op, Output};
use crate::mcp::answer::Answer;
use crate::mcp::render;
use crate::supervisor::ProcessState;
use crate::supervisor::bounds::Count;
use crate::supervisor::host;
use crate::supervisor::ops::status::HISTORY_WINDOW;
use crate::supervisor::ops::status::{self, ProcessStatus, StatusQuery, StatusReport};
use rmcp::ErrorData as McpError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default page of `status`.
const DEFAULT_LIMIT: usize = 100;

/// The tool: its name, description, schemas and annotations, its operation and rendering.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<StatusArgs, StatusOut>(
        "status",
        "supervisord and its processes: state, pid, uptime, why stopped; CPU/memory; port owners. Filters, paging.",
        reads(),
        plan,
        render,
    )
}

/// `status` arguments.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct StatusArgs {
    /// name, group:name, group:* (default all)
    #[serde(default)]
    pub names: Vec<String>,
    /// Only these states
    #[serde(default)]
    pub state: Vec<ProcessState>,
    /// Paging offset
    #[serde(default)]
    pub offset: usize,
    /// Page size (default 100)
    pub limit: Option<Count<1, 10_000>>,
    /// CPU/RSS/children per process tree (local)
    #[serde(default)]
    pub metrics: bool,
    /// Only who listens on this port (local)
    pub port: Option<u16>,
    /// Only what is wrong
    #[serde(default)]
    pub unhealthy: bool,
}

/// `status` with `unhealthy`: what is wrong, nothing else.
#[derive(Debug, Serialize)]
struct HealthOut {
    unhealthy: Vec<status::Unhealthy>,
    /// The daemon's state, when not RUNNING.
    #[serde(skip_serializing_if = "Option::is_none")]
    daemon_state: Option<crate::supervisor::types::SupervisorState>,
}

/// One process in `status`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProcView {
    /// Full namespec
    pub name: String,
    pub state: ProcessState,
    #[serde(skip_serializing_if = "is_zero")]
    pub pid: i64,
    /// Seconds since start, when RUNNING
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uptime_s: Option<i64>,
    /// Why not RUNNING (spawn error, exit status, stop time); restarts and crashes in 1 h
    #[serde(skip_serializing_if = "String::is_empty")]
    pub info: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<crate::supervisor::host::Metrics>,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// The daemon, in `status`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DaemonView {
    pub version: String,
    pub state: crate::supervisor::types::SupervisorState,
    pub pid: i64,
    pub identification: String,
}

/// `status` result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StatusOut {
    pub daemon: DaemonView,
    /// Processes matching the filters
    pub total: usize,
    /// Count per state
    pub counts: BTreeMap<String, usize>,
    pub processes: Vec<ProcView>,
    /// Offset of the next page
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
    /// Names that matched nothing
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
    /// For each unknown name, the closest known one
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub did_you_mean: BTreeMap<String, String>,
    /// Who listens on the port asked for
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub listeners: Vec<crate::supervisor::host::Listener>,
    /// Why metrics or ports are missing
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn plan(a: &StatusArgs, _: &Cx<'_>) -> Result<Planned, McpError> {
    if a.unhealthy {
        return Ok(Call::new(Op::Health, Vec::new()).into());
    }
    let query = StatusQuery {
        names: Vec::new(),
        states: a.state.clone(),
        metrics: a.metrics,
        port: a.port,
        daemon: true,
        history: Some(crate::supervisor::ops::status::HISTORY_WINDOW),
    };
    Ok(Call::new(Op::Status(query), a.names.clone()).into())
}

fn render(a: &StatusArgs, out: Output) -> Answer {
    match out {
        Output::Status(report) => {
            let limit = a.limit.map_or(DEFAULT_LIMIT, Count::get);
            let out = status_out(report, a.offset, limit, a.port.is_some());
            let is_error = !out.unknown.is_empty();
            Answer::new(render::status(&out), &out, is_error)
        }
        // `unhealthy`: only what is wrong ([`status::health`]).
        Output::Health(h) => {
            let out = HealthOut {
                unhealthy: h.unhealthy,
                daemon_state: h.daemon,
            };
            Answer::new(render::health(out.daemon_state, &out.unhealthy), &out, false)
        }
        _ => Answer::unexpected(),
    }
}

/// The answer for `report`: the counts over every process, one page of them (`limit`
/// from `offset`) with the next page's offset, and a note when metrics or the port
/// (`port_asked`) are missing because the daemon is not on this host.
fn status_out(report: StatusReport, offset: usize, limit: usize, port_asked: bool) -> StatusOut {
    let counts: BTreeMap<String, usize> = report
        .counts()
        .into_iter()
        .map(|(s, n)| (s.name().to_owned(), n))
        .collect();
    let total = report.processes.len();
    let processes: Vec<ProcView> = report
        .processes
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(ProcView::from)
        .collect();
    let end = offset + processes.len();
    let note = report.remote.then(|| {
        let what = if port_asked { "port" } else { "metrics" };
        format!("{what}: {}", host::NOT_LOCAL)
    });
    let daemon = report.daemon.unwrap_or_default();
    StatusOut {
        daemon: DaemonView {
            version: daemon.supervisor_version,
            state: daemon.state,
            pid: daemon.pid,
            identification: daemon.identification,
        },
        total,
        counts,
        processes,
        next_offset: (end < total).then_some(end),
        unknown: report.unknown,
        did_you_mean: report.did_you_mean,
        listeners: report.listeners.unwrap_or_default(),
        note,
    }
}

impl From<ProcessStatus> for ProcView {
    fn from(p: ProcessStatus) -> ProcView {
        let why = match p.state {
            ProcessState::Running | ProcessState::Starting | ProcessState::Stopping => String::new(),
            ProcessState::Exited => format!("exit {}, {}", p.exitstatus, p.description),
            // The logs and diagnose tools are where the details are.
            _ => p.why_stopped(),
        };
        // Restarts and crashes from the event journal, when there are any.
        let info = match (why.is_empty(), p.history_brief(HISTORY_WINDOW)) {
            (_, None) => why,
            (true, Some(h)) => h,
            (false, Some(h)) => format!("{why}; {h}"),
        };
        ProcView {
            info,
            name: p.name,
            state: p.state,
            pid: p.pid,
            uptime_s: p.uptime_secs,
            metrics: p.metrics,
        }
    }
}
