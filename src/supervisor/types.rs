//! Supervisord's data: process states, the structs its methods return, and namespecs.
//! Every struct tolerates missing members (older or other daemons), via `serde(default)`.

use serde::{Deserialize, Serialize};

/// A process state (`supervisor/states.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ProcessState {
    Stopped,
    Starting,
    Running,
    Backoff,
    Stopping,
    Exited,
    Fatal,
    Unknown,
}

impl ProcessState {
    /// Every state, in the order people read them (running first, unknown last).
    pub const ALL: [ProcessState; 8] = [
        ProcessState::Running,
        ProcessState::Starting,
        ProcessState::Backoff,
        ProcessState::Stopping,
        ProcessState::Stopped,
        ProcessState::Exited,
        ProcessState::Fatal,
        ProcessState::Unknown,
    ];

    /// From the numeric `state` field (0, 10, 20, 30, 40, 100, 200, 1000).
    pub fn from_code(code: i64) -> ProcessState {
        match code {
            0 => ProcessState::Stopped,
            10 => ProcessState::Starting,
            20 => ProcessState::Running,
            30 => ProcessState::Backoff,
            40 => ProcessState::Stopping,
            100 => ProcessState::Exited,
            200 => ProcessState::Fatal,
            _ => ProcessState::Unknown,
        }
    }

    /// From a state name, case-insensitive (`running`, `FATAL`).
    pub fn from_name(name: &str) -> Option<ProcessState> {
        Some(match name.to_ascii_uppercase().as_str() {
            "STOPPED" => ProcessState::Stopped,
            "STARTING" => ProcessState::Starting,
            "RUNNING" => ProcessState::Running,
            "BACKOFF" => ProcessState::Backoff,
            "STOPPING" => ProcessState::Stopping,
            "EXITED" => ProcessState::Exited,
            "FATAL" => ProcessState::Fatal,
            "UNKNOWN" => ProcessState::Unknown,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ProcessState::Stopped => "STOPPED",
            ProcessState::Starting => "STARTING",
            ProcessState::Running => "RUNNING",
            ProcessState::Backoff => "BACKOFF",
            ProcessState::Stopping => "STOPPING",
            ProcessState::Exited => "EXITED",
            ProcessState::Fatal => "FATAL",
            ProcessState::Unknown => "UNKNOWN",
        }
    }

    /// Supervisord's `STOPPED_STATES`: STOPPED, EXITED, FATAL, UNKNOWN.
    pub fn is_stopped(self) -> bool {
        matches!(
            self,
            ProcessState::Stopped | ProcessState::Exited | ProcessState::Fatal | ProcessState::Unknown
        )
    }

    /// Supervisord's `RUNNING_STATES`: RUNNING, BACKOFF, STARTING.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            ProcessState::Running | ProcessState::Backoff | ProcessState::Starting
        )
    }
}

/// Accepts a state name in any case (`running`, `FATAL`).
impl<'de> Deserialize<'de> for ProcessState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ProcessState::from_name(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown state {s:?}; use RUNNING, STARTING, BACKOFF, STOPPING, STOPPED, EXITED, FATAL or UNKNOWN"
            ))
        })
    }
}

impl std::fmt::Display for ProcessState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One process, as `getProcessInfo`/`getAllProcessInfo` return it.
/// Times are epoch seconds (0 = never); `pid` is 0 when not running.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct ProcessInfo {
    pub name: String,
    pub group: String,
    pub description: String,
    pub start: i64,
    pub stop: i64,
    pub now: i64,
    pub state: i64,
    pub statename: String,
    pub spawnerr: String,
    pub exitstatus: i64,
    pub stdout_logfile: String,
    pub stderr_logfile: String,
    pub pid: i64,
}

impl ProcessInfo {
    /// The full namespec: `name` when group and name agree, else `group:name`.
    pub fn namespec(&self) -> String {
        namespec(&self.group, &self.name)
    }

    pub fn state(&self) -> ProcessState {
        ProcessState::from_code(self.state)
    }

    /// Seconds since start, for a process in RUNNING state.
    pub fn uptime_secs(&self) -> Option<i64> {
        (self.state() == ProcessState::Running && self.start > 0 && self.now >= self.start)
            .then(|| self.now - self.start)
    }
}

/// Builds a namespec the way supervisord's `make_namespec` does.
pub fn namespec(group: &str, name: &str) -> String {
    if group == name {
        name.to_owned()
    } else {
        format!("{group}:{name}")
    }
}

/// One entry of a bulk result (start/stop/signal of a group or all, clearAllProcessLogs).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct BulkResult {
    pub name: String,
    pub group: String,
    /// A fault code; 80 (SUCCESS) when it worked.
    pub status: i64,
    pub description: String,
}

/// The daemon's own state (`supervisor/states.py` SupervisorStates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SupervisorState {
    #[default]
    Running,
    Restarting,
    Shutdown,
    Fatal,
    /// A code this tool does not know.
    Unknown,
}

impl SupervisorState {
    /// From `getState`'s `statecode` (1, 0, -1, 2).
    pub fn from_code(code: i64) -> SupervisorState {
        match code {
            1 => SupervisorState::Running,
            0 => SupervisorState::Restarting,
            -1 => SupervisorState::Shutdown,
            2 => SupervisorState::Fatal,
            _ => SupervisorState::Unknown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SupervisorState::Running => "RUNNING",
            SupervisorState::Restarting => "RESTARTING",
            SupervisorState::Shutdown => "SHUTDOWN",
            SupervisorState::Fatal => "FATAL",
            SupervisorState::Unknown => "UNKNOWN",
        }
    }
}

impl std::fmt::Display for SupervisorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The daemon's own state (`getState`), as the daemon sends it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct DaemonState {
    pub statecode: i64,
    pub statename: String,
}

/// One process's configuration, from `getAllConfigInfo`. Only the fields we use are
/// typed; `autorestart` is missing before supervisor 4.4.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct ConfigInfo {
    pub name: String,
    pub group: String,
    pub command: String,
    pub directory: Option<String>,
    pub autostart: bool,
    pub autorestart: Option<String>,
    pub inuse: bool,
    pub group_prio: i64,
    pub process_prio: i64,
    pub startsecs: i64,
    pub startretries: i64,
    pub stopwaitsecs: i64,
    pub redirect_stderr: bool,
    pub stdout_logfile: String,
    pub stderr_logfile: String,
}

impl ConfigInfo {
    pub fn namespec(&self) -> String {
        namespec(&self.group, &self.name)
    }
}

/// What `reloadConfig` found: group names added, changed and removed in the
/// configuration on disk compared with what the daemon runs.
#[derive(Debug, Clone, Default, Serialize, PartialEq, schemars::JsonSchema)]
pub struct ConfigDiff {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl ConfigDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Which log of a process: its stdout or its stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Stdout,
    Stderr,
}

impl Channel {
    pub fn name(self) -> &'static str {
        match self {
            Channel::Stdout => "stdout",
            Channel::Stderr => "stderr",
        }
    }
}
