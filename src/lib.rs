//! supervisord-mcp: Supervisord in the hands of AI agents (MCP) and of people (CLI).
//!
//! Layers, each depending only on the ones above it:
//! - [`xmlrpc`]: the codec. Encodes calls, decodes Supervisord's (not always well-formed)
//!   responses; no I/O.
//! - [`supervisor`]: the domain core. The transport (HTTP or unix socket), the typed
//!   client of the whole `supervisor.*`/`system.*` API, and the operations built on it
//!   (idempotent start/stop, restart from any state, line-bounded logs, follow, update).
//! - [`fleet`]: many daemons: the targets file, the selection grammar, names qualified
//!   by target, the parallel fan-out with one deadline per target, the typed
//!   operations both front ends run across targets ([`fleet::exec`]), and one watch
//!   engine per daemon ([`fleet::watch`]).
//! - [`settings`]: the flags (clap's definitions in [`cli`]), files and environment
//!   resolved once, before any work, into one [`settings::Settings`]: one daemon (the
//!   way supervisorctl finds it) or a fleet, the policy, timeouts, output mode, the MCP
//!   server's own settings, and the warnings to print once.
//! - [`cli`]: the command line; parses, calls the core, renders.
//! - [`mcp`]: the MCP server for agents (stdio or HTTP); parses, calls the core, renders.
//!   The two front ends never import each other; `main.rs` resolves the settings
//!   and picks one.
//! - [`server`]: HTTP hardening every served endpoint shares (connections, timeouts,
//!   `Host`/`Origin`, tokens and scopes, the audit log, the drain); no MCP in it.
//! - [`web`]: `serve`: `/mcp`, the dashboard, `/metrics` and `/health` on one server;
//!   parses, calls the core, renders.
//!
//! What a library user calls: [`supervisor::Client`] (built from
//! [`supervisor::ServerSettings`], or from a URL with [`supervisor::Endpoint::parse`]),
//! the operations of [`supervisor::ops`] on it (`control::start`/`stop`/`restart`,
//! `status::query`, `logs::tail`/`follow`, `wait::wait`, `diagnose::diagnose`,
//! `programs`, `update`), [`fleet::resolve`], [`fleet::exec`] and [`fleet::fan_out`]
//! for many daemons,
//! [`supervisor::watch`] (and [`fleet::watch`]) for changes as they happen,
//! [`mcp::SupervisorMcp`] to serve MCP, and the codec of [`xmlrpc`]. Errors are
//! [`supervisor::Error`]. Everything else (the typed methods and multicall of the
//! client, the polling engine, caches, the front ends' renderers) is crate-private.

pub mod cli;
pub mod fleet;
pub mod mcp;
pub mod server;
pub mod settings;
pub mod supervisor;
pub mod web;
pub mod xmlrpc;
