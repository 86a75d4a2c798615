//! An operation on one daemon: the core's `ops::*` function it stands for, and what
//! it gave, typed ([`Output`]).

use super::op::{LogsRead, Op, ProgramAdd};
use crate::supervisor::ops::control::{self, ProcessResult};
use crate::supervisor::ops::diagnose::{self, Diagnosis};
use crate::supervisor::ops::info::{self, DaemonInfo};
use crate::supervisor::ops::logs::{self, LogChunk, LogSource, LogTail};
use crate::supervisor::ops::programs::{self, Added, ProgramSpec, Removed, RunResult};
use crate::supervisor::ops::status::{self, Health, StatusReport};
use crate::supervisor::ops::update::{self, Available, GroupResult, STOP_TIMEOUT, UpdateReport};
use crate::supervisor::ops::wait;
use crate::supervisor::types::ConfigDiff;
use crate::supervisor::{Client, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// What an operation gave on one daemon. Serialized as the value it holds (the
/// `result` of a fleet entry).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Output {
    Status(StatusReport),
    Health(Health),
    Version(Version),
    Info(DaemonInfo),
    Pids(Pids),
    Avail(Vec<Available>),
    /// Per-process results: start, stop, restart, signal, stdin, clear, wait.
    Results(Vec<ProcessResult>),
    /// The last lines of a log: the process's name (empty for supervisord's own), and them.
    Tail(String, LogTail),
    /// The lines after a cursor: the process's name (empty for supervisord's own), and them.
    Since(String, LogChunk),
    Diagnosis(Box<Diagnosis>),
    Reread(ConfigDiff),
    Update(UpdateReport),
    Groups(Vec<GroupResult>),
    Added(Added),
    Removed(Removed),
    Ran(RunResult),
}

/// The daemon's version and the round trip of asking it.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    pub version: String,
    /// Milliseconds, to 0.1.
    pub rtt_ms: f64,
}

/// Pids: `("", pid)` for the daemon's own; `(namespec, pid)` per process (0 when
/// not running). JSON: the pairs.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Pids {
    pub pids: Vec<(String, i64)>,
    /// Names that matched nothing, as given.
    #[serde(skip)]
    pub unknown: Vec<String>,
    /// For each unknown name, the closest known one.
    #[serde(skip)]
    pub did_you_mean: BTreeMap<String, String>,
}

