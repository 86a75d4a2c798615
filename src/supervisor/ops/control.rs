//! Start, stop, restart and signal, written once for both front ends.
//!
//! - Idempotent: already running (start) or already stopped (stop) is success, and
//!   says so.
//! - Restart works from any state: it stops what runs, waits for a stopped state
//!   (starting a STOPPING process makes the daemon answer HTTP 500), then starts.
//! - The daemon is asked with `wait=false` (batched in one `system.multicall`) and we
//!   poll `getAllProcessInfo` ourselves: each call stays short (a frozen daemon gives
//!   a timeout error, never a hang) while the whole wait is bounded by
//!   [`WaitOptions::timeout`], however long `startsecs`/`stopwaitsecs` are.
//! - A failed start reports spawnerr, exit status and the last stderr lines.

use super::logs::{self, LogSource, TailOptions};
use super::names::select;
use crate::supervisor::Client;
use crate::supervisor::client::Call;
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::types::{Channel, ProcessInfo, ProcessState};
use serde::Serialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long to wait for processes to settle.
#[derive(Debug, Clone, Copy)]
pub struct WaitOptions {
    /// Wait for the end state (RUNNING after start, stopped after stop). Restart
    /// always waits for the stop.
    pub wait: bool,
    /// Bound on the whole wait, across every process.
    pub timeout: Duration,
    /// How often to poll `getAllProcessInfo` while waiting.
    pub poll: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            wait: true,
            timeout: Duration::from_secs(60),
            poll: Duration::from_millis(100),
        }
    }
}

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
}

impl Outcome {
    /// True for outcomes that count as success (idempotent ones included).
    pub fn is_success(self) -> bool {
        !matches!(self, Outcome::Failed | Outcome::TimedOut | Outcome::NoSuchProcess)
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
    #[serde(skip)]
    pub fault: Option<FaultCode>,
}

impl ProcessResult {
    fn new(name: String, outcome: Outcome, state: Option<ProcessState>, message: impl Into<String>) -> Self {
        ProcessResult {
            name,
            outcome,
            state,
            message: message.into(),
            failure: None,
            fault: None,
        }
    }

    /// A result with no failure details.
    pub fn simple(name: &str, outcome: Outcome, state: Option<ProcessState>, message: impl Into<String>) -> Self {
        Self::new(name.to_owned(), outcome, state, message)
    }

    fn unknown(name: &str) -> Self {
        let mut r = Self::new(name.to_owned(), Outcome::NoSuchProcess, None, "no such process");
        r.fault = Some(FaultCode::BadName);
        r
    }
}

impl From<super::logs::ClearResult> for ProcessResult {
    fn from(c: super::logs::ClearResult) -> Self {
        match c.error {
            None => ProcessResult::new(c.name, Outcome::Cleared, None, "logs cleared"),
            Some(e) => {
                let mut r = ProcessResult::new(c.name, Outcome::Failed, None, e);
                r.fault = Some(FaultCode::Failed);
                r
            }
        }
    }
}

/// Lines of stderr attached to a failure.
const FAILURE_LOG_LINES: usize = 10;

fn info_map(all: Vec<ProcessInfo>) -> HashMap<String, ProcessInfo> {
    all.into_iter().map(|p| (p.namespec(), p)).collect()
}

/// While waiting, poll this often during [`FAST_PHASE`]...
const FAST_POLL: Duration = Duration::from_millis(25);
/// ...and at [`WaitOptions::poll`] after it.
const FAST_PHASE: Duration = Duration::from_secs(3);
/// Up to this many processes are polled one by one (one multicall of
/// `getProcessInfo`), so that a poll costs the daemon what the targets cost, not
/// what all its processes cost; more than that, one `getAllProcessInfo`.
const POLL_ONE_BY_ONE: usize = 50;

/// The current info of `names` (names that no longer exist are left out).
async fn fetch_infos(client: &Client, names: &[String]) -> Result<HashMap<String, ProcessInfo>> {
    if names.len() > POLL_ONE_BY_ONE {
        return Ok(info_map(client.get_all_process_info().await?));
    }
    let calls: Vec<Call> = names
        .iter()
        .map(|n| Call::new("supervisor.getProcessInfo", vec![n.as_str().into()]))
        .collect();
    let mut out = HashMap::new();
    for reply in client.multicall(&calls).await?.into_iter().flatten() {
        let info: ProcessInfo = crate::supervisor::client::decode_value("supervisor.getProcessInfo", reply)?;
        out.insert(info.namespec(), info);
    }
    Ok(out)
}

/// Polls until `settled` holds for every name, or `timeout` passes.
/// Returns the last info seen for each name (names that vanished are left out).
pub async fn wait_until(
    client: &Client,
    names: &[String],
    timeout: Duration,
    poll: Duration,
    settled: impl Fn(&ProcessInfo) -> bool,
) -> Result<(HashMap<String, ProcessInfo>, bool)> {
    wait_until_with_progress(client, names, timeout, poll, settled, |_| {}).await
}

/// What a wait reports after each poll.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitProgress {
    pub elapsed: Duration,
    pub timeout: Duration,
    /// How many of the processes have settled.
    pub settled: usize,
    pub total: usize,
}

