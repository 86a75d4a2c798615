//! Per-process figures over a recent window, from one bounded read of the journal's
//! end ([`SUMMARY_BYTES`]): what `status`, `diagnose` and metrics can show beside
//! supervisord's own state (how often a program restarted, when it last crashed,
//! with which exit status).

use super::event::{JournalEvent, Kind};
use super::read::{Files, Filter, Span, history, history_in};
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

impl ProcessHistory {
    /// Times it failed: exits with an unexpected status, and exits before `startsecs`
    /// (BACKOFF, which supervisord keeps no exit status for).
    pub fn failures(&self) -> u32 {
        self.crashes + self.backoffs
    }

    /// Worth showing beside its state: it started more than once, or failed.
    pub fn is_notable(&self) -> bool {
        self.starts > 1 || self.failures() > 0 || self.fatals > 0
    }

    /// For `status`, a few words (`14 starts, 14 crashes in 1 h`); `None` when not
    /// notable. `window` is said in whole hours or minutes.
    pub fn brief(&self, window: Duration) -> Option<String> {
        if !self.is_notable() {
            return None;
        }
        let mut out = format!("{} start{}", self.starts, plural(self.starts));
        if self.failures() > 0 {
            out.push_str(&format!(
                ", {} crash{}",
                self.failures(),
                if self.failures() == 1 { "" } else { "es" }
            ));
        }
        out.push_str(&format!(" in {}", short_span(window)));
        Some(out)
    }

    /// For `diagnose`, one line: `crashed 14 times in the last hour, exit 137 each
    /// time; last at 12:03:11 UTC` (the exit statuses known, the last crash's time);
    /// `None` when it did not crash or restart.
    pub fn line(&self, window: Duration) -> Option<String> {
        if !self.is_notable() {
            return None;
        }
        let when = format!("in the last {}", span_words(window));
        let mut out = if self.failures() > 0 {
            let n = self.failures();
            format!(
                "crashed {n} time{} {when} ({} start{})",
                plural(n),
                self.starts,
                plural(self.starts)
            )
        } else {
            format!("started {} times {when}, no crash", self.starts)
        };
        let statuses: Vec<i64> = self
            .recent_exits
            .iter()
            .filter(|e| !e.expected)
            .filter_map(|e| e.exitstatus)
            .collect();
        match statuses.as_slice() {
            [] => {}
            [first, rest @ ..] if rest.iter().all(|s| s == first) && !rest.is_empty() => {
                out.push_str(&format!(", exit {first} each time"));
            }
            all => {
                let list: Vec<String> = all.iter().map(i64::to_string).collect();
                out.push_str(&format!(", last exits {}", list.join(", ")));
            }
        }
        if let Some(t) = self.last_crash_ms {
            out.push_str(&format!("; last at {}", clock(t)));
        }
        if self.fatals > 0 {
            out.push_str("; supervisord gave up (FATAL)");
        }
        Some(out)
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `1 h`, `2 h`, `30 min`.
fn short_span(window: Duration) -> String {
    let secs = window.as_secs();
    if secs >= 3600 && secs.is_multiple_of(3600) {
        format!("{} h", secs / 3600)
    } else {
        format!("{} min", secs.div_ceil(60))
    }
}

/// `hour`, `2 hours`, `30 min` (after "the last").
fn span_words(window: Duration) -> String {
    let secs = window.as_secs();
    if secs >= 3600 && secs.is_multiple_of(3600) {
        let h = secs / 3600;
        if h == 1 { "hour".into() } else { format!("{h} hours") }
    } else {
        format!("{} min", secs.div_ceil(60))
    }
}

/// `HH:MM:SS UTC` of `ms` since the epoch.
fn clock(ms: i64) -> String {
    let full = super::time::format_ms(ms);
    match full.split_once('T') {
        Some((_, t)) => format!("{} UTC", t.get(..8).unwrap_or(t)),
        None => full,
    }
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
    summary_of(client, Vec::new(), window, None).await
}

/// One process's history (`name`, a full namespec) over the last `window`, as
/// [`summary`] reads it, in the journal's `files` (found by the caller: see
/// [`Files::located`]). Errors: the daemon's.
pub async fn process_history_in(client: &Client, name: &str, window: Duration, files: Files) -> Result<ProcessHistory> {
    let summary = summary_of(client, vec![name.to_owned()], window, Some(files)).await?;
    Ok(summary.and_then(|mut s| s.processes.remove(name)).unwrap_or_default())
}

async fn summary_of(
    client: &Client,
    names: Vec<String>,
    window: Duration,
    files: Option<Files>,
) -> Result<Option<Summary>> {
    let now = super::time::now_ms();
    let filter = Filter {
        names,
        since_ms: Some(now.saturating_sub(i64::try_from(window.as_millis()).unwrap_or(i64::MAX))),
        max_bytes: SUMMARY_BYTES,
        ..Filter::default()
    };
    let h = match files {
        Some(files) => history_in(client, &filter, files).await,
        None => history(client, &filter).await,
    };
    let h = match h {
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
        let hour = Duration::from_secs(3600);
        assert_eq!(web.brief(hour).as_deref(), Some("7 starts, 3 crashes in 1 h"));
        let line = web.line(hour).unwrap_or_default();
        assert!(
            line.starts_with("crashed 3 times in the last hour (7 starts), exit 3 each time; last at 00:00:00 UTC"),
            "{line}"
        );
        // Started once, never failed: nothing to say.
        let quiet = fold(&events[..2]).remove("web").unwrap_or_default();
        assert_eq!((quiet.brief(hour), quiet.line(hour)), (None, None));
    }
}
