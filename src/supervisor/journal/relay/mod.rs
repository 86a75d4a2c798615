//! `supervisord-mcp events relay`: the event listener supervisord runs. Two halves
//! that never wait for each other:
//!
//! - the protocol thread ([`protocol::serve`], blocking I/O on stdin/stdout) answers
//!   each event once the writer has written the ones before it (at most 0.5 s later,
//!   so supervisord's event buffer never fills because of us), and hands the event on
//!   through a bounded queue (full: the event is counted, and an error line says how
//!   many were not written);
//! - the writer ([`writer`]) turns each event into one journal line on stderr, in
//!   order, after asking the daemon (`SUPERVISOR_SERVER_URL`) for an exit's status,
//!   and watches that supervisord keeps writing the journal file.
//!
//! Nothing but protocol is written on stdout.

pub mod protocol;
mod writer;

use protocol::Received;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Events waiting for the writer, at most.
pub const QUEUE: usize = 4096;

/// One event as received, with when.
#[derive(Debug)]
pub struct Incoming {
    pub time_ms: i64,
    pub received: Received,
    /// How many events of the same process came before it (to tell whether the
    /// daemon's answer about an exit may already describe a later one).
    pub seq: u64,
}

/// What both halves share.
#[derive(Debug, Default)]
pub struct Shared {
    /// Set by the writer when the journal stopped being written: the protocol thread
    /// refuses the next event once (supervisord logs `event was rejected` and sends
    /// it again).
    pub reject_once: AtomicBool,
    /// Events the queue had no room for, not yet said.
    pub dropped: AtomicU64,
    /// Events received per process (namespec).
    pub seen: std::sync::Mutex<std::collections::HashMap<String, u64>>,
    /// Events handed to the writer, and those it has written (or given up on).
    pub handed: AtomicU64,
    pub written: AtomicU64,
}

/// How long an event's answer waits, at most, for the writer to write the events
/// before it (see [`Shared::wait_for_writer`]).
const WRITER_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

impl Shared {
    /// Before an event is answered: until the writer has written every event handed
    /// to it, at most [`WRITER_WAIT`]. So a relay killed with `-9` loses at most the
    /// event just answered (the one not answered is sent again by supervisord), while
    /// a slow writer still cannot fill supervisord's event buffer (buffer_size 1024).
    fn wait_for_writer(&self) {
        let until = std::time::Instant::now() + WRITER_WAIT;
        while self.written.load(Ordering::SeqCst) < self.handed.load(Ordering::SeqCst)
            && std::time::Instant::now() < until
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// Counts one more event of `process`; its number.
    fn count(&self, process: &str) -> u64 {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let n = seen.entry(process.to_owned()).or_insert(0);
        *n += 1;
        *n
    }

    /// Events of `process` received so far.
    pub fn received(&self, process: &str) -> u64 {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.get(process).copied().unwrap_or(0)
    }
}

/// Runs the relay until supervisord closes its stdin. Errors: stdout or stderr gone.
pub async fn run() -> std::io::Result<()> {
    let shared = Arc::new(Shared::default());
    let (tx, rx) = tokio::sync::mpsc::channel::<Incoming>(QUEUE);
    let thread_shared = shared.clone();
    let protocol = std::thread::spawn(move || {
        let mut input = std::io::stdin().lock();
        let mut output = std::io::stdout().lock();
        let reject = || {
            thread_shared.wait_for_writer();
            thread_shared.reject_once.swap(false, Ordering::SeqCst)
        };
        let on_event = |received: Received| {
            let process = match &received {
                Received::Event { payload, .. } => process_of(payload),
                Received::Malformed(_) => String::new(),
            };
            let seq = thread_shared.count(&process);
            let incoming = Incoming {
                time_ms: super::time::now_ms(),
                received,
                seq,
            };
            match tx.try_send(incoming) {
                Ok(()) => _ = thread_shared.handed.fetch_add(1, Ordering::SeqCst),
                Err(_) => _ = thread_shared.dropped.fetch_add(1, Ordering::SeqCst),
            }
        };
        protocol::serve(&mut input, &mut output, reject, on_event)
    });
    // Stderr gone: supervisord is too; nothing to wait for.
    writer::Writer::from_env(shared).run(rx).await?;
    tokio::task::spawn_blocking(move || protocol.join())
        .await
        .map_err(std::io::Error::other)?
        .unwrap_or_else(|_| Err(std::io::Error::other("the protocol thread panicked")))
}

/// The namespec a process event's payload names (empty for other events).
fn process_of(payload: &str) -> String {
    let get = |k: &str| {
        payload
            .split_whitespace()
            .find_map(|t| t.strip_prefix(k).and_then(|v| v.strip_prefix(':')))
    };
    match (get("processname"), get("groupname")) {
        (Some(n), Some(g)) if g != n => format!("{g}:{n}"),
        (Some(n), _) => n.to_owned(),
        _ => String::new(),
    }
}
