//! `logs -f`: a byte cursor over `read*Log`, with a size probe every poll; a size
//! below the cursor means rotation or truncation and the cursor restarts at 0. For
//! the main log, which has no size probe, [`follow_stream`] reads the daemon's
//! `/mainlogtail` HTTP/1.1 stream.

use super::read::{read_range, size};
use super::tail::{display_line, filtered_tail_ending_at, split_lines};
use super::{LogSource, TailOptions};
use crate::supervisor::Client;
use crate::supervisor::error::Result;
use crate::supervisor::host::logfile::rotated_rest;
use crate::supervisor::transport::StreamRead;
use crate::supervisor::types::Channel;
use std::time::Duration;

/// Options for [`follow`].
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// Lines of history to show first.
    pub tail: TailOptions,
    /// How often to look for new bytes.
    pub poll: Duration,
    /// Only lines that pass: the history as [`tail_filtered`] gives it (with `grep`
    /// context), new lines one by one (without context).
    pub filter: super::filter::LogFilter,
}

/// What [`follow`] hands to its sink.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowEvent {
    /// Complete lines (history first, then new ones).
    Lines(Vec<String>),
    /// The log got smaller: rotated, cleared or truncated; reading restarts at 0.
    Truncated,
}

/// Largest read while following (bytes); a burst larger than this is read in pieces.
const FOLLOW_CHUNK: u64 = 1024 * 1024;

/// Follows a process log: first the last `opts.tail.lines` lines, then every new
/// complete line, until `sink` returns false or an error occurs. A partial last line
/// is held until its newline arrives. When the log shrinks (rotation, `clear`,
/// truncation) reading restarts at 0, so no line is repeated. Lines written to the
/// old file between the last poll and a rotation are recovered from the fresh
/// `LOG.1` backup when the daemon is on this host; supervisord offers no way to read
/// them remotely (its own `/logtail` drops them too), so a remote follow can miss
/// them. A log rotated twice within one poll, or rotated and regrown past the cursor,
/// is not detected.
pub async fn follow(
    client: &Client,
    name: &str,
    channel: Channel,
    opts: &FollowOptions,
    mut sink: impl FnMut(FollowEvent) -> bool,
) -> Result<()> {
    let src = LogSource::process(name, channel);
    let local_log = if client.transport().is_local() {
        let info = client.get_process_info(name).await?;
        let path = match channel {
            Channel::Stdout => info.stdout_logfile,
            Channel::Stderr => info.stderr_logfile,
        };
        (!path.is_empty()).then(|| std::path::PathBuf::from(path))
    } else {
        None
    };
    let mut cursor = size(client, &src).await?;
    let mut last_poll = std::time::SystemTime::now();
    let history = filtered_tail_ending_at(client, &src, &opts.tail, &opts.filter, cursor).await?;
    if !history.lines.is_empty() && !sink(FollowEvent::Lines(history.lines)) {
        return Ok(());
    }
    let mut partial: Vec<u8> = Vec::new();
    loop {
        tokio::time::sleep(opts.poll).await;
        let now = size(client, &src).await?;
        let polled_at = std::time::SystemTime::now();
        if now < cursor {
            if let Some(rest) = local_log.as_deref().and_then(|p| rotated_rest(p, cursor, last_poll)) {
                partial.extend_from_slice(&rest);
                let lines: Vec<String> = split_lines(&partial, false)
                    .into_iter()
                    .map(|l| display_line(l, opts.tail.raw))
                    .collect();
                if !lines.is_empty() && !sink(FollowEvent::Lines(lines)) {
                    return Ok(());
                }
            }
            cursor = 0;
            partial.clear();
            if !sink(FollowEvent::Truncated) {
                return Ok(());
            }
        }
        last_poll = polled_at;
        while now > cursor {
            let read = read_range(client, &src, cursor, (now - cursor).min(FOLLOW_CHUNK)).await?;
            if read.covered == 0 {
                break;
            }
            cursor += read.covered;
            partial.extend_from_slice(&read.bytes);
            if let Some(last_nl) = partial.iter().rposition(|b| *b == b'\n') {
                let rest = partial.split_off(last_nl + 1);
                let lines: Vec<String> = split_lines(&partial, false)
                    .into_iter()
                    .map(|l| display_line(l, opts.tail.raw))
                    .filter(|l| opts.filter.keeps(l))
                    .collect();
                partial = rest;
                if !lines.is_empty() && !sink(FollowEvent::Lines(lines)) {
                    return Ok(());
                }
            }
        }
    }
}

/// Follows a raw HTTP stream (`/mainlogtail`, or `/logtail/NAME/CHANNEL`): the daemon
/// first sends the last 1 KiB, then new bytes as they come. Bytes are passed through
/// line by line; the first (probably partial) line is dropped. Ends when `sink`
/// returns false or the daemon closes the stream.
///
/// Bounded by the call timeout T (`--rpc-timeout`): connecting and the response
/// headers within T; after T of silence the daemon is asked `supervisor.getState`
/// (bounded by T): an answer means a quiet log (following goes on), no answer is a
/// dead or frozen daemon, [`Error::Timeout`](crate::supervisor::Error::Timeout). So a dead peer is detected within 2 T.
pub async fn follow_stream(
    client: &Client,
    path: &str,
    raw: bool,
    mut sink: impl FnMut(FollowEvent) -> bool,
) -> Result<()> {
    let silence = client.transport().timeout();
    let mut stream = client.transport().get_stream(path).await?;
    let mut partial: Vec<u8> = Vec::new();
    let mut first = true;
    loop {
        let chunk = match stream.next(silence).await? {
            StreamRead::Bytes(chunk) => chunk,
            StreamRead::End => return Ok(()),
            StreamRead::Silent => {
                client.get_state().await?;
                continue;
            }
        };
        partial.extend_from_slice(&chunk);
        if let Some(last_nl) = partial.iter().rposition(|b| *b == b'\n') {
            let rest = partial.split_off(last_nl + 1);
            let mut lines: Vec<String> = split_lines(&partial, false)
                .into_iter()
                .map(|l| display_line(l, raw))
                .collect();
            if first && chunk.len() >= 1024 && !lines.is_empty() {
                lines.remove(0);
            }
            first = false;
            partial = rest;
            if !lines.is_empty() && !sink(FollowEvent::Lines(lines)) {
                return Ok(());
            }
        }
    }
}
