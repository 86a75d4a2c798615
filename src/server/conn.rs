//! Accepting connections so slow or idle clients cannot take the server down:
//! TCP_NODELAY on each, a read timeout for request headers (idle keep-alive
//! included), a cap on open connections below the file-descriptor limit that makes
//! room by closing the oldest connection with no call in flight, and a graceful
//! stop: no new connections, idle ones closed, calls in flight allowed to finish.

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;

/// Descriptors kept free for everything else (the daemon's socket, log files,
/// /proc, the listener): a quarter of the limit, between 16 and 256.
fn reserve(limit: u64) -> u64 {
    (limit / 4).clamp(16, 256)
}

/// The most connections to keep open: the soft `RLIMIT_NOFILE` minus a reserve,
/// and at most `wanted` when given; at least 4.
pub fn max_connections(wanted: Option<usize>) -> usize {
    let soft = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map(|(soft, _)| soft)
        .unwrap_or(1024);
    let by_fds = usize::try_from(soft.saturating_sub(reserve(soft))).unwrap_or(usize::MAX);
    wanted.map_or(by_fds, |w| w.min(by_fds)).max(4)
}

/// What a connection is doing.
const IDLE: u8 = 0;
/// Answering a request (a call, `/health`, ...): never shed.
const BUSY: u8 = 1;
/// Holding an event stream (see [`is_stream`]): shed after idle ones.
const LISTENING: u8 = 2;

#[derive(Debug)]
struct Slot {
    state: AtomicU8,
    /// Milliseconds since the table's epoch when the state last changed.
    since: AtomicU64,
    shed: CancellationToken,
}

/// The open connections.
#[derive(Debug)]
pub struct Conns {
    slots: Mutex<HashMap<u64, Arc<Slot>>>,
    next_id: AtomicU64,
    epoch: Instant,
    max: usize,
    read_timeout: Duration,
    tasks: TaskTracker,
}

