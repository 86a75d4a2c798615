//! The watcher of one daemon: its subscribers and what they watch, the last look at
//! each watched key, the process list, and the polling task's switch.

use super::mailbox::Inbox;
use super::registration::{FIRST_LOOK_TIMEOUT, Registration, Subscription};
pub(super) use super::seen::{PRIMED_FOR, Seen, seen_of, split};
use super::{
    Event, Key, LIST_COST_FACTOR, LIST_INTERVAL, LIST_INTERVAL_MAX, MAX_KEYS_PER_SUBSCRIBER, MAX_WATCHED_KEYS,
};
use crate::supervisor::ops::look::{self, Ask, List};
use crate::supervisor::ops::names;
use crate::supervisor::{Client, ProcessInfo, Result};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// What the watcher is doing, for tests and figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WatchStats {
    /// Registered subscribers.
    pub subscribers: usize,
    /// Distinct keys watched ([`Key::Processes`] aside).
    pub watched_keys: usize,
    /// Subscribers that watch the process list.
    pub list_watchers: usize,
    /// Whether the polling task runs.
    pub polling: bool,
    /// Whether process changes come from the daemon's event journal.
    pub journal: bool,
    /// Looks at watched processes and logs made so far (multicalls).
    pub probes: u64,
    /// `getAllProcessInfo` calls made so far.
    pub list_polls: u64,
}

/// The shared watcher of one daemon; clones share it.
#[derive(Debug, Clone)]
pub struct Watcher {
    pub(super) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) client: Client,
    pub(super) state: Mutex<State>,
    pub(super) wake: Notify,
    pub(super) closing: CancellationToken,
    /// Unit tests tick by hand: no polling task.
    #[cfg(test)]
    pub(super) manual: bool,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) next_id: u64,
    pub(super) subs: HashMap<u64, Sub>,
    pub(super) polling: bool,
    /// The last look at each watched key.
    pub(super) seen: HashMap<Key, Seen>,
    /// Looks taken for keys no one watched yet ([`Watcher::unknown`], before a
    /// listen is acknowledged): the first look of the subscriber that comes for them
    /// within [`PRIMED_FOR`], so a change made between the acknowledgment and its
    /// registration is seen.
    pub(super) primed: HashMap<Key, (Instant, Seen)>,
    pub(super) listing: Option<Listing>,
    pub(super) list_tried: Option<Instant>,
    /// The wait between list polls: [`LIST_INTERVAL`], or longer for a slow list.
    pub(super) list_every: Duration,
    /// Set by [`Watcher::refresh_list`]: the list must be read again.
    pub(super) list_stale: bool,
    pub(super) probes: u64,
    pub(super) list_polls: u64,
    /// The event journal is followed (see [`super::journal`]): processes come from it.
    pub(super) journal: bool,
    /// The journal task runs.
    pub(super) journal_task: bool,
    /// The last look at watched processes while the journal is followed.
    pub(super) safety_at: Option<Instant>,
}

#[derive(Debug)]
pub(super) struct Listing {
    pub(super) processes: Arc<Vec<ProcessInfo>>,
    pub(super) at: Instant,
}

#[derive(Debug)]
pub(super) struct Sub {
    pub(super) keys: HashSet<Key>,
    pub(super) inbox: Arc<dyn Inbox>,
}

impl State {
    /// Every key watched, [`Key::Processes`] aside.
    pub(super) fn watched(&self) -> HashSet<Key> {
        let keys = self.subs.values().flat_map(|s| s.keys.iter());
        keys.filter(|k| **k != Key::Processes).cloned().collect()
    }

    pub(super) fn wants_list(&self) -> bool {
        self.subs.values().any(|s| s.keys.contains(&Key::Processes))
    }

    /// Hands each event to the subscribers that watch its key.
    pub(super) fn deliver(&self, events: &[Event]) {
        for e in events {
            let key = e.key();
            for sub in self.subs.values().filter(|s| s.keys.contains(&key)) {
                sub.inbox.push(e.clone());
            }
        }
    }
}

