//! History queries over the journal, read from its end in bounded windows: the
//! journal file through the log machinery (`ops::logs`: the file itself when the
//! daemon is on this host, else `readProcessStderrLog`), then, on this host, its
//! rotated files (`FILE.1`, `FILE.2`, ...), newest first, until the query is answered
//! or [`Filter::max_bytes`] are read. A journal of any size costs what its answer
//! needs.

use super::LISTENER;
use super::event::{JournalEvent, Kind, What};
use crate::supervisor::client::methods::{GetPid, GetProcessInfo};
use crate::supervisor::client::multicall::Batch;
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::host::LocalHost;
use crate::supervisor::host::logfile::HostLog;
use crate::supervisor::ops::logs::{self, Located, LogSource, OpenLog};
use crate::supervisor::types::ProcessInfo;
use crate::supervisor::{Channel, Client};
use serde::Serialize;
use std::path::PathBuf;

/// Bytes read a window.
const WINDOW: u64 = 256 * 1024;
/// Default bound on the bytes one query reads.
pub const DEFAULT_MAX_BYTES: u64 = 32 * 1024 * 1024;
/// Most rotated files looked for.
const MAX_ROTATED: usize = 100;

/// Which events a query wants.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Namespecs (`name`, `group:name`), groups (`group:*`); empty or `all`: every
    /// process, and the daemon's own events and the relay's errors.
    pub names: Vec<String>,
    /// Only events at or after this time (ms since the epoch, UTC).
    pub since_ms: Option<i64>,
    /// Only events at or before this time.
    pub until_ms: Option<i64>,
    /// Only these kinds (empty: every kind).
    pub kinds: Vec<Kind>,
    /// Only the last N that pass.
    pub limit: Option<usize>,
    /// Most bytes read (from the end) to answer.
    pub max_bytes: u64,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            names: Vec::new(),
            since_ms: None,
            until_ms: None,
            kinds: Vec::new(),
            limit: None,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

impl Filter {
    /// Whether `e` passes (times aside).
    pub fn keeps(&self, e: &JournalEvent) -> bool {
        let kind_ok = self.kinds.is_empty() || self.kinds.iter().any(|k| e.is(*k));
        kind_ok && self.names_keep(e)
    }

    fn names_keep(&self, e: &JournalEvent) -> bool {
        if self.names.is_empty() || self.names.iter().any(|n| n == "all") {
            return true;
        }
        self.names.iter().any(|n| match (&e.what, n.strip_suffix(":*")) {
            (What::Process(p), Some(g)) => p.group == g,
            (What::Process(p), None) => p.process == *n,
            (What::Group { group, .. }, g) => g.unwrap_or(n) == group,
            _ => false,
        })
    }
}

/// A time range, ms since the epoch (UTC).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Span {
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

impl Span {
    fn widen(&mut self, t: i64) {
        self.from_ms = Some(self.from_ms.map_or(t, |f| f.min(t)));
        self.to_ms = Some(self.to_ms.map_or(t, |x| x.max(t)));
    }
}

/// A query's answer.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// The events that pass, oldest first.
    pub events: Vec<JournalEvent>,
    /// The times of the oldest and newest journal lines read.
    pub span: Span,
    /// The byte bound was reached before the query was answered: older events may
    /// pass too.
    pub truncated: bool,
    /// The start of the journal file was reached on a daemon of another host: older
    /// events, if any, are in rotated files only its host can read.
    pub older_unread: bool,
    /// Bytes read.
    pub bytes_read: u64,
    /// The journal file's size when read: where [`super::follow()`] goes on from.
    pub cursor: u64,
}

/// The journal's files: the current one (read through the log machinery, from
/// where it is) and, for a daemon on this host, the rotated ones, newest first.
pub struct Files {
    pub(crate) local: bool,
    pub(crate) rotated: Vec<HostLog>,
    current: Located,
}

impl Files {
    /// The journal of the daemon behind `client`: one round trip (getPID and the
    /// relay's getProcessInfo) when it may be on this host, none for another host.
    /// Errors: no journal (no relay), found here or at the first read.
    pub async fn open(client: &Client) -> Result<Files> {
        if !client.transport().is_local() {
            // Read through the daemon, whose answer says whether it has a journal.
            return Ok(Files {
                local: false,
                rotated: Vec::new(),
                current: Located::default(),
            });
        }
        let mut batch = Batch::new();
        let pid = batch.add(GetPid {});
        let relay = batch.add(GetProcessInfo { name: LISTENER.into() });
        let mut replies = client.multicall(batch).await?;
        let here = Located::here(client, Some(replies.take(pid)?));
        match replies.take(relay) {
            Ok(info) => Ok(Files::located(here.as_ref(), &info)),
            Err(e) if e.fault_code() == Some(FaultCode::BadName) => Err(no_journal(client)),
            Err(e) => Err(e),
        }
    }

