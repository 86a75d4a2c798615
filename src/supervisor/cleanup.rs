//! Work that must finish even when the call that started it is cancelled or the
//! process is asked to stop: undoing a half-done change, such as removing the
//! transient program of an interrupted one-shot run. Such tasks are spawned here and
//! tracked, and the binary waits for them (bounded) before it exits, so a Ctrl-C, a
//! SIGTERM or a cancelled MCP request never leaves them behind.

use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;
use tokio_util::task::TaskTracker;

static TRACKER: LazyLock<TaskTracker> = LazyLock::new(TaskTracker::new);

/// Runs `task` to completion on the runtime, even if whoever spawned it is dropped;
/// [`drain`] waits for it before the process exits.
pub fn spawn<F>(task: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    drop(TRACKER.spawn(task));
}

/// Waits, at most `timeout`, for every task spawned with [`spawn`] to finish; true
/// when all did. Call it once, when the process is about to exit.
pub async fn drain(timeout: Duration) -> bool {
    TRACKER.close();
    tokio::time::timeout(timeout, TRACKER.wait()).await.is_ok()
}

/// How many cleanup tasks are still running.
pub fn pending() -> usize {
    TRACKER.len()
}