impl Conns {
    /// At most `max` connections; `read_timeout` bounds the wait for request headers.
    pub fn new(max: usize, read_timeout: Duration) -> Arc<Conns> {
        Arc::new(Conns {
            slots: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            epoch: Instant::now(),
            max: max.max(1),
            read_timeout,
            tasks: TaskTracker::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Slot>>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// How many connections are open.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Closes the connection that has waited longest without a request (then the
    /// oldest listening stream); false if every connection is answering one.
    fn shed_one(&self, slots: &mut HashMap<u64, Arc<Slot>>) -> bool {
        let victim = slots
            .iter()
            .filter(|(_, s)| s.state.load(Ordering::Relaxed) != BUSY)
            .min_by_key(|(_, s)| (s.state.load(Ordering::Relaxed), s.since.load(Ordering::Relaxed)))
            .map(|(id, _)| *id);
        match victim.and_then(|id| slots.remove(&id)) {
            Some(slot) => {
                slot.shed.cancel();
                true
            }
            None => false,
        }
    }

    /// Registers a new connection, shedding one if the cap is reached; `None` when
    /// every connection is busy (the new one is then closed).
    fn admit(&self) -> Option<(u64, Arc<Slot>)> {
        let mut slots = self.lock();
        if slots.len() >= self.max && !self.shed_one(&mut slots) {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot {
            state: AtomicU8::new(IDLE),
            since: AtomicU64::new(self.now_ms()),
            shed: CancellationToken::new(),
        });
        slots.insert(id, slot.clone());
        Some((id, slot))
    }

    /// Accepts until `stop` is cancelled; each connection is served on its own task
    /// (see [`Conns::wait`]). `hard` closes every connection at once.
    pub async fn accept(
        self: &Arc<Self>,
        listener: TcpListener,
        router: Router,
        stop: CancellationToken,
        hard: CancellationToken,
    ) {
        loop {
            let accepted = tokio::select! {
                () = stop.cancelled() => break,
                a = listener.accept() => a,
            };
            match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let Some((id, slot)) = self.admit() else {
                        tracing::warn!(max = self.max, "every connection is answering a request: refusing one");
                        continue;
                    };
                    let me = self.clone();
                    let (router, stop, hard) = (router.clone(), stop.clone(), hard.clone());
                    self.tasks.spawn(async move {
                        me.serve(stream, Peer(peer), slot.clone(), router, stop, hard).await;
                        me.lock().remove(&id);
                    });
                }
                Err(e) => {
                    // Out of descriptors (EMFILE, ENFILE) or a transient error: make
                    // room and pause instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    let shed = self.shed_one(&mut self.lock());
                    tokio::time::sleep(Duration::from_millis(if shed { 10 } else { 100 })).await;
                }
            }
        }
    }

    /// Waits, at most `grace`, for every connection to close; true if all did.
    pub async fn wait(&self, grace: Duration) -> bool {
        self.tasks.close();
        tokio::time::timeout(grace, self.tasks.wait()).await.is_ok()
    }

    /// Serves one connection until it closes, is shed, or the server stops.
    async fn serve(
        &self,
        stream: TcpStream,
        peer: Peer,
        slot: Arc<Slot>,
        router: Router,
        stop: CancellationToken,
        hard: CancellationToken,
    ) {
        let epoch = self.epoch;
        let track = slot.clone();
        let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            let mut router = router.clone();
            req.extensions_mut().insert(peer);
            let listening = is_stream(&req);
            let guard = StateGuard::enter(track.clone(), epoch, if listening { LISTENING } else { BUSY });
            async move {
                let response = router
                    .call(req.map(Body::new))
                    .await
                    .unwrap_or_else(|e: Infallible| match e {});
                Ok::<_, Infallible>(response.map(|body| Tracked { body, _guard: guard }))
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.read_timeout)
            .keep_alive(true);
        let conn = builder.serve_connection(TokioIo::new(stream), svc);
        tokio::pin!(conn);
        let mut draining = false;
        loop {
            tokio::select! {
                _ = conn.as_mut() => break,
                () = slot.shed.cancelled() => break,
                () = hard.cancelled() => break,
                () = stop.cancelled(), if !draining => {
                    draining = true;
                    if slot.state.load(Ordering::Relaxed) != BUSY {
                        break;
                    }
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// The address a connection comes from (a request extension every handler can read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub std::net::SocketAddr);

/// The client's address and whether the request came over https: from a trusted
/// proxy, its `X-Forwarded-For` (the address it appended last) and
/// `X-Forwarded-Proto`; else the peer's address, and https only with
/// `--behind-https`. The address is empty when the peer is unknown.
pub fn client_of(
    req_headers: &hyper::HeaderMap,
    peer: Option<&Peer>,
    trusted: &[std::net::IpAddr],
    behind_https: bool,
) -> (String, bool) {
    let ip = peer.map(|p| p.0.ip());
    let text = |h: &str| req_headers.get(h).and_then(|v| v.to_str().ok());
    if let Some(ip) = ip.filter(|ip| trusted.contains(ip)) {
        let client = text("x-forwarded-for")
            .and_then(|f| f.rsplit(',').next())
            .map(|c| c.trim().to_owned())
            .filter(|c| c.parse::<std::net::IpAddr>().is_ok())
            .unwrap_or_else(|| ip.to_string());
        let https = behind_https || text("x-forwarded-proto").is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        return (client, https);
    }
    (ip.map_or_else(String::new, |ip| ip.to_string()), behind_https)
}

/// Whether a request opens a long-lived event stream (`GET` of `text/event-stream`:
/// MCP's standalone stream, a dashboard's live updates): shed after idle
/// connections, and closed at once when the server stops.
fn is_stream<B>(req: &hyper::Request<B>) -> bool {
    req.method() == hyper::Method::GET
        && req
            .headers()
            .get(hyper::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/event-stream"))
}

/// Marks a connection busy or listening while a request is answered (until its
/// response body is sent or dropped), then idle again.
struct StateGuard {
    slot: Arc<Slot>,
    epoch: Instant,
}

impl StateGuard {
    fn enter(slot: Arc<Slot>, epoch: Instant, state: u8) -> StateGuard {
        set(&slot, epoch, state);
        StateGuard { slot, epoch }
    }
}

fn set(slot: &Slot, epoch: Instant, state: u8) {
    slot.state.store(state, Ordering::Relaxed);
    let ms = u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
    slot.since.store(ms, Ordering::Relaxed);
}

impl Drop for StateGuard {
    fn drop(&mut self) {
        set(&self.slot, self.epoch, IDLE);
    }
}

/// A response body that holds its connection's [`StateGuard`].
struct Tracked {
    body: Body,
    _guard: StateGuard,
}

impl http_body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }
    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }
    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_descriptor_limit() {
        assert_eq!(reserve(1024), 256);
        assert_eq!(reserve(64), 16);
        assert!(max_connections(None) >= 4);
        assert_eq!(max_connections(Some(10)), 10);
    }

    #[test]
    fn shedding_takes_the_oldest_idle_then_listening_never_busy() {
        let c = Conns::new(3, Duration::from_secs(1));
        let (a, sa) = c.admit().unwrap_or_else(|| unreachable!());
        let (_b, sb) = c.admit().unwrap_or_else(|| unreachable!());
        let (_c, sc) = c.admit().unwrap_or_else(|| unreachable!());
        set(&sa, c.epoch, LISTENING);
        set(&sb, c.epoch, BUSY);
        // sc is idle: shed first, although newer than sa.
        let (_d, sd) = c.admit().unwrap_or_else(|| unreachable!());
        assert!(sc.shed.is_cancelled() && !sa.shed.is_cancelled());
        set(&sd, c.epoch, BUSY);
        let _e = c.admit().unwrap_or_else(|| unreachable!());
        assert!(sa.shed.is_cancelled(), "then the listening one");
        assert!(!c.lock().contains_key(&a));
        set(
            &c.lock()
                .values()
                .find(|s| !s.shed.is_cancelled() && s.state.load(Ordering::Relaxed) == IDLE)
                .cloned()
                .unwrap_or_else(|| unreachable!()),
            c.epoch,
            BUSY,
        );
        assert!(c.admit().is_none(), "all busy: refused");
    }
}
