//! The MCP front end: `supervisord-mcp mcp` serves the agent's tools over stdio
//! (rmcp). It parses arguments, calls `supervisor::ops`, renders; nothing here knows
//! the command line. stdout carries only JSON-RPC; diagnostics go to stderr.

pub mod answer;
mod complete;
pub mod fleet;
pub mod help;
pub mod http;
pub mod render;
pub mod resources;
pub mod schema;
pub mod server;
mod service;
mod stdio;
pub mod tools;

pub use server::SupervisorMcp;
pub use service::Served;

#[cfg(test)]
mod tests;

use crate::fleet::{Fleet, FleetError, Scope};
use crate::supervisor::{Client, Policy};
use rmcp::ServiceExt;
use std::path::PathBuf;
use std::sync::Arc;

/// What the server's tools act on and may do, over stdio or HTTP alike.
#[derive(Debug, Clone)]
pub struct Backend {
    /// The daemon of unqualified resources and `resources/list`: the one daemon, or
    /// the first selected target of the fleet.
    pub client: Client,
    /// The targets of a targets file: the tools go across its selection.
    pub fleet: Option<Arc<Fleet>>,
    pub policy: Policy,
    /// Where `program`/`run` write program files (`None`: found from the daemon).
    pub include_dir: Option<PathBuf>,
}

impl Backend {
    /// The backend of `scope` (see [`crate::settings::Settings`]). Errors: a fleet
    /// whose selection names no target.
    pub fn new(scope: Scope, policy: Policy, include_dir: Option<PathBuf>) -> Result<Backend, FleetError> {
        let (client, fleet) = match scope {
            Scope::One(c) => (c, None),
            Scope::Fleet(f) => match f.selected()?.into_iter().next() {
                Some(t) => (t.client, Some(Arc::new(f))),
                None => return Err(FleetError::NothingSelected),
            },
        };
        Ok(Backend {
            client,
            fleet,
            policy,
            include_dir,
        })
    }

    /// A server of this backend (one per MCP session).
    pub fn server(&self) -> SupervisorMcp {
        SupervisorMcp::with_policy(self.client.clone(), self.policy.clone())
            .with_include_dir(self.include_dir.clone())
            .with_fleet(self.fleet.clone())
    }
}

/// Serves MCP on stdin/stdout until the client closes stdin; then what is in flight
/// ends at once (a listen gracefully, a call cancelled) and this returns.
/// Errors: the MCP handshake failed, or the transport broke.
pub async fn serve_stdio(backend: Backend) -> std::io::Result<()> {
    let stop = tokio_util::sync::CancellationToken::new();
    let server = backend.server().with_stop(stop.clone());
    let watchers = server.watchers.clone();
    let service = Served(server)
        .serve(stdio::stdio(stop))
        .await
        .map_err(std::io::Error::other)?;
    let r = service.waiting().await;
    watchers.close();
    r.map_err(std::io::Error::other)?;
    Ok(())
}
