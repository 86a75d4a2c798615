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
pub mod tools;

pub use server::SupervisorMcp;

#[cfg(test)]
mod tests;

use crate::supervisor::{Client, Policy};
use rmcp::ServiceExt;

/// Serves MCP on stdin/stdout until the client closes stdin.
/// Errors: the MCP handshake failed, or the transport broke.
pub async fn serve_stdio(
    client: Client,
    policy: Policy,
    include_dir: Option<std::path::PathBuf>,
    fleet: Option<crate::fleet::Fleet>,
) -> std::io::Result<()> {
    let service = SupervisorMcp::with_policy(client, policy)
        .with_include_dir(include_dir)
        .with_fleet(fleet.map(std::sync::Arc::new))
        .serve(rmcp::transport::stdio())
        .await
        .map_err(std::io::Error::other)?;
    service.waiting().await.map_err(std::io::Error::other)?;
    Ok(())
}
