//! The daemon's identity and state, in one round trip (`system.multicall`).

use crate::supervisor::client::Client;
use crate::supervisor::client::methods::{GetApiVersion, GetIdentification, GetPid, GetState, GetSupervisorVersion};
use crate::supervisor::client::multicall::{Batch, Replies, Slot};
use crate::supervisor::error::Result;
use crate::supervisor::types::SupervisorState;
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
    let mut batch = Batch::new();
    let slots = DaemonSlots::add(&mut batch);
    let mut replies = client.multicall(batch).await?;
    slots.take(client, &mut replies)
}

/// The daemon-info calls added to a batch, to be taken from its replies: so that
/// another operation asks for them in its own round trip.
pub struct DaemonSlots {
    api: Slot<GetApiVersion>,
    version: Slot<GetSupervisorVersion>,
    ident: Slot<GetIdentification>,
    state: Slot<GetState>,
    pid: Slot<GetPid>,
}

impl DaemonSlots {
    pub fn add(batch: &mut Batch) -> DaemonSlots {
        DaemonSlots {
            api: batch.add(GetApiVersion {}),
            version: batch.add(GetSupervisorVersion {}),
            ident: batch.add(GetIdentification {}),
            state: batch.add(GetState {}),
            pid: batch.add(GetPid {}),
        }
    }

    /// The daemon's info from the batch's replies. Errors: a call's fault.
    pub fn take(self, client: &Client, r: &mut Replies) -> Result<DaemonInfo> {
        Ok(DaemonInfo {
            server_url: client.display_url().to_owned(),
            api_version: r.take(self.api)?,
            supervisor_version: r.take(self.version)?,
            identification: r.take(self.ident)?,
            state: SupervisorState::from_code(r.take(self.state)?.statecode),
            pid: r.take(self.pid)?,
        })
    }
}