/// [`wait_until`], calling `progress` after every poll.
pub async fn wait_until_with_progress(
    client: &Client,
    names: &[String],
    timeout: Duration,
    poll: Duration,
    settled: impl Fn(&ProcessInfo) -> bool,
    mut progress: impl FnMut(&WaitProgress),
) -> Result<(HashMap<String, ProcessInfo>, bool)> {
    let started = Instant::now();
    let deadline = started + timeout;
    loop {
        let infos = fetch_infos(client, names).await?;
        let count = names.iter().filter(|n| infos.get(*n).is_none_or(&settled)).count();
        progress(&WaitProgress {
            elapsed: started.elapsed(),
            timeout,
            settled: count,
            total: names.len(),
        });
        if count == names.len() {
            return Ok((infos, true));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok((infos, false));
        }
        // Fast at first, so a state change is seen within ~25 ms; then at `poll`.
        let interval = if started.elapsed() < FAST_PHASE {
            FAST_POLL.min(poll)
        } else {
            poll
        };
        tokio::time::sleep(interval.min(deadline - now)).await;
    }
}

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
    Failure {
        fault: fault.to_owned(),
        spawnerr: info.spawnerr.clone(),
        exitstatus: (info.exitstatus != 0 || matches!(info.state(), ProcessState::Exited | ProcessState::Stopped))
            .then_some(info.exitstatus),
        log_tail,
    }
}

async fn failed(client: &Client, info: &ProcessInfo, code: FaultCode, message: String) -> ProcessResult {
    let mut r = ProcessResult::new(info.namespec(), Outcome::Failed, Some(info.state()), message);
    r.failure = Some(failure_details(client, info, &code.name()).await);
    r.fault = Some(code);
    r
}

/// Sends one call per process in a single multicall; returns each process's fault.
async fn batch(
    client: &Client,
    method: &str,
    names: &[String],
    extra: &[crate::xmlrpc::Value],
) -> Result<Vec<Option<(FaultCode, String)>>> {
    let calls: Vec<Call> = names
        .iter()
        .map(|n| {
            let mut params = vec![n.as_str().into()];
            params.extend_from_slice(extra);
            Call::new(method, params)
        })
        .collect();
    Ok(client
        .multicall(&calls)
        .await?
        .into_iter()
        .map(|r| r.err().map(|f| (f.code, f.text)))
        .collect())
}

fn describe_exit(info: &ProcessInfo) -> String {
    if !info.spawnerr.is_empty() {
        info.spawnerr.clone()
    } else if info.exitstatus != 0 {
        format!("exited with status {}", info.exitstatus)
    } else {
        info.description.clone()
    }
}

