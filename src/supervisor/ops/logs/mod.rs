//! Logs by lines, not bytes, on top of Supervisord's byte-window reads.
//!
//! - [`tail`]: the last N lines, read in bounded windows from the end.
//! - [`read`]: byte ranges read exactly, whatever the daemon's strict UTF-8 makes of them.
//! - [`read_since`]: the lines written after a byte cursor (agents' incremental reads).
//! - [`follow`]: `logs -f`, across rotation and truncation.
//! - [`filter`]: JSON-aware line filters; [`clear`]: emptying logs.

mod clear;
mod cursor;
pub mod filter;
mod follow;
mod read;
mod tail;

pub use clear::clear;
pub use cursor::{LogChunk, read_since};
pub use follow::{FollowEvent, FollowOptions, follow, follow_stream};
pub use read::{RangeRead, read_range, size};
pub use tail::{LogTail, display_line, tail, tail_at_end, tail_filtered};

use crate::supervisor::types::Channel;

/// Which log: a process's stdout or stderr, or the daemon's main log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSource {
    Process { name: String, channel: Channel },
    Main,
}

impl LogSource {
    pub fn process(name: &str, channel: Channel) -> LogSource {
        LogSource::Process {
            name: name.to_owned(),
            channel,
        }
    }
}

/// Options for [`tail`] and [`follow`].
#[derive(Debug, Clone)]
pub struct TailOptions {
    /// How many lines (not bytes).
    pub lines: usize,
    /// Hard cap on the bytes read for one tail (the window never grows past it).
    pub max_bytes: u64,
    /// Keep ANSI escapes, `\r` and other control characters as the program wrote
    /// them (default: stripped for display).
    pub raw: bool,
}

impl Default for TailOptions {
    fn default() -> Self {
        TailOptions {
            lines: 20,
            max_bytes: DEFAULT_MAX_BYTES,
            raw: false,
        }
    }
}

/// Default cap on one tail's window: 4 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 4 * 1024 * 1024;
