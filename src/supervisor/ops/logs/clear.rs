//! Emptying process logs (`clearProcessLogs`, batched in one multicall).

use crate::supervisor::Client;
use crate::supervisor::client::methods::ClearProcessLogs;
use crate::supervisor::error::Result;
use crate::supervisor::ops::control::{Outcome, ProcessResult};
use crate::supervisor::ops::names::resolve;
use crate::supervisor::types::ProcessInfo;

/// Clears (empties) the stdout and stderr logs of the named processes (`all`,
/// `group:*`, ...) with one `system.multicall` of `clearProcessLogs`: one result each,
/// `cleared`, `failed` (with the daemon's fault) or `no_such_process`. The daemon's
/// own `clearAllProcessLogs` is deferred one process per tick: seconds for a dozen.
pub async fn clear(client: &Client, names: &[String]) -> Result<Vec<ProcessResult>> {
    let sel = resolve(client, names).await?;
    let targets: Vec<String> = sel.processes.iter().map(ProcessInfo::namespec).collect();
    let replies = client
        .call_each(targets.iter().map(|n| ClearProcessLogs { name: n.clone() }))
        .await?;
    let mut out: Vec<ProcessResult> = ProcessResult::unknowns(&sel);
    for ((name, reply), p) in targets.into_iter().zip(replies).zip(&sel.processes) {
        out.push(match reply {
            Ok(_) => ProcessResult::new(name, Outcome::Cleared, Some(p.state()), "logs cleared"),
            Err(f) => {
                let mut r = ProcessResult::new(name, Outcome::Failed, Some(p.state()), f.text);
                r.fault = Some(f.code);
                r
            }
        });
    }
    Ok(out)
}
