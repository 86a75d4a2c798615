//! The watcher's polling task: each tick, what is due (the process list every
//! [`LIST_INTERVAL`](super::LIST_INTERVAL) or longer, watched keys every
//! [`WATCH_INTERVAL`]), in one look, compared with the last look, changes delivered
//! as events to the subscribers that watch them.

use super::engine::{Inner, Seen, seen_of, split};
use super::journal::safety_due;
use super::{Event, Key, WATCH_INTERVAL};
use crate::supervisor::ops::look::{self, Ask, List};
use std::sync::Arc;
use std::time::Instant;

/// What one tick looks at.
pub(super) struct Plan {
    keys: Vec<Key>,
    list: bool,
    /// The journal is followed: a process is an event only when its state differs
    /// from what the journal said.
    safety: bool,
}

impl Inner {
    /// What to look at now; `None` (and the task marked stopped) when nothing is
    /// watched or the watcher is closed. Forgets the last looks at keys no one
    /// watches any more.
    pub(super) fn plan(&self) -> Option<Plan> {
        let mut st = self.lock();
        let watched = st.watched();
        st.seen.retain(|k, _| watched.contains(k));
        st.primed.retain(|_, (at, _)| at.elapsed() < super::engine::PRIMED_FOR);
        let wants_list = st.wants_list();
        if (watched.is_empty() && !wants_list) || self.closing.is_cancelled() {
            st.polling = false;
            return None;
        }
        let due = st.list_stale || st.list_tried.is_none_or(|t| t.elapsed() >= st.list_every);
        let list = wants_list && due;
        if list {
            st.list_tried = Some(Instant::now());
            st.list_stale = false;
        }
        // Followed journal: processes only at the safety look.
        let journal = st.journal;
        let safety = journal && safety_due(st.safety_at);
        if safety {
            st.safety_at = Some(Instant::now());
        }
        let keys = watched
            .into_iter()
            .filter(|k| !journal || safety || !matches!(k, Key::Process(_)))
            .collect();
        Some(Plan { keys, list, safety })
    }

    /// One tick: the list when due (which also gives the watched processes), and
    /// one multicall for the rest; changes go to the subscribers' inboxes.
    pub(super) async fn poll(&self, plan: Plan) {
        let (processes, logs) = split(&plan.keys);
        let ask = Ask {
            processes: &processes,
            logs: &logs,
            list: if plan.list { List::Also } else { List::Never },
        };
        let sight = look::look(&self.client, &ask).await;
        let listed = sight.list.map(|l| self.keep_list(l).is_ok());
        let by_name = if listed == Some(true) { &[][..] } else { &processes[..] };
        if !by_name.is_empty() || !logs.is_empty() {
            self.lock().probes += 1;
        }
        let Ok(looks) = sight.looks else { return };
        let mut st = self.lock();
        let watched = st.watched();
        let mut events = Vec::new();
        for (key, now) in seen_of(looks) {
            if !watched.contains(&key) {
                continue; // unsubscribed while we looked
            }
            if let Some(before) = st.seen.insert(key.clone(), now)
                && before != now
                && !(plan.safety && same_state(before, now))
                && let Some(e) = event(key, before, now)
            {
                events.push(e);
            }
        }
        st.deliver(&events);
    }
}

/// Whether two looks at a process agree on its state (the journal's own pids and
/// times are not the daemon's to the second).
fn same_state(before: Seen, now: Seen) -> bool {
    match (before, now) {
        (Seen::Process(Some(b)), Seen::Process(Some(n))) => b.state == n.state,
        _ => false,
    }
}

/// The change of `key` from the look `before` to the look `now`.
fn event(key: Key, before: Seen, now: Seen) -> Option<Event> {
    match (key, before, now) {
        (Key::Process(name), Seen::Process(from), Seen::Process(to)) => Some(Event::State { name, from, to }),
        (Key::Log(name, channel), _, Seen::Log(size)) => Some(Event::LogSize { name, channel, size }),
        _ => None,
    }
}

/// The polling task: a tick, then [`WATCH_INTERVAL`] of sleep (cut short by
/// [`super::Watcher::refresh_list`]), until nothing is watched or the watcher is
/// closed (which also cuts a tick short).
pub(super) async fn run(inner: Arc<Inner>) {
    while let Some(plan) = inner.plan() {
        tokio::select! {
            () = inner.poll(plan) => {}
            () = inner.closing.cancelled() => continue,
        }
        tokio::select! {
            () = tokio::time::sleep(WATCH_INTERVAL) => {}
            () = inner.wake.notified() => {}
            () = inner.closing.cancelled() => {}
        }
    }
}
