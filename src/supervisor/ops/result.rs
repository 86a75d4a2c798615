//! What happened to each process: the result model every control operation and
//! wait returns, the failure details (spawnerr, exit status, last log lines) of a
//! failed start, and the polling pace of waits. A leaf: `control`, `wait` and `ready`
//! all use it, and it uses none of them.

/// How often a wait polls the daemon once its fast first seconds are over (start,
/// stop, restart, state and readiness waits alike).
pub const POLL: std::time::Duration = std::time::Duration::from_millis(100);

use crate::supervisor::Client;
use crate::supervisor::error::{FaultCode, NextStep};
use crate::supervisor::ops::exits;
use crate::supervisor::ops::logs::{self, LogSource, TailOptions};
use crate::supervisor::types::{Channel, ProcessInfo, ProcessState};
use serde::Serialize;

/// What happened to one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Started,
    AlreadyRunning,
    Stopped,
    AlreadyStopped,
    Restarted,
    Signalled,
    /// Text written to the process's stdin.
    Sent,
    /// Its logs were emptied.
    Cleared,
    /// A wait ended in the state asked for.
    Reached,
    /// Asked without waiting: the daemon accepted the request.
    Requested,
    Failed,
    TimedOut,
    NoSuchProcess,
    /// Not asked: its name holds a character no request can carry (kind `invalid`).
    Invalid,
}

impl Outcome {
    /// True for outcomes that count as success (idempotent ones included).
    pub fn is_success(self) -> bool {
        !matches!(
            self,
            Outcome::Failed | Outcome::TimedOut | Outcome::NoSuchProcess | Outcome::Invalid
        )
    }
}

/// Why a process failed: what the user needs to see to fix it.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Failure {
    /// The fault name (`SPAWN_ERROR`, `NOT_RUNNING`, …) or `TIMEOUT`.
    pub fault: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub spawnerr: String,
    /// The exit status, when the daemon knows it (not after an exit before
    /// `startsecs`, where supervisord resets it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exitstatus: Option<i64>,
    /// The last lines of the process's stderr (or stdout when stderr is redirected).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log_tail: Vec<String>,
}

/// The result for one process (or one unknown name).
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct ProcessResult {
    /// Full namespec, or the name as given when it matched nothing.
    pub name: String,
    pub outcome: Outcome,
    /// The state last seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<ProcessState>,
    /// One human sentence: "started", "already running", "exited too quickly"...
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// For a name that matched nothing: the closest known name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
    #[serde(skip)]
    pub fault: Option<FaultCode>,
}

impl ProcessResult {
    /// A result with no failure details.
    pub fn new(
        name: impl Into<String>,
        outcome: Outcome,
        state: Option<ProcessState>,
        message: impl Into<String>,
    ) -> Self {
        ProcessResult {
            name: name.into(),
            outcome,
            state,
            message: message.into(),
            failure: None,
            did_you_mean: None,
            fault: None,
        }
    }

    /// A name that matched no process (BAD_NAME), with the closest known name.
    pub fn unknown(name: &str, did_you_mean: Option<String>) -> Self {
        let mut r = Self::new(name, Outcome::NoSuchProcess, None, "no such process");
        r.fault = Some(FaultCode::BadName);
        r.did_you_mean = did_you_mean;
        r
    }

    /// A process the daemon knew when the wait began and no longer knows: it was
    /// restarted or reloaded meanwhile, or the program was removed.
    pub fn vanished(name: &str) -> Self {
        let why = "vanished while we waited: the daemon was restarted or reloaded, or the program removed";
        let mut r = Self::new(name, Outcome::NoSuchProcess, None, why);
        r.fault = Some(FaultCode::BadName);
        r
    }

    /// One [`ProcessResult::unknown`] per name a selection did not match.
    /// A process not asked because no request can carry its name
    /// ([`names::UNCARRIED_NAME`](crate::supervisor::ops::names::UNCARRIED_NAME)).
    pub fn uncarried(name: &str) -> Self {
        Self::new(
            name,
            Outcome::Invalid,
            None,
            crate::supervisor::ops::names::UNCARRIED_NAME,
        )
    }

    /// The results of a selection's names that nothing is done for: one
    /// [`ProcessResult::unknown`] per name it did not match, one
    /// [`ProcessResult::uncarried`] per process whose name cannot be sent.
    pub fn unknowns(sel: &crate::supervisor::ops::names::Selection) -> Vec<ProcessResult> {
        let unknown = sel.unknown.iter().map(|n| ProcessResult::unknown(n, sel.suggestion(n)));
        unknown
            .chain(sel.uncarried.iter().map(|n| ProcessResult::uncarried(n)))
            .collect()
    }

    /// The word a failed result is shown with: its fault's code (`SPAWN_ERROR`), or
    /// `INVALID` for a name that cannot be sent; `None` for others.
    pub fn label(&self) -> Option<String> {
        match (self.outcome, self.fault) {
            (_, Some(code)) => Some(code.name()),
            (Outcome::Invalid, None) => Some(crate::supervisor::ErrorKind::Invalid.label()),
            _ => None,
        }
    }

    /// What to do about this result, when it failed: list the names (with the closest
    /// one) for a name that matched nothing, or the next step after its fault.
    pub fn next_step(&self) -> Option<NextStep> {
        match (self.outcome, self.fault) {
            (Outcome::NoSuchProcess, _) => Some(NextStep::ListNames {
                suggestion: self.did_you_mean.clone(),
            }),
            (Outcome::Failed, Some(code)) => NextStep::for_fault(code, Some(&self.name)),
            _ => None,
        }
    }
}

/// Lines of stderr attached to a failure.
const FAILURE_LOG_LINES: usize = 10;

/// The failure details of a process: its spawnerr, exit status and last log lines.
pub async fn failure_details(client: &Client, info: &ProcessInfo, fault: &str) -> Failure {
    let ns = info.namespec();
    let opts = TailOptions {
        lines: FAILURE_LOG_LINES,
        ..TailOptions::default()
    };
    let mut log_tail = match logs::tail(client, &LogSource::process(&ns, Channel::Stderr), &opts).await {
        Ok(t) => t.lines,
        Err(_) => Vec::new(),
    };
    if log_tail.is_empty()
        && let Ok(t) = logs::tail(client, &LogSource::process(&ns, Channel::Stdout), &opts).await
    {
        log_tail = t.lines;
    }
    // Exited before `startsecs`: supervisord kept no status, but logged it.
    let exitstatus = match exits::logged_exit(client, info).await {
        Some(e) => e.status,
        None => (info.exitstatus != 0 || matches!(info.state(), ProcessState::Exited | ProcessState::Stopped))
            .then_some(info.exitstatus),
    };
    Failure {
        fault: fault.to_owned(),
        spawnerr: info.spawnerr.clone(),
        exitstatus,
        log_tail,
    }
}

pub(crate) async fn failed(client: &Client, info: &ProcessInfo, code: FaultCode, message: String) -> ProcessResult {
    let mut r = ProcessResult::new(info.namespec(), Outcome::Failed, Some(info.state()), message);
    r.failure = Some(failure_details(client, info, &code.name()).await);
    r.fault = Some(code);
    r
}

pub(crate) fn describe_exit(info: &ProcessInfo) -> String {
    if !info.spawnerr.is_empty() {
        info.spawnerr.clone()
    } else if info.exitstatus != 0 {
        format!("exited with status {}", info.exitstatus)
    } else {
        info.description.clone()
    }
}
