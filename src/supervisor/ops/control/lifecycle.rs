//! Start, stop and restart: idempotent, from any state, waiting for the end state.

use super::WaitOptions;
use crate::supervisor::Client;
use crate::supervisor::client::methods::{Method, StartProcess};
use crate::supervisor::error::{Fault, FaultCode, Result};
use crate::supervisor::ops::names::resolve;
use crate::supervisor::ops::poll::{info_map, wait_until};
use crate::supervisor::ops::result::{Outcome, ProcessResult, describe_exit, failed};
use crate::supervisor::types::{ProcessInfo, ProcessState};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Sends one call per process (`call(name)`) in a single multicall; returns each
/// process's fault, if any.
pub(super) async fn batch<M: Method>(
    client: &Client,
    names: &[String],
    call: impl Fn(String) -> M,
) -> Result<Vec<Option<Fault>>> {
    let replies = client.call_each(names.iter().cloned().map(call)).await?;
    Ok(replies.into_iter().map(Result::err).collect())
}

/// Starts the named processes (`name`, `group:name`, `group:*`, `all`).
/// Already running (or starting) is success. With `wait`, waits for RUNNING and
/// reports a process that fails to get there (BACKOFF, FATAL, stopped) with its
/// details. Errors only when the daemon cannot be asked at all.
pub async fn start(client: &Client, names: &[String], opts: &WaitOptions) -> Result<Vec<ProcessResult>> {
    let sel = resolve(client, names).await?;
    let mut results: Vec<ProcessResult> = ProcessResult::unknowns(&sel);
    let targets: Vec<String> = sel.processes.iter().map(ProcessInfo::namespec).collect();
    results.extend(start_targets(client, &targets, &info_map(sel.processes), opts, Outcome::Started).await?);
    Ok(results)
}

/// Starts targets (their last known `infos`); returns one result each, in order.
/// `success` is the outcome a start that reaches RUNNING reports.
async fn start_targets(
    client: &Client,
    targets: &[String],
    infos: &HashMap<String, ProcessInfo>,
    opts: &WaitOptions,
    success: Outcome,
) -> Result<Vec<ProcessResult>> {
    let started_at = Instant::now();
    let infos = settle_stopping(client, targets, infos, opts).await?;
    let mut plan = plan_start(targets, &infos);
    let to_start = std::mem::take(&mut plan.to_call);
    let faults = batch(client, &to_start, |name| StartProcess { name, wait: false }).await?;
    for (n, fault) in to_start.into_iter().zip(faults) {
        match fault {
            None => plan.to_watch.push(n),
            Some(fault) => {
                let r = start_refused(client, &n, &infos, fault).await;
                plan.results.insert(n, r);
            }
        }
    }
    if !opts.wait {
        plan.requested(ProcessState::Starting, "start requested");
    } else if !plan.to_watch.is_empty() {
        let left = opts.timeout.saturating_sub(started_at.elapsed());
        watch_starts(client, &mut plan, left, opts, success).await?;
    }
    Ok(plan.into_results(targets))
}

/// Where each target stands before the call: done already (with its result), to be
/// asked (`to_call`), or on its way and only to be watched (`to_watch`).
#[derive(Default)]
struct Plan {
    results: HashMap<String, ProcessResult>,
    to_call: Vec<String>,
    to_watch: Vec<String>,
}

impl Plan {
    /// Every watched target, reported as asked for without waiting (in `state`).
    fn requested(&mut self, state: ProcessState, message: &str) {
        for n in &self.to_watch {
            let r = ProcessResult::new(n.clone(), Outcome::Requested, Some(state), message);
            self.results.insert(n.clone(), r);
        }
    }

    /// One result per target that has one, in the targets' order.
    fn into_results(mut self, targets: &[String]) -> Vec<ProcessResult> {
        targets.iter().filter_map(|n| self.results.remove(n)).collect()
    }
}

