//! The daemon's identity and state, in one round trip (`system.multicall`).

use crate::supervisor::client::Client;
use crate::supervisor::client::methods::{
    GetAllProcessInfo, GetApiVersion, GetIdentification, GetPid, GetState, GetSupervisorVersion,
};
use crate::supervisor::client::multicall::Batch;
use crate::supervisor::error::Result;
use crate::supervisor::types::{ProcessInfo, SupervisorState};
use serde::Serialize;

/// What `info` shows. `server_url` never carries credentials.
#[derive(Debug, Clone, Default, Serialize, PartialEq, schemars::JsonSchema)]
pub struct DaemonInfo {
    pub server_url: String,
    pub api_version: String,
    pub supervisor_version: String,
    pub identification: String,
    pub state: SupervisorState,
    pub pid: i64,
}

/// Reads `getAPIVersion`, `getSupervisorVersion`, `getIdentification`, `getState`
/// and `getPID` in one `system.multicall`.
pub async fn info(client: &Client) -> Result<DaemonInfo> {
    Ok(fetch(client, false).await?.0)
}

/// The daemon's info and every process's info, in one `system.multicall`.
pub async fn overview(client: &Client) -> Result<(DaemonInfo, Vec<ProcessInfo>)> {
    fetch(client, true).await
}

async fn fetch(client: &Client, with_processes: bool) -> Result<(DaemonInfo, Vec<ProcessInfo>)> {
    let mut batch = Batch::new();
    let api = batch.add(GetApiVersion {});
    let version = batch.add(GetSupervisorVersion {});
    let ident = batch.add(GetIdentification {});
    let state = batch.add(GetState {});
    let pid = batch.add(GetPid {});
    let all = with_processes.then(|| batch.add(GetAllProcessInfo {}));
    let mut r = client.multicall(batch).await?;
    let (api_version, supervisor_version) = (r.take(api)?, r.take(version)?);
    let (identification, state, pid) = (r.take(ident)?, r.take(state)?, r.take(pid)?);
    let processes = match all {
        Some(slot) => r.take(slot)?,
        None => Vec::new(),
    };
    let info = DaemonInfo {
        server_url: client.display_url().to_owned(),
        api_version,
        supervisor_version,
        identification,
        state: SupervisorState::from_code(state.statecode),
        pid,
    };
    Ok((info, processes))
}
