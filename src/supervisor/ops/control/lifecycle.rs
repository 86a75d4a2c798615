//! Start, stop and restart: idempotent, from any state, waiting for the end state.

use super::WaitOptions;
use super::result::{Outcome, ProcessResult, describe_exit, failed};
use crate::supervisor::Client;
use crate::supervisor::client::methods::{Method, StartProcess, StopProcess};
use crate::supervisor::error::{Fault, FaultCode, Result};
use crate::supervisor::ops::names::resolve;
use crate::supervisor::ops::poll::{info_map, wait_until};
use crate::supervisor::types::{ProcessInfo, ProcessState};
use std::collections::HashMap;
use std::time::Instant;

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
    let faults = batch(client, &to_start, |name| StartProcess { name, wait: false }).await?;
    for (n, fault) in to_start.iter().zip(faults) {
        match fault {
            None => to_watch.push(n.clone()),
            Some(Fault {
                code: FaultCode::AlreadyStarted,
                ..
            }) => {
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
            Some(Fault { code, text, .. }) => {
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
                    results.insert(n.clone(), ProcessResult::unknown(n, None));
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
    let sel = resolve(client, names).await?;
    let mut results: Vec<ProcessResult> = ProcessResult::unknowns(&sel);
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
    let faults = batch(client, &to_stop, |name| StopProcess { name, wait: false }).await?;
    for (n, fault) in to_stop.iter().zip(faults) {
        match fault {
            None => to_watch.push(n.clone()),
            Some(Fault {
                code: FaultCode::NotRunning,
                ..
            }) => {
                results.insert(
                    n.clone(),
                    ProcessResult::new(n.clone(), Outcome::AlreadyStopped, None, "already stopped"),
                );
            }
            Some(Fault { code, text, .. }) => {
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
                None => ProcessResult::unknown(n, None),
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
