//! A subscriber's mailbox: the events the watcher found for it, each at most once,
//! until the subscriber's forwarder takes them.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// A change a subscriber is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The resource at this URI changed (state, pid, exit status; a log's size).
    Updated(String),
    /// Processes came or went.
    ListChanged,
}

/// A subscriber's pending events: each at most once, so it stays bounded by what
/// the subscriber watches, however slow its client.
#[derive(Debug, Default)]
pub(super) struct Mailbox {
    pending: Mutex<Vec<Event>>,
    ready: Notify,
    pub(super) closed: AtomicBool,
}

impl Mailbox {
    pub(super) fn push(&self, e: Event) {
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if !p.contains(&e) {
            p.push(e);
        }
        drop(p);
        self.ready.notify_one();
    }

    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.ready.notify_one();
    }

    /// Waits for events; `None` once closed. Cancel-safe.
    pub(super) async fn take(&self) -> Option<Vec<Event>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_are_kept_once_and_closing_ends_the_wait() {
        let m = Mailbox::default();
        m.push(Event::Updated("a".into()));
        m.push(Event::ListChanged);
        m.push(Event::Updated("a".into()));
        m.push(Event::ListChanged);
        assert_eq!(
            m.take().await,
            Some(vec![Event::Updated("a".into()), Event::ListChanged])
        );
        m.close();
        assert_eq!(m.take().await, None);
    }
}
