//! The event journal as the watcher's source of process changes, when the daemon
//! has one (`events install`): every transition the relay wrote becomes an
//! [`Event::State`] as soon as it is read, none lost between two looks.
//!
//! - Followed on this host from the file itself (an `fstat` every
//!   [`JOURNAL_POLL`], nothing asked of the daemon), else from the daemon's
//!   `/logtail` stream (one connection; the relay makes the daemon send new lines
//!   within about 0.12 s), see [`crate::supervisor::journal::follow`].
//! - While it is followed, watched processes are looked at only every
//!   [`SAFETY_INTERVAL`] (a safety net: a look that finds another state than the
//!   journal said is an event), logs and the process list as before; a
//!   `PROCESS_GROUP_*` line has the list read at once.
//! - No journal, a relay that stops running, or a journal that cannot be read: the
//!   watcher polls as without one, and looks for a journal again every
//!   [`JOURNAL_RECHECK`].

use super::engine::{Inner, Seen};
use super::{Event, Key, Snapshot};
use crate::supervisor::ProcessState;
use crate::supervisor::journal::follow::{Via, follow};
use crate::supervisor::journal::read::{journal_size, source};
use crate::supervisor::journal::{JournalEvent, LISTENER, ProcessChange, What};
use crate::supervisor::ops::logs;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the journal file is looked at when it is read on this host.
pub const JOURNAL_POLL: Duration = Duration::from_millis(100);
/// How often watched processes are looked at while the journal is followed.
pub const SAFETY_INTERVAL: Duration = Duration::from_secs(10);
/// How often a watcher without a journal looks for one, and one with a journal
/// checks that its relay runs.
pub const JOURNAL_RECHECK: Duration = Duration::from_secs(10);

impl Inner {
    /// Starts the journal task unless it runs.
    pub(super) fn ensure_journal(self: &Arc<Inner>) {
        let mut st = self.lock();
        if st.journal_task {
            return;
        }
        st.journal_task = true;
        drop(st);
        tokio::spawn(run(self.clone()));
    }

    /// Whether the watcher still wants changes (polling runs and is not closed).
    fn wanted(&self) -> bool {
        self.lock().polling && !self.closing.is_cancelled()
    }

    /// Takes one journal line: a watched process's change is delivered, a group
    /// change has the list read again. False once nothing is watched.
    pub(super) fn take(&self, e: &JournalEvent) -> bool {
        match &e.what {
            What::Process(p) => {
                let mut st = self.lock();
                let key = Key::Process(p.process.clone());
                if !st.watched().contains(&key) {
                    return st.polling;
                }
                let before = match st.seen.get(&key) {
                    Some(Seen::Process(s)) => *s,
                    _ => None,
                };
                let to = snapshot_after(before, p, e.time_ms);
                st.seen.insert(key, Seen::Process(Some(to)));
                if before != Some(to) {
                    let name = p.process.clone();
                    st.deliver(&[Event::State {
                        name,
                        from: before,
                        to: Some(to),
                    }]);
                }
            }
            What::Group { .. } => {
                self.lock().list_stale = true;
                self.wake.notify_one();
            }
            _ => {}
        }
        self.wanted()
    }
}

/// What a process looks like after the change `p` at `time_ms`, from what it looked
/// like before (the fields the journal does not carry are kept, or what
/// supervisord sets them to: a new start's pid is not known until RUNNING).
pub(super) fn snapshot_after(before: Option<Snapshot>, p: &ProcessChange, time_ms: i64) -> Snapshot {
    let b = before.unwrap_or(Snapshot {
        state: p.to,
        pid: 0,
        exitstatus: 0,
        start: 0,
        stop: 0,
    });
    let secs = time_ms / 1000;
    let (pid, exitstatus, start, stop) = match p.to {
        ProcessState::Starting => (0, 0, secs, b.stop),
        ProcessState::Running | ProcessState::Stopping => (p.pid.unwrap_or(b.pid), b.exitstatus, b.start, b.stop),
        ProcessState::Exited | ProcessState::Stopped => (0, p.exitstatus.unwrap_or(b.exitstatus), b.start, secs),
        ProcessState::Backoff => (0, b.exitstatus, b.start, secs),
        ProcessState::Fatal | ProcessState::Unknown => (0, b.exitstatus, b.start, b.stop),
    };
    Snapshot {
        state: p.to,
        pid,
        exitstatus,
        start,
        stop,
    }
}

/// The journal task: while something is watched, follows the journal when there is
/// one (checking every [`JOURNAL_RECHECK`] that its relay runs), else looks for one
/// every [`JOURNAL_RECHECK`].
async fn run(inner: Arc<Inner>) {
    while inner.wanted() {
        if relay_runs(&inner).await {
            follow_journal(&inner).await;
            inner.lock().journal = false;
        }
        tokio::select! {
            () = tokio::time::sleep(JOURNAL_RECHECK) => {}
            () = inner.closing.cancelled() => {}
        }
    }
    let mut st = inner.lock();
    st.journal = false;
    st.journal_task = false;
}

/// Whether the daemon's relay is RUNNING.
async fn relay_runs(inner: &Inner) -> bool {
    let asked = tokio::time::timeout(Duration::from_secs(2), inner.client.get_process_info(LISTENER)).await;
    matches!(asked, Ok(Ok(info)) if info.state() == ProcessState::Running)
}

/// Follows the journal until nothing is watched, it cannot be read, or the relay
/// stops running. The first look after it starts compares everything watched.
async fn follow_journal(inner: &Arc<Inner>) {
    let client = inner.client.clone();
    let local = matches!(logs::host_file(&client, &source()).await, Ok(Some(_)));
    let (via, cursor) = if local {
        match journal_size(&client).await {
            Ok(size) => (Via::Poll(JOURNAL_POLL), Some(size)),
            Err(_) => return,
        }
    } else {
        (Via::Stream, None)
    };
    {
        let mut st = inner.lock();
        st.journal = true;
        st.safety_at = None;
    }
    inner.wake.notify_one();
    let following = follow(&client, via, cursor, |e| inner.take(&e));
    let checking = async {
        loop {
            tokio::time::sleep(JOURNAL_RECHECK).await;
            if !inner.wanted() || !relay_runs(inner).await {
                return;
            }
        }
    };
    tokio::select! {
        _ = following => {}
        () = checking => {}
        () = inner.closing.cancelled() => {}
    }
}

/// When the next look at watched processes is due while the journal is followed.
pub(super) fn safety_due(last: Option<Instant>) -> bool {
    last.is_none_or(|t| t.elapsed() >= SAFETY_INTERVAL)
}
