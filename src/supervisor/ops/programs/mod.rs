//! Dynamic programs on a stock Supervisord: a `[program:x]` file written into a
//! directory that the daemon's `[include]` reads, then `reloadConfig` and
//! `addProcessGroup` (docs/supervisord-api.md). Processes so added outlive the agent
//! and this bridge. One-shot runs are transient programs of the same kind.
//!
//! - [`value`]: how each value is written so that supervisord reads back exactly it,
//!   or why it cannot be;
//! - [`spec`]: the program's description, validated, and its INI text;
//! - [`owned`]: which files and names are ours, and the limits;
//! - [`guard`]: undoing a half-done change, even when the caller is cancelled;
//! - [`manage`] and [`remove`]: adding, changing and removing programs;
//! - [`run`]: one-shot runs.

mod guard;
mod manage;
pub(crate) mod owned;
mod remove;
mod run;
mod spec;
mod value;

pub use crate::supervisor::host::include::{IncludeDir, include_dir};
pub use manage::{AddOptions, Added, add};
pub use owned::{MAX_PROCESSES, MAX_PROGRAMS};
pub use remove::{Removed, remove};
pub use run::{RunRequest, RunResult, run, run_summary};
pub use spec::{MAX_ENV_VARS, MAX_NUMPROCS, ProgramSettings, ProgramSpec, validate_name};
pub use value::{MAX_VALUE_BYTES, command_from_argv};

/// How long a one-shot run may take unless told otherwise.
pub const RUN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// How long removing a program waits for it to stop.
pub const REMOVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// First line of every file this module writes.
pub const MARKER: &str = "; managed by supervisord-mcp: changes here may be overwritten";
