//! Signals (to a process, or to its whole tree on this host) and stdin.

use super::lifecycle::batch;
use crate::supervisor::Client;
use crate::supervisor::client::methods::SignalProcess;
use crate::supervisor::error::{Error, Fault, FaultCode, Result};
use crate::supervisor::ops::names::resolve;
use crate::supervisor::ops::result::{Outcome, ProcessResult};
use crate::supervisor::types::{ProcessInfo, ProcessState};

/// Sends `signal` (a name such as `HUP`, or a number) to the named processes.
/// Processes selected through `all` or a group are signalled only when they can be
/// (RUNNING, STARTING, STOPPING), as the daemon's own group call does; a process named
/// explicitly that is not running is reported as NOT_RUNNING.
/// Errors: [`Error::Fault`] with BAD_SIGNAL when the daemon rejects the signal.
pub async fn signal(client: &Client, signal: &str, names: &[String]) -> Result<Vec<ProcessResult>> {
    let sel = resolve(client, names).await?;
    let mut results: Vec<ProcessResult> = ProcessResult::unknowns(&sel);
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
    let faults = batch(client, &names, |name| SignalProcess {
        name,
        signal: signal.to_owned(),
    })
    .await?;
    for (p, fault) in targets.iter().zip(faults) {
        let n = p.namespec();
        let r = match fault {
            None => ProcessResult::new(n, Outcome::Signalled, Some(p.state()), format!("signalled {signal}")),
            Some(f) if f.code == FaultCode::BadSignal => return Err(Error::Fault(f)),
            Some(Fault { code, text, .. }) => {
                let mut r = ProcessResult::new(n, Outcome::Failed, Some(p.state()), text);
                r.fault = Some(code);
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
        Err(crate::supervisor::Error::Fault(f)) if f.code == FaultCode::BadName => {
            let all = client.get_all_process_info().await.unwrap_or_default();
            Ok(ProcessResult::unknown(
                name,
                crate::supervisor::ops::names::suggest(&all, name),
            ))
        }
        Err(crate::supervisor::Error::Fault(f)) => {
            let mut r = ProcessResult::new(name.to_owned(), Outcome::Failed, None, f.text);
            r.fault = Some(f.code);
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

/// Writes `text` to the stdin of each named process, in turn; one result each.
/// Errors: [`Error::Usage`] when no process is named; the daemon's errors.
pub async fn send_stdin_each(client: &Client, names: &[String], text: &str) -> Result<Vec<ProcessResult>> {
    if names.is_empty() {
        return Err(Error::Usage(
            "no process named: name the processes to write to, or `all` for every one".into(),
        ));
    }
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        out.push(send_stdin(client, n, text).await?);
    }
    Ok(out)
}

/// Sends `signal` to each named process and every descendant (its whole tree, as
/// `stopasgroup` would), read from /proc. Only for a daemon on this host: a remote
/// one gives an error saying so. Processes not running are reported NOT_RUNNING.
pub async fn signal_tree(client: &Client, signal: &str, names: &[String]) -> Result<Vec<ProcessResult>> {
    crate::supervisor::host::LocalHost::require(client).await?;
    let sel = resolve(client, names).await?;
    let mut results: Vec<ProcessResult> = ProcessResult::unknowns(&sel);
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
        let sent = crate::supervisor::host::signal_tree(pid, signal)?;
        results.push(ProcessResult::new(
            n,
            Outcome::Signalled,
            Some(p.state()),
            format!("signalled {signal} to {} processes (pids {:?})", sent.len(), sent),
        ));
    }
    Ok(results)
}
