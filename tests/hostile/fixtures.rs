//! Hostile peers, each a small server on 127.0.0.1 run on its own runtime and
//! stopped (its sockets closed) on drop: one answering every request with a redirect,
//! one answering with a huge body, a counting proxy in front of a real daemon (to see
//! whether anything reached it), and a listener whose backlog is full.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::runtime::Runtime;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// A server on 127.0.0.1; `hits` counts the connections it accepted.
pub struct Server {
    pub port: u16,
    hits: Arc<AtomicUsize>,
    rt: Option<Runtime>,
}

impl Server {
    /// Serves each connection with `handle`.
    fn start<F, Fut>(handle: F) -> Server
    where
        F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let rt = runtime();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        rt.spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(handle(s));
            }
        });
        Server {
            port,
            hits,
            rt: Some(rt),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Connections accepted so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Reads one HTTP/1.1 request, head and body (by its Content-Length), so that
/// closing afterwards resets nothing the client still reads. False when the peer
/// closed first.
async fn read_request(s: &mut TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    true
}

/// Answers every request with HTTP `status` and `Location: location`.
pub fn redirector(status: u16, location: &str) -> Server {
    let location = location.to_owned();
    Server::start(move |mut s| {
        let reply = format!(
            "HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        async move {
            if read_request(&mut s).await {
                let _ = s.write_all(reply.as_bytes()).await;
                let _ = s.shutdown().await;
                let mut sink = [0u8; 1024];
                while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {}
            }
        }
    })
}

/// Answers every request with HTTP 200 and an XML-RPC string of `bytes` bytes in all,
/// sent as fast as the client reads (never closed: it is `x` to the end).
pub fn flood(bytes: usize) -> Server {
    Server::start(move |mut s| async move {
        if !read_request(&mut s).await {
            return;
        }
        let head = format!("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {bytes}\r\n\r\n");
        let start = b"<?xml version='1.0'?><methodResponse><params><param><value><string>";
        if s.write_all(head.as_bytes()).await.is_err() || s.write_all(start).await.is_err() {
            return;
        }
        let filler = vec![b'x'; 64 * 1024];
        let mut left = bytes.saturating_sub(start.len());
        while left > 0 {
            let n = left.min(filler.len());
            if s.write_all(&filler[..n]).await.is_err() {
                return;
            }
            left -= n;
        }
    })
}

/// Forwards every connection to 127.0.0.1:`upstream` (a real daemon), counting them.
pub fn counting_proxy(upstream: u16) -> Server {
    Server::start(move |mut s| async move {
        if let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)).await {
            let _ = tokio::io::copy_bidirectional(&mut s, &mut up).await;
        }
    })
}

/// A listener with a backlog of 1 that never accepts, its queue filled: a new
/// connection is never answered (the kernel drops its SYN).
pub struct FullBacklog {
    pub port: u16,
    rt: Option<Runtime>,
}

impl FullBacklog {
    pub fn start() -> FullBacklog {
        let rt = runtime();
        let (port, filled) = rt.block_on(async {
            let socket = TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let listener = socket.listen(1).unwrap();
            let port = listener.local_addr().unwrap().port();
            let filled = Arc::new(AtomicUsize::new(0));
            for _ in 0..4 {
                let filled = filled.clone();
                tokio::spawn(async move {
                    if let Ok(held) = TcpStream::connect(("127.0.0.1", port)).await {
                        filled.fetch_add(1, Ordering::SeqCst);
                        std::future::pending::<()>().await;
                        drop(held);
                    }
                });
            }
            // Keep the listener (never accepting) as long as the runtime runs.
            tokio::spawn(async move {
                std::future::pending::<()>().await;
                drop(listener);
            });
            (port, filled)
        });
        // Linux queues backlog + 1 connections: two complete, the others hang.
        let deadline = Instant::now() + Duration::from_secs(10);
        while filled.load(Ordering::SeqCst) < 2 {
            assert!(Instant::now() < deadline, "the backlog did not fill in 10 s");
            std::thread::sleep(Duration::from_millis(10));
        }
        FullBacklog { port, rt: Some(rt) }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for FullBacklog {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}
