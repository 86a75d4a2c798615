//! Secrets never echoed: the password in a server URL (`unix://user:pw@/path`, an
//! unreachable `http://user:pw@…`) and in a readiness URL (`wait --url`, MCP `wait`
//! `url`) appears in no output, text or JSON, CLI or MCP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use std::time::Duration;
use supervisord_mcp::mcp::SupervisorMcp;
use supervisord_mcp::supervisor::{Client, Endpoint, ServerSettings};

const PW: &str = "hunter2-Pw";

/// Asserts that the password is nowhere in what the CLI printed; returns stdout + stderr.
fn no_password(o: &std::process::Output) -> String {
    let all = format!("{}{}", stdout(o), stderr(o));
    assert!(!all.contains(PW) && !all.contains("hunter2"), "password shown:\n{all}");
    all
}

/// A loopback port that nobody listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn server_url_passwords_are_never_echoed() {
    let closed = closed_port();
    for (url, expect) in [
        (
            format!("unix://admin:{PW}@/tmp/nonexistent.sock"),
            "unix:///tmp/nonexistent.sock",
        ),
        (format!("unix://admin:{PW}@relative.sock"), "carries no credentials"),
        (
            format!("https://admin:{PW}@127.0.0.1:{closed}"),
            "refused the connection",
        ),
        (format!("ssh://admin:{PW}@host.example/s.sock"), "takes no password"),
        (
            format!("http://admin:{PW}@127.0.0.1:{closed}"),
            "refused the connection",
        ),
        (format!("http://admin:{PW}@127.0.0.1:{closed}:9"), "invalid server URL"),
    ] {
        for json in [false, true] {
            let mut cli = bare_cli();
            cli.args(["-s", &url, "status"]);
            if json {
                cli.arg("--json");
            }
            let out = cli.output().unwrap();
            assert_ne!(out.status.code(), Some(0));
            let all = no_password(&out);
            assert!(all.contains(expect), "{url}: {all}");
        }
    }
}

#[test]
fn readiness_url_passwords_are_never_echoed_by_the_cli() {
    let d = Daemon::start();
    // Past STARTING first, so the 1 s timeout is about the URL, not startsecs.
    d.wait_for(10, "sleeper to run", |_| d.state("sleeper") == "RUNNING");
    // One URL nobody answers, one that answers 404 (supervisord's own HTTP port).
    for url in [
        format!("http://admin:{PW}@127.0.0.1:{}/health", closed_port()),
        format!("http://admin:{PW}@127.0.0.1:{}/nope", d.port),
    ] {
        for json in [false, true] {
            let mut cli = d.cli(Via::Unix);
            cli.args(["wait", "sleeper", "--url", &url, "--timeout", "1"]);
            if json {
                cli.arg("--json");
            }
            let out = cli.output().unwrap();
            assert_ne!(out.status.code(), Some(0), "{url}");
            let all = no_password(&out);
            assert!(
                all.contains("not ready after") && all.contains("http://127.0.0.1:"),
                "{all}"
            );
        }
    }
}

#[tokio::test]
async fn readiness_url_passwords_are_never_echoed_by_mcp() {
    let d = Daemon::start();
    // Past STARTING first, so the 1 s timeout is about the URL, not startsecs.
    d.wait_for(10, "sleeper to run", |_| d.state("sleeper") == "RUNNING");
    let settings = ServerSettings {
        endpoint: Endpoint::parse(&d.url(Via::Unix)).unwrap().endpoint,
        username: None,
        password: None,
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        tls: Default::default(),
    };
    let server = SupervisorMcp::new(Client::new(&settings).unwrap());
    let (a, b) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(s) = server.serve(a).await {
            let _ = s.waiting().await;
        }
    });
    let client = ().serve(b).await.unwrap();
    let url = format!("http://admin:{PW}@127.0.0.1:{}/health", closed_port());
    let args = serde_json::json!({ "names": ["sleeper"], "url": url, "timeout_s": 1 });
    let serde_json::Value::Object(args) = args else {
        unreachable!()
    };
    let r = client
        .call_tool(CallToolRequestParams::new("wait").with_arguments(args))
        .await
        .unwrap();
    // The whole result: text content and structuredContent.
    let all = serde_json::to_string(&r).unwrap();
    assert!(!all.contains(PW) && !all.contains("hunter2"), "password shown: {all}");
    assert!(
        all.contains("not ready after") && all.contains("http://127.0.0.1:"),
        "{all}"
    );
    let _ = client.cancel().await;
}
