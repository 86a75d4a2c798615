//! Start, stop, restart, signal and stdin, written once for both front ends.
//!
//! - Idempotent: already running (start) or already stopped (stop) is success, and
//!   says so.
//! - Restart works from any state: it stops what runs, waits for a stopped state
//!   (a STOPPING process cannot be started: supervisord does nothing while its pid
//!   lives, and answers HTTP 500 just after), then starts.
//! - The daemon is asked with `wait=false` (batched in one `system.multicall`) and we
//!   poll ourselves ([`super::poll`]): each call stays short while the whole wait is
//!   bounded by [`WaitOptions::timeout`], however long `startsecs`/`stopwaitsecs` are.
//! - A failed start reports spawnerr, exit status and the last stderr lines.

mod exited;
mod lifecycle;
mod signal;

pub use super::poll::{WaitProgress, wait_until, wait_until_with_progress};
pub use super::result::{Failure, Outcome, ProcessResult, failure_details};
pub use lifecycle::{restart, start, stop};
pub use signal::{send_stdin, send_stdin_each, signal, signal_tree};

use std::time::Duration;

/// How long start, stop and restart wait, in all, for processes to settle, unless told
/// otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long to wait for processes to settle.
#[derive(Debug, Clone, Copy)]
pub struct WaitOptions {
    /// Wait for the end state (RUNNING after start, stopped after stop). Restart
    /// always waits for the stop.
    pub wait: bool,
    /// Bound on the whole wait, across every process.
    pub timeout: Duration,
    /// How often to poll `getAllProcessInfo` while waiting.
    pub poll: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            wait: true,
            timeout: DEFAULT_TIMEOUT,
            poll: super::result::POLL,
        }
    }
}

#[cfg(test)]
mod tests;
