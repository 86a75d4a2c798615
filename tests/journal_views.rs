//! What the event journal gives the other features, against a real supervisord with
//! the journal installed: `status` (text, `--json`, MCP) says how often a crashing
//! program started and crashed in the last hour, `diagnose` says it in one line with
//! the exit statuses; a daemon without a journal shows
//! nothing more; MCP reads the history in one `resources/read` of
//! `supervisor://events?...`, filtered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/mcp.rs"]
mod mcp_client;
use common::{Daemon, Via};
use mcp_client::*;
use rmcp::ServiceExt;
use rmcp::model::{ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use supervisord_mcp::mcp::SupervisorMcp;

/// Exits 3 after a moment, restarted each time: a crash loop.
const PROGRAMS: &str = r#"
[program:flaky]
command=sh -c 'sleep 0.3; exit 3'
autostart=false
startsecs=0
autorestart=true
stdout_logfile=%(here)s/flaky.out.log
stderr_logfile=%(here)s/flaky.err.log

[program:steady]
command=sleep 100000
stdout_logfile=%(here)s/steady.out.log
stderr_logfile=%(here)s/steady.err.log
"#;

fn cli(d: &Daemon, args: &[&str]) -> std::process::Output {
    d.cli(Via::Unix).args(args).output().unwrap()
}

fn json(d: &Daemon, args: &[&str]) -> Value {
    serde_json::from_slice(&cli(d, args).stdout).unwrap()
}

/// `flaky`'s history in `status --json`, once it has crashed at least `n` times.
fn crashed(d: &Daemon, n: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = json(d, &["status", "--json"]);
        let flaky = v["processes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "flaky")
            .cloned();
        if let Some(p) = flaky
            && p["history"]["crashes"].as_u64().is_some_and(|c| c >= n)
        {
            return p;
        }
        assert!(
            Instant::now() < deadline,
            "flaky never crashed {n} times in the journal: {v}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[tokio::test]
async fn status_and_mcp_say_how_often_a_program_restarted_and_crashed() {
    let d = Daemon::start_programs(false, PROGRAMS, "");
    // Without a journal: nothing more than supervisord's own state.
    assert!(cli(&d, &["start", "--no-wait", "flaky"]).status.code().is_some());
    std::thread::sleep(Duration::from_secs(1));
    let v = json(&d, &["status", "--json"]);
    assert!(
        v["processes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p.get("history").is_none()),
        "{v}"
    );
    let v = json(&d, &["diagnose", "flaky", "--json"]);
    assert!(v.get("history").is_none() && v["name"] == "flaky", "{v}");
    let out = cli(&d, &["events", "install"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // With one: the crash loop is counted; the steady program is not mentioned.
    let flaky = crashed(&d, 3);
    let h = &flaky["history"];
    assert!(h["starts"].as_u64().unwrap() >= 3, "{flaky}");
    assert_eq!(
        h["recent_exits"].as_array().unwrap().last().unwrap()["exitstatus"],
        3,
        "{flaky}"
    );
    let v = json(&d, &["status", "--json"]);
    let steady = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "steady")
        .unwrap();
    assert!(steady.get("history").is_none(), "{steady}");
    let table = String::from_utf8_lossy(&cli(&d, &["status", "flaky"]).stdout).into_owned();
    assert!(
        table.contains(" starts, ") && table.contains(" crashes in 1 h"),
        "the table shows the history: {table}"
    );
    // diagnose: one line, the exit status each time; and in its JSON.
    let o = cli(&d, &["diagnose", "flaky"]);
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    let line = said
        .lines()
        .find(|l| l.starts_with("history: "))
        .unwrap_or_else(|| panic!("{said}"));
    assert!(
        line.starts_with("history: crashed ")
            && line.contains(" times in the last hour (")
            && line.contains(", exit 3 each time; last at "),
        "{said}"
    );
    let v = json(&d, &["diagnose", "flaky", "--json"]);
    assert!(v["history"]["crashes"].as_u64().is_some_and(|c| c >= 3), "{v}");
    let v = json(&d, &["diagnose", "steady", "--json"]);
    assert!(
        v.get("history").is_none(),
        "a program that neither restarted nor crashed: {v}"
    );

    // MCP: the same words in status, and the history in one read.
    let server = SupervisorMcp::new(d.client());
    let (a, b) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(s) = server.serve(a).await {
            let _ = s.waiting().await;
        }
    });
    let c = ().serve(b).await.unwrap();
    let r = call(c.peer(), "status", json!({"names": ["flaky"]})).await;
    assert!(text(&r).contains(" crashes in 1 h"), "{}", text(&r));
    let r = call(c.peer(), "diagnose", json!({"name": "flaky"})).await;
    assert!(text(&r).contains("\nhistory: crashed "), "{}", text(&r));
    let listed = c.list_all_resources().await.unwrap();
    assert!(listed.iter().any(|r| r.uri == "supervisor://events"), "{listed:?}");
    let uri = "supervisor://events?name=flaky&kind=crash&since=1h&limit=2";
    let read = c.read_resource(ReadResourceRequestParams::new(uri)).await.unwrap();
    let ResourceContents::TextResourceContents { text: body, .. } = &read.contents[0] else {
        panic!("text")
    };
    let doc: Value = serde_json::from_str(body).unwrap();
    let events = doc["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{doc}");
    assert!(
        events
            .iter()
            .all(|e| e["process"] == "flaky" && e["to"] == "EXITED" && e["expected"] == false),
        "{doc}"
    );
    let bad = c
        .read_resource(ReadResourceRequestParams::new("supervisor://events?kind=boom"))
        .await;
    assert!(bad.is_err(), "{bad:?}");
    let _ = cli(&d, &["stop", "flaky"]);
}
