//! supervisord-mcp: Supervisord in the hands of AI agents (MCP) and of people (CLI).
//!
//! Layers, each depending only on the ones above it:
//! - [`xmlrpc`]: the codec. Encodes calls, decodes Supervisord's (not always well-formed)
//!   responses; no I/O.
//! - [`supervisor`]: the domain core. The transport (HTTP or unix socket), the typed
//!   client of the whole `supervisor.*`/`system.*` API, and the operations built on it
//!   (idempotent start/stop, restart from any state, line-bounded logs, follow, update).
//! - [`config`]: settings resolved once, before any work, the way supervisorctl does it.
//! - [`cli`]: the command line; parses, calls the core, renders.
//! - [`mcp`]: the MCP server for agents (stdio); parses, calls the core, renders.
//!   The two front ends never import each other; `main.rs` picks one.

pub mod cli;
pub mod config;
pub mod fleet;
pub mod mcp;
pub mod supervisor;
pub mod xmlrpc;
