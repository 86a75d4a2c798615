//! Waiting for processes to reach a state (RUNNING, STOPPED, EXITED, FATAL), failing
//! fast when one dies; readiness (URL, port, log pattern) is [`super::ready`].

use super::names::resolve;
use super::poll::{WaitProgress, wait_until_with_progress};
use super::ready::{ReadyCheck, wait_ready};
use super::result::{Outcome, ProcessResult, describe_exit, failed};
use crate::supervisor::Client;
use crate::supervisor::error::Error;
use crate::supervisor::error::{FaultCode, Result};
use crate::supervisor::types::{ProcessInfo, ProcessState};
use std::time::Duration;

/// How long `wait` waits, in all, unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub use super::result::POLL;

/// What to wait for: every named process in `state`, or, when `check` is not empty,
/// the one named process ready (RUNNING, and its URL, port or log pattern passes).
#[derive(Debug, Clone)]
pub struct WaitFor {
    pub names: Vec<String>,
    pub state: ProcessState,
    pub check: ReadyCheck,
    pub timeout: Duration,
}

/// Waits as `w` says, calling `progress` after every poll. One result per process.
/// Errors: [`Error::Usage`] when a readiness check names more than one process; the
/// daemon's errors.
pub async fn wait(client: &Client, w: &WaitFor, progress: impl FnMut(&WaitProgress)) -> Result<Vec<ProcessResult>> {
    if w.check.is_empty() {
        return wait_for_state(client, &w.names, w.state, w.timeout, POLL, progress).await;
    }
    let [name] = w.names.as_slice() else {
        return Err(Error::Usage(
            "a URL, port or pattern check is for one process: give one name".into(),
        ));
    };
    Ok(vec![wait_ready(client, name, &w.check, w.timeout, progress).await?])
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
    let sel = resolve(client, names).await?;
    let mut results: Vec<ProcessResult> = ProcessResult::unknowns(&sel);
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
            None => ProcessResult::unknown(n, None),
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
