//! A subscriber's pending events, until its consumer takes them: at most one per key
//! (and tag), later changes merged into it, so it stays bounded by what the
//! subscriber watches however slow the consumer.

use super::Event;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Where a [`super::Registration`]'s events go.
pub trait Inbox: Send + Sync + std::fmt::Debug {
    /// Takes one event for the subscriber.
    fn push(&self, e: Event);
}

/// Pending events, each with a tag saying where it comes from (`()` for one
/// daemon; a target when one subscriber watches several daemons).
#[derive(Debug)]
pub struct Mailbox<T = ()> {
    pending: Mutex<Vec<(T, Event)>>,
    ready: Notify,
    closed: AtomicBool,
}

impl<T> Default for Mailbox<T> {
    fn default() -> Self {
        Mailbox {
            pending: Mutex::new(Vec::new()),
            ready: Notify::new(),
            closed: AtomicBool::new(false),
        }
    }
}

impl<T: PartialEq> Mailbox<T> {
    /// Adds `e`, merged into a pending event of the same tag and key: a state change
    /// keeps its first `from` and takes the new `to` (dropped when they are equal); a
    /// log size takes the new size; list changes add up (dropped when they cancel).
    pub fn push(&self, tag: T, e: Event) {
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        match p.iter().position(|(t, old)| *t == tag && same_key(old, &e)) {
            Some(i) => {
                let (tag, old) = p.remove(i);
                if let Some(merged) = merge(old, e) {
                    p.insert(i, (tag, merged));
                }
            }
            None => p.push((tag, e)),
        }
        drop(p);
        self.ready.notify_one();
    }

    /// Ends [`Self::take`]'s waits (what is pending is still handed out first).
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.ready.notify_one();
    }

    /// Whether [`Self::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Waits for events, all that are pending, oldest first; `None` once closed and
    /// empty. Cancel-safe.
    pub async fn take(&self) -> Option<Vec<(T, Event)>> {
        loop {
            let p = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
            if !p.is_empty() {
                return Some(p);
            }
            if self.is_closed() {
                return None;
            }
            self.ready.notified().await;
        }
    }
}

/// An [`Inbox`] that files events in a shared mailbox under its tag.
#[derive(Debug)]
pub struct Tagged<T> {
    pub tag: T,
    pub mailbox: Arc<Mailbox<T>>,
}

impl<T> Inbox for Tagged<T>
where
    T: Clone + PartialEq + Send + Sync + std::fmt::Debug,
{
    fn push(&self, e: Event) {
        self.mailbox.push(self.tag.clone(), e);
    }
}

fn same_key(a: &Event, b: &Event) -> bool {
    match (a, b) {
        (Event::State { name: x, .. }, Event::State { name: y, .. }) => x == y,
        (
            Event::LogSize {
                name: x, channel: c, ..
            },
            Event::LogSize {
                name: y, channel: d, ..
            },
        ) => x == y && c == d,
        (Event::Processes { .. }, Event::Processes { .. }) => true,
        _ => false,
    }
}

/// `old` then `new` (of the same key) as one event; `None` when they cancel out.
fn merge(old: Event, new: Event) -> Option<Event> {
    match (old, new) {
        (Event::State { name, from, .. }, Event::State { to, .. }) => {
            (from != to).then_some(Event::State { name, from, to })
        }
        (Event::Processes { added: a1, removed: r1 }, Event::Processes { added: a2, removed: r2 }) => {
            let net = |x: &[String], y: &[String], later_undone: &[String], earlier_undone: &[String]| {
                let mut s: BTreeSet<String> = x.iter().filter(|n| !later_undone.contains(n)).cloned().collect();
                s.extend(y.iter().filter(|n| !earlier_undone.contains(n)).cloned());
                s.into_iter().collect::<Vec<_>>()
            };
            let added = net(&a1, &a2, &r2, &r1);
            let removed = net(&r1, &r2, &a2, &a1);
            (!added.is_empty() || !removed.is_empty()).then_some(Event::Processes { added, removed })
        }
        (_, new) => Some(new),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Snapshot;
    use super::*;
    use crate::supervisor::{Channel, ProcessState};

    fn snap(state: ProcessState, pid: i64) -> Option<Snapshot> {
        Some(Snapshot {
            state,
            pid,
            exitstatus: 0,
            start: 0,
            stop: 0,
        })
    }

    fn state(name: &str, from: Option<Snapshot>, to: Option<Snapshot>) -> Event {
        Event::State {
            name: name.into(),
            from,
            to,
        }
    }

    fn list(added: &[&str], removed: &[&str]) -> Event {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        Event::Processes {
            added: v(added),
            removed: v(removed),
        }
    }

    #[tokio::test]
    async fn pending_events_are_coalesced_per_tag_and_key() {
        use ProcessState::{Running, Stopped, Stopping};
        let m: Mailbox<u8> = Mailbox::default();
        m.push(1, state("a", snap(Running, 7), snap(Stopping, 7)));
        m.push(2, state("a", snap(Running, 7), snap(Stopping, 7)));
        m.push(1, list(&["x"], &[]));
        m.push(1, state("a", snap(Stopping, 7), snap(Stopped, 0)));
        let log = |size| Event::LogSize {
            name: "a".into(),
            channel: Channel::Stdout,
            size: Some(size),
        };
        m.push(1, log(10));
        m.push(1, log(30));
        m.push(1, list(&["y"], &["x", "z"]));
        assert_eq!(
            m.take().await,
            Some(vec![
                (1, state("a", snap(Running, 7), snap(Stopped, 0))),
                (2, state("a", snap(Running, 7), snap(Stopping, 7))),
                (1, list(&["y"], &["z"])),
                (1, log(30)),
            ])
        );
        // A change undone before it was taken is no change.
        m.push(1, state("a", snap(Stopped, 0), snap(Running, 8)));
        m.push(1, state("a", snap(Running, 8), snap(Stopped, 0)));
        m.push(1, list(&["n"], &[]));
        m.push(1, list(&[], &["n"]));
        m.close();
        assert_eq!(m.take().await, None, "nothing left, and closed");
    }
}