    /// The journal from what the caller asked the daemon (in a multicall of its
    /// own): the relay's getProcessInfo, and the daemon `here` ([`Located::here`]).
    pub fn located(here: Option<&LocalHost>, relay: &ProcessInfo) -> Files {
        let current = Located::process(here, relay, Channel::Stderr);
        let rotated = match (here, current.path()) {
            (Some(local), Some(path)) => (1..=MAX_ROTATED)
                .map_while(|i| HostLog::open(local, &PathBuf::from(format!("{}.{i}", path.display()))))
                .collect(),
            _ => Vec::new(),
        };
        Files {
            local: current.path().is_some(),
            rotated,
            current,
        }
    }

    /// The first 8 KiB of the oldest file.
    pub async fn oldest_head(&self, client: &Client) -> Vec<u8> {
        match self.rotated.last() {
            Some(h) => h.read_at(0, 8192).unwrap_or_default(),
            None => logs::read_range(client, &source(), 0, 8192)
                .await
                .map(|r| r.bytes)
                .unwrap_or_default(),
        }
    }
}

/// The journal as a log: the relay's stderr.
pub(crate) fn source() -> LogSource {
    LogSource::process(LISTENER, Channel::Stderr)
}

pub(crate) fn no_journal(client: &Client) -> Error {
    Error::Invalid(format!(
        "{} has no event journal: install one with `supervisord-mcp events install` (see docs/journal.md)",
        client.display_url()
    ))
}

/// The journal file's size in bytes. Errors: no journal, the daemon's.
pub(crate) async fn journal_size(client: &Client) -> Result<u64> {
    sized(client, logs::size(client, &source()).await)
}

/// A journal size read, with "no such log" said as "no journal".
fn sized(client: &Client, size: Result<u64>) -> Result<u64> {
    match size {
        Err(e) if matches!(e.fault_code(), Some(FaultCode::BadName | FaultCode::NoFile)) => Err(no_journal(client)),
        other => other,
    }
}

/// The events of the journal that pass `filter`, oldest first, read from its end.
/// Errors: no journal ([`Error::Invalid`]), the daemon's.
pub async fn history(client: &Client, filter: &Filter) -> Result<History> {
    history_in(client, filter, Files::open(client).await?).await
}

/// Like [`history`], in the journal's `files` (found by the caller).
pub async fn history_in(client: &Client, filter: &Filter, files: Files) -> Result<History> {
    let mut scan = Scan::new(filter);
    let src = source();
    let Files {
        local,
        rotated,
        current,
    } = files;
    let log = OpenLog::new(client, &src, current);
    let size = sized(client, log.size().await)?;
    let log = &log;
    let mut done = scan_segment(&mut scan, size, |off, len| async move {
        log.read_range(off, len).await.map(|r| r.bytes)
    })
    .await?;
    for h in &rotated {
        if done || scan.over_budget() {
            break;
        }
        let len = h
            .len()
            .map_err(|e| Error::Invalid(format!("cannot read {}: {e}", h.path.display())))?;
        done = scan_segment(&mut scan, len, |off, n| async move {
            h.read_at(off, n)
                .map_err(|e| Error::Invalid(format!("cannot read {}: {e}", h.path.display())))
        })
        .await?;
    }
    let truncated = !done && scan.over_budget();
    let mut events = scan.kept;
    events.reverse();
    Ok(History {
        events,
        span: scan.span,
        truncated,
        older_unread: !done && !truncated && !local,
        bytes_read: scan.read,
        cursor: size,
    })
}

/// A query under way: what passed so far (newest first), the span, the bytes read.
struct Scan<'a> {
    filter: &'a Filter,
    kept: Vec<JournalEvent>,
    span: Span,
    read: u64,
}

