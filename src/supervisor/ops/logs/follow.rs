//! `logs -f`: a byte cursor over the log, looked at every poll
//! ([`super::follow_poll`]: the file on this host, or the daemon without a size
//! probe); a log that shrank below the cursor was rotated or truncated and reading
//! restarts at 0. For the main log, which has no size probe, [`follow_stream`] reads
//! the daemon's `/mainlogtail` HTTP/1.1 stream.

use super::follow_poll::Poller;
use super::read::lossy;
use super::reader::Reader;
use super::tail::{display_line, filtered_tail_ending_at, split_lines};
use super::{LogSource, TailOptions};
use crate::supervisor::Client;
use crate::supervisor::error::Result;
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

/// Follows a process log: first the last `opts.tail.lines` lines, then every new
/// complete line, until `sink` returns false or an error occurs. A partial last line
/// is held until its newline arrives. When the log shrinks (rotation, `clear`,
/// truncation) reading restarts at 0, so no line is repeated. When the daemon is on
/// this host the file is read directly: after a rotation the rest of the old file is
/// read first, so nothing is lost. Remotely, supervisord offers no way to read the
/// lines written between the last poll and a rotation (its own `/logtail` drops them
/// too), and a log rotated and regrown past the cursor within one poll is not seen.
/// Logs over 2 GiB cost the daemon no failed call (and no traceback in its log).
pub async fn follow(
    client: &Client,
    name: &str,
    channel: Channel,
    opts: &FollowOptions,
    mut sink: impl FnMut(FollowEvent) -> bool,
) -> Result<()> {
    let src = LogSource::process(name, channel);
    let opened = async {
        let reader = Reader::open(client, &src).await?;
        let size = reader.size().await?;
        Ok((reader, size))
    };
    let (mut reader, cursor) = super::explained(client, &src, opened.await).await?;
    let history = filtered_tail_ending_at(&mut reader, &opts.tail, &opts.filter, cursor).await?;
    if !history.lines.is_empty() && !sink(FollowEvent::Lines(history.lines)) {
        return Ok(());
    }
    poll_from(reader, cursor, opts, sink).await
}

/// Like [`follow`] without the history: every complete line written after byte
/// `cursor` of the log (from an earlier read of it). A log now smaller than `cursor`
/// was rotated or cleared: reading restarts at 0.
pub async fn follow_from(
    client: &Client,
    name: &str,
    channel: Channel,
    cursor: u64,
    opts: &FollowOptions,
    sink: impl FnMut(FollowEvent) -> bool,
) -> Result<()> {
    let src = LogSource::process(name, channel);
    let reader = Reader::open(client, &src).await?;
    poll_from(reader, cursor, opts, sink).await
}

/// Polls `reader` from `cursor` every `opts.poll` until `sink` returns false.
async fn poll_from(
    reader: Reader<'_>,
    cursor: u64,
    opts: &FollowOptions,
    mut sink: impl FnMut(FollowEvent) -> bool,
) -> Result<()> {
    let mut poller = Poller::new(reader, cursor, opts.tail.raw, opts.filter.clone());
    loop {
        tokio::time::sleep(opts.poll).await;
        loop {
            let (events, more) = poller.poll().await?;
            for ev in events {
                if !sink(ev) {
                    return Ok(());
                }
            }
            if !more {
                break;
            }
        }
    }
}

/// Follows a raw HTTP stream (`/mainlogtail`, or `/logtail/NAME/CHANNEL`): the daemon
/// first sends the last 1 KiB, then new bytes as they come. Bytes are passed through
/// line by line (bytes that are not UTF-8 as U+FFFD, one a byte); the first
/// (probably partial) line is dropped. Ends when `sink`
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
            // Each byte that does not start a character is one U+FFFD, as elsewhere.
            let text = lossy(&partial).bytes;
            let mut lines: Vec<String> = split_lines(&text, false)
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