impl Watcher {
    /// A watcher of the daemon behind `client`; it polls nothing until subscribed to.
    pub fn new(client: Client) -> Watcher {
        Watcher {
            inner: Arc::new(Inner {
                client,
                state: Mutex::new(State {
                    list_every: LIST_INTERVAL,
                    ..State::default()
                }),
                wake: Notify::new(),
                closing: CancellationToken::new(),
                #[cfg(test)]
                manual: false,
            }),
        }
    }

    /// Whether `other` is this same watcher (a clone of it).
    pub fn same(&self, other: &Watcher) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The client it polls with.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    /// A new subscriber watching nothing yet, with its own mailbox. It stays until
    /// closed or dropped.
    pub fn subscribe(&self) -> Subscription {
        Subscription::new(self)
    }

    /// A new subscriber watching nothing yet whose events go to `inbox` (shared with
    /// subscribers of other watchers, say). It stays until closed or dropped.
    pub fn join(&self, inbox: Arc<dyn Inbox>) -> Registration {
        let mut st = self.lock();
        let id = st.next_id;
        st.next_id += 1;
        let sub = Sub {
            keys: HashSet::new(),
            inbox,
        };
        st.subs.insert(id, sub);
        drop(st);
        Registration::new(id, self.clone())
    }

    /// Which of `keys` a new subscriber may watch, in the order given: each once, at
    /// most [`MAX_KEYS_PER_SUBSCRIBER`], and new ones only while fewer than
    /// [`MAX_WATCHED_KEYS`] are watched in all ([`Key::Processes`] always).
    pub fn admit(&self, keys: &[Key]) -> Vec<Key> {
        let st = self.lock();
        let mut watched = st.watched();
        let mut admitted: Vec<Key> = Vec::new();
        for key in keys {
            let counted = admitted.iter().filter(|k| **k != Key::Processes).count();
            if admitted.contains(key) || (*key != Key::Processes && counted >= MAX_KEYS_PER_SUBSCRIBER) {
                continue;
            }
            if *key == Key::Processes || watched.contains(key) || watched.len() < MAX_WATCHED_KEYS {
                watched.insert(key.clone());
                admitted.push(key.clone());
            }
        }
        admitted
    }

    /// Reads the process list again at the next chance (at once when someone watches
    /// it): call after anything that adds or removes processes.
    pub fn refresh_list(&self) {
        self.lock().list_stale = true;
        self.inner.wake.notify_one();
    }

    /// The namespecs of every process, as `getAllProcessInfo` lists them: the
    /// watcher's list while it is under [`LIST_INTERVAL`] old and nothing of ours
    /// changed it, else read now (and list changes found so are delivered).
    /// Errors: the daemon's.
    pub async fn processes(&self) -> Result<Vec<String>> {
        Ok(self.listed().await?.iter().map(ProcessInfo::namespec).collect())
    }

    /// The known name closest to `name` ("did you mean"), from the process list as
    /// [`Self::processes`] gets it; `None` when none is close or the list cannot be
    /// read.
    pub async fn suggest(&self, name: &str) -> Option<String> {
        names::suggest(&self.listed().await.ok()?, name)
    }

    async fn listed(&self) -> Result<Arc<Vec<ProcessInfo>>> {
        {
            let mut st = self.lock();
            if !st.list_stale
                && let Some(l) = &st.listing
                && l.at.elapsed() < LIST_INTERVAL
            {
                return Ok(l.processes.clone());
            }
            st.list_stale = false;
        }
        self.inner.keep_list(look::list(&self.inner.client).await)
    }

    /// Which of `keys` name a process the daemon does not know (BAD_NAME): from the
    /// last look for watched keys, else from a look now (within 2 s; none when the
    /// daemon cannot be asked). Costs nothing but that look.
    pub async fn unknown(&self, keys: &[Key]) -> HashSet<Key> {
        let (mut out, ask) = {
            let st = self.lock();
            let mut out = HashSet::new();
            let mut ask = Vec::new();
            for k in keys.iter().filter(|k| **k != Key::Processes) {
                match st.seen.get(k) {
                    Some(s) if s.unknown() => drop(out.insert(k.clone())),
                    Some(_) => {}
                    None => ask.push(k.clone()),
                }
            }
            (out, ask)
        };
        if let Some(seen) = self.inner.first_look(&ask).await {
            let mut st = self.lock();
            st.primed.retain(|_, (at, _)| at.elapsed() < PRIMED_FOR);
            for (k, s) in seen {
                if s.unknown() {
                    out.insert(k.clone());
                }
                st.primed.insert(k, (Instant::now(), s));
            }
        }
        out
    }

