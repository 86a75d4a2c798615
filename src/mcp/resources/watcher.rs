//! One watcher per daemon, shared by every session and listener of this server:
//! subscribers ([`Registration`]) say which URIs they watch and whether they want
//! list changes; the watcher polls only those, once, and fans each change out to
//! the subscribers that asked for it.
//!
//! - Every [`WATCH_INTERVAL`] (1 s), one `system.multicall` with a `getProcessInfo`
//!   per subscribed process and a `tailProcess*Log(name, 0, 0)` size probe per
//!   subscribed log: the daemon's work follows what is subscribed, not how many
//!   processes it runs.
//! - Every [`LIST_INTERVAL`] (10 s) while someone wants list changes, or at once after
//!   [`Watcher::refresh_list`] (this server's own `program`/`reload` calls), one
//!   `getAllProcessInfo` to see processes come or go; spaced further apart when that
//!   call is slow (many processes, a busy daemon), so it keeps the daemon busy 5% of
//!   the time at most ([`LIST_COST_FACTOR`]). `resources/list` reuses that list while it is fresh
//!   ([`Watcher::processes`]).
//! - The polling task runs only while something is watched, and stops when the last
//!   subscriber goes (its registration is dropped or closed).

pub use super::mailbox::Event;
use super::mailbox::Mailbox;
use super::poll::run;
use super::probe::Seen;
pub use super::registration::{Registration, WatchError};
use super::uri::parse_uri;
use super::uri::qualify;
use crate::supervisor::{Client, ProcessInfo, Result};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How often subscribed processes and logs are polled.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(1);
/// How often, at most, the process list is polled while someone wants list
/// changes; also how long `resources/list` may reuse it.
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
/// Most URIs one subscriber (a session, or one `subscriptions/listen`) may watch.
pub const MAX_URIS_PER_SUBSCRIBER: usize = 100;
/// Most distinct URIs watched at once, all subscribers together (bounds the poll).
pub const MAX_WATCHED_URIS: usize = 1000;

/// What the watcher is doing, for tests and figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WatchStats {
    /// Registered subscribers.
    pub subscribers: usize,
    /// Distinct URIs watched.
    pub watched_uris: usize,
    /// Subscribers that want list changes.
    pub list_watchers: usize,
    /// Whether the polling task runs.
    pub polling: bool,
    /// Multicalls of subscribed URIs made so far.
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
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) next_id: u64,
    pub(super) subs: HashMap<u64, Sub>,
    pub(super) polling: bool,
    /// The last look at each watched URI.
    pub(super) seen: HashMap<String, Seen>,
    pub(super) listing: Option<Listing>,
    pub(super) list_tried: Option<Instant>,
    /// The wait between list polls: [`LIST_INTERVAL`], or longer for a slow list.
    pub(super) list_every: Duration,
    /// Set by [`Watcher::refresh_list`]: the list must be read again.
    pub(super) list_stale: bool,
    pub(super) probes: u64,
    pub(super) list_polls: u64,
}

impl State {
    pub(super) fn watched(&self) -> BTreeSet<String> {
        self.subs.values().flat_map(|s| s.uris.iter().cloned()).collect()
    }

    pub(super) fn deliver(&self, changed: &[String], list_changed: bool) {
        for sub in self.subs.values() {
            for uri in changed.iter().filter(|u| sub.uris.contains(*u)) {
                let shown = match &sub.target {
                    Some(t) => qualify(t, uri),
                    None => uri.clone(),
                };
                sub.mailbox.push(Event::Updated(shown));
            }
            if list_changed && sub.list_changed {
                sub.mailbox.push(Event::ListChanged);
            }
        }
    }
}

#[derive(Debug)]
pub(super) struct Listing {
    pub(super) names: Vec<String>,
    pub(super) at: Instant,
}

#[derive(Debug)]
pub(super) struct Sub {
    pub(super) uris: BTreeSet<String>,
    pub(super) list_changed: bool,
    /// The target its URIs are qualified by when delivered (`supervisor://process/TARGET/NAME`).
    pub(super) target: Option<Arc<str>>,
    pub(super) mailbox: Arc<Mailbox>,
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

    /// A new subscriber watching nothing yet; with `list_changed`, it is told when
    /// processes come or go. It stays until the registration is closed or dropped.
    pub fn register(&self, list_changed: bool) -> Registration {
        self.join(list_changed, None, Arc::new(Mailbox::default()), true)
    }

