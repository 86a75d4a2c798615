//! Dynamic programs on a stock Supervisord: a `[program:x]` file written into a
//! directory that the daemon's `[include]` reads, then `reloadConfig` and
//! `addProcessGroup` (docs/supervisord-api.md). Processes so added outlive the agent
//! and this bridge. One-shot runs are transient programs of the same kind.
//!
//! - [`spec`]: the program's settings, validated, and their INI text;
//! - [`manage`]: adding, changing and removing programs;
//! - [`run`]: one-shot runs.

mod manage;
mod run;
mod spec;

pub use crate::supervisor::host::include::{IncludeDir, include_dir};
pub use manage::{Added, add, remove};
pub use run::{RunResult, run, run_summary};
pub use spec::{ProgramSpec, validate_name};

/// First line of every file this module writes.
pub const MARKER: &str = "; managed by supervisord-mcp: changes here may be overwritten";
