//! The domain core: the transport, the typed client of Supervisord's whole XML-RPC
//! API, and the operations built on it. Both front ends (CLI, MCP) call into here and
//! nothing here knows about them.

pub(crate) mod bounds;
pub mod cleanup;
pub mod client;
pub(crate) mod config_cache;
pub(crate) mod error;
#[cfg(test)]
pub(crate) mod fake;
pub mod files;
pub mod host;
pub mod journal;
pub mod ops;
pub(crate) mod policy;
pub mod text;
pub mod transport;
pub(crate) mod types;
pub mod watch;

pub use client::Client;
pub use error::{Error, ErrorKind, Fault, FaultCode, NextStep, Result};
pub use policy::{Change, Policy};
pub use transport::{Endpoint, Secret, ServerSettings, Transport};
pub use types::{Channel, ProcessInfo, ProcessState};
