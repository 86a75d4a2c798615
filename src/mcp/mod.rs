//! The MCP front end: `supervisord-mcp mcp` serves the agent's tools over stdio
//! (rmcp). It parses arguments, calls `supervisor::ops`, renders; nothing here knows
//! the command line. stdout carries only JSON-RPC; diagnostics go to stderr.

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

use crate::supervisor::{Client, Policy};
use rmcp::ServiceExt;

/// Serves MCP on stdin/stdout until the client closes stdin; then what is in flight
/// ends at once (a listen gracefully, a call cancelled) and this returns.
/// Errors: the MCP handshake failed, or the transport broke.
pub async fn serve_stdio(
    client: Client,
    policy: Policy,
    include_dir: Option<std::path::PathBuf>,
    fleet: Option<crate::fleet::Fleet>,
) -> std::io::Result<()> {
    let stop = tokio_util::sync::CancellationToken::new();
    let server = SupervisorMcp::with_policy(client, policy)
        .with_include_dir(include_dir)
        .with_fleet(fleet.map(std::sync::Arc::new))
        .with_stop(stop.clone());
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
