//! Generic HTTP server hardening, for every endpoint this program serves (today the
//! MCP bridge's `/mcp` and `/health`; the dashboard and `/metrics` next): accepting
//! connections under a cap below the descriptor limit, with header and idle
//! timeouts and the oldest idle connections shed ([`conn`]), and giving memory back
//! to the system after bursts ([`memory`]). Knows nothing of MCP.

pub(crate) mod conn;
pub(crate) mod memory;

pub use conn::max_connections;
