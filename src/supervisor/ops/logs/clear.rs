//! Emptying process logs (`clearProcessLogs`, batched in one multicall).

use crate::supervisor::Client;
use crate::supervisor::client::methods::ClearProcessLogs;
use crate::supervisor::error::Result;
use serde::Serialize;

/// The result of clearing one process's logs.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClearResult {
    /// Full namespec, or the name as given when it matched nothing.
    pub name: String,
    pub cleared: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Clears (empties) the stdout and stderr logs of the named processes (`all`,
/// `group:*`, …) with one `system.multicall` of `clearProcessLogs`. The daemon's own
/// `clearAllProcessLogs` is deferred one process per tick: seconds for a dozen.
pub async fn clear(client: &Client, names: &[String]) -> Result<Vec<ClearResult>> {
    let all = client.get_all_process_info().await?;
    let sel = crate::supervisor::ops::names::select(&all, names);
    let targets: Vec<String> = sel
        .processes
        .iter()
        .map(crate::supervisor::ProcessInfo::namespec)
        .collect();
    let replies = client
        .call_each(targets.iter().map(|n| ClearProcessLogs { name: n.clone() }))
        .await?;
    let mut out: Vec<ClearResult> = sel
        .unknown
        .iter()
        .map(|n| ClearResult {
            name: n.clone(),
            cleared: false,
            error: Some("no such process".into()),
        })
        .collect();
    out.extend(targets.into_iter().zip(replies).map(|(name, r)| ClearResult {
        name,
        cleared: r.is_ok(),
        error: r.err().map(|f| f.text),
    }));
    Ok(out)
}
