//! Live updates for the dashboard over Server-Sent Events, from the watch engine
//! (one watcher per daemon, shared with `/mcp`'s subscriptions: however many
//! dashboards are open, each daemon is looked at once a second, or followed through
//! its event journal).
//!
//! - `GET /events[?t=TARGET&n=NAME]`: `state` events (`{"t","n","from","state","pid",
//!   "exit","start","up"}`) for every process of the selected targets (at most
//!   [`MAX_KEYS_PER_SUBSCRIBER`] per target), or one; `processes` (`{"t"}`) when a
//!   target's processes came or went.
//! - `GET /events/log?t=&n=&ch=stdout|stderr&from=OFFSET`: `lines` events, each the
//!   log's new lines (text, cleaned of control characters) after the byte offset the
//!   page was read at.
//!
//! A stream ends when the client goes, or when the server stops.

use super::Web;
use super::login::Viewer;
use crate::supervisor::ops::logs::filter::LogFilter;
use crate::supervisor::ops::logs::{self, LogSource, TailOptions};
use crate::supervisor::watch::{Event, Key, MAX_KEYS_PER_SUBSCRIBER, Mailbox, Registration, Tagged, Watcher};
use crate::supervisor::{Channel, ProcessState};
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{self, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// `?t=&n=` (both optional).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Which {
    #[serde(default)]
    t: String,
    #[serde(default)]
    n: String,
}

type Tx = mpsc::Sender<Result<sse::Event, Infallible>>;

fn stream(rx: mpsc::Receiver<Result<sse::Event, Infallible>>) -> Response {
    Sse::new(ReceiverStream::new(rx))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// `GET /events`.
pub async fn states(
    State(w): State<Arc<Web>>,
    Extension(_v): Extension<Viewer>,
    Query(which): Query<Which>,
) -> Response {
    let targets: Vec<String> = match which.t.as_str() {
        "" => w
            .fleet
            .selected()
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.name)
            .collect(),
        t => vec![t.to_owned()],
    };
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(relay_states(w, targets, which.n, tx));
    stream(rx)
}

/// Registers every target's processes (or the one named) with its watcher, then
/// relays their events until the client goes or the server stops.
async fn relay_states(w: Arc<Web>, targets: Vec<String>, only: String, tx: Tx) {
    let mailbox: Arc<Mailbox<String>> = Arc::new(Mailbox::default());
    let mut regs: Vec<Registration> = Vec::new();
    for t in targets {
        let Some(watcher) = w.watcher(&t) else { continue };
        let names = match only.as_str() {
            "" => watcher.processes().await.unwrap_or_default(),
            n => vec![n.to_owned()],
        };
        let mut keys: Vec<Key> = names
            .into_iter()
            .take(MAX_KEYS_PER_SUBSCRIBER)
            .map(Key::Process)
            .collect();
        keys.push(Key::Processes);
        let inbox = Arc::new(Tagged {
            tag: t.clone(),
            mailbox: mailbox.clone(),
        });
        let reg = watcher.join(inbox);
        if reg.add(&keys).await.is_ok() {
            regs.push(reg);
        }
    }
    loop {
        let batch = tokio::select! {
            b = mailbox.take() => b,
            () = tx.closed() => None,
            () = w.stopping.cancelled() => None,
        };
        let Some(batch) = batch else { break };
        for (t, e) in batch {
            let Some(data) = state_json(&t, &e) else { continue };
            let kind = if matches!(e, Event::Processes { .. }) {
                "processes"
            } else {
                "state"
            };
            if tx.send(Ok(sse::Event::default().event(kind).data(data))).await.is_err() {
                return;
            }
        }
    }
    drop(regs);
}

/// An event as the page reads it.
fn state_json(t: &str, e: &Event) -> Option<String> {
    let now = crate::supervisor::journal::time::now_ms() / 1000;
    let v = match e {
        Event::State {
            name,
            from,
            to: Some(s),
        } => serde_json::json!({
            "t": t, "n": name, "from": from.map(|f| f.state), "state": s.state, "pid": s.pid, "exit": s.exitstatus, "start": s.start,
            "up": (s.state == ProcessState::Running && s.start > 0).then(|| now - s.start),
        }),
        Event::Processes { .. } => serde_json::json!({ "t": t }),
        _ => return None,
    };
    Some(v.to_string())
}

/// `?t=&n=&ch=&from=`.
#[derive(Debug, serde::Deserialize)]
pub struct LogWhich {
    #[serde(default)]
    t: String,
    n: String,
    #[serde(default)]
    ch: String,
    #[serde(default)]
    from: u64,
}

/// `GET /events/log`.
pub async fn log(State(w): State<Arc<Web>>, Extension(_v): Extension<Viewer>, Query(q): Query<LogWhich>) -> Response {
    let Some(watcher) = w.watcher(&q.t) else {
        return (StatusCode::NOT_FOUND, "no such target\n").into_response();
    };
    let ch = if q.ch == "stderr" {
        Channel::Stderr
    } else {
        Channel::Stdout
    };
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(relay_log(w, watcher, q.n, ch, q.from, tx));
    stream(rx)
}

/// Watches the log's size; each change sends the lines written after the cursor.
async fn relay_log(w: Arc<Web>, watcher: Watcher, name: String, ch: Channel, mut cursor: u64, tx: Tx) {
    let sub = watcher.subscribe();
    if sub.add(&[Key::Log(name.clone(), ch)]).await.is_err() {
        return;
    }
    let src = LogSource::process(&name, ch);
    let opts = TailOptions {
        lines: 1000,
        ..TailOptions::default()
    };
    loop {
        let got = tokio::select! {
            e = sub.next() => e,
            () = tx.closed() => None,
            () = w.stopping.cancelled() => None,
        };
        if got.is_none() {
            break;
        }
        let Ok(chunk) = logs::read_since(watcher.client(), &src, cursor, &opts, &LogFilter::default()).await else {
            continue;
        };
        cursor = chunk.cursor;
        if chunk.lines.is_empty() {
            continue;
        }
        let data = serde_json::json!({ "lines": chunk.lines, "reset": chunk.reset }).to_string();
        if tx
            .send(Ok(sse::Event::default().event("lines").data(data)))
            .await
            .is_err()
        {
            break;
        }
    }
}
