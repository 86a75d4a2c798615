//! The `--max-sessions` cap, held atomically where sessions are created: a session
//! manager wrapping rmcp's in-memory one. When the cap is reached, the least
//! recently used session with no call in flight is closed to make room; a new
//! session waits a little for one to become idle, and is refused (503) only if every
//! session is still answering a call. Requests that need no session (stateless MCP
//! 2026-07-28) never come here.

use futures_core::Stream;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError, SessionConfig,
};
use rmcp::transport::streamable_http_server::session::{ServerSseMessage, SessionId, SessionManager};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// How long a new session may wait for one to become idle before 503.
const CAP_WAIT: Duration = Duration::from_secs(5);

/// What a refusal of the cap says (within rmcp's answer to a session it could not
/// create, HTTP 500): the guard answers 503 instead when it finds it.
pub(super) const ALL_BUSY: &str = "MCP sessions has a call in flight";

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CapError {
    #[error("every one of the {0} {ALL_BUSY}; retry later")]
    Full(usize),
    #[error(transparent)]
    Session(#[from] LocalSessionManagerError),
}

/// When each session was last used and how many calls it is answering.
#[derive(Debug)]
struct Activity {
    last: Instant,
    calls: usize,
}

#[derive(Debug, Default)]
struct Table {
    sessions: HashMap<SessionId, Activity>,
    /// Sessions being created (counted against the cap before they have an id).
    reserved: usize,
}

/// rmcp's [`LocalSessionManager`] under a cap of `max` sessions.
#[derive(Debug)]
pub struct CappedSessions {
    inner: LocalSessionManager,
    max: usize,
    shared: Arc<Shared>,
}

impl CappedSessions {
    /// At most `max` sessions (at least 1); sessions idle `idle_timeout` are closed.
    pub fn new(max: usize, idle_timeout: Duration) -> CappedSessions {
        let mut inner = LocalSessionManager::default();
        let mut cfg = SessionConfig::default();
        cfg.keep_alive = Some(idle_timeout);
        inner.session_config = cfg;
        CappedSessions {
            inner,
            max: max.max(1),
            shared: Arc::new(Shared::default()),
        }
    }

    /// How many sessions exist (or are being created).
    #[cfg(test)]
    fn len(&self) -> usize {
        let t = lock(&self.shared);
        t.sessions.len() + t.reserved
    }

    fn touch(&self, id: &SessionId) {
        if let Some(a) = lock(&self.shared).sessions.get_mut(id) {
            a.last = Instant::now();
        }
    }

    /// Takes a slot under the lock: free, or freed by dropping the least recently
    /// used idle session from the table (returned, to be closed). Errors: all busy.
    fn reserve(&self) -> Result<Option<SessionId>, CapError> {
        let mut t = lock(&self.shared);
        let mut victim = None;
        if t.sessions.len() + t.reserved >= self.max {
            let lru = t
                .sessions
                .iter()
                .filter(|(_, a)| a.calls == 0)
                .min_by_key(|(_, a)| a.last)
                .map(|(id, _)| id.clone());
            let Some(id) = lru else {
                return Err(CapError::Full(self.max));
            };
            t.sessions.remove(&id);
            victim = Some(id);
        }
        t.reserved += 1;
        Ok(victim)
    }
}

/// The table, and a signal for creators waiting for a slot: a call ended, a
/// session closed, or a reservation was given back.
#[derive(Debug, Default)]
struct Shared {
    table: Mutex<Table>,
    freed: tokio::sync::Notify,
}

impl CappedSessions {
    /// [`Self::reserve`], waiting up to [`CAP_WAIT`] for a session to become idle
    /// (a burst of new sessions, or every one answering a call); then refused.
    async fn reserve_or_wait(&self) -> Result<Option<SessionId>, CapError> {
        let deadline = tokio::time::Instant::now() + CAP_WAIT;
        loop {
            let freed = self.shared.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            match self.reserve() {
                Ok(victim) => return Ok(victim),
                Err(e) => {
                    if tokio::time::timeout_at(deadline, freed).await.is_err() {
                        return Err(e);
                    }
                }
            }
        }
    }
}

fn lock(s: &Shared) -> MutexGuard<'_, Table> {
    s.table.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Gives back a reservation, even if creating the session is cancelled midway.
struct Reservation(Arc<Shared>);

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut t = lock(&self.0);
        t.reserved = t.reserved.saturating_sub(1);
        drop(t);
        self.0.freed.notify_one();
    }
}

