//! MCP over Streamable HTTP, against the real binary and a real supervisord: each
//! security rule has a test that fails if the rule breaks (token, sessions, slow
//! clients, TCP_NODELAY, shutdown, unknown paths), and the official Python SDK
//! (tests/py/mcp_probe.py --http) finds no error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;
mod conns;
mod sessions;
mod shutdown;
mod token;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "91de346a57ec1c6c88290641f4a768e1d802b99108673b4f";
const AUTH: (&str, &str) = (
    "authorization",
    "Bearer 91de346a57ec1c6c88290641f4a768e1d802b99108673b4f",
);

/// A running `mcp --http`, killed on drop. Its config home is a temp dir, so a
/// generated token never lands in the real `~/.config`.
struct Server {
    child: Child,
    url: String,
    port: u16,
    home: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Default)]
struct Opts<'a> {
    token: Option<&'a str>,
    args: &'a [&'a str],
    /// Soft and hard RLIMIT_NOFILE of the server.
    nofile: Option<u64>,
    /// Reuse this config home (e.g. to restart with the same generated token).
    home: Option<tempfile::TempDir>,
}

/// Where a server without a daemon points (tests of the HTTP layer alone).
const NO_DAEMON: &str = "unix:///nonexistent/supervisor.sock";

/// `mcp --http` in front of `d`, or of no daemon at all.
fn serve(d: Option<&Daemon>, token: Option<&str>, args: &[&str]) -> Server {
    serve_with(
        d,
        Opts {
            token,
            args,
            ..Opts::default()
        },
    )
}

fn serve_with(d: Option<&Daemon>, o: Opts) -> Server {
    // reqwest has no TLS provider of its own here (see transport::tls).
    supervisord_mcp::supervisor::transport::install_default_provider();
    let target = d.map_or(NO_DAEMON.to_owned(), |d| d.url(Via::Unix));
    let home = o.home.unwrap_or_else(|| tempfile::tempdir().unwrap());
    let (child, port) = spawn_on_free_port(
        |port| {
            let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"));
            cmd.args(["-s", &target, "mcp", "--http", &format!("127.0.0.1:{port}")])
                .args(o.args)
                .env_remove("SUPERVISORD_MCP_TOKEN")
                .env("XDG_CONFIG_HOME", home.path())
                .stdout(Stdio::null());
            if let Some(t) = o.token {
                cmd.env("SUPERVISORD_MCP_TOKEN", t);
            }
            if let Some(n) = o.nofile {
                let lim = nix::sys::resource::Resource::RLIMIT_NOFILE;
                // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
                unsafe {
                    cmd.pre_exec(move || nix::sys::resource::setrlimit(lim, n, n).map_err(std::io::Error::from));
                }
            }
            cmd
        },
        &home.path().join("stderr"),
    );
    Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        port,
        home,
    }
}

