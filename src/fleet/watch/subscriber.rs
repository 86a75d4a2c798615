//! One consumer's subscriptions across the daemons of a server (an MCP session, or
//! one `subscriptions/listen`): a [`Registration`] on each daemon's watcher it uses,
//! one per target as subscribed, all delivering into one mailbox where each event is
//! tagged with that target, so its pending events stay bounded by what it watches.

use super::{RouteError, TargetKey, Watchers};
use crate::supervisor::watch::{
    Event, Key, MAX_KEYS_PER_SUBSCRIBER, Mailbox, Registration, Tagged, WatchError, Watcher,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::task::JoinSet;

/// Why a subscription was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    #[error(transparent)]
    Route(#[from] RouteError),
    #[error(transparent)]
    Watch(#[from] WatchError),
    /// The daemon of `target` knows no process `name` (BAD_NAME); `suggestion`: the
    /// closest name it knows.
    #[error("BAD_NAME: no such process: {name}")]
    NoSuchProcess {
        target: TargetKey,
        name: String,
        suggestion: Option<String>,
    },
}

/// Keys grouped by target: the target, its watcher, its keys (each once).
type Groups = Vec<(TargetKey, Watcher, Vec<Key>)>;

/// What a reservation did on one target: its registration, the keys it added, the
/// keys asked.
type Reserved = (TargetKey, Arc<Registration>, Vec<Key>, Vec<Key>);

/// One consumer's subscriptions. Dropping it (or [`Subscriber::close`]) unsubscribes
/// everything.
#[derive(Debug)]
pub struct Subscriber {
    watchers: Watchers,
    mailbox: Arc<Mailbox<TargetKey>>,
    regs: Mutex<BTreeMap<TargetKey, Arc<Registration>>>,
}

impl Subscriber {
    /// A subscriber watching nothing yet; with `list`, the process list of the
    /// server's own daemon ([`Key::Processes`]) from now on.
    pub fn new(watchers: &Watchers, list: bool) -> Subscriber {
        let s = Subscriber {
            watchers: watchers.clone(),
            mailbox: Arc::new(Mailbox::default()),
            regs: Mutex::new(BTreeMap::new()),
        };
        if list {
            let reg = s.join(&None, watchers.first());
            // The list needs no room and no first look: this only fails if closed.
            let _ = reg.reserve(&[Key::Processes]);
            s.regs().insert(None, Arc::new(reg));
        }
        s
    }

    fn join(&self, target: &TargetKey, w: &Watcher) -> Registration {
        w.join(Arc::new(Tagged {
            tag: target.clone(),
            mailbox: self.mailbox.clone(),
        }))
    }

    fn regs(&self) -> MutexGuard<'_, BTreeMap<TargetKey, Arc<Registration>>> {
        self.regs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Watches `keys` too, all or none. Each daemon takes its first look at once,
    /// all daemons in parallel (each within 2 s). Returns those of `keys` whose
    /// process the daemon does not know (watched all the same). Errors: a target that
    /// cannot be asked; over 100 keys in all, or a daemon's cap; closed.
    pub async fn add(&self, keys: &[(TargetKey, Key)]) -> Result<Vec<(TargetKey, Key)>, SubscribeError> {
        let looks = self.reserve(self.group(keys)?)?;
        let mut tasks = JoinSet::new();
        for (target, reg, added, asked) in looks {
            tasks.spawn(async move {
                reg.first_look(&added).await;
                let unknown = reg.unknown_among(&asked);
                unknown.into_iter().map(|k| (target.clone(), k)).collect::<Vec<_>>()
            });
        }
        let mut unknown = Vec::new();
        while let Some(r) = tasks.join_next().await {
            unknown.extend(r.unwrap_or_default());
        }
        Ok(unknown)
    }

    /// [`Self::add`], refusing keys of processes the daemon does not know: they are
    /// not watched then. Errors: those of [`Self::add`], and
    /// [`SubscribeError::NoSuchProcess`] (with the closest known name, from the
    /// daemon's process list: one `getAllProcessInfo` at most every 10 s).
    pub async fn add_known(&self, keys: &[(TargetKey, Key)]) -> Result<(), SubscribeError> {
        let unknown = self.add(keys).await?;
        let Some((target, key)) = unknown.first() else {
            return Ok(());
        };
        for (t, k) in &unknown {
            self.remove(t, k);
        }
        let name = key.name().unwrap_or_default();
        let suggestion = match self.watchers.watcher(target.as_deref()) {
            Ok(w) => w.suggest(name).await,
            Err(_) => None,
        };
        Err(SubscribeError::NoSuchProcess {
            target: target.clone(),
            name: name.to_owned(),
            suggestion,
        })
    }

    /// `keys` by target, each once. Errors: a target that cannot be asked.
    fn group(&self, keys: &[(TargetKey, Key)]) -> Result<Groups, RouteError> {
        let mut groups: Groups = Vec::new();
        for (target, key) in keys {
            let w = self.watchers.watcher(target.as_deref())?;
            match groups.iter_mut().find(|g| g.0 == *target) {
                Some(g) if g.2.contains(key) => {}
                Some(g) => g.2.push(key.clone()),
                None => groups.push((target.clone(), w.clone(), vec![key.clone()])),
            }
        }
        Ok(groups)
    }

    /// Watches every key of `groups` before the lock goes (so concurrent adds count
    /// them), or none; returns, by registration, the keys added and the keys asked.
    /// Errors: over 100 keys in all, or a daemon's cap; closed.
    fn reserve(&self, groups: Groups) -> Result<Vec<Reserved>, SubscribeError> {
        let mut regs = self.regs();
        if self.is_closed() {
            return Err(WatchError::Closed.into());
        }
        let watching: usize = regs.values().map(|r| r.watching()).sum();
        let counted = |keys: &[Key]| keys.iter().filter(|k| **k != Key::Processes).count();
        let new: usize = groups
            .iter()
            .map(|(t, _, keys)| regs.get(t).map_or_else(|| counted(keys), |r| r.unwatched(keys)))
            .sum();
        if watching + new > MAX_KEYS_PER_SUBSCRIBER {
            return Err(WatchError::TooMany.into());
        }
        let mut done: Vec<Reserved> = Vec::new();
        for (target, watcher, keys) in groups {
            let reg = match regs.get(&target) {
                Some(r) => r.clone(),
                None => {
                    let r = Arc::new(self.join(&target, &watcher));
                    regs.insert(target.clone(), r.clone());
                    r
                }
            };
            match reg.reserve(&keys) {
                Ok(added) => done.push((target, reg, added, keys)),
                Err(e) => {
                    for (_, reg, added, _) in done {
                        added.iter().for_each(|k| reg.remove(k));
                    }
                    return Err(e.into());
                }
            }
        }
        Ok(done)
    }

    /// Stops watching `key` on `target` (nothing if it was not watched).
    pub fn remove(&self, target: &TargetKey, key: &Key) {
        if let Some(reg) = self.regs().get(target) {
            reg.remove(key);
        }
    }

    /// Waits for the next events, from any daemon, each with the target it was
    /// subscribed on (several at once when they piled up, coalesced per target and
    /// key); `None` once closed. Cancel-safe.
    pub async fn next(&self) -> Option<Vec<(TargetKey, Event)>> {
        self.mailbox.take().await
    }

    /// Unsubscribes everything on every daemon.
    pub fn close(&self) {
        // Closed first, so an `add` racing this one adds nothing after it.
        self.mailbox.close();
        let regs = std::mem::take(&mut *self.regs());
        for r in regs.values() {
            r.close();
        }
    }

    /// Whether [`Self::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.mailbox.is_closed()
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.close();
    }
}