/// Counts one call in flight on a session until dropped (the answer's stream ends
/// or its connection goes).
struct CallGuard {
    shared: Arc<Shared>,
    id: SessionId,
}

impl CallGuard {
    fn new(shared: &Arc<Shared>, id: &SessionId) -> CallGuard {
        if let Some(a) = lock(shared).sessions.get_mut(id) {
            a.calls += 1;
            a.last = Instant::now();
        }
        CallGuard {
            shared: shared.clone(),
            id: id.clone(),
        }
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        if let Some(a) = lock(&self.shared).sessions.get_mut(&self.id) {
            a.calls = a.calls.saturating_sub(1);
            a.last = Instant::now();
        }
        self.shared.freed.notify_one();
    }
}

/// An answer's SSE stream that keeps its session marked busy while it lives.
struct Busy<S> {
    inner: Pin<Box<S>>,
    _guard: CallGuard,
}

impl<S: Stream> Stream for Busy<S> {
    type Item = S::Item;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl SessionManager for CappedSessions {
    type Error = CapError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), CapError> {
        let victim = self.reserve_or_wait().await?;
        let reservation = Reservation(self.shared.clone());
        let created = self.inner.create_session().await;
        if let Ok((id, _)) = &created {
            let activity = Activity {
                last: Instant::now(),
                calls: 0,
            };
            lock(&self.shared).sessions.insert(id.clone(), activity);
        }
        drop(reservation);
        // The victim is already out of the table (it no longer counts, and answers
        // 404); stop its worker now.
        if let Some(id) = victim {
            tracing::info!("MCP session cap reached: closed the least recently used idle session");
            let _ = self.inner.close_session(&id).await;
            crate::server::memory::note_freed();
        }
        Ok(created?)
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, CapError> {
        let _busy = CallGuard::new(&self.shared, id);
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, CapError> {
        // A session dropped from the table (closed to make room) is gone.
        if !lock(&self.shared).sessions.contains_key(id) {
            return Ok(false);
        }
        self.touch(id);
        Ok(self.inner.has_session(id).await?)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), CapError> {
        lock(&self.shared).sessions.remove(id);
        self.shared.freed.notify_one();
        let closed = self.inner.close_session(id).await;
        crate::server::memory::note_freed();
        Ok(closed?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, CapError> {
        let guard = CallGuard::new(&self.shared, id);
        let stream = self.inner.create_stream(id, message).await?;
        Ok(Busy {
            inner: Box::pin(stream),
            _guard: guard,
        })
    }

    async fn accept_message(&self, id: &SessionId, message: ClientJsonRpcMessage) -> Result<(), CapError> {
        self.touch(id);
        Ok(self.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, CapError> {
        self.touch(id);
        Ok(self.inner.create_standalone_stream(id).await?)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, CapError> {
        self.touch(id);
        Ok(self.inner.resume(id, last_event_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_cap_holds_and_makes_room_by_closing_the_least_recently_used() {
        let m = CappedSessions::new(2, Duration::from_secs(60));
        let (a, _ta) = m.create_session().await.unwrap_or_else(|_| unreachable!());
        let (b, _tb) = m.create_session().await.unwrap_or_else(|_| unreachable!());
        m.touch(&a);
        let (c, _tc) = m.create_session().await.unwrap_or_else(|_| unreachable!());
        assert_eq!(m.len(), 2);
        assert!(
            !m.has_session(&b).await.unwrap_or(true),
            "b was the least recently used"
        );
        assert!(m.has_session(&a).await.unwrap_or(false));
        assert!(m.has_session(&c).await.unwrap_or(false));
        // Both busy: no room now; a creator waits until a call ends, then takes
        // the place of that session.
        let ga = CallGuard::new(&m.shared, &a);
        let _gc = CallGuard::new(&m.shared, &c);
        assert!(matches!(m.reserve(), Err(CapError::Full(2))));
        let (created, ()) = tokio::join!(m.create_session(), async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(ga);
        });
        assert!(created.is_ok());
        assert!(!m.has_session(&a).await.unwrap_or(true));
        assert_eq!(m.len(), 2);
    }
}
