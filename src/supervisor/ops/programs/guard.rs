//! Changes that are undone unless they complete: a [`Guard`] holds what undoes a
//! half-done change (a program file written, a group added, a transient program
//! started). Dropped while armed, because the caller's future was cancelled (Ctrl-C,
//! an MCP `notifications/cancelled`, a closed connection), it hands the undo to
//! [`crate::supervisor::cleanup::spawn`], which runs it to completion even though its
//! caller is gone. [`Guard::undo_now`] runs it the same way and waits for it, so that
//! an undo in progress is never cut short either.

use crate::supervisor::cleanup;
use crate::supervisor::error::{Error, Result};
use std::future::Future;

/// What undoes a change: run once, to completion, on the runtime.
pub(super) trait Undo: Send + 'static {
    fn undo(self) -> impl Future<Output = Result<()>> + Send;
}

/// Holds an [`Undo`] until the change completes ([`Guard::disarm`]) or is undone.
pub(super) struct Guard<U: Undo> {
    undo: Option<U>,
}

impl<U: Undo> Guard<U> {
    /// Arms a guard: from now on, dropping it undoes the change.
    pub(super) fn new(undo: U) -> Self {
        Guard { undo: Some(undo) }
    }

    /// The change completed: nothing to undo.
    pub(super) fn disarm(mut self) {
        self.undo = None;
    }

    /// Undoes the change now and waits for it. The undo runs as a cleanup task, so it
    /// finishes even if this future is dropped while waiting.
    pub(super) async fn undo_now(mut self) -> Result<()> {
        let Some(undo) = self.undo.take() else {
            return Ok(());
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        cleanup::spawn(async move {
            let _ = tx.send(undo.undo().await);
        });
        rx.await
            .unwrap_or_else(|_| Err(Error::Invalid("the cleanup task ended without an answer".into())))
    }
}

impl<U: Undo> Drop for Guard<U> {
    fn drop(&mut self) {
        let Some(undo) = self.undo.take() else { return };
        // Without a runtime (never the case for a future being dropped by one), there
        // is nothing that could run the undo.
        if tokio::runtime::Handle::try_current().is_ok() {
            cleanup::spawn(async move {
                if let Err(e) = undo.undo().await {
                    tracing::warn!(error = %e, "cleanup after an interrupted change failed");
                }
            });
        }
    }
}
