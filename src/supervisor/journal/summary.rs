//! Per-process figures over a recent window, from one bounded read of the journal's
//! end ([`SUMMARY_BYTES`]): what `status`, `diagnose` and metrics can show beside
//! supervisord's own state (how often a program restarted, when it last crashed,
//! with which exit status).

use super::event::{JournalEvent, Kind};
use super::read::{Filter, Span, history};
use crate::supervisor::error::Result;
use crate::supervisor::{Client, Error};
use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;

/// Most bytes a summary reads (about 1,300 events).
pub const SUMMARY_BYTES: u64 = 256 * 1024;
/// Exit statuses kept per process, newest last.
pub const RECENT_EXITS: usize = 5;

/// One exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Exit {
    /// When (ms since the epoch, UTC).
    pub time_ms: i64,
    /// The status (`None`: not known).
    pub exitstatus: Option<i64>,
    /// Whether the status was one of `exitcodes`.
    pub expected: bool,
}

/// A process's history in the window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProcessHistory {
    /// Times it was started (STARTING).
    pub starts: u32,
    /// Times it exited on its own (EXITED).
    pub exits: u32,
    /// Exits with an unexpected status (crashes).
    pub crashes: u32,
    /// Times it exited too quickly and will be retried (BACKOFF).
    pub backoffs: u32,
    /// Times supervisord gave up starting it (FATAL).
    pub fatals: u32,
    /// The last exits, newest last (at most [`RECENT_EXITS`]).
    pub recent_exits: Vec<Exit>,
    /// When it last crashed.
    pub last_crash_ms: Option<i64>,
}

/// Every process's history in the window.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// By namespec.
    pub processes: HashMap<String, ProcessHistory>,
    /// The times the read covered.
    pub span: Span,
    /// The read stopped at [`SUMMARY_BYTES`] before the window's start: the figures
    /// cover `span` only.
    pub truncated: bool,
}

/// The history of every process over the last `window`, from one read of at most
/// [`SUMMARY_BYTES`] of the journal's end; `None` when the daemon has no journal.
/// Errors: the daemon's.
pub async fn summary(client: &Client, window: Duration) -> Result<Option<Summary>> {
    let now = super::time::now_ms();
    let filter = Filter {
        since_ms: Some(now.saturating_sub(i64::try_from(window.as_millis()).unwrap_or(i64::MAX))),
        max_bytes: SUMMARY_BYTES,
        ..Filter::default()
    };
    let h = match history(client, &filter).await {
        Ok(h) => h,
        Err(Error::Invalid(m)) if m.contains("has no event journal") => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(Some(Summary {
        processes: fold(&h.events),
        span: h.span,
        truncated: h.truncated || h.older_unread,
    }))
}

/// Events (oldest first) as per-process figures.
pub fn fold(events: &[JournalEvent]) -> HashMap<String, ProcessHistory> {
    let mut out: HashMap<String, ProcessHistory> = HashMap::new();
    for e in events {
        let Some(p) = e.process() else { continue };
        let h = out.entry(p.process.clone()).or_default();
        let count = |k: Kind| u32::from(e.is(k));
        h.starts += count(Kind::Start);
        h.exits += count(Kind::Exit);
        h.crashes += count(Kind::Crash);
        h.backoffs += count(Kind::Backoff);
        h.fatals += count(Kind::Fatal);
        if e.is(Kind::Crash) {
            h.last_crash_ms = Some(e.time_ms);
        }
        if e.is(Kind::Exit) {
            if h.recent_exits.len() == RECENT_EXITS {
                h.recent_exits.remove(0);
            }
            h.recent_exits.push(Exit {
                time_ms: e.time_ms,
                exitstatus: p.exitstatus,
                expected: p.expected.unwrap_or(true),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::ProcessState;
    use crate::supervisor::journal::event::{ProcessChange, What};

    fn change(t: i64, to: ProcessState, expected: Option<bool>, exitstatus: Option<i64>) -> JournalEvent {
        JournalEvent {
            time_ms: t,
            serial: None,
            what: What::Process(ProcessChange {
                process: "web".into(),
                group: "web".into(),
                from: None,
                to,
                pid: None,
                tries: None,
                expected,
                exitstatus,
            }),
        }
    }

    #[test]
    fn restarts_and_crashes_are_counted_with_the_last_exit_statuses() {
        use ProcessState::{Exited, Running, Starting};
        let mut events = Vec::new();
        for i in 0..7 {
            events.push(change(i * 10, Starting, None, None));
            events.push(change(i * 10 + 1, Running, None, None));
            let expected = i % 2 == 0;
            events.push(change(
                i * 10 + 2,
                Exited,
                Some(expected),
                Some(if expected { 0 } else { 3 }),
            ));
        }
        let web = fold(&events).remove("web").unwrap_or_default();
        assert_eq!((web.starts, web.exits, web.crashes), (7, 7, 3));
        assert_eq!(web.last_crash_ms, Some(52));
        let statuses: Vec<Option<i64>> = web.recent_exits.iter().map(|e| e.exitstatus).collect();
        assert_eq!(statuses, [Some(0), Some(3), Some(0), Some(3), Some(0)]);
    }
}