impl<'a> Scan<'a> {
    fn new(filter: &'a Filter) -> Scan<'a> {
        Scan {
            filter,
            kept: Vec::new(),
            span: Span::default(),
            read: 0,
        }
    }

    fn over_budget(&self) -> bool {
        self.read >= self.filter.max_bytes
    }

    /// Takes one line (going back in time); true when the query is answered.
    fn take(&mut self, line: &[u8]) -> bool {
        let Some(e) = JournalEvent::parse(&String::from_utf8_lossy(line)) else {
            return false;
        };
        self.span.widen(e.time_ms);
        if self.filter.since_ms.is_some_and(|s| e.time_ms < s) {
            return true;
        }
        if self.filter.until_ms.is_some_and(|u| e.time_ms > u) || !self.filter.keeps(&e) {
            return false;
        }
        self.kept.push(e);
        self.filter.limit.is_some_and(|n| self.kept.len() >= n)
    }
}

/// Reads one file of `size` bytes back from its end, window by window, handing its
/// lines (newest first) to `scan`; true when the query is answered.
async fn scan_segment<F, Fut>(scan: &mut Scan<'_>, size: u64, read: F) -> Result<bool>
where
    F: Fn(u64, u64) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<u8>>>,
{
    let mut end = size;
    // The start of a line cut by the window, kept for the next (earlier) window.
    let mut carry: Vec<u8> = Vec::new();
    while end > 0 {
        if scan.over_budget() {
            return Ok(false);
        }
        let start = end.saturating_sub(WINDOW.min(scan.filter.max_bytes - scan.read));
        let mut bytes = read(start, end - start).await?;
        scan.read += end - start;
        bytes.extend_from_slice(&carry);
        let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
        // The first piece may be cut (unless the file starts here).
        carry = if start > 0 {
            lines.remove(0).to_vec()
        } else {
            Vec::new()
        };
        for line in lines.into_iter().rev() {
            if scan.take(line) {
                return Ok(true);
            }
        }
        end = start;
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::ProcessState;
    use crate::supervisor::journal::event::ProcessChange;

    fn exit(process: &str, group: &str, t: i64, expected: bool) -> JournalEvent {
        JournalEvent {
            time_ms: t,
            serial: Some(t as u64),
            what: What::Process(ProcessChange {
                process: process.into(),
                group: group.into(),
                from: Some(ProcessState::Running),
                to: ProcessState::Exited,
                pid: Some(1),
                tries: None,
                expected: Some(expected),
                exitstatus: Some(1),
            }),
        }
    }

    #[tokio::test]
    async fn a_file_is_scanned_back_across_windows_until_the_query_is_answered() {
        // Lines of ~200 bytes over several windows, a foreign line among them.
        let mut text = String::new();
        for t in 0..4000 {
            text.push_str(
                &exit(
                    if t % 2 == 0 { "a" } else { "g:b" },
                    if t % 2 == 0 { "a" } else { "g" },
                    t,
                    t % 3 != 0,
                )
                .to_line(),
            );
            text.push('\n');
            if t == 2000 {
                text.push_str("not a journal line\n");
            }
        }
        let bytes = text.into_bytes();
        let size = bytes.len() as u64;
        let read = |off: u64, len: u64| {
            let b = bytes[off as usize..(off + len) as usize].to_vec();
            async move { Ok(b) }
        };
        let filter = Filter {
            names: vec!["g:*".into()],
            kinds: vec![Kind::Crash],
            since_ms: Some(1000),
            ..Filter::default()
        };
        let mut scan = Scan::new(&filter);
        let done = scan_segment(&mut scan, size, read).await.unwrap_or(false);
        assert!(done, "answered by --since");
        let want: Vec<i64> = (1000..4000).rev().filter(|t| t % 2 == 1 && t % 3 == 0).collect();
        assert_eq!(scan.kept.iter().map(|e| e.time_ms).collect::<Vec<_>>(), want);
        let limited = Filter {
            limit: Some(3),
            ..Filter::default()
        };
        let mut scan = Scan::new(&limited);
        assert_eq!(scan_segment(&mut scan, size, read).await.ok(), Some(true));
        assert!(scan.read <= WINDOW, "three events need one window, read {}", scan.read);
        let bounded = Filter {
            max_bytes: 300_000,
            ..Filter::default()
        };
        let mut scan = Scan::new(&bounded);
        assert_eq!(scan_segment(&mut scan, size, read).await.ok(), Some(false));
        assert_eq!(scan.read, 300_000, "never past the bound");
    }
}