/// Starts the named processes (`name`, `group:name`, `group:*`, `all`).
/// Already running (or starting) is success. With `wait`, waits for RUNNING and
/// reports a process that fails to get there (BACKOFF, FATAL, stopped) with its
/// details. Errors only when the daemon cannot be asked at all.
pub async fn start(client: &Client, names: &[String], opts: &WaitOptions) -> Result<Vec<ProcessResult>> {
    let all = client.get_all_process_info().await?;
    let sel = select(&all, names);
    let mut results: Vec<ProcessResult> = sel.unknown.iter().map(|n| ProcessResult::unknown(n)).collect();
    let targets: Vec<String> = sel.processes.iter().map(ProcessInfo::namespec).collect();
    results.extend(start_targets(client, &targets, &info_map(sel.processes), opts, Outcome::Started).await?);
    Ok(results)
}

async fn start_targets(
    client: &Client,
    targets: &[String],
    infos: &HashMap<String, ProcessInfo>,
    opts: &WaitOptions,
    success: Outcome,
) -> Result<Vec<ProcessResult>> {
    let started_at = Instant::now();
    let mut infos = infos.clone();
    // A STOPPING process cannot be started (the daemon answers HTTP 500): wait for it.
    let stopping: Vec<String> = targets
        .iter()
        .filter(|n| infos.get(*n).is_some_and(|p| p.state() == ProcessState::Stopping))
        .cloned()
        .collect();
    if !stopping.is_empty() {
        let (fresh, _) = wait_until(client, &stopping, opts.timeout, opts.poll, |p| p.state().is_stopped()).await?;
        infos.extend(fresh);
    }
    let mut results = HashMap::new();
    let mut to_start = Vec::new();
    let mut to_watch = Vec::new();
    for n in targets {
        let Some(p) = infos.get(n) else { continue };
        match p.state() {
            ProcessState::Running => {
                results.insert(
                    n.clone(),
                    ProcessResult::new(n.clone(), Outcome::AlreadyRunning, Some(p.state()), "already running"),
                );
            }
            ProcessState::Starting | ProcessState::Backoff => to_watch.push(n.clone()),
            _ => to_start.push(n.clone()),
        }
    }
    let faults = batch(client, "supervisor.startProcess", &to_start, &[false.into()]).await?;
    for (n, fault) in to_start.iter().zip(faults) {
        match fault {
            None => to_watch.push(n.clone()),
            Some((FaultCode::AlreadyStarted, _)) => {
                results.insert(
                    n.clone(),
                    ProcessResult::new(
                        n.clone(),
                        Outcome::AlreadyRunning,
                        Some(ProcessState::Running),
                        "already running",
                    ),
                );
            }
            Some((code, text)) => {
                let info = client
                    .get_process_info(n)
                    .await
                    .unwrap_or_else(|_| infos.get(n).cloned().unwrap_or_default());
                let msg = if info.spawnerr.is_empty() {
                    text
                } else {
                    info.spawnerr.clone()
                };
                results.insert(n.clone(), failed(client, &info, code, msg).await);
            }
        }
    }
    if !to_watch.is_empty() {
        if opts.wait {
            let left = opts.timeout.saturating_sub(started_at.elapsed());
            let (fresh, _) = wait_until(client, &to_watch, left, opts.poll, |p| {
                p.state() != ProcessState::Starting
            })
            .await?;
            for n in &to_watch {
                let Some(p) = fresh.get(n) else {
                    results.insert(n.clone(), ProcessResult::unknown(n));
                    continue;
                };
                let r = match p.state() {
                    // EXITED means it did reach RUNNING (an exit before startsecs is BACKOFF).
                    ProcessState::Running | ProcessState::Exited => {
                        ProcessResult::new(n.clone(), success, Some(p.state()), success_message(success, p))
                    }
                    ProcessState::Starting => {
                        let mut r = ProcessResult::new(
                            n.clone(),
                            Outcome::TimedOut,
                            Some(p.state()),
                            format!("still STARTING after {:.0} s", opts.timeout.as_secs_f64()),
                        );
                        r.fault = Some(FaultCode::Failed);
                        r
                    }
                    ProcessState::Backoff | ProcessState::Fatal => {
                        failed(client, p, FaultCode::SpawnError, describe_exit(p)).await
                    }
                    _ => {
                        failed(
                            client,
                            p,
                            FaultCode::AbnormalTermination,
                            format!("{} while starting: {}", p.state(), describe_exit(p)),
                        )
                        .await
                    }
                };
                results.insert(n.clone(), r);
            }
        } else {
            for n in &to_watch {
                results.insert(
                    n.clone(),
                    ProcessResult::new(
                        n.clone(),
                        Outcome::Requested,
                        Some(ProcessState::Starting),
                        "start requested",
                    ),
                );
            }
        }
    }
    Ok(targets.iter().filter_map(|n| results.remove(n)).collect())
}