impl Server {
    fn stderr(&self) -> String {
        std::fs::read_to_string(self.home.path().join("stderr")).unwrap()
    }
    fn term(&self) {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
    }
    /// The exit code, if the server exits within `secs`.
    fn exit_within(&mut self, secs: u64) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

const INIT: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;

async fn post_to(client: &reqwest::Client, url: &str, headers: &[(&str, &str)], body: String) -> reqwest::Response {
    let mut req = client
        .post(format!("{url}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn post(url: &str, headers: &[(&str, &str)], body: String) -> reqwest::Response {
    post_to(&reqwest::Client::new(), url, headers, body).await
}

/// A new session (with the test token); its id.
async fn session(url: &str) -> String {
    let r = post(url, &[AUTH], INIT.into()).await;
    assert_eq!(r.status(), 200);
    let id = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let _ = r.text().await;
    id
}

/// A request in session `sid`: status and body.
async fn call(url: &str, sid: &str, method: &str, params: serde_json::Value) -> (u16, String) {
    let body = serde_json::json!({"jsonrpc":"2.0","id":2,"method":method,"params":params}).to_string();
    let r = post(url, &[AUTH, ("mcp-session-id", sid)], body).await;
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// Sends a request in session `sid` in the background and returns once the server
/// has taken it in: the answer's headers have arrived (its SSE stream is open, so the
/// session is busy and the call in flight), at most 20 s. The task reads the rest:
/// status and body.
async fn in_flight(
    url: &str,
    sid: &str,
    method: &str,
    params: serde_json::Value,
) -> tokio::task::JoinHandle<(u16, String)> {
    let body = serde_json::json!({"jsonrpc":"2.0","id":2,"method":method,"params":params}).to_string();
    let (url, sid) = (url.to_owned(), sid.to_owned());
    let (taken, taken_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let r = post(&url, &[AUTH, ("mcp-session-id", &sid)], body).await;
        let _ = taken.send(());
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    });
    tokio::time::timeout(Duration::from_secs(20), taken_rx)
        .await
        .expect("the server took the call in within 20 s")
        .expect("the request failed");
    task
}

#[tokio::test]
async fn every_security_rule_holds() {
    let d = Daemon::start();
    let s = serve(Some(&d), Some(TOKEN), &["--max-body-bytes", "65536"]);
    // Token: missing, wrong, right.
    assert_eq!(post(&s.url, &[], INIT.into()).await.status(), 401);
    let wrong = post(&s.url, &[("authorization", "Bearer nope")], INIT.into()).await;
    assert_eq!(wrong.status(), 401);
    let bare = post(&s.url, &[("authorization", TOKEN)], INIT.into()).await;
    assert_eq!(bare.status(), 401, "not a Bearer");
    let ok = post(&s.url, &[AUTH], INIT.into()).await;
    assert_eq!(ok.status(), 200);
    let body = ok.text().await.unwrap();
    assert!(body.contains("supervisord-mcp") && !body.contains(TOKEN));
    // DNS rebinding: foreign Host and Origin, checked before the token.
    for h in [vec![AUTH, ("host", "evil.example")], vec![("host", "evil.example")]] {
        assert_eq!(post(&s.url, &h, INIT.into()).await.status(), 403);
    }
    let evil = post(&s.url, &[AUTH, ("origin", "https://evil.example")], INIT.into()).await;
    assert_eq!(evil.status(), 403);
    let local = post(&s.url, &[AUTH, ("origin", "http://localhost:3000")], INIT.into()).await;
    assert_eq!(local.status(), 200);
    // Oversized body.
    let pad = "x".repeat(100_000);
    let big = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{pad}"}}}}"#);
    assert_eq!(post(&s.url, &[AUTH], big).await.status(), 413);
    // /health: no token needed, nothing secret.
    let h = reqwest::get(format!("{}/health", s.url)).await.unwrap();
    assert_eq!(h.status(), 200);
    let h: serde_json::Value = serde_json::from_str(&h.text().await.unwrap()).unwrap();
    assert_eq!(h["supervisord"]["reachable"], true);
    assert!(!h.to_string().contains(TOKEN) && !h.to_string().contains("sleeper"));
}

/// #9.6: OAuth discovery paths (and any other) are 404 without a Bearer challenge,
/// so a client reports the token problem instead of trying OAuth.
#[tokio::test]
async fn other_paths_answer_404_without_a_bearer_challenge() {
    let s = serve(None, Some(TOKEN), &[]);
    let client = reqwest::Client::new();
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
        "/register",
        "/",
        "/mcp/extra",
    ] {
        for r in [
            client.get(format!("{}{path}", s.url)).send().await.unwrap(),
            client.post(format!("{}{path}", s.url)).body("{}").send().await.unwrap(),
        ] {
            assert_eq!(r.status(), 404, "{path}");
            assert!(r.headers().get("www-authenticate").is_none(), "{path}");
        }
    }
    let r = post(&s.url, &[], INIT.into()).await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
}

#[test]
fn official_python_sdk_over_http_finds_no_error_and_read_only_applies() {
    let d = Daemon::start();
    for (extra, tools) in [(vec![], 7), (vec!["--read-only"], 4)] {
        let s = serve(Some(&d), Some(TOKEN), &extra);
        let out = probe_http(&s.url);
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

/// The project's probe (tests/py/mcp_probe.py) over HTTP, with the test token.
fn probe_http(url: &str) -> std::process::Output {
    Command::new(python())
        .arg(py_script("mcp_probe.py"))
        .args(["--http", &format!("{url}/mcp")])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args(["--call", "status", "{}"])
        .args(["--call", "logs", r#"{"name":"fast","lines":5}"#])
        .output()
        .unwrap()
}
