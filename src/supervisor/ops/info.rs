//! The daemon's identity and state, in one round trip (`system.multicall`).

use crate::supervisor::client::{Call, Client, decode_value};
use crate::supervisor::error::{Error, Result};
use crate::supervisor::types::{DaemonState, ProcessInfo};
use serde::Serialize;

/// What `info` shows. `server_url` never carries credentials.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct DaemonInfo {
    pub server_url: String,
    pub api_version: String,
    pub supervisor_version: String,
    pub identification: String,
    pub state: String,
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
    let mut calls = vec![
        Call::new("supervisor.getAPIVersion", vec![]),
        Call::new("supervisor.getSupervisorVersion", vec![]),
        Call::new("supervisor.getIdentification", vec![]),
        Call::new("supervisor.getState", vec![]),
        Call::new("supervisor.getPID", vec![]),
    ];
    if with_processes {
        calls.push(Call::new("supervisor.getAllProcessInfo", vec![]));
    }
    let mut results = client.multicall(&calls).await?.into_iter();
    let mut next = |m: &str| -> Result<crate::xmlrpc::Value> {
        match results.next() {
            Some(Ok(v)) => Ok(v),
            Some(Err(f)) => Err(Error::Fault(f)),
            None => Err(Error::Shape {
                method: m.into(),
                detail: "missing from multicall".into(),
            }),
        }
    };
    let api_version = decode_value("supervisor.getAPIVersion", next("getAPIVersion")?)?;
    let supervisor_version = decode_value("supervisor.getSupervisorVersion", next("getSupervisorVersion")?)?;
    let identification = decode_value("supervisor.getIdentification", next("getIdentification")?)?;
    let state: DaemonState = decode_value("supervisor.getState", next("getState")?)?;
    let pid = decode_value("supervisor.getPID", next("getPID")?)?;
    let processes = if with_processes {
        decode_value("supervisor.getAllProcessInfo", next("getAllProcessInfo")?)?
    } else {
        Vec::new()
    };
    let info = DaemonInfo {
        server_url: client.display_url().to_owned(),
        api_version,
        supervisor_version,
        identification,
        state: state.statename,
        pid,
    };
    Ok((info, processes))
}
