//! Logs by lines, not bytes, on top of Supervisord's byte-window reads.
//!
//! - [`tail`]: the last N lines, read in bounded windows from the end.
//! - [`reader`]: where the bytes come from: the log's file on this host when it can be
//!   read from here, else supervisord ([`read`], [`narrow`]: windows that are not
//!   UTF-8 resolved in a few multicall rounds).
//! - [`read_range`], [`size`]: byte ranges read exactly, whatever they hold.
//! - [`Located`], [`OpenLog`], [`tail_located`]: the same, where the caller already
//!   knows where the log is (no round trip of their own).
//! - [`read_since`]: the lines written after a byte cursor (agents' incremental reads).
//! - [`follow`]: `logs -f`, across rotation and truncation.
//! - [`filter`]: JSON-aware line filters; [`clear`]: emptying logs.

mod clear;
mod cursor;
pub mod filter;
mod follow;
mod follow_poll;
mod located;
mod narrow;
mod read;
mod reader;
mod tail;

pub use clear::clear;
pub use cursor::{LogChunk, read_since};
pub use follow::{FollowEvent, FollowOptions, follow, follow_from, follow_stream};
pub use located::{Located, OpenLog};
pub use read::RangeRead;
pub use tail::{LogTail, display_line, tail, tail_at_end, tail_filtered, tail_located};

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

/// `r`, with a BAD_NAME fault about `src`'s process turned into "no such process"
/// with the closest known name ([`names::explain`]), as every command says it:
/// no XML-RPC method name in it.
pub(crate) async fn explained<T>(
    client: &crate::supervisor::Client,
    src: &LogSource,
    r: crate::supervisor::Result<T>,
) -> crate::supervisor::Result<T> {
    match (r, src) {
        (Err(e), LogSource::Process { name, .. }) => Err(super::names::explain(client, name, e).await),
        (r, _) => r,
    }
}

/// Default cap on one tail's window: 4 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 4 * 1024 * 1024;

/// Smallest cap front ends accept for a window (bytes). The core takes any value:
/// windows never exceed the cap, whatever it is.
pub const MIN_MAX_BYTES: u64 = 1024;

/// Reads bytes `[offset, offset + length)` of a log exactly (fewer at its end),
/// whatever they hold: a byte that does not start a valid character within the
/// range is replaced by U+FFFD (EF BF BD), and offsets stay file offsets. From the
/// file when the daemon is on this host and the file is readable, else from the
/// daemon (`read*Log` in `system.multicall`, narrowed around bytes that are not UTF-8).
/// Errors: BAD_NAME, NO_FILE, a log that is mostly binary (read through the daemon),
/// the transport's errors.
pub async fn read_range(
    client: &crate::supervisor::Client,
    src: &LogSource,
    offset: u64,
    length: u64,
) -> crate::supervisor::Result<RangeRead> {
    reader::Reader::open(client, src)
        .await?
        .read_range(offset, length)
        .await
}

/// The log's size in bytes: `fstat` on this host, else from the daemon (see
/// `read::size`).
pub async fn size(client: &crate::supervisor::Client, src: &LogSource) -> crate::supervisor::Result<u64> {
    reader::Reader::open(client, src).await?.size().await
}

/// The file on this host that a log is read from, when it is read from one (see
/// [`reader`]); `None` when it is read through the daemon.
pub async fn host_file(
    client: &crate::supervisor::Client,
    src: &LogSource,
) -> crate::supervisor::Result<Option<std::path::PathBuf>> {
    let r = reader::Reader::open(client, src).await?;
    Ok(r.host().map(|h| h.path.clone()))
}
