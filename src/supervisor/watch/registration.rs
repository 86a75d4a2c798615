//! A subscriber of one [`Watcher`]: the keys it watches there ([`Registration`]),
//! its events going to an [`Inbox`] of its own ([`Subscription`]) or shared with its
//! registrations on other watchers.

use super::engine::{PRIMED_FOR, Watcher};
use super::mailbox::{Mailbox, Tagged};
use super::{Event, Key, MAX_KEYS_PER_SUBSCRIBER, MAX_WATCHED_KEYS};
use std::sync::Arc;
use std::time::Duration;

/// The longest a subscription waits for its first look at a new key (a frozen
/// daemon); the polling task takes it later then.
pub(super) const FIRST_LOOK_TIMEOUT: Duration = Duration::from_secs(2);

/// Why keys could not be watched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    #[error("at most {MAX_KEYS_PER_SUBSCRIBER} watched at once by one subscriber")]
    TooMany,
    #[error("at most {MAX_WATCHED_KEYS} watched at once on this daemon; retry later")]
    Full,
    #[error("the subscription has ended")]
    Closed,
}

/// One subscriber of a [`Watcher`]: what it watches. Dropping it (or
/// [`Registration::close`]) unsubscribes everything.
#[derive(Debug)]
pub struct Registration {
    id: u64,
    watcher: Watcher,
}

impl Registration {
    pub(super) fn new(id: u64, watcher: Watcher) -> Registration {
        Registration { id, watcher }
    }

    /// The watcher it is registered with.
    pub fn watcher(&self) -> &Watcher {
        &self.watcher
    }

    /// How many of `keys` it does not watch yet ([`Key::Processes`] aside).
    pub fn unwatched(&self, keys: &[Key]) -> usize {
        let st = self.watcher.lock();
        let new = keys.iter().filter(|k| **k != Key::Processes);
        match st.subs.get(&self.id) {
            Some(sub) => new.filter(|k| !sub.keys.contains(*k)).count(),
            None => new.count(),
        }
    }

    /// How many keys it watches ([`Key::Processes`] aside).
    pub fn watching(&self) -> usize {
        let st = self.watcher.lock();
        st.subs
            .get(&self.id)
            .map_or(0, |s| s.keys.iter().filter(|k| **k != Key::Processes).count())
    }

    /// Watches `keys` too. The first look at a key no one watched yet is taken
    /// before this returns (within 2 s), so a change made right after is seen.
    /// Returns the keys of processes the daemon does not know (BAD_NAME): watched
    /// all the same (a process may be added later), for the caller to keep or
    /// [`Self::remove`]. Errors: over a cap, or closed (nothing added then).
    pub async fn add(&self, keys: &[Key]) -> Result<Vec<Key>, WatchError> {
        let added = self.reserve(keys)?;
        self.first_look(&added).await;
        Ok(self.unknown_among(keys))
    }

    /// Watches `keys` from now on, all or none, without looking at them yet (see
    /// [`Self::first_look`]; the process list needs none: polling starts at once).
    /// Returns the keys it did not watch before. Errors: over a cap, or closed.
    pub fn reserve(&self, keys: &[Key]) -> Result<Vec<Key>, WatchError> {
        let new = self.reserve_locked(keys)?;
        if new.contains(&Key::Processes) {
            self.watcher.ensure_polling();
        }
        Ok(new)
    }

    fn reserve_locked(&self, keys: &[Key]) -> Result<Vec<Key>, WatchError> {
        let mut st = self.watcher.lock();
        let watched = st.watched();
        let Some(sub) = st.subs.get_mut(&self.id) else {
            return Err(WatchError::Closed);
        };
        let mut new: Vec<Key> = Vec::new();
        for k in keys.iter().filter(|k| !sub.keys.contains(*k)) {
            if !new.contains(k) {
                new.push(k.clone());
            }
        }
        let counted = |k: &&Key| **k != Key::Processes;
        let mine = sub.keys.iter().filter(counted).count();
        if mine + new.iter().filter(counted).count() > MAX_KEYS_PER_SUBSCRIBER {
            return Err(WatchError::TooMany);
        }
        let more = new.iter().filter(counted).filter(|k| !watched.contains(*k)).count();
        if watched.len() + more > MAX_WATCHED_KEYS {
            return Err(WatchError::Full);
        }
        sub.keys.extend(new.iter().cloned());
        Ok(new)
    }

    /// Takes the first look at those of `keys` no one has looked at yet (within
    /// 2 s: a frozen daemon leaves it to the polling task), and makes sure the
    /// polling task runs.
    pub async fn first_look(&self, keys: &[Key]) {
        let fresh: Vec<Key> = {
            let mut st = self.watcher.lock();
            // A look taken just before (a listen's check, before its acknowledgment)
            // stands as the first: a change since is then seen.
            for k in keys {
                if let Some((at, seen)) = st.primed.remove(k)
                    && at.elapsed() < PRIMED_FOR
                {
                    st.seen.entry(k.clone()).or_insert(seen);
                }
            }
            keys.iter().filter(|k| !st.seen.contains_key(*k)).cloned().collect()
        };
        if let Some(seen) = self.watcher.inner.first_look(&fresh).await {
            let mut st = self.watcher.lock();
            for (k, v) in seen {
                st.seen.entry(k).or_insert(v);
            }
        }
        self.watcher.ensure_polling();
    }

    /// Which of `keys` the last look found unknown to the daemon.
    pub fn unknown_among(&self, keys: &[Key]) -> Vec<Key> {
        let st = self.watcher.lock();
        let unknown = |k: &&Key| st.seen.get(*k).is_some_and(|s| s.unknown());
        let mut out: Vec<Key> = Vec::new();
        for k in keys.iter().filter(unknown) {
            if !out.contains(k) {
                out.push(k.clone());
            }
        }
        out
    }

    /// Stops watching `key` (nothing if it was not watched).
    pub fn remove(&self, key: &Key) {
        if let Some(sub) = self.watcher.lock().subs.get_mut(&self.id) {
            sub.keys.remove(key);
        }
    }

    /// Unsubscribes everything; the watcher stops polling for it at its next tick.
    pub fn close(&self) {
        self.watcher.lock().subs.remove(&self.id);
    }

    /// Whether it was closed.
    pub fn is_closed(&self) -> bool {
        !self.watcher.lock().subs.contains_key(&self.id)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.close();
    }
}

/// A subscriber of one watcher with its own mailbox: [`Registration`]'s methods
/// (through `Deref`), and its events with [`Subscription::next`].
#[derive(Debug)]
pub struct Subscription {
    reg: Registration,
    mailbox: Arc<Mailbox>,
}

impl Subscription {
    pub(super) fn new(watcher: &Watcher) -> Subscription {
        let mailbox = Arc::new(Mailbox::default());
        let inbox = Arc::new(Tagged {
            tag: (),
            mailbox: mailbox.clone(),
        });
        Subscription {
            reg: watcher.join(inbox),
            mailbox,
        }
    }

    /// Waits for the next events (all that are pending, coalesced per key); `None`
    /// once closed. Cancel-safe.
    pub async fn next(&self) -> Option<Vec<Event>> {
        let events = self.mailbox.take().await?;
        Some(events.into_iter().map(|(_, e)| e).collect())
    }

    /// Unsubscribes everything and ends [`Self::next`].
    pub fn close(&self) {
        self.reg.close();
        self.mailbox.close();
    }
}

impl std::ops::Deref for Subscription {
    type Target = Registration;
    fn deref(&self) -> &Registration {
        &self.reg
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.close();
    }
}
