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
//!   `getAllProcessInfo` to see processes come or go. `resources/list` reuses that list
//!   while it is fresh ([`Watcher::processes`]).
//! - The polling task runs only while something is watched, and stops when the last
//!   subscriber goes (its registration is dropped or closed).

use super::probe::{self, Seen, fingerprint};
use super::uri::{Target, parse_uri};
use crate::supervisor::{Client, ProcessInfo, Result};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How often subscribed processes and logs are polled.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(1);
/// How often the process list is polled while someone wants list changes; also how
/// long `resources/list` may reuse it.
pub const LIST_INTERVAL: Duration = Duration::from_secs(10);
/// Most URIs one subscriber (a session, or one `subscriptions/listen`) may watch.
pub const MAX_URIS_PER_SUBSCRIBER: usize = 100;
/// Most distinct URIs watched at once, all subscribers together (bounds the poll).
pub const MAX_WATCHED_URIS: usize = 1000;

/// A change a subscriber is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The resource at this URI changed (state, pid, exit status; a log's size).
    Updated(String),
    /// Processes came or went.
    ListChanged,
}

/// Why URIs could not be watched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    #[error("at most {MAX_URIS_PER_SUBSCRIBER} subscriptions per session or listen")]
    TooMany,
    #[error("this server watches at most {MAX_WATCHED_URIS} resources at once; retry later")]
    Full,
    #[error("the subscription has ended")]
    Closed,
}

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
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: Client,
    state: Mutex<State>,
    wake: Notify,
    closing: CancellationToken,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    subs: HashMap<u64, Sub>,
    polling: bool,
    /// The last look at each watched URI.
    seen: HashMap<String, Seen>,
    listing: Option<Listing>,
    list_tried: Option<Instant>,
    /// Set by [`Watcher::refresh_list`]: the list must be read again.
    list_stale: bool,
    probes: u64,
    list_polls: u64,
}

impl State {
    fn watched(&self) -> BTreeSet<String> {
        self.subs.values().flat_map(|s| s.uris.iter().cloned()).collect()
    }

    fn deliver(&self, changed: &[String], list_changed: bool) {
        for sub in self.subs.values() {
            for uri in changed.iter().filter(|u| sub.uris.contains(*u)) {
                sub.mailbox.push(Event::Updated(uri.clone()));
            }
            if list_changed && sub.list_changed {
                sub.mailbox.push(Event::ListChanged);
            }
        }
    }
}

#[derive(Debug)]
struct Listing {
    names: Vec<String>,
    at: Instant,
}

#[derive(Debug)]
struct Sub {
    uris: BTreeSet<String>,
    list_changed: bool,
    mailbox: Arc<Mailbox>,
}

/// A subscriber's pending events: each at most once, so it stays bounded by what
/// the subscriber watches, however slow its client.
#[derive(Debug, Default)]
struct Mailbox {
    pending: Mutex<Vec<Event>>,
    ready: Notify,
    closed: AtomicBool,
}

impl Mailbox {
    fn push(&self, e: Event) {
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if !p.contains(&e) {
            p.push(e);
        }
        drop(p);
        self.ready.notify_one();
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.ready.notify_one();
    }

    /// Waits for events; `None` once closed. Cancel-safe.
    async fn take(&self) -> Option<Vec<Event>> {
        loop {
            let p = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
            if !p.is_empty() {
                return Some(p);
            }
            if self.closed.load(Ordering::SeqCst) {
                return None;
            }
            self.ready.notified().await;
        }
    }
}

impl Watcher {
    /// A watcher of the daemon behind `client`; it polls nothing until subscribed to.
    pub fn new(client: Client) -> Watcher {
        Watcher {
            inner: Arc::new(Inner {
                client,
                state: Mutex::new(State::default()),
                wake: Notify::new(),
                closing: CancellationToken::new(),
            }),
        }
    }