fn success_message(outcome: Outcome, p: &ProcessInfo) -> String {
    let verb = if outcome == Outcome::Restarted {
        "restarted"
    } else {
        "started"
    };
    if p.state() == ProcessState::Exited {
        format!("{verb}, then exited with status {}", p.exitstatus)
    } else {
        verb.to_owned()
    }
}

/// Stops the named processes. Already stopped is success. With `wait`, waits for
/// a stopped state (up to the daemon's `stopwaitsecs` and SIGKILL, bounded by
/// `opts.timeout`).
pub async fn stop(client: &Client, names: &[String], opts: &WaitOptions) -> Result<Vec<ProcessResult>> {
    let all = client.get_all_process_info().await?;
    let sel = select(&all, names);
    let mut results: Vec<ProcessResult> = sel.unknown.iter().map(|n| ProcessResult::unknown(n)).collect();
    let targets: Vec<String> = sel.processes.iter().map(ProcessInfo::namespec).collect();
    let (stopped, _) = stop_targets(client, &targets, &info_map(sel.processes), opts.wait, opts).await?;
    results.extend(stopped);
    Ok(results)
}

/// Stops targets; returns one result each, and the infos seen last.
async fn stop_targets(
    client: &Client,
    targets: &[String],
    infos: &HashMap<String, ProcessInfo>,
    wait: bool,
    opts: &WaitOptions,
) -> Result<(Vec<ProcessResult>, HashMap<String, ProcessInfo>)> {
    let mut results = HashMap::new();
    let mut to_stop = Vec::new();
    let mut to_watch = Vec::new();
    for n in targets {
        let Some(p) = infos.get(n) else { continue };
        match p.state() {
            s if s.is_stopped() => {
                results.insert(
                    n.clone(),
                    ProcessResult::new(
                        n.clone(),
                        Outcome::AlreadyStopped,
                        Some(s),
                        format!("already stopped ({s})"),
                    ),
                );
            }
            ProcessState::Stopping => to_watch.push(n.clone()),
            _ => to_stop.push(n.clone()),
        }
    }
    let faults = batch(client, "supervisor.stopProcess", &to_stop, &[false.into()]).await?;
    for (n, fault) in to_stop.iter().zip(faults) {
        match fault {
            None => to_watch.push(n.clone()),
            Some((FaultCode::NotRunning, _)) => {
                results.insert(
                    n.clone(),
                    ProcessResult::new(n.clone(), Outcome::AlreadyStopped, None, "already stopped"),
                );
            }
            Some((code, text)) => {
                let mut r = ProcessResult::new(n.clone(), Outcome::Failed, infos.get(n).map(ProcessInfo::state), text);
                r.fault = Some(code);
                results.insert(n.clone(), r);
            }
        }
    }
    let mut last = infos.clone();
    if wait && !to_watch.is_empty() {
        let (fresh, _) = wait_until(client, &to_watch, opts.timeout, opts.poll, |p| p.state().is_stopped()).await?;
        for n in &to_watch {
            let r = match fresh.get(n) {
                Some(p) if p.state().is_stopped() => {
                    ProcessResult::new(n.clone(), Outcome::Stopped, Some(p.state()), "stopped")
                }
                Some(p) => {
                    let mut r = ProcessResult::new(
                        n.clone(),
                        Outcome::TimedOut,
                        Some(p.state()),
                        format!("still {} after {:.0} s", p.state(), opts.timeout.as_secs_f64()),
                    );
                    r.fault = Some(FaultCode::Failed);
                    r
                }
                None => ProcessResult::unknown(n),
            };
            results.insert(n.clone(), r);
        }
        last.extend(fresh);
    } else {
        for n in &to_watch {
            results.insert(
                n.clone(),
                ProcessResult::new(
                    n.clone(),
                    Outcome::Requested,
                    Some(ProcessState::Stopping),
                    "stop requested",
                ),
            );
        }
    }
    Ok((targets.iter().filter_map(|n| results.remove(n)).collect(), last))
}

