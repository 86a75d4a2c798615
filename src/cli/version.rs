//! This build's identity, for `--version`, `info` and bug reports: the crate's
//! version, the git commit and the target triple (both set by build.rs).

use serde::Serialize;

/// The crate's version (Cargo.toml), e.g. `0.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git commit built: a short hash, with `+dirty` when tracked files differed
/// from it, or `unknown` (built outside a git checkout, or without git).
pub const COMMIT: &str = env!("SUPERVISORD_MCP_BUILD_COMMIT");
/// The target triple built for, e.g. `x86_64-unknown-linux-gnu`.
pub const TARGET: &str = env!("SUPERVISORD_MCP_BUILD_TARGET");
/// What `--version` prints after the name, and `info` as `client`:
/// `0.1.0 (commit 1a2b3c4, x86_64-unknown-linux-gnu)`.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SUPERVISORD_MCP_BUILD_COMMIT"),
    ", ",
    env!("SUPERVISORD_MCP_BUILD_TARGET"),
    ")"
);

/// The build, as `info --json` shows it under `client`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Build {
    pub version: &'static str,
    pub commit: &'static str,
    pub target: &'static str,
}

/// This binary's build.
pub const BUILD: Build = Build {
    version: VERSION,
    commit: COMMIT,
    target: TARGET,
};
