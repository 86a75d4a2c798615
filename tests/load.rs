//! Load: 200 concurrent MCP calls and 50 concurrent CLI invocations against one real
//! supervisord, all answered correctly. Prints the figures (run with --nocapture).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use std::time::{Duration, Instant};
use supervisord_mcp::mcp::SupervisorMcp;
use supervisord_mcp::supervisor::{Client, Endpoint, ServerSettings};

#[tokio::test]
async fn two_hundred_concurrent_mcp_calls() {
    let d = Daemon::start();
    d.wait_for(10, "sleeper", |_| d.state("sleeper") == "RUNNING");
    // `fast` writes its 20,000 lines at start: all of them before its log is read.
    d.wait_for(20, "fast to finish writing", |_| {
        std::fs::read_to_string(d.path("fast.out.log")).is_ok_and(|s| s.contains("fast line 19999"))
    });
    let settings = ServerSettings {
        endpoint: Endpoint::parse(&d.url(Via::Unix)).unwrap().endpoint,
        username: None,
        password: None,
        connect_timeout: Duration::from_secs(10),
        timeout: Duration::from_secs(30),
        tls: Default::default(),
    };
    let server = SupervisorMcp::new(Client::new(&settings).unwrap());
    let (a, b) = tokio::io::duplex(1 << 22);
    tokio::spawn(async move {
        if let Ok(s) = server.serve(a).await {
            let _ = s.waiting().await;
        }
    });
    let c = ().serve(b).await.unwrap();
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..200 {
        let peer = c.peer().clone();
        set.spawn(async move {
            let (tool, args) = match i % 4 {
                0 => ("status", serde_json::json!({})),
                1 => ("logs", serde_json::json!({"name": "fast", "lines": 20})),
                2 => ("status", serde_json::json!({"names": ["sleeper"]})),
                _ => ("diagnose", serde_json::json!({"name": "sleeper"})),
            };
            let t = Instant::now();
            let r = peer
                .call_tool(CallToolRequestParams::new(tool).with_arguments(args.as_object().unwrap().clone()))
                .await
                .unwrap();
            (i % 4, r, t.elapsed())
        });
    }
    let mut latencies = Vec::new();
    while let Some(r) = set.join_next().await {
        let (kind, r, t) = r.unwrap();
        assert_ne!(r.is_error, Some(true), "{:?}", r.content);
        let text: String = r
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.clone()))
            .collect();
        let v = r.structured_content.clone().unwrap();
        // Each answer is the right one, not only an answer.
        match kind {
            0 => assert!(
                v["processes"].as_array().is_some_and(
                    |ps| ps.len() >= 10 && ps.iter().any(|p| p["name"] == "sleeper" && p["state"] == "RUNNING")
                ),
                "{v}"
            ),
            1 => {
                let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("fast line")).collect();
                assert!(lines.len() == 20 && lines[19] == "fast line 19999", "{text}");
            }
            2 => assert!(
                v["processes"]
                    .as_array()
                    .is_some_and(|ps| ps.len() == 1 && ps[0]["state"] == "RUNNING"),
                "{v}"
            ),
            _ => assert!(text.starts_with("sleeper RUNNING"), "{text}"),
        }
        latencies.push(t);
    }
    latencies.sort();
    assert_eq!(latencies.len(), 200);
    eprintln!(
        "200 concurrent MCP calls: all answered in {:.0} ms; latency median {:.1} ms, max {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0,
        latencies[100].as_secs_f64() * 1000.0,
        latencies[199].as_secs_f64() * 1000.0
    );
}

#[test]
fn fifty_concurrent_cli_invocations() {
    let d = Daemon::start();
    d.wait_for(10, "sleeper", |_| d.state("sleeper") == "RUNNING");
    let bin = assert_cmd::cargo::cargo_bin("supervisord-mcp");
    let started = Instant::now();
    let children: Vec<_> = (0..50)
        .map(|i| {
            let args: Vec<String> = match i % 3 {
                0 => vec!["status".into(), "sleeper".into(), "--json".into()],
                1 => vec!["logs".into(), "fast".into(), "-n".into(), "5".into(), "--json".into()],
                _ => vec!["info".into(), "--json".into()],
            };
            let via = if i % 2 == 0 { Via::Unix } else { Via::Http };
            let child = std::process::Command::new(&bin)
                .args(["-s", &d.url(via)])
                .args(&args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            (i, child)
        })
        .collect();
    for c in children {
        let (i, c) = c;
        let o = c.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(v.get("error").is_none(), "{v}");
        // Each answer is the right one, not only an answer.
        let right = match i % 3 {
            0 => v["processes"][0]["name"] == "sleeper" && v["processes"][0]["state"] == "RUNNING",
            1 => v.to_string().contains("fast line 19999"),
            _ => v["state"] == "RUNNING",
        };
        assert!(right, "{i}: {v}");
    }
    eprintln!(
        "50 concurrent CLI invocations: all answered in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
}
