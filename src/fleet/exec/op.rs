//! The operations both front ends run on a daemon or across targets, one enum, and
//! what each is: a change or a read ([`Op::changes`]), the time it may need beyond a
//! read's deadline ([`Op::extra_time`]), and how its targets are chosen ([`Op::reach`]).

use crate::supervisor::Change;
use crate::supervisor::ops::control::{WaitOptions, WaitProgress};
use crate::supervisor::ops::logs::TailOptions;
use crate::supervisor::ops::logs::filter::LogFilter;
use crate::supervisor::ops::programs::{self, AddOptions, ProgramSettings, RunRequest};
use crate::supervisor::ops::status::StatusQuery;
use crate::supervisor::ops::update::STOP_TIMEOUT;
use crate::supervisor::ops::wait::WaitFor;
use crate::supervisor::types::Channel;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where a wait's progress goes (an MCP progress notification, say).
pub type Progress = Arc<dyn Fn(&WaitProgress) + Send + Sync>;

/// One operation. The names it acts on come beside it ([`super::Call`]): on one
/// daemon as given, across targets each target's own (qualifiers removed).
#[derive(Clone)]
pub enum Op {
    /// `status` of the processes the names select (every one with none); the
    /// query's own names are replaced by the call's.
    Status(StatusQuery),
    /// Only what is wrong: processes FATAL, BACKOFF, ...; a daemon not RUNNING.
    Health,
    /// The daemon's version, and the round trip it took (`targets check`).
    Version,
    /// The daemon's state, version, identification and pid.
    Info,
    /// The daemon's pid (no names), or each named process's.
    Pid,
    /// What the configuration holds (`avail`).
    Avail,
    Start(WaitOptions),
    Stop(WaitOptions),
    Restart(WaitOptions),
    Signal {
        signal: String,
        /// The whole process tree (daemon on this host only).
        tree: bool,
    },
    /// Text written to each process's stdin.
    Stdin {
        text: String,
    },
    /// Empties the processes' logs.
    Clear,
    /// Until the processes reach a state, or one is ready; the names are the call's.
    Wait {
        wait: WaitFor,
        progress: Option<Progress>,
    },
    /// A log: the named process's (one name), or supervisord's own (no name).
    Logs(LogsRead),
    /// Why a process does not run: `lines` of stderr (half as many of stdout); CPU
    /// sampled over `cpu_sample`, else averaged since the process started.
    Diagnose {
        lines: usize,
        cpu_sample: Option<std::time::Duration>,
    },
    /// Re-reads the configuration (`reloadConfig`: a change, see `ops::update::reread`).
    Reread,
    /// Applies the configuration to `groups` (all with none); `dry_run` only reports,
    /// and is a change all the same.
    Update {
        groups: Vec<String>,
        dry_run: bool,
    },
    AddGroups(Vec<String>),
    RemoveGroups(Vec<String>),
    /// Adds (or changes) the program the one name names, and starts it.
    ProgramAdd(ProgramAdd),
    /// Removes the program the one name names (one this tool added).
    ProgramRemove {
        /// Where program files are (default: found from the daemon).
        include_dir: Option<PathBuf>,
    },
    /// Runs a command to completion as a transient program.
    Run {
        request: RunRequest,
        include_dir: Option<PathBuf>,
    },
}

/// How a log is read.
#[derive(Debug, Clone)]
pub struct LogsRead {
    /// A process's stdout or stderr (ignored for supervisord's own log).
    pub channel: Channel,
    pub opts: TailOptions,
    pub filter: LogFilter,
    /// Only the lines written after this byte offset (`logs::read_since`).
    pub cursor: Option<u64>,
    /// The log's end is probed, so that the tail can serve as a cursor.
    pub at_end: bool,
}

/// A program to add: its name is the call's one name.
#[derive(Debug, Clone)]
pub struct ProgramAdd {
    pub command: String,
    pub settings: ProgramSettings,
    pub opts: AddOptions,
    pub include_dir: Option<PathBuf>,
}

/// How an operation's targets are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// One daemon only: the target its name is qualified by, else the selection,
    /// which must then be one target.
    One,
    /// The selected targets (each with its names; every selected one without names).
    /// A change on more than one needs an explicit selection.
    Selected,
}

impl Op {
    /// The change's name in refusals (`start`, `reload`...).
    pub fn what(&self) -> &'static str {
        match self {
            Op::Status(_) | Op::Health => "status",
            Op::Version => "version",
            Op::Info => "info",
            Op::Pid => "pid",
            Op::Avail => "avail",
            Op::Start(_) => "start",
            Op::Stop(_) => "stop",
            Op::Restart(_) => "restart",
            Op::Signal { .. } => "signal",
            Op::Stdin { .. } => "stdin",
            Op::Clear => "clear",
            Op::Wait { .. } => "wait",
            Op::Logs(_) => "logs",
            Op::Diagnose { .. } => "diagnose",
            Op::Reread => "reread",
            Op::Update { .. } => "reload",
            Op::AddGroups(_) => "add",
            Op::RemoveGroups(_) => "remove",
            Op::ProgramAdd(_) | Op::ProgramRemove { .. } => "program",
            Op::Run { .. } => "run",
        }
    }

    /// What the operation changes on a daemon, for the policy gate; `None` for a
    /// read. A reread and a dry run are changes: they call `reloadConfig`.
    pub fn changes<'a>(&self, names: &'a [String]) -> Option<Change<'a>> {
        match self {
            Op::Start(_) | Op::Stop(_) | Op::Restart(_) | Op::Signal { .. } | Op::Stdin { .. } | Op::Clear => {
                Some(Change::Processes(names))
            }
            Op::Reread | Op::Update { .. } | Op::AddGroups(_) | Op::RemoveGroups(_) | Op::Run { .. } => {
                Some(Change::Everything)
            }
            Op::ProgramAdd(_) | Op::ProgramRemove { .. } => {
                Some(Change::Program(names.first().map_or("", String::as_str)))
            }
            Op::Status(_)
            | Op::Health
            | Op::Version
            | Op::Info
            | Op::Pid
            | Op::Avail
            | Op::Wait { .. }
            | Op::Logs(_)
            | Op::Diagnose { .. } => None,
        }
    }

    /// How long the operation may take beyond a read's deadline on a target: its own
    /// wait (a start's, a wait's, a configuration change's stops, a run's).
    pub fn extra_time(&self) -> Duration {
        match self {
            Op::Start(o) | Op::Stop(o) | Op::Restart(o) => o.timeout,
            Op::Wait { wait, .. } => wait.timeout,
            Op::Reread | Op::Update { .. } | Op::AddGroups(_) | Op::RemoveGroups(_) => STOP_TIMEOUT,
            Op::ProgramAdd(a) => a.opts.wait.timeout,
            Op::ProgramRemove { .. } => programs::REMOVE_TIMEOUT,
            Op::Run { request, .. } => request.timeout,
            _ => Duration::ZERO,
        }
    }

    /// How its targets are chosen.
    pub fn reach(&self) -> Reach {
        match self {
            Op::ProgramAdd(_) | Op::ProgramRemove { .. } | Op::Run { .. } => Reach::One,
            _ => Reach::Selected,
        }
    }
}
