//! One client's subscriptions (a 2025-11-25 session, or one 2026-07-28
//! `subscriptions/listen`) across the daemons of a server: a [`Registration`] on
//! each daemon's watcher it uses, all delivering into one mailbox, so its pending
//! events stay bounded by what it watches; a target's URIs are delivered qualified
//! by the target, as the client subscribed to them.

use super::mailbox::Mailbox;
use super::registration::{Registration, WatchError};
use super::watcher::{Event, MAX_URIS_PER_SUBSCRIBER};
use super::watchers::{RouteError, Watchers};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::task::JoinSet;

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
    regs: Mutex<BTreeMap<Option<Arc<str>>, Arc<Registration>>>,
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

    fn regs(&self) -> MutexGuard<'_, BTreeMap<Option<Arc<str>>, Arc<Registration>>> {
        self.regs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Watches `uris` too: nothing unless every one of them leads somewhere. Each
    /// daemon takes its first look at once, all daemons in parallel (each within
    /// 2 s). Errors: a URI that names no resource, or a target that cannot be
    /// asked; over 100 URIs in all, or a daemon's cap; closed.
    pub async fn add(&self, uris: &[String]) -> Result<(), SubscribeError> {
        let mut groups: BTreeMap<Option<Arc<str>>, Vec<String>> = BTreeMap::new();
        let mut routes = Vec::new();
        for uri in uris {
            let r = self.watchers.resolve(uri)?;
            let g = groups.entry(r.target.clone()).or_default();
            if !g.contains(&r.local) {
                g.push(r.local.clone());
            }
            routes.push(r);
        }
        let mut adds = JoinSet::new();
        {
            let mut regs = self.regs();
            if self.is_closed() {
                return Err(WatchError::Closed.into());
            }
            let watching: usize = regs.values().map(|r| r.watching()).sum();
            let new: usize = groups
                .iter()
                .map(|(t, l)| regs.get(t).map_or(l.len(), |r| r.unwatched(l)))
                .sum();
            if watching + new > MAX_URIS_PER_SUBSCRIBER {
                return Err(WatchError::TooMany.into());
            }
            for (target, locals) in groups {
                let Some(route) = routes.iter().find(|r| r.target == target) else {
                    continue;
                };
                let reg = regs
                    .entry(target.clone())
                    .or_insert_with(|| Arc::new(route.watcher.join(false, target, self.mailbox.clone(), false)))
                    .clone();
                adds.spawn(async move { reg.add(&locals).await });
            }
        }
        while let Some(done) = adds.join_next().await {
            done.map_err(|_| WatchError::Closed)??;
        }
        Ok(())
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
        let regs = std::mem::take(&mut *self.regs());
        for r in regs.values() {
            r.close();
        }
        self.mailbox.close();
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