/// Restarts the named processes from any state: stops what runs (or is starting,
/// or in BACKOFF), waits until every target is stopped, then starts them all. A
/// STOPPED, EXITED or FATAL process is simply started.
pub async fn restart(client: &Client, names: &[String], opts: &WaitOptions) -> Result<Vec<ProcessResult>> {
    let all = client.get_all_process_info().await?;
    let sel = select(&all, names);
    let mut results: Vec<ProcessResult> = sel.unknown.iter().map(|n| ProcessResult::unknown(n)).collect();
    let targets: Vec<String> = sel.processes.iter().map(ProcessInfo::namespec).collect();
    let (stop_results, infos) = stop_targets(client, &targets, &info_map(sel.processes), true, opts).await?;
    let mut startable = Vec::new();
    for r in stop_results {
        if r.outcome.is_success() {
            startable.push(r.name);
        } else {
            results.push(r);
        }
    }
    results.extend(start_targets(client, &startable, &infos, opts, Outcome::Restarted).await?);
    Ok(results)
}

/// Sends `signal` (a name such as `HUP`, or a number) to the named processes.
/// Processes selected through `all` or a group are signalled only when they can be
/// (RUNNING, STARTING, STOPPING), as the daemon's own group call does; a process named
/// explicitly that is not running is reported as NOT_RUNNING.
/// Errors: [`Error::Fault`] with BAD_SIGNAL when the daemon rejects the signal.
pub async fn signal(client: &Client, signal: &str, names: &[String]) -> Result<Vec<ProcessResult>> {
    let all = client.get_all_process_info().await?;
    let sel = select(&all, names);
    let mut results: Vec<ProcessResult> = sel.unknown.iter().map(|n| ProcessResult::unknown(n)).collect();
    let signallable = |p: &ProcessInfo| {
        matches!(
            p.state(),
            ProcessState::Running | ProcessState::Starting | ProcessState::Stopping
        )
    };
    let targets: Vec<&ProcessInfo> = sel
        .processes
        .iter()
        .filter(|p| signallable(p) || sel.explicit.contains(&p.namespec()))
        .collect();
    let names: Vec<String> = targets.iter().map(|p| p.namespec()).collect();
    let faults = batch(client, "supervisor.signalProcess", &names, &[signal.into()]).await?;
    for (p, fault) in targets.iter().zip(faults) {
        let n = p.namespec();
        let r = match fault {
            None => ProcessResult::new(n, Outcome::Signalled, Some(p.state()), format!("signalled {signal}")),
            Some((FaultCode::BadSignal, text)) => {
                return Err(Error::Fault(crate::supervisor::Fault {
                    code: FaultCode::BadSignal,
                    text,
                    method: "supervisor.signalProcess".into(),
                }));
            }
            Some((code, text)) => {
                let mut r = ProcessResult::new(n, Outcome::Failed, Some(p.state()), text);
                r.fault = Some(code);
                r
            }
        };
        results.push(r);
    }
    Ok(results)
}

