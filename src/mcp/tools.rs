//! The tools: their arguments and results (serde + JsonSchema, doc comments become
//! the schema text the model reads), names, descriptions and annotations. Few tools,
//! each capable: an agent needs few round trips and little context.

use crate::supervisor::ProcessState;
use crate::supervisor::ops::control::ProcessResult;
use rmcp::model::{Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

use super::schema::{lean_schema, output_schema};

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
    /// Most to list (default 100)
    pub limit: Option<usize>,
    /// CPU/RSS/children per process tree (local)
    #[serde(default)]
    pub metrics: bool,
    /// Only who listens on this port (local)
    pub port: Option<u16>,
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
    /// When not RUNNING: spawn error, exit status or stop time
    #[serde(skip_serializing_if = "String::is_empty")]
    pub info: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<crate::supervisor::local::Metrics>,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// The daemon, in `status`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DaemonView {
    pub version: String,
    pub state: String,
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
    /// Who listens on the port asked for
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub listeners: Vec<crate::supervisor::local::Listener>,
    /// Why metrics or ports are missing
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What `control` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Start,
    Stop,
    Restart,
    Signal,
    Stdin,
    ClearLogs,
}

/// `control` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ControlArgs {
    pub action: Action,
    /// Namespecs: name, group:name, group:*, all
    pub names: Vec<String>,
    /// e.g. HUP, TERM, USR1
    pub signal: Option<String>,
    /// For stdin (add \n)
    pub text: Option<String>,
    /// signal: whole process tree (local)
    pub tree: Option<bool>,
    /// Wait for the end state (default true)
    pub wait: Option<bool>,
    /// Max seconds (default 60)
    pub timeout_s: Option<f64>,
}

/// Per-process results (`control`, `wait`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ResultsOut {
    pub results: Vec<ProcessResult>,
}

/// Which log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// `logs` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct LogsArgs {
    /// Namespec; omit for supervisord's own log
    pub name: Option<String>,
    /// stdout (default) or stderr
    pub stream: Option<Stream>,
    /// Lines (default 20)
    pub lines: Option<usize>,
    /// From a previous call: only newer lines
    pub cursor: Option<u64>,
    /// Keep ANSI escapes
    pub raw: Option<bool>,
    /// Only lines matching this regex
    pub grep: Option<String>,
    /// Lines around grep matches
    pub context: Option<usize>,
    /// Lowest level: debug, info, warn, error, fatal (JSON or text)
    pub min_level: Option<String>,
    /// Exactly this level
    pub level: Option<String>,
    /// JSON lines: field=value, field~=regex, field
    #[serde(default, rename = "where")]
    pub wheres: Vec<String>,
    /// JSON lines: timestamp >= this (ISO 8601 or epoch)
    pub since: Option<String>,
}

/// `logs` result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LogsOut {
    pub lines: Vec<String>,
    /// Pass back to get only newer lines
    pub cursor: u64,
    /// Byte cap hit before all lines were found
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// Log shrank (rotated/cleared): read from its start
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
    /// More new lines are waiting
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub more: bool,
}

/// `wait` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct WaitArgs {
    /// Namespecs: name, group:*, all
    pub names: Vec<String>,
    /// State to reach (default RUNNING)
    pub state: Option<WaitState>,
    /// Ready when this http URL answers <400
    pub url: Option<String>,
    /// Ready when this port (or host:port) accepts connections
    pub port: Option<String>,
    /// Ready when a new log line matches this regex
    pub pattern: Option<String>,
    /// Max seconds (default 30)
    pub timeout_s: Option<f64>,
}

/// States worth waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum WaitState {
    Running,
    Stopped,
    Exited,
    Fatal,
}

impl From<WaitState> for ProcessState {
    fn from(s: WaitState) -> ProcessState {
        match s {
            WaitState::Running => ProcessState::Running,
            WaitState::Stopped => ProcessState::Stopped,
            WaitState::Exited => ProcessState::Exited,
            WaitState::Fatal => ProcessState::Fatal,
        }
    }
}