/// The `infos`, with every STOPPING target waited for until it is stopped. A STOPPING
/// process cannot be started: while its pid lives, supervisord 4.3.0 does nothing
/// (`startProcess` with `wait` answers ABNORMAL_TERMINATION) and the process ends
/// STOPPED; once the pid is gone but the state not yet updated, it answers HTTP 500.
async fn settle_stopping(
    client: &Client,
    targets: &[String],
    infos: &HashMap<String, ProcessInfo>,
    opts: &WaitOptions,
) -> Result<HashMap<String, ProcessInfo>> {
    let mut infos = infos.clone();
    let stopping: Vec<String> = targets
        .iter()
        .filter(|n| infos.get(*n).is_some_and(|p| p.state() == ProcessState::Stopping))
        .cloned()
        .collect();
    if !stopping.is_empty() {
        let (fresh, _) = wait_until(client, &stopping, opts.timeout, opts.poll, |p| p.state().is_stopped()).await?;
        infos.extend(fresh);
    }
    Ok(infos)
}

/// RUNNING is done (already running), STARTING and BACKOFF are on their way (to
/// watch), anything else is to start. Targets with no info are left out.
fn plan_start(targets: &[String], infos: &HashMap<String, ProcessInfo>) -> Plan {
    let mut plan = Plan::default();
    for n in targets {
        let Some(p) = infos.get(n) else { continue };
        match p.state() {
            ProcessState::Running => {
                let r = ProcessResult::new(n.clone(), Outcome::AlreadyRunning, Some(p.state()), "already running");
                plan.results.insert(n.clone(), r);
            }
            ProcessState::Starting | ProcessState::Backoff => plan.to_watch.push(n.clone()),
            _ => plan.to_call.push(n.clone()),
        }
    }
    plan
}

/// The result for a target whose `startProcess` answered `fault`: ALREADY_STARTED is
/// success; any other fault fails with the process's spawnerr (or the fault text) and
/// details.
async fn start_refused(
    client: &Client,
    name: &str,
    infos: &HashMap<String, ProcessInfo>,
    fault: Fault,
) -> ProcessResult {
    let Fault { code, text, .. } = fault;
    if code == FaultCode::AlreadyStarted {
        return ProcessResult::new(
            name,
            Outcome::AlreadyRunning,
            Some(ProcessState::Running),
            "already running",
        );
    }
    let info = client
        .get_process_info(name)
        .await
        .unwrap_or_else(|_| infos.get(name).cloned().unwrap_or_default());
    let msg = if info.spawnerr.is_empty() {
        text
    } else {
        info.spawnerr.clone()
    };
    failed(client, &info, code, msg).await
}

/// Waits (up to `left`) for the watched targets to leave STARTING, and records where
/// each ended.
async fn watch_starts(
    client: &Client,
    plan: &mut Plan,
    left: Duration,
    opts: &WaitOptions,
    success: Outcome,
) -> Result<()> {
    let (fresh, _) = wait_until(client, &plan.to_watch, left, opts.poll, |p| {
        p.state() != ProcessState::Starting
    })
    .await?;
    for n in &plan.to_watch {
        let r = match fresh.get(n) {
            Some(p) => start_ended(client, n, p, opts, success).await,
            None => ProcessResult::vanished(n),
        };
        plan.results.insert(n.clone(), r);
    }
    Ok(())
}

/// The result for target `n`, watched since its start, now in `p`'s state.
async fn start_ended(client: &Client, n: &str, p: &ProcessInfo, opts: &WaitOptions, success: Outcome) -> ProcessResult {
    match p.state() {
        // EXITED means it did reach RUNNING (an exit before startsecs is BACKOFF).
        ProcessState::Running | ProcessState::Exited => {
            ProcessResult::new(n, success, Some(p.state()), success_message(success, p))
        }
        ProcessState::Starting => {
            let mut r = ProcessResult::new(
                n,
                Outcome::TimedOut,
                Some(p.state()),
                format!("still STARTING after {:.0} s", opts.timeout.as_secs_f64()),
            );
            r.fault = Some(FaultCode::Failed);
            r
        }
        ProcessState::Backoff | ProcessState::Fatal => failed(client, p, FaultCode::SpawnError, describe_exit(p)).await,
        _ => {
            failed(
                client,
                p,
                FaultCode::AbnormalTermination,
                format!("{} while starting: {}", p.state(), describe_exit(p)),
            )
            .await
        }
    }
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
    let sel = resolve(client, names).await?;
    let mut results: Vec<ProcessResult> = ProcessResult::unknowns(&sel);
    let targets: Vec<String> = sel.processes.iter().map(ProcessInfo::namespec).collect();
    let (stopped, _) = stop_targets(client, &targets, &info_map(sel.processes), opts.wait, opts).await?;
    results.extend(stopped);
    Ok(results)
}

