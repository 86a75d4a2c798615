//! MCP over Streamable HTTP: each security rule has a test that fails if the rule
//! breaks, and the official Python SDK (mcp_probe.py --http) finds no error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "t0ken-for-tests";

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(d: &Daemon, token: Option<&str>, extra: &[&str]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"));
    cmd.args(["-s", &d.url(Via::Unix), "mcp", "--http", &format!("127.0.0.1:{port}")])
        .args(extra)
        .env_remove("SUPERVISORD_MCP_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(t) = token {
        cmd.env("SUPERVISORD_MCP_TOKEN", t);
    }
    let child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

const INIT: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;

async fn post(url: &str, headers: &[(&str, &str)], body: String) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!("{url}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn every_security_rule_holds() {
    let d = Daemon::start();
    let s = serve(&d, Some(TOKEN), &["--max-body-bytes", "65536"]);
    let auth = ("authorization", "Bearer t0ken-for-tests");
    // Token: missing, wrong, right.
    assert_eq!(post(&s.url, &[], INIT.into()).await.status(), 401);
    assert_eq!(
        post(&s.url, &[("authorization", "Bearer nope")], INIT.into())
            .await
            .status(),
        401
    );
    assert_eq!(
        post(&s.url, &[("authorization", TOKEN)], INIT.into()).await.status(),
        401,
        "not a Bearer"
    );
    let ok = post(&s.url, &[auth], INIT.into()).await;
    assert_eq!(ok.status(), 200);
    let body = ok.text().await.unwrap();
    assert!(body.contains("supervisord-mcp") && !body.contains(TOKEN));
    // DNS rebinding: foreign Host and Origin.
    assert_eq!(
        post(&s.url, &[auth, ("host", "evil.example")], INIT.into())
            .await
            .status(),
        403
    );
    assert_eq!(
        post(&s.url, &[auth, ("origin", "https://evil.example")], INIT.into())
            .await
            .status(),
        403
    );
    assert_eq!(
        post(&s.url, &[auth, ("origin", "http://localhost:3000")], INIT.into())
            .await
            .status(),
        200
    );
    // Oversized body.
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(100_000)
    );
    assert_eq!(post(&s.url, &[auth], big).await.status(), 413);
    // /health: no token needed, nothing secret.
    let h = reqwest::get(format!("{}/health", s.url)).await.unwrap();
    assert_eq!(h.status(), 200);
    let h: serde_json::Value = serde_json::from_str(&h.text().await.unwrap()).unwrap();
    assert_eq!(h["supervisord"]["reachable"], true);
    assert!(!h.to_string().contains(TOKEN) && !h.to_string().contains("sleeper"));
}

#[tokio::test]
async fn sessions_are_capped() {
    let d = Daemon::start();
    let s = serve(&d, None, &["--max-sessions", "2"]);
    assert_eq!(post(&s.url, &[], INIT.into()).await.status(), 200);
    assert_eq!(post(&s.url, &[], INIT.into()).await.status(), 200);
    assert_eq!(
        post(&s.url, &[], INIT.into()).await.status(),
        503,
        "a third session is refused"
    );
}

#[test]
fn a_non_loopback_bind_without_a_token_refuses_to_start() {
    let o = bare_cli()
        .args(["-s", "unix:///nonexistent.sock", "mcp", "--http", "0.0.0.0:0"])
        .env_remove("SUPERVISORD_MCP_TOKEN")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("without a bearer token") && err.contains("SUPERVISORD_MCP_TOKEN"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("token");
    std::fs::write(&empty, "\n").unwrap();
    let o = bare_cli()
        .args([
            "-s",
            "unix:///x.sock",
            "mcp",
            "--http",
            "0.0.0.0:0",
            "--token-file",
            empty.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn sigterm_stops_it_cleanly() {
    let d = Daemon::start();
    let mut s = serve(&d, None, &[]);
    let ok = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(Instant::now() < deadline, "did not exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn official_python_sdk_over_http_finds_no_error_and_read_only_applies() {
    let d = Daemon::start();
    let probe = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/mcp_probe.py");
    let python = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        probe.is_file() && python.is_file(),
        "needs ../shared/tools/mcp_probe.py and scripts/setup.sh"
    );
    for (extra, tools) in [(vec![], 7), (vec!["--read-only"], 4)] {
        let s = serve(&d, None, &extra);
        let out = Command::new(&python)
            .arg(&probe)
            .args([
                "--strict",
                "--http",
                &format!("{}/mcp", s.url),
                "--call",
                "status",
                "{}",
            ])
            .args(["--call", "logs", r#"{"name":"fast","lines":5}"#])
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(report["ok"], true);
        assert_eq!(report["tools"]["count"], tools, "{extra:?}");
    }
}
