//! The relay's writer: each event received becomes one journal line on stderr, in
//! order. An exit's status is asked of the daemon (through `SUPERVISOR_SERVER_URL`,
//! with `SUPERVISOR_USERNAME`/`SUPERVISOR_PASSWORD` when set), within
//! [`EXIT_STATUS_TIMEOUT`]: from its own log (`spawned: 'NAME' with pid PID`, then
//! `exited: NAME (exit status N; ...)`), else `getProcessInfo` when the process is
//! still in that exit; `null` when neither tells (a signal, no readable main log). The writer also checks that supervisord keeps
//! writing the journal file; when it stops (the file gone, the disk full), the next
//! event is refused once so that supervisord's own log says
//! `supervisord-mcp-journal: event was rejected` (it sends the event again).

use super::super::event::{JournalEvent, What};
use super::protocol::{Received, parse_payload};
use super::{Incoming, Shared};
use crate::supervisor::ops::exits;
use crate::supervisor::ops::logs::{self, LogSource, TailOptions};
use crate::supervisor::transport::{Endpoint, Secret, ServerSettings, TlsOptions};
use crate::supervisor::{Client, Error, ProcessState};
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Most events written in one batch (their exits looked up in one read).
const MAX_BATCH: usize = 256;
/// Bound on asking the daemon for an exit's status.
pub const EXIT_STATUS_TIMEOUT: Duration = Duration::from_secs(1);
/// A call to the daemon this long after lines were written makes its `/logtail`
/// streams send them at once: supervisord looks at a stream's file at most every
/// 0.1 s, on its loop's turns, and with nothing else to do its loop turns once a
/// second; lines written just after a look would wait for that.
const NUDGE_AFTER: Duration = Duration::from_millis(120);
/// A journal file that has not changed this long after a line was written is not
/// being written.
const STALL: Duration = Duration::from_secs(2);
/// Less free space than this on the journal's disk is a full disk (bytes).
const MIN_FREE: u64 = 64 * 1024;

/// What identifies the journal file's contents: device, inode, size.
type Mark = Option<(u64, u64, u64)>;

pub(super) struct Writer {
    shared: Arc<Shared>,
    /// The daemon, when `SUPERVISOR_SERVER_URL` names one we may ask.
    client: Option<Client>,
    /// This listener's namespec (`SUPERVISOR_GROUP_NAME:SUPERVISOR_PROCESS_NAME`).
    me: Option<String>,
    /// The journal file, once asked of the daemon.
    journal: Option<PathBuf>,
    asked_journal: bool,
    /// A line written at this time, and how the file looked then.
    pending: Option<(Instant, Mark)>,
    /// A problem with the journal was said (and not yet cleared).
    said: bool,
}

impl Writer {
    /// A writer whose daemon and name come from the environment supervisord sets.
    pub(super) fn from_env(shared: Arc<Shared>) -> Writer {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let client = env("SUPERVISOR_SERVER_URL").and_then(|url| {
            let parsed = Endpoint::parse(&url).ok()?;
            let settings = ServerSettings {
                endpoint: parsed.endpoint,
                username: env("SUPERVISOR_USERNAME").or(parsed.username),
                password: env("SUPERVISOR_PASSWORD").map(Secret::new).or(parsed.password),
                connect_timeout: EXIT_STATUS_TIMEOUT,
                timeout: EXIT_STATUS_TIMEOUT,
                tls: TlsOptions::default(),
            };
            Client::new(&settings).ok()
        });
        let me = match (env("SUPERVISOR_GROUP_NAME"), env("SUPERVISOR_PROCESS_NAME")) {
            (Some(g), Some(n)) if g != n => Some(format!("{g}:{n}")),
            (_, Some(n)) => Some(n),
            _ => None,
        };
        Writer {
            shared,
            client,
            me,
            journal: None,
            asked_journal: false,
            pending: None,
            said: false,
        }
    }

