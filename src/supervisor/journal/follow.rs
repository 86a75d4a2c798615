//! New journal events as they are written, for `events -f` and the watch engine.
//!
//! - [`Via::Poll`]: a byte cursor polled through the log machinery
//!   (`ops::logs::follow_from`): on this host the file itself (an `fstat` a poll, no
//!   call to the daemon), else one `readProcessStderrLog` multicall a poll. Exact:
//!   every line after the cursor, once.
//! - [`Via::Stream`]: the daemon's `/logtail/supervisord-mcp-journal/stderr` HTTP
//!   stream (one connection, no call a poll). The daemon looks at the file on its
//!   own loop's turns, and starts with the last 1 KiB: lines up to the journal's last
//!   event when the stream began are skipped.

use super::LISTENER;
use super::event::JournalEvent;
use super::read::journal_size;
use crate::supervisor::error::Result;
use crate::supervisor::ops::logs::{self, FollowEvent, FollowOptions, TailOptions};
use crate::supervisor::{Channel, Client};
use std::time::Duration;

/// How often the journal is polled by default.
pub const POLL: Duration = Duration::from_millis(100);

/// How the journal is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Polled every interval from a byte cursor.
    Poll(Duration),
    /// Read from the daemon's `/logtail` stream.
    Stream,
}

/// Follows the journal, handing each new event to `sink` until it returns false:
/// polled from byte `cursor` (`None`: the journal's end now), or streamed.
/// Errors: no journal, the daemon's (a stream the daemon closed ends without error).
pub async fn follow(
    client: &Client,
    via: Via,
    cursor: Option<u64>,
    mut sink: impl FnMut(JournalEvent) -> bool,
) -> Result<()> {
    let mut lines = move |ev: FollowEvent| match ev {
        FollowEvent::Lines(lines) => lines.iter().filter_map(|l| JournalEvent::parse(l)).all(&mut sink),
        FollowEvent::Truncated => true,
    };
    match via {
        Via::Poll(every) => {
            let cursor = match cursor {
                Some(c) => c,
                None => journal_size(client).await?,
            };
            let opts = FollowOptions {
                tail: TailOptions {
                    lines: 0,
                    raw: true,
                    ..TailOptions::default()
                },
                poll: every,
                filter: logs::filter::LogFilter::default(),
            };
            logs::follow_from(client, LISTENER, Channel::Stderr, cursor, &opts, lines).await
        }
        Via::Stream => {
            let last = last_event(client).await?;
            let after = |e: &JournalEvent| match &last {
                Some(l) => (e.time_ms, e.serial) > (l.time_ms, l.serial),
                None => true,
            };
            let path = format!("/logtail/{LISTENER}/stderr");
            logs::follow_stream(client, &path, true, |ev| match ev {
                FollowEvent::Lines(ls) => {
                    let fresh: Vec<String> = ls
                        .into_iter()
                        .filter(|l| JournalEvent::parse(l).is_some_and(|e| after(&e)))
                        .collect();
                    fresh.is_empty() || lines(FollowEvent::Lines(fresh))
                }
                other => lines(other),
            })
            .await
        }
    }
}

/// The journal's last event now (from its last 4 KiB). Errors: no journal.
pub async fn last_event(client: &Client) -> Result<Option<JournalEvent>> {
    let size = journal_size(client).await?;
    let tail = logs::read_range(client, &super::read::source(), size.saturating_sub(4096), 4096).await?;
    let text = String::from_utf8_lossy(&tail.bytes);
    Ok(text.lines().rev().find_map(JournalEvent::parse))
}
