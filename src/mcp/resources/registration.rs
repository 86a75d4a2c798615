//! A subscriber of one [`Watcher`]: the URIs it watches there, and where its events
//! go (its own mailbox, or one shared with its registrations on other watchers).

use super::mailbox::Mailbox;
use super::probe;
use super::watcher::{Event, MAX_URIS_PER_SUBSCRIBER, MAX_WATCHED_URIS, Watcher};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The longest a subscription waits for its first look at a new URI (a frozen
/// daemon); the polling task takes it later then.
const FIRST_LOOK_TIMEOUT: Duration = Duration::from_secs(2);

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

/// What [`Registration::reserve`] added.
#[derive(Debug)]
pub(super) struct Reserved {
    /// The URIs it did not watch before (to remove on a rollback).
    pub(super) added: Vec<String>,
    /// The URIs no one had looked at yet.
    pub(super) first_looks: Vec<String>,
}

/// One subscriber of a [`Watcher`]: what it watches and its pending events.
/// Dropping it (or [`Registration::close`]) unsubscribes everything.
#[derive(Debug)]
pub struct Registration {
    id: u64,
    watcher: Watcher,
    mailbox: Arc<Mailbox>,
    /// The mailbox is this registration's alone (closed with it).
    owns_mailbox: bool,
}

impl Registration {
    pub(super) fn new(id: u64, watcher: Watcher, mailbox: Arc<Mailbox>, owns_mailbox: bool) -> Registration {
        Registration {
            id,
            watcher,
            mailbox,
            owns_mailbox,
        }
    }

    /// How many of `uris` it does not watch yet.
    pub fn unwatched(&self, uris: &[String]) -> usize {
        let st = self.watcher.lock();
        let Some(sub) = st.subs.get(&self.id) else {
            return uris.len();
        };
        uris.iter().filter(|u| !sub.uris.contains(*u)).count()
    }

    /// How many URIs it watches.
    pub fn watching(&self) -> usize {
        self.watcher.lock().subs.get(&self.id).map_or(0, |s| s.uris.len())
    }

    /// Watches `uris` too (URIs that name nothing are the caller's to refuse). The
    /// first look at a URI no one watched yet is taken before this returns (within
    /// 2 s), so a change made right after is seen. Errors: over a cap, or closed.
    pub async fn add(&self, uris: &[String]) -> std::result::Result<(), WatchError> {
        let reserved = self.reserve(uris)?;
        self.first_look(reserved.first_looks).await;
        Ok(())
    }

    /// Watches `uris` from now on, all or none, without looking at them yet (see
    /// [`Self::first_look`]). Errors: over a cap, or closed (nothing added then).
    pub(super) fn reserve(&self, uris: &[String]) -> std::result::Result<Reserved, WatchError> {
        let mut st = self.watcher.lock();
        let watched = st.watched();
        let first_looks: Vec<String> = uris.iter().filter(|u| !st.seen.contains_key(*u)).cloned().collect();
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
        let added: Vec<String> = new.into_iter().cloned().collect();
        sub.uris.extend(added.iter().cloned());
        Ok(Reserved { added, first_looks })
    }

    /// Takes the first look at `uris` (within 2 s: a frozen daemon leaves it to the
    /// polling task), and makes sure the polling task runs.
    pub(super) async fn first_look(&self, uris: Vec<String>) {
        let first = probe::probe(&self.watcher.inner.client, &uris);
        if !uris.is_empty()
            && let Ok(Ok(seen)) = tokio::time::timeout(FIRST_LOOK_TIMEOUT, first).await
        {
            let mut st = self.watcher.lock();
            for (uri, v) in seen {
                st.seen.entry(uri).or_insert(v);
            }
        }
        self.watcher.ensure_polling();
    }

    /// Stops watching `uri` (nothing if it was not watched).
    pub fn remove(&self, uri: &str) {
        if let Some(sub) = self.watcher.lock().subs.get_mut(&self.id) {
            sub.uris.remove(uri);
        }
    }

    /// Waits for the next events (several at once when they piled up, those of the
    /// registrations sharing its mailbox too); `None` once the mailbox is closed.
    /// Cancel-safe.
    pub async fn next(&self) -> Option<Vec<Event>> {
        self.mailbox.take().await
    }

    /// Unsubscribes everything; the watcher stops polling for it at its next tick.
    /// Closes its mailbox if it is its own.
    pub fn close(&self) {
        self.watcher.lock().subs.remove(&self.id);
        if self.owns_mailbox {
            self.mailbox.close();
        }
    }

    /// Whether [`Self::close`] was called (or its shared mailbox was closed).
    pub fn is_closed(&self) -> bool {
        self.mailbox.closed.load(Ordering::SeqCst) || !self.watcher.lock().subs.contains_key(&self.id)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.close();
    }
}