    /// Ends the polling for good (server shutdown); [`Self::closed`] resolves.
    pub fn close(&self) {
        self.inner.closing.cancel();
    }

    /// Resolves once [`Self::close`] was called.
    pub async fn closed(&self) {
        self.inner.closing.cancelled().await;
    }

    /// What the watcher is doing now.
    pub fn stats(&self) -> WatchStats {
        let st = self.lock();
        WatchStats {
            subscribers: st.subs.len(),
            watched_keys: st.watched().len(),
            list_watchers: st.subs.values().filter(|s| s.keys.contains(&Key::Processes)).count(),
            polling: st.polling,
            journal: st.journal,
            probes: st.probes,
            list_polls: st.list_polls,
        }
    }

    /// Hands `events` to their subscribers as a tick would (tests of consumers).
    #[cfg(test)]
    pub(crate) fn inject(&self, events: &[Event]) {
        self.lock().deliver(events);
    }

    /// Starts the polling task unless it runs, there is nothing to watch, or the
    /// watcher is closed.
    pub(super) fn ensure_polling(&self) {
        let mut st = self.lock();
        let wanted = st.subs.values().any(|s| !s.keys.is_empty());
        if st.polling || !wanted || self.inner.closing.is_cancelled() {
            return;
        }
        #[cfg(test)]
        if self.inner.manual {
            return;
        }
        st.polling = true;
        drop(st);
        tokio::spawn(super::poll::run(self.inner.clone()));
        self.inner.ensure_journal();
    }
}

impl Inner {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps a list just read (counting the call, its duration setting the wait
    /// before the next one) and delivers the change from the one known before.
    /// Errors: the call's.
    pub(super) fn keep_list(&self, list: look::Listed) -> Result<Arc<Vec<ProcessInfo>>> {
        let mut st = self.lock();
        st.list_polls += 1;
        st.list_every = list_wait(list.took);
        let all = Arc::new(list.processes?);
        let change = st.listing.as_ref().and_then(|l| list_change(&l.processes, &all));
        st.listing = Some(Listing {
            processes: all.clone(),
            at: Instant::now(),
        });
        if let Some(e) = change {
            st.deliver(&[e]);
        }
        Ok(all)
    }

    /// Looks at `keys` now, within 2 s (a frozen daemon: `None`); the keys missing
    /// from the answer could not be looked at.
    pub(super) async fn first_look(&self, keys: &[Key]) -> Option<HashMap<Key, Seen>> {
        if keys.is_empty() {
            return Some(HashMap::new());
        }
        let (processes, logs) = split(keys);
        let ask = Ask {
            processes: &processes,
            logs: &logs,
            list: List::Never,
        };
        let sight = tokio::time::timeout(FIRST_LOOK_TIMEOUT, look::look(&self.client, &ask)).await;
        Some(seen_of(sight.ok()?.looks.ok()?))
    }
}

/// The change from the list `old` to `new`: processes added and removed.
fn list_change(old: &[ProcessInfo], new: &[ProcessInfo]) -> Option<Event> {
    let names = |l: &[ProcessInfo]| l.iter().map(ProcessInfo::namespec).collect::<BTreeSet<_>>();
    let (old, new) = (names(old), names(new));
    let added: Vec<String> = new.difference(&old).cloned().collect();
    let removed: Vec<String> = old.difference(&new).cloned().collect();
    (!added.is_empty() || !removed.is_empty()).then_some(Event::Processes { added, removed })
}

/// The wait before the next list poll after one that took `took`: [`LIST_COST_FACTOR`]
/// times as long, and within [`LIST_INTERVAL`]..=[`LIST_INTERVAL_MAX`].
pub(super) fn list_wait(took: Duration) -> Duration {
    took.saturating_mul(LIST_COST_FACTOR)
        .clamp(LIST_INTERVAL, LIST_INTERVAL_MAX)
}
