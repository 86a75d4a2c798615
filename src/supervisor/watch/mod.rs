//! The watch engine: one [`Watcher`] per daemon, shared by every consumer (MCP
//! subscriptions, and any front end that wants changes as they happen). Subscribers
//! say which [`Key`]s they watch (a process, one of its logs, the process list); the
//! watcher looks only at those, once for all, and hands each change to the
//! subscribers that watch it as a typed [`Event`].
//!
//! - Every [`WATCH_INTERVAL`] (1 s), one `system.multicall` with a `getProcessInfo`
//!   per watched process and a `tailProcess*Log(name, 0, 0)` size probe per watched
//!   log (`ops::look`): the daemon's work follows what is watched, not how many
//!   processes it runs.
//! - Every [`LIST_INTERVAL`] (10 s) while someone watches [`Key::Processes`], or at
//!   once after [`Watcher::refresh_list`] (after our own changes to the process list),
//!   one `getAllProcessInfo` to see processes come or go; spaced further apart when
//!   that call is slow (many processes, a busy daemon), so it keeps the daemon busy
//!   5% of the time at most ([`LIST_COST_FACTOR`]). [`Watcher::processes`] reuses
//!   that list while it is fresh.
//! - The polling task runs only while something is watched, and stops when the last
//!   subscriber goes. A new key's first look is taken before [`Registration::add`]
//!   returns, so a change made right after is seen, and a process the daemon does not
//!   know is reported then.
//! - Each subscriber's pending events are coalesced per key ([`Mailbox`]), so they
//!   stay bounded by what it watches, however slow its consumer.
//!
//! - When the daemon has an event journal (`events install`), process changes come
//!   from it instead ([`journal`]): each transition within about 0.1 s, none lost
//!   between two looks; polling stays the fallback.
//!
//! Why polling by default rather than requiring an event listener in the daemon: it
//! needs no write access to the daemon's configuration, works with any daemon,
//! costs one small `system.multicall` a second whatever the number of processes,
//! and a second of latency is well within what an agent notices.

mod engine;
mod journal;
mod mailbox;
mod poll;
mod registration;
mod seen;
#[cfg(test)]
mod tests;

pub use engine::{WatchStats, Watcher};
pub use journal::{JOURNAL_POLL, JOURNAL_RECHECK, SAFETY_INTERVAL};
pub use mailbox::{Inbox, Mailbox, Tagged};
pub use registration::{Registration, Subscription, WatchError};

use crate::supervisor::{Channel, ProcessInfo, ProcessState};
use std::time::Duration;

/// How often watched processes and logs are looked at.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(1);
/// How often, at most, the process list is read while someone watches it; also how
/// long [`Watcher::processes`] may reuse it.
pub const LIST_INTERVAL: Duration = Duration::from_secs(10);
/// The list poll waits this many times as long as the last `getAllProcessInfo`
/// took, when that is longer than [`LIST_INTERVAL`] (the call takes over 0.5 s), so
/// it keeps the daemon busy 5% of the time at most: supervisord's reply costs it
/// time in proportion to the number of processes squared (it sends 4 KiB per turn
/// of a loop over every process), about 0.15 s of CPU at 310 processes and 12 s at
/// 3,000.
pub const LIST_COST_FACTOR: u32 = 20;
/// The longest wait between two list polls (reached from a call of 15 s).
pub const LIST_INTERVAL_MAX: Duration = Duration::from_secs(300);
/// Most keys one subscriber may watch ([`Key::Processes`] aside).
pub const MAX_KEYS_PER_SUBSCRIBER: usize = 100;
/// Most distinct keys watched at once, all subscribers together (bounds the poll).
pub const MAX_WATCHED_KEYS: usize = 1000;

/// What can be watched on a daemon.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A process, by namespec (`name` or `group:name`): its state, pid, exit status.
    Process(String),
    /// One of a process's logs: its size.
    Log(String, Channel),
    /// The process list: which processes exist.
    Processes,
}

impl Key {
    /// The namespec the key is about (`None` for the process list).
    pub fn name(&self) -> Option<&str> {
        match self {
            Key::Process(n) | Key::Log(n, _) => Some(n),
            Key::Processes => None,
        }
    }
}

/// What a process looked like: the fields whose change is an [`Event::State`].
/// Times are epoch seconds (0: never).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub state: ProcessState,
    pub pid: i64,
    pub exitstatus: i64,
    pub start: i64,
    pub stop: i64,
}

impl From<&ProcessInfo> for Snapshot {
    fn from(p: &ProcessInfo) -> Snapshot {
        Snapshot {
            state: p.state(),
            pid: p.pid,
            exitstatus: p.exitstatus,
            start: p.start,
            stop: p.stop,
        }
    }
}

/// A change a subscriber is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A process changed state, pid, exit status, start or stop time: from the last
    /// look to this one. `None`: the daemon did not (or no longer does) know the name.
    State {
        name: String,
        from: Option<Snapshot>,
        to: Option<Snapshot>,
    },
    /// A log's size changed (it grew, or was cleared or rotated): the new size in
    /// bytes; `None` when the daemon no longer knows the process.
    LogSize {
        name: String,
        channel: Channel,
        size: Option<u64>,
    },
    /// Processes came or went (namespecs, sorted).
    Processes { added: Vec<String>, removed: Vec<String> },
}

impl Event {
    /// The key the event is about.
    pub fn key(&self) -> Key {
        match self {
            Event::State { name, .. } => Key::Process(name.clone()),
            Event::LogSize { name, channel, .. } => Key::Log(name.clone(), *channel),
            Event::Processes { .. } => Key::Processes,
        }
    }
}