    /// Writes every event received until the protocol thread ends, in batches: what
    /// waits in the queue is taken at once, and the exits of a batch are looked up in
    /// one read of supervisord's log, so a burst of events costs the daemon one call,
    /// not one per exit (the writer keeps up however fast programs restart).
    /// Errors: stderr.
    pub(super) async fn run(mut self, mut rx: tokio::sync::mpsc::Receiver<Incoming>) -> std::io::Result<()> {
        let mut nudge: Option<tokio::time::Instant> = None;
        loop {
            let first = tokio::select! {
                got = rx.recv() => match got {
                    Some(i) => i,
                    None => return Ok(()),
                },
                () = sleep_until(nudge) => {
                    nudge = None;
                    self.nudge().await;
                    continue;
                }
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH
                && let Ok(i) = rx.try_recv()
            {
                batch.push(i);
            }
            let dropped = self.shared.dropped.swap(0, Ordering::SeqCst);
            if dropped > 0 {
                let message = format!("{dropped} events were not written: the relay's queue was full");
                write_line(&error_event(batch[0].time_ms, message))?;
            }
            let seqs: Vec<u64> = batch.iter().map(|i| i.seq).collect();
            let mut events: Vec<JournalEvent> = batch.into_iter().map(event_of).collect();
            self.fill_exit_statuses(&mut events, &seqs).await;
            // How the file looked before these lines: it must have changed 2 s later.
            let before = self.journal_path().await.and_then(|p| mark(&p));
            for e in &events {
                write_line(e)?;
            }
            let n = u64::try_from(events.len()).unwrap_or(u64::MAX);
            self.shared.written.fetch_add(n, Ordering::SeqCst);
            nudge.get_or_insert_with(|| tokio::time::Instant::now() + NUDGE_AFTER);
            let last = events.last().map_or(0, |e| e.time_ms);
            self.check_journal(last, before).await?;
        }
    }

    /// The exit statuses of the exits among `events` (received as numbers `seqs`):
    /// from one read of supervisord's log for all of them, else `getProcessInfo` of
    /// each one still in that exit.
    async fn fill_exit_statuses(&mut self, events: &mut [JournalEvent], seqs: &[u64]) {
        let exits: Vec<(String, i64)> = events
            .iter()
            .filter_map(|e| match &e.what {
                What::Process(p) if p.to == ProcessState::Exited => {
                    Some((p.process.rsplit(':').next().unwrap_or_default().to_owned(), p.pid?))
                }
                _ => None,
            })
            .collect();
        if exits.is_empty() {
            return;
        }
        let logged = match &self.client {
            Some(c) => logged_statuses(c, &exits).await,
            None => HashMap::new(),
        };
        for (e, seq) in events.iter_mut().zip(seqs) {
            let What::Process(p) = &mut e.what else { continue };
            if p.to != ProcessState::Exited {
                continue;
            }
            let name = p.process.rsplit(':').next().unwrap_or_default().to_owned();
            p.exitstatus = p.pid.and_then(|pid| logged.get(&(name, pid)).copied().flatten());
            if p.exitstatus.is_none() {
                p.exitstatus = self.exit_status(&p.process, *seq).await;
            }
        }
    }

    /// One cheap call (`getState`), to turn supervisord's loop once more.
    async fn nudge(&self) {
        if let Some(c) = &self.client {
            let _ = tokio::time::timeout(EXIT_STATUS_TIMEOUT, c.get_state()).await;
        }
    }

    /// The status of the exit that was event number `seq` of `process`, when the
    /// daemon still shows that exit; stops asking after a refusal (credentials).
    async fn exit_status(&mut self, process: &str, seq: u64) -> Option<i64> {
        let client = self.client.as_ref()?;
        let asked = tokio::time::timeout(EXIT_STATUS_TIMEOUT, client.get_process_info(process)).await;
        let info = match asked {
            Ok(Ok(info)) => info,
            Ok(Err(Error::Unauthorized { .. })) => {
                self.client = None;
                return None;
            }
            _ => return None,
        };
        let same_exit = info.state() == ProcessState::Exited && self.shared.received(process) == seq;
        same_exit.then_some(info.exitstatus)
    }

    /// Checks, after a line was written (the file was `before` just before), that
    /// supervisord writes the journal file: it exists, its disk has room, and it
    /// changed within [`STALL`] of a line. A new problem is said once: an error
    /// line, and the next event refused.
    async fn check_journal(&mut self, now_ms: i64, before: Mark) -> std::io::Result<()> {
        let Some(path) = self.journal_path().await else {
            return Ok(());
        };
        let mark = mark(&path);
        let problem = if mark.is_none() {
            Some(format!(
                "the journal file {} is gone: nothing is being kept",
                path.display()
            ))
        } else if free_bytes(&path).is_some_and(|f| f < MIN_FREE) {
            Some(format!(
                "the disk of the journal file {} is full: events are being lost",
                path.display()
            ))
        } else {
            match self.pending {
                Some((at, then)) if at.elapsed() >= STALL && then == mark => Some(format!(
                    "supervisord has not written the journal file {} for {} s: events are being lost",
                    path.display(),
                    STALL.as_secs()
                )),
                _ => None,
            }
        };
        if self.pending.is_none_or(|(at, _)| at.elapsed() >= STALL) {
            self.pending = Some((Instant::now(), before));
        }
        match (problem, self.said) {
            (Some(message), false) => {
                self.said = true;
                self.shared.reject_once.store(true, Ordering::SeqCst);
                write_line(&error_event(now_ms, message))
            }
            (None, true) => {
                self.said = false;
                let message = format!("the journal file {} is written again", path.display());
                write_line(&error_event(now_ms, message))
            }
            _ => Ok(()),
        }
    }

    /// The journal file, asked of the daemon once (`getProcessInfo` of this listener).
    async fn journal_path(&mut self) -> Option<PathBuf> {
        if !self.asked_journal {
            self.asked_journal = true;
            if let (Some(client), Some(me)) = (&self.client, &self.me) {
                let asked = tokio::time::timeout(EXIT_STATUS_TIMEOUT, client.get_process_info(me)).await;
                if let Ok(Ok(info)) = asked {
                    let p = PathBuf::from(info.stderr_logfile);
                    self.journal = p.is_absolute().then_some(p);
                }
            }
        }
        self.journal.clone()
    }
}

/// The journal line for what was received (an exit's status still to be found).
fn event_of(incoming: Incoming) -> JournalEvent {
    let (header, payload) = match incoming.received {
        Received::Event { header, payload } => (header, payload),
        Received::Malformed(message) => return error_event(incoming.time_ms, message),
    };
    let what = match parse_payload(&header.eventname, &payload) {
        Ok(w) => w,
        Err(message) => What::Error { message },
    };
    JournalEvent {
        time_ms: incoming.time_ms,
        serial: header.serial,
        what,
    }
}

/// The statuses of the exits of `(name, pid)`s from supervisord's own log: for each,
/// the first `exited: NAME (...)` after `spawned: 'NAME' with pid PID` in its last
/// lines (a restarted program has lost its `exitstatus` by the time the event
/// arrives; the log keeps it). One read of its end (16 KiB, then 256 KiB when a
/// spawn is further back); missing or `None`: not found, a signal, no readable log.
async fn logged_statuses(client: &Client, exits_asked: &[(String, i64)]) -> HashMap<(String, i64), Option<i64>> {
    let mut out = HashMap::new();
    for (lines, max_bytes) in [(64, 16 * 1024), (2000, 256 * 1024)] {
        let opts = TailOptions {
            lines,
            max_bytes,
            raw: false,
        };
        let read = tokio::time::timeout(EXIT_STATUS_TIMEOUT, logs::tail(client, &LogSource::Main, &opts));
        let Ok(Ok(tail)) = read.await else { return out };
        for (name, pid) in exits_asked {
            if out.contains_key(&(name.clone(), *pid)) {
                continue;
            }
            let spawned = format!("spawned: '{name}' with pid {pid}");
            if let Some(at) = tail.lines.iter().rposition(|l| l.ends_with(&spawned)) {
                let exit = tail.lines[at + 1..]
                    .iter()
                    .filter_map(|l| exits::parse(l))
                    .find(|(n, _)| n == name);
                out.insert((name.clone(), *pid), exit.and_then(|(_, e)| e.status));
            }
        }
        if out.len() == exits_asked.len() || tail.lines.len() < lines {
            break;
        }
    }
    out
}

/// Resolves at `at`, never when there is none.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn error_event(time_ms: i64, message: String) -> JournalEvent {
    JournalEvent {
        time_ms,
        serial: None,
        what: What::Error { message },
    }
}

/// Writes one line to stderr in one `write` (lines are far below the pipe's atomic
/// size, so supervisord reads whole lines).
fn write_line(e: &JournalEvent) -> std::io::Result<()> {
    let mut line = e.to_line();
    line.push('\n');
    let mut err = std::io::stderr().lock();
    err.write_all(line.as_bytes())?;
    err.flush()
}

fn mark(path: &std::path::Path) -> Mark {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino(), m.size()))
}

/// Bytes free for unprivileged writes on the file's disk.
fn free_bytes(path: &std::path::Path) -> Option<u64> {
    let st = nix::sys::statvfs::statvfs(path).ok()?;
    Some(st.blocks_available().saturating_mul(st.fragment_size()))
}