impl Op {
    /// Runs the operation on `client`, on `names` (see each operation). No policy
    /// here: [`super::run_one`] and [`super::run`] go through the gate first.
    ///
    /// Each operation's future is boxed apart: a fan-out's task is then as big as
    /// the operation it runs, not as the biggest of them (at 1,000 targets, 33 MB of
    /// tasks otherwise).
    pub async fn run(&self, client: &Client, names: Vec<String>) -> Result<Output> {
        let c = client;
        Ok(match self {
            Op::Status(q) => {
                let mut q = q.clone();
                q.names = names;
                Output::Status(Box::pin(status::query(c, &q)).await?)
            }
            Op::Health => Output::Health(Box::pin(status::health(c)).await?),
            Op::Version => {
                let started = Instant::now();
                let version = Box::pin(c.get_supervisor_version()).await?;
                let rtt_ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
                Output::Version(Version { version, rtt_ms })
            }
            Op::Info => Output::Info(Box::pin(info::info(c)).await?),
            Op::Pid => Output::Pids(Box::pin(pids(c, &names)).await?),
            Op::Avail => Output::Avail(Box::pin(update::avail(c)).await?),
            Op::Start(o) => Output::Results(Box::pin(control::start(c, &names, o)).await?),
            Op::Stop(o) => Output::Results(Box::pin(control::stop(c, &names, o)).await?),
            Op::Restart(o) => Output::Results(Box::pin(control::restart(c, &names, o)).await?),
            Op::Signal { signal, tree: true } => {
                Output::Results(Box::pin(control::signal_tree(c, signal, &names)).await?)
            }
            Op::Signal { signal, tree: false } => Output::Results(Box::pin(control::signal(c, signal, &names)).await?),
            Op::Stdin { text } => Output::Results(Box::pin(control::send_stdin_each(c, &names, text)).await?),
            Op::Clear => Output::Results(Box::pin(logs::clear(c, &names)).await?),
            Op::Wait { wait: w, progress } => {
                let mut w = w.clone();
                w.names = names;
                let r = Box::pin(wait::wait(c, &w, |p| {
                    if let Some(f) = progress {
                        f(p);
                    }
                }))
                .await?;
                Output::Results(r)
            }
            Op::Logs(r) => Box::pin(read_log(c, r, names.into_iter().next())).await?,
            Op::Diagnose { lines, cpu_sample } => {
                let name = names.first().map_or("", String::as_str);
                Output::Diagnosis(Box::new(
                    Box::pin(diagnose::diagnose(c, name, *lines, *cpu_sample)).await?,
                ))
            }
            Op::Reread => Output::Reread(Box::pin(update::reread(c)).await?),
            Op::Update { groups, dry_run } => {
                Output::Update(Box::pin(update::update(c, groups, *dry_run, STOP_TIMEOUT)).await?)
            }
            Op::AddGroups(groups) => Output::Groups(Box::pin(update::add_groups(c, groups)).await?),
            Op::RemoveGroups(groups) => Output::Groups(Box::pin(update::remove_groups(c, groups)).await?),
            Op::ProgramAdd(a) => Output::Added(Box::pin(add_program(c, a, first(names))).await?),
            Op::ProgramRemove { include_dir } => {
                let dir = Box::pin(programs::include_dir(c, include_dir.as_deref())).await?;
                Output::Removed(Box::pin(programs::remove(c, &dir, &first(names), programs::REMOVE_TIMEOUT)).await?)
            }
            Op::Run { request, include_dir } => {
                let dir = Box::pin(programs::include_dir(c, include_dir.as_deref())).await?;
                Output::Ran(Box::pin(programs::run(c, &dir, request)).await?)
            }
        })
    }
}

fn first(names: Vec<String>) -> String {
    names.into_iter().next().unwrap_or_default()
}

/// The daemon's pid (no names), or each named process's.
async fn pids(c: &Client, names: &[String]) -> Result<Pids> {
    if names.is_empty() {
        return Ok(Pids {
            pids: vec![(String::new(), c.get_pid().await?)],
            unknown: Vec::new(),
            did_you_mean: BTreeMap::new(),
        });
    }
    let r = status::status(c, names).await?;
    Ok(Pids {
        pids: r.processes.iter().map(|s| (s.name.clone(), s.pid)).collect(),
        unknown: r.unknown,
        did_you_mean: r.did_you_mean.into_iter().collect(),
    })
}

/// A process's log (`name`), or supervisord's own (no name).
async fn read_log(c: &Client, r: &LogsRead, name: Option<String>) -> Result<Output> {
    let src = match &name {
        Some(n) => LogSource::process(n, r.channel),
        None => LogSource::Main,
    };
    let name = name.unwrap_or_default();
    if let Some(cursor) = r.cursor {
        return Ok(Output::Since(
            name,
            logs::read_since(c, &src, cursor, &r.opts, &r.filter).await?,
        ));
    }
    let tail = if r.at_end || !r.filter.is_empty() {
        logs::tail_filtered(c, &src, &r.opts, &r.filter).await?
    } else {
        logs::tail(c, &src, &r.opts).await?
    };
    Ok(Output::Tail(name, tail))
}

/// Adds the program `name` as `a` describes (its name checked here: a qualified one
/// has lost its target by now).
async fn add_program(c: &Client, a: &ProgramAdd, name: String) -> Result<Added> {
    let dir = programs::include_dir(c, a.include_dir.as_deref()).await?;
    let spec = ProgramSpec::new(name, a.command.clone(), a.settings.clone())?;
    programs::add(c, &dir, &spec, &a.opts).await
}
