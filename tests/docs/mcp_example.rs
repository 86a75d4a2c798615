//! docs/mcp.md's raw `subscriptions/listen` example, sent as written to
//! `supervisord-mcp mcp` over stdio against the demo daemon: the server acknowledges
//! what it asked for, and the update of the subscribed process arrives when that
//! process stops.

use crate::demo::{Demo, serve_mcp};
use crate::markdown;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// The JSON-RPC lines of the page's ```json block that holds `subscriptions/listen`.
fn requests(page: &str) -> Vec<Value> {
    let block = markdown::blocks(page)
        .into_iter()
        .find(|b| b.lang == "json" && b.body.contains("\"subscriptions/listen\""))
        .expect("docs/mcp.md: a ```json block with a subscriptions/listen request");
    block
        .body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("docs/mcp.md:{}: {e}: {l}", block.line)))
        .collect()
}

/// The next message matching `want`, within 20 s.
fn next(lines: &Receiver<Value>, what: &str, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(m) if want(&m) => return m,
            Ok(m) => assert!(m.get("error").is_none(), "an error instead of {what}: {m}"),
            Err(_) => panic!("no {what} within 20 s"),
        }
    }
}

pub fn check(demo: &Demo, page: &str) {
    let requests = requests(page);
    let listen = requests
        .iter()
        .find(|r| r["method"] == "subscriptions/listen")
        .expect("a listen request");
    let uris = listen["params"]["notifications"]["resourceSubscriptions"].clone();
    let uri = uris[0]
        .as_str()
        .expect("params.notifications.resourceSubscriptions[0]")
        .to_owned();
    let name = uri.strip_prefix("supervisor://process/").expect("a process URI");
    let mut child = serve_mcp(demo.command());
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let m = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON-RPC ({e}): {line}"));
            if tx.send(m).is_err() {
                break;
            }
        }
    });
    for r in &requests {
        writeln!(stdin, "{r}").expect("write a request");
    }
    let ack = next(&lines, "acknowledgment", |m| {
        m["method"] == "notifications/subscriptions/acknowledged"
    });
    assert_eq!(ack["params"]["notifications"]["resourceSubscriptions"], uris, "{ack}");
    let out = demo.cli(&["stop", name]);
    assert!(
        out.status.success(),
        "stop {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    next(&lines, "update", |m| {
        m["method"] == "notifications/resources/updated" && m["params"]["uri"] == uri.as_str()
    });
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
}