/// Stops targets (their last known `infos`); returns one result each, in order, and
/// the infos seen last. With `wait`, waits for a stopped state.
async fn stop_targets(
    client: &Client,
    targets: &[String],
    infos: &HashMap<String, ProcessInfo>,
    wait: bool,
    opts: &WaitOptions,
) -> Result<(Vec<ProcessResult>, HashMap<String, ProcessInfo>)> {
    let mut seen = super::exited::recheck(client, targets, infos, opts.poll).await?;
    let mut plan = plan_stop(targets, &seen);
    let to_stop = std::mem::take(&mut plan.to_call);
    for (n, fault) in super::exited::stop_calls(client, to_stop, &mut seen, opts.poll).await? {
        match fault {
            None => plan.to_watch.push(n),
            Some(fault) => {
                let r = stop_refused(&n, &seen, fault);
                plan.results.insert(n, r);
            }
        }
    }
    let infos = &seen;
    let mut last = infos.clone();
    if wait && !plan.to_watch.is_empty() {
        last.extend(watch_stops(client, &mut plan, opts).await?);
    } else {
        plan.requested(ProcessState::Stopping, "stop requested");
    }
    Ok((plan.into_results(targets), last))
}

/// Stopped states are done (already stopped), STOPPING is on its way (to watch),
/// anything else is to stop. Targets with no info are left out.
fn plan_stop(targets: &[String], infos: &HashMap<String, ProcessInfo>) -> Plan {
    let mut plan = Plan::default();
    for n in targets {
        let Some(p) = infos.get(n) else { continue };
        match p.state() {
            s if s.is_stopped() => {
                let r = ProcessResult::new(
                    n.clone(),
                    Outcome::AlreadyStopped,
                    Some(s),
                    format!("already stopped ({s})"),
                );
                plan.results.insert(n.clone(), r);
            }
            ProcessState::Stopping => plan.to_watch.push(n.clone()),
            _ => plan.to_call.push(n.clone()),
        }
    }
    plan
}

/// The result for a target whose `stopProcess` answered `fault`: NOT_RUNNING is
/// success (already stopped), any other fault fails with its text.
fn stop_refused(name: &str, infos: &HashMap<String, ProcessInfo>, fault: Fault) -> ProcessResult {
    let Fault { code, text, .. } = fault;
    if code == FaultCode::NotRunning {
        return ProcessResult::new(name, Outcome::AlreadyStopped, None, "already stopped");
    }
    let mut r = ProcessResult::new(name, Outcome::Failed, infos.get(name).map(ProcessInfo::state), text);
    r.fault = Some(code);
    r
}

/// Waits (up to `opts.timeout`) for the watched targets to reach a stopped state,
/// records where each ended, and returns the infos seen last.
async fn watch_stops(client: &Client, plan: &mut Plan, opts: &WaitOptions) -> Result<HashMap<String, ProcessInfo>> {
    let (fresh, _) = wait_until(client, &plan.to_watch, opts.timeout, opts.poll, |p| {
        p.state().is_stopped()
    })
    .await?;
    for n in &plan.to_watch {
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
            None => ProcessResult::vanished(n),
        };
        plan.results.insert(n.clone(), r);
    }
    Ok(fresh)
}

/// Restarts the named processes from any state: stops what runs (or is starting,
/// or in BACKOFF), waits until every target is stopped, then starts them all. A
/// STOPPED, EXITED or FATAL process is simply started.
pub async fn restart(client: &Client, names: &[String], opts: &WaitOptions) -> Result<Vec<ProcessResult>> {
    let sel = resolve(client, names).await?;
    let mut results: Vec<ProcessResult> = ProcessResult::unknowns(&sel);
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
