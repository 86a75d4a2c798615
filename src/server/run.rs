//! Running a server until SIGTERM or SIGINT, then draining it: stop accepting,
//! close idle connections and end event streams, let requests in flight finish
//! within the grace period (a second signal cuts it short), cancel what remains.

use super::HttpError;
use super::conn::Conns;
use axum::Router;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How connections are accepted and how the server stops.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most connections open at once (see [`super::max_connections`]).
    pub max_connections: usize,
    /// Longest wait for a request's headers (idle keep-alive included).
    pub read_timeout: Duration,
    /// On SIGTERM/SIGINT, how long requests in flight may take to finish.
    pub shutdown_grace: Duration,
}

/// What the server tells the endpoints as it stops.
#[derive(Debug, Clone, Default)]
pub struct Stopping {
    /// Cancelled once accepting stopped: event streams (SSE, MCP listens) end now.
    pub streams: CancellationToken,
    /// Cancelled when the grace is over: calls still in flight are cancelled.
    pub calls: CancellationToken,
}

/// Binds `addr`. Errors: [`HttpError::Bind`].
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, HttpError> {
    TcpListener::bind(addr).await.map_err(|e| HttpError::Bind {
        addr,
        detail: e.to_string(),
    })
}

/// Serves `router` on `listener` until SIGTERM or SIGINT, then drains (see the
/// module doc), cancelling `stopping`'s tokens in turn, and returns.
pub async fn serve(listener: TcpListener, router: Router, limits: Limits, stopping: Stopping) {
    let (stop, hard) = (CancellationToken::new(), CancellationToken::new());
    tokio::spawn(on_signals(stop.clone(), hard.clone()));
    let trimmer = tokio::spawn(super::memory::trim_loop(Duration::from_secs(2)));
    let conns = Conns::new(limits.max_connections, limits.read_timeout);
    conns.accept(listener, router, stop, hard.clone()).await;
    // Event streams never end on their own: end them now, gracefully, so they do
    // not hold the shutdown for the whole grace period.
    stopping.streams.cancel();
    let busy = conns.len();
    if busy > 0 {
        tracing::info!(
            connections = busy,
            grace_s = limits.shutdown_grace.as_secs_f64(),
            "letting calls in flight finish"
        );
    }
    let finished = tokio::select! {
        done = conns.wait(limits.shutdown_grace) => done,
        () = hard.cancelled() => false,
    };
    if !finished {
        tracing::warn!(
            connections = conns.len(),
            "shutdown grace over: cancelling the calls still in flight"
        );
    }
    stopping.calls.cancel();
    hard.cancel();
    trimmer.abort();
    conns.wait(Duration::from_secs(5)).await;
    // Give the handlers just cancelled a turn to drop their futures (and spawn
    // their cleanups) before the caller drains `supervisor::cleanup`.
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// The first SIGTERM/SIGINT cancels `stop`; a second one `hard`.
async fn on_signals(stop: CancellationToken, hard: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        tracing::warn!("cannot listen for SIGTERM/SIGINT");
        return;
    };
    for token in [stop, hard] {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("shutting down");
        token.cancel();
    }
}