    /// The client it polls with.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    /// A new subscriber watching nothing yet; with `list_changed`, it is told when
    /// processes come or go. It stays until the registration is closed or dropped.
    pub fn register(&self, list_changed: bool) -> Registration {
        let mailbox = Arc::new(Mailbox::default());
        let mut st = self.lock();
        let id = st.next_id;
        st.next_id += 1;
        let sub = Sub {
            uris: BTreeSet::new(),
            list_changed,
            mailbox: mailbox.clone(),
        };
        st.subs.insert(id, sub);
        drop(st);
        if list_changed {
            self.ensure_polling();
        }
        Registration {
            id,
            watcher: self.clone(),
            mailbox,
        }
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
        let all = self.inner.client.get_all_process_info().await?;
        self.lock().list_polls += 1;
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
    fn ensure_polling(&self) {
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

/// One subscriber of a [`Watcher`]: what it watches and its pending events.
/// Dropping it (or [`Registration::close`]) unsubscribes everything.
#[derive(Debug)]
pub struct Registration {
    id: u64,
    watcher: Watcher,
    mailbox: Arc<Mailbox>,
}

impl Registration {
    /// Watches `uris` too (URIs that name nothing are the caller's to refuse). The
    /// first look at a URI no one watched yet is taken before this returns, so a
    /// change made right after is seen. Errors: over a cap, or closed.
    pub async fn add(&self, uris: &[String]) -> std::result::Result<(), WatchError> {
        let first_looks = {
            let mut st = self.watcher.lock();
            let watched = st.watched();
            let seen_before: Vec<bool> = uris.iter().map(|u| st.seen.contains_key(u)).collect();
            let Some(sub) = st.subs.get_mut(&self.id) else {
                return Err(WatchError::Closed);
            };
            let new: BTreeSet<&String> = uris.iter().filter(|u| !sub.uris.contains(*u)).collect();
            if sub.uris.len() + new.len() > MAX_URIS_PER_SUBSCRIBER {
                return Err(WatchError::TooMany);
            }
            if watched.len() + new.iter().filter(|u| !watched.contains(**u)).count() > MAX_WATCHED_URIS {
                return Err(WatchError::Full);
            }
            sub.uris.extend(new.into_iter().cloned());
            let first: Vec<String> = uris
                .iter()
                .zip(seen_before)
                .filter(|(_, seen)| !seen)
                .map(|(u, _)| u.clone())
                .collect();
            first
        };
        if !first_looks.is_empty()
            && let Ok(seen) = probe::probe(&self.watcher.inner.client, &first_looks).await
        {
            let mut st = self.watcher.lock();
            for (uri, v) in seen {
                st.seen.entry(uri).or_insert(v);
            }
        }
        self.watcher.ensure_polling();
        Ok(())
    }

    /// Stops watching `uri` (nothing if it was not watched).
    pub fn remove(&self, uri: &str) {
        if let Some(sub) = self.watcher.lock().subs.get_mut(&self.id) {
            sub.uris.remove(uri);
        }
    }

    /// Waits for the next events (several at once when they piled up); `None` once
    /// the registration is closed. Cancel-safe.
    pub async fn next(&self) -> Option<Vec<Event>> {
        self.mailbox.take().await
    }

    /// Unsubscribes everything; the watcher stops polling for it at its next tick.
    pub fn close(&self) {
        self.watcher.lock().subs.remove(&self.id);
        self.mailbox.close();
    }

    /// Whether [`Self::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.mailbox.closed.load(Ordering::SeqCst)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.close();
    }
}

/// What one tick polls.
struct Plan {
    uris: Vec<String>,
    list: bool,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What to poll now; `None` (and the task marked stopped) when nothing is
    /// watched. Forgets the last looks at URIs no one watches any more.
    fn plan(&self) -> Option<Plan> {
        let mut st = self.lock();
        let watched = st.watched();
        st.seen.retain(|u, _| watched.contains(u));
        let wants_list = st.subs.values().any(|s| s.list_changed);
        if (watched.is_empty() && !wants_list) || self.closing.is_cancelled() {
            st.polling = false;
            return None;
        }
        let due = st.list_stale || st.list_tried.is_none_or(|t| t.elapsed() >= LIST_INTERVAL);
        let list = wants_list && due;
        if list {
            st.list_tried = Some(Instant::now());
            st.list_stale = false;
        }
        Some(Plan {
            uris: watched.into_iter().collect(),
            list,
        })
    }

    /// Keeps the new list; whether it differs from the one known before.
    fn update_listing(&self, names: Vec<String>) -> bool {
        let mut st = self.lock();
        let changed = st.listing.as_ref().is_some_and(|l| l.names != names);
        st.listing = Some(Listing {
            names,
            at: Instant::now(),
        });
        changed
    }

    /// One tick: the list when due (which also gives the subscribed processes), then
    /// one multicall for the rest; changes go to the subscribers' mailboxes.
    async fn poll(&self, plan: Plan) {
        let mut seen = HashMap::new();
        let mut list_changed = false;
        let mut processes_seen = false;
        if plan.list {
            self.lock().list_polls += 1;
            if let Ok(all) = self.client.get_all_process_info().await {
                list_changed = self.update_listing(all.iter().map(ProcessInfo::namespec).collect());
                seen.extend(from_list(&plan.uris, &all));
                processes_seen = true;
            }
        }
        let rest: Vec<String> = plan
            .uris
            .into_iter()
            .filter(|u| !(processes_seen && matches!(parse_uri(u), Some(Target::Process(_)))))
            .collect();
        if !rest.is_empty() {
            self.lock().probes += 1;
            if let Ok(s) = probe::probe(&self.client, &rest).await {
                seen.extend(s);
            }
        }
        let mut st = self.lock();
        let mut changed = Vec::new();
        for (uri, v) in seen {
            if !st.subs.values().any(|s| s.uris.contains(&uri)) {
                continue; // unsubscribed while we looked
            }
            if st.seen.insert(uri.clone(), v).is_some_and(|old| old != v) {
                changed.push(uri);
            }
        }
        st.deliver(&changed, list_changed);
    }
}

/// The subscribed processes' last looks, taken from a full list: a process is
/// found by its namespec or as `group:name`; one not listed is unknown.
fn from_list(uris: &[String], all: &[ProcessInfo]) -> Vec<(String, Seen)> {
    let mut by_name: HashMap<String, &ProcessInfo> = HashMap::new();
    for p in all {
        by_name.insert(p.namespec(), p);
        by_name.insert(format!("{}:{}", p.group, p.name), p);
    }
    uris.iter()
        .filter_map(|u| match parse_uri(u) {
            Some(Target::Process(n)) => Some((
                u.clone(),
                by_name.get(&n).map_or(Seen::Process(None), |p| fingerprint(p)),
            )),
            _ => None,
        })
        .collect()
}

/// The polling task: a tick, then [`WATCH_INTERVAL`] of sleep (cut short by
/// [`Watcher::refresh_list`]), until nothing is watched or the watcher is closed.
async fn run(inner: Arc<Inner>) {
    while let Some(plan) = inner.plan() {
        inner.poll(plan).await;
        tokio::select! {
            () = tokio::time::sleep(WATCH_INTERVAL) => {}
            () = inner.wake.notified() => {}
            () = inner.closing.cancelled() => {}
        }
    }
}