/// `diagnose` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DiagnoseArgs {
    /// Namespec
    pub name: String,
    /// stderr lines (default 10; stdout gets half)
    pub lines: Option<usize>,
}

/// What `program` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProgramAction {
    Add,
    Remove,
    Run,
}

/// `program` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProgramArgs {
    pub action: ProgramAction,
    /// add/remove
    pub name: Option<String>,
    /// add/run
    pub command: Option<String>,
    pub directory: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// add (default false)
    pub autostart: Option<bool>,
    /// add: true, false, unexpected
    pub autorestart: Option<String>,
    pub startsecs: Option<u32>,
    pub numprocs: Option<u32>,
    /// add: start now (default true)
    pub start: Option<bool>,
    /// run: kill after (default 60)
    pub timeout_s: Option<f64>,
}

/// `program` result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProgramOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added: Option<crate::supervisor::ops::programs::Added>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<crate::supervisor::ops::programs::RunResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<String>,
}

/// `reload` arguments.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ReloadArgs {
    /// Only report what would change
    #[serde(default)]
    pub dry_run: bool,
}

/// `reload` result: one entry per group added, changed or removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReloadOut {
    pub changes: Vec<crate::supervisor::ops::update::GroupChange>,
    pub dry_run: bool,
}

pub const STATUS: &str = "status";
pub const CONTROL: &str = "control";
pub const LOGS: &str = "logs";
pub const WAIT: &str = "wait";
pub const DIAGNOSE: &str = "diagnose";
pub const PROGRAM: &str = "program";
pub const RELOAD: &str = "reload";

fn tool<A: JsonSchema, O: JsonSchema>(
    name: &'static str,
    description: &'static str,
    annotations: ToolAnnotations,
) -> Tool {
    Tool::new(name, description, Arc::new(lean_schema::<A>()))
        .with_raw_output_schema(Arc::new(output_schema::<O>()))
        .with_annotations(annotations)
}

/// Reads only: destructive and idempotent hints mean nothing then (MCP spec), so
/// they are left out.
fn reads() -> ToolAnnotations {
    ToolAnnotations::new().read_only(true).open_world(false)
}

/// Changes processes or configuration. readOnlyHint false and idempotentHint false
/// are the spec's defaults; destructiveHint is said outright.
fn changes() -> ToolAnnotations {
    ToolAnnotations::new().destructive(true).open_world(false)
}

/// Every tool this server offers, built once.
pub fn all() -> Vec<Tool> {
    vec![
        tool::<StatusArgs, StatusOut>(
            STATUS,
            "supervisord's state and version, and its processes: state, pid, uptime, why stopped; CPU/memory; who listens on a port. Filters, paging.",
            reads(),
        ),
        tool::<ControlArgs, ResultsOut>(
            CONTROL,
            "start/stop/restart (idempotent, any state, waits), signal, stdin, clear_logs. Failed starts give spawnerr, exit status, stderr tail.",
            changes(),
        ),
        tool::<LogsArgs, LogsOut>(
            LOGS,
            "Last N lines of a process's stdout/stderr or supervisord's log; pass the returned cursor back for only new lines.",
            reads(),
        ),
        tool::<WaitArgs, ResultsOut>(
            WAIT,
            "Wait until processes reach a state, or one is ready (url, port or log pattern), with progress; fails fast, with stderr, if it dies.",
            reads(),
        ),
        tool::<DiagnoseArgs, crate::supervisor::ops::diagnose::Diagnosis>(
            DIAGNOSE,
            "Why a process is not running, in one call: state, timing, exit status, spawnerr, stderr/stdout tails, config, who holds its ports.",
            reads(),
        ),
        tool::<ProgramArgs, ProgramOut>(
            PROGRAM,
            "add (or change) a program and start it; remove one added so; run a command to completion (exit status, output) as a transient program.",
            changes(),
        ),
        tool::<ReloadArgs, ReloadOut>(
            RELOAD,
            "Re-read the config and apply it, like supervisorctl update; dry_run only reports.",
            changes(),
        ),
    ]
}
