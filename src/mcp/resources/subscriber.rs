//! One client's subscriptions (a 2025-11-25 session, or one 2026-07-28
//! `subscriptions/listen`) across the daemons of a server: a [`Registration`] on
//! each daemon's watcher it uses, all delivering into one mailbox, so its pending
//! events stay bounded by what it watches; a target's URIs are delivered qualified
//! by the target, as the client subscribed to them.

use super::mailbox::Mailbox;
use super::registration::{Registration, WatchError};
use super::watcher::Watcher;
use super::watcher::{Event, MAX_URIS_PER_SUBSCRIBER};
use super::watchers::{RouteError, TargetKey, Watchers};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::task::JoinSet;

/// A registration and the URIs it has yet to take a first look at.
type Looks = (Arc<Registration>, Vec<String>);

/// Why a subscription was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    #[error(transparent)]
    Route(#[from] RouteError),
    #[error(transparent)]
    Watch(#[from] WatchError),
}

/// One client's subscriptions. Dropping it (or [`Subscriber::close`]) unsubscribes
/// everything.
#[derive(Debug)]
pub struct Subscriber {
    watchers: Watchers,
    mailbox: Arc<Mailbox>,
    /// By target (`None`: the server's own daemon).
    regs: Mutex<BTreeMap<TargetKey, Arc<Registration>>>,
}

impl Subscriber {
    /// A subscriber watching nothing yet; with `list_changed`, it is told when the
    /// server's own daemon's processes come or go (what `resources/list` lists).
    pub fn new(watchers: &Watchers, list_changed: bool) -> Subscriber {
        let mailbox = Arc::new(Mailbox::default());
        let mut regs = BTreeMap::new();
        if list_changed {
            let reg = watchers.first().join(true, None, mailbox.clone(), false);
            regs.insert(None, Arc::new(reg));
        }
        Subscriber {
            watchers: watchers.clone(),
            mailbox,
            regs: Mutex::new(regs),
        }
    }

    fn regs(&self) -> MutexGuard<'_, BTreeMap<TargetKey, Arc<Registration>>> {
        self.regs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Watches `uris` too: nothing unless every one of them leads somewhere. Each
    /// daemon takes its first look at once, all daemons in parallel (each within
    /// 2 s). Errors: a URI that names no resource, or a target that cannot be
    /// asked; over 100 URIs in all, or a daemon's cap; closed.
    pub async fn add(&self, uris: &[String]) -> Result<(), SubscribeError> {
        let looks = self.reserve(self.group(uris)?)?;
        let mut tasks = JoinSet::new();
        for (reg, uris) in looks {
            tasks.spawn(async move { reg.first_look(uris).await });
        }
        while tasks.join_next().await.is_some() {}
        Ok(())
    }

    /// `uris` by daemon: the target, its watcher, its own URIs (each once).
    /// Errors: a URI that leads nowhere.
    fn group(&self, uris: &[String]) -> Result<Vec<(TargetKey, Watcher, Vec<String>)>, RouteError> {
        let mut groups: Vec<(TargetKey, Watcher, Vec<String>)> = Vec::new();
        for uri in uris {
            let r = self.watchers.resolve(uri)?;
            match groups.iter_mut().find(|g| g.0 == r.target) {
                Some(g) if g.2.contains(&r.local) => {}
                Some(g) => g.2.push(r.local),
                None => groups.push((r.target, r.watcher, vec![r.local])),
            }
        }
        Ok(groups)
    }

    /// Watches every URI of `groups` before the lock goes (so concurrent adds count
    /// them), or none; returns the first looks to take, by registration. Errors:
    /// over 100 URIs in all, or a daemon's cap; closed.
    fn reserve(&self, groups: Vec<(TargetKey, Watcher, Vec<String>)>) -> Result<Vec<Looks>, SubscribeError> {
        let mut regs = self.regs();
        if self.is_closed() {
            return Err(WatchError::Closed.into());
        }
        let watching: usize = regs.values().map(|r| r.watching()).sum();
        let new: usize = groups
            .iter()
            .map(|(t, _, l)| regs.get(t).map_or(l.len(), |r| r.unwatched(l)))
            .sum();
        if watching + new > MAX_URIS_PER_SUBSCRIBER {
            return Err(WatchError::TooMany.into());
        }
        let mut done: Vec<(Arc<Registration>, Vec<String>)> = Vec::new();
        let mut looks = Vec::new();
        for (target, watcher, locals) in groups {
            let reg = regs
                .entry(target.clone())
                .or_insert_with(|| Arc::new(watcher.join(false, target, self.mailbox.clone(), false)))
                .clone();
            match reg.reserve(&locals) {
                Ok(r) => {
                    done.push((reg.clone(), r.added));
                    looks.push((reg, r.first_looks));
                }
                Err(e) => {
                    for (reg, added) in done {
                        added.iter().for_each(|u| reg.remove(u));
                    }
                    return Err(e.into());
                }
            }
        }
        Ok(looks)
    }

    /// Stops watching `uri` (nothing if it was not watched).
    pub fn remove(&self, uri: &str) {
        if let Ok(r) = self.watchers.resolve(uri)
            && let Some(reg) = self.regs().get(&r.target)
        {
            reg.remove(&r.local);
        }
    }

    /// Waits for the next events, from any daemon (several at once when they piled
    /// up); `None` once closed. Cancel-safe.
    pub async fn next(&self) -> Option<Vec<Event>> {
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
        self.mailbox.closed.load(Ordering::SeqCst)
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.close();
    }
}