    /// A new subscriber whose events go to `mailbox` (shared with its registrations
    /// on other watchers, see [`super::Subscriber`]), URIs qualified by `target` when
    /// given; the mailbox is closed with the registration only if it `owns` it.
    pub(super) fn join(
        &self,
        list_changed: bool,
        target: Option<Arc<str>>,
        mailbox: Arc<Mailbox>,
        owns: bool,
    ) -> Registration {
        let mut st = self.lock();
        let id = st.next_id;
        st.next_id += 1;
        let sub = Sub {
            uris: BTreeSet::new(),
            list_changed,
            target,
            mailbox: mailbox.clone(),
        };
        st.subs.insert(id, sub);
        drop(st);
        if list_changed {
            self.ensure_polling();
        }
        Registration::new(id, self.clone(), mailbox, owns)
    }

    /// Which of `uris` a new subscriber may watch: resource URIs only, each once,
    /// at most [`MAX_URIS_PER_SUBSCRIBER`], and new ones only while fewer than
    /// [`MAX_WATCHED_URIS`] are watched in all.
    pub fn admit(&self, uris: &[String]) -> Vec<String> {
        let st = self.lock();
        let mut watched = st.watched();
        let mut admitted: Vec<String> = Vec::new();
        for uri in uris {
            if admitted.len() >= MAX_URIS_PER_SUBSCRIBER {
                break;
            }
            if parse_uri(uri).is_none() || admitted.contains(uri) {
                continue;
            }
            if watched.contains(uri) || watched.len() < MAX_WATCHED_URIS {
                watched.insert(uri.clone());
                admitted.push(uri.clone());
            }
        }
        admitted
    }

    /// Reads the process list again at the next chance (at once when someone wants
    /// list changes): call after anything that adds or removes processes.
    pub fn refresh_list(&self) {
        self.lock().list_stale = true;
        self.inner.wake.notify_one();
    }

    /// The namespecs of every process, as `getAllProcessInfo` lists them: the
    /// watcher's list while it is under [`LIST_INTERVAL`] old and nothing of ours
    /// changed it, else read now (and list changes found so are sent).
    /// Errors: the daemon's.
    pub async fn processes(&self) -> Result<Vec<String>> {
        {
            let mut st = self.lock();
            if !st.list_stale
                && let Some(l) = &st.listing
                && l.at.elapsed() < LIST_INTERVAL
            {
                return Ok(l.names.clone());
            }
            st.list_stale = false;
        }
        let all = self.inner.list_all().await?;
        let names = all.iter().map(ProcessInfo::namespec).collect::<Vec<_>>();
        let changed = self.inner.update_listing(names.clone());
        self.lock().deliver(&[], changed);
        Ok(names)
    }

    /// Ends every `subscriptions/listen` gracefully (server shutdown) and stops polling.
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
            watched_uris: st.watched().len(),
            list_watchers: st.subs.values().filter(|s| s.list_changed).count(),
            polling: st.polling,
            probes: st.probes,
            list_polls: st.list_polls,
        }
    }

    /// Starts the polling task unless it runs, there is nothing to watch, or the
    /// watcher is closed.
    pub(super) fn ensure_polling(&self) {
        let mut st = self.lock();
        let wanted = st.subs.values().any(|s| s.list_changed || !s.uris.is_empty());
        if st.polling || !wanted || self.inner.closing.is_cancelled() {
            return;
        }
        st.polling = true;
        drop(st);
        tokio::spawn(run(self.inner.clone()));
    }
}

impl Inner {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `getAllProcessInfo`, its duration setting the wait before the next list poll
    /// (a call that timed out counts the time it took: the daemon was busy with it).
    pub(super) async fn list_all(&self) -> Result<Vec<ProcessInfo>> {
        let started = Instant::now();
        let all = self.client.get_all_process_info().await;
        let mut st = self.lock();
        st.list_polls += 1;
        st.list_every = list_wait(started.elapsed());
        all
    }

    /// Keeps the new list; whether it differs from the one known before.
    pub(super) fn update_listing(&self, names: Vec<String>) -> bool {
        let mut st = self.lock();
        let changed = st.listing.as_ref().is_some_and(|l| l.names != names);
        st.listing = Some(Listing {
            names,
            at: Instant::now(),
        });
        changed
    }
}

/// The wait before the next list poll after one that took `took`: [`LIST_COST_FACTOR`]
/// times as long, and within [`LIST_INTERVAL`]..=[`LIST_INTERVAL_MAX`].
pub(super) fn list_wait(took: Duration) -> Duration {
    took.saturating_mul(LIST_COST_FACTOR)
        .clamp(LIST_INTERVAL, LIST_INTERVAL_MAX)
}

#[cfg(test)]
#[path = "watcher_tests.rs"]
mod tests;