/// Waits until every named process is in state `target` (RUNNING, STOPPED, EXITED,
/// FATAL, …), or `timeout` passes. Fails fast for a process that becomes FATAL
/// while another state is awaited, with its failure details. `progress` is called
/// after every poll. One result per process: `reached`, `timed_out` or `failed`.
pub async fn wait_for_state(
    client: &Client,
    names: &[String],
    target: ProcessState,
    timeout: Duration,
    poll: Duration,
    progress: impl FnMut(&WaitProgress),
) -> Result<Vec<ProcessResult>> {
    let all = client.get_all_process_info().await?;
    let sel = select(&all, names);
    let mut results: Vec<ProcessResult> = sel.unknown.iter().map(|n| ProcessResult::unknown(n)).collect();
    let targets: Vec<String> = sel.processes.iter().map(ProcessInfo::namespec).collect();
    let dead_end = |p: &ProcessInfo| p.state() == ProcessState::Fatal && target != ProcessState::Fatal;
    let (infos, _) = wait_until_with_progress(
        client,
        &targets,
        timeout,
        poll,
        |p| p.state() == target || dead_end(p),
        progress,
    )
    .await?;
    for n in &targets {
        let r = match infos.get(n) {
            None => ProcessResult::unknown(n),
            Some(p) if p.state() == target => {
                ProcessResult::new(n.clone(), Outcome::Reached, Some(target), format!("{target}"))
            }
            Some(p) if dead_end(p) => failed(client, p, FaultCode::SpawnError, describe_exit(p)).await,
            Some(p) => {
                let mut r = ProcessResult::new(
                    n.clone(),
                    Outcome::TimedOut,
                    Some(p.state()),
                    format!(
                        "still {} after {:.0} s (waiting for {target})",
                        p.state(),
                        timeout.as_secs_f64()
                    ),
                );
                r.fault = Some(FaultCode::Failed);
                r
            }
        };
        results.push(r);
    }
    Ok(results)
}

/// Writes `text` to a running process's stdin (`sendProcessStdin`; UTF-8 only).
/// NOT_RUNNING and a closed stdin (NO_FILE) are reported in the result.
pub async fn send_stdin(client: &Client, name: &str, text: &str) -> Result<ProcessResult> {
    match client.send_process_stdin(name, text).await {
        Ok(_) => Ok(ProcessResult::new(
            name.to_owned(),
            Outcome::Sent,
            None,
            format!("sent {} bytes", text.len()),
        )),
        Err(crate::supervisor::Error::Fault(f)) if f.code == FaultCode::BadName => Ok(ProcessResult::unknown(name)),
        Err(crate::supervisor::Error::Fault(f)) => {
            let mut r = ProcessResult::new(name.to_owned(), Outcome::Failed, None, f.text);
            r.fault = Some(f.code);
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

/// Sends `signal` to each named process and every descendant (its whole tree, as
/// `stopasgroup` would), read from /proc. Only for a daemon on this host: a remote
/// one gives an error saying so. Processes not running are reported NOT_RUNNING.
pub async fn signal_tree(client: &Client, signal: &str, names: &[String]) -> Result<Vec<ProcessResult>> {
    crate::supervisor::local::LocalHost::require(client).await?;
    let all = client.get_all_process_info().await?;
    let sel = select(&all, names);
    let mut results: Vec<ProcessResult> = sel.unknown.iter().map(|n| ProcessResult::unknown(n)).collect();
    for p in &sel.processes {
        let n = p.namespec();
        let pid = i32::try_from(p.pid).unwrap_or(0);
        if pid <= 0 {
            if sel.explicit.contains(&n) {
                let mut r = ProcessResult::new(n, Outcome::Failed, Some(p.state()), "not running");
                r.fault = Some(FaultCode::NotRunning);
                results.push(r);
            }
            continue;
        }
        let sent = crate::supervisor::local::signal_tree(pid, signal)?;
        results.push(ProcessResult::new(
            n,
            Outcome::Signalled,
            Some(p.state()),
            format!("signalled {signal} to {} processes (pids {:?})", sent.len(), sent),
        ));
    }
    Ok(results)
}
