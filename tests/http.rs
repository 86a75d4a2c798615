//! MCP over Streamable HTTP, against the real binary and a real supervisord: each
//! security rule has a test that fails if the rule breaks (token, sessions, slow
//! clients, TCP_NODELAY, shutdown, unknown paths), and the official Python SDK
//! (mcp_probe.py --http) finds no error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "t0ken-for-tests";
const AUTH: (&str, &str) = ("authorization", "Bearer t0ken-for-tests");

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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(d: &Daemon, token: Option<&str>, args: &[&str]) -> Server {
    serve_with(
        d,
        Opts {
            token,
            args,
            ..Opts::default()
        },
    )
}

fn serve_with(d: &Daemon, o: Opts) -> Server {
    let port = free_port();
    let home = o.home.unwrap_or_else(|| tempfile::tempdir().unwrap());
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"));
    cmd.args(["-s", &d.url(Via::Unix), "mcp", "--http", &format!("127.0.0.1:{port}")])
        .args(o.args)
        .env_remove("SUPERVISORD_MCP_TOKEN")
        .env("XDG_CONFIG_HOME", home.path())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(home.path().join("stderr")).unwrap());
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
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(st) = child.try_wait().unwrap() {
            panic!(
                "the server exited ({st}): {}",
                std::fs::read_to_string(home.path().join("stderr")).unwrap()
            );
        }
        assert!(Instant::now() < deadline, "the server did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
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

#[tokio::test]
async fn every_security_rule_holds() {
    let d = Daemon::start();
    let s = serve(&d, Some(TOKEN), &["--max-body-bytes", "65536"]);
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
    let d = Daemon::start();
    let s = serve(&d, Some(TOKEN), &[]);
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

/// #9.1: with no token configured, a random one is generated into a private file
/// whose path (never the token) is printed, and every /mcp request needs it.
#[tokio::test]
async fn without_a_configured_token_one_is_generated_kept_private_and_required() {
    let d = Daemon::start();
    let mut s = serve(&d, None, &[]);
    let dir = s.home.path().join("supervisord-mcp");
    let file = dir.join("token");
    let token = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    assert_eq!(token.len(), 64, "256 bits in hex");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    let err = s.stderr();
    assert!(err.contains(file.to_str().unwrap()) && !err.contains(&token), "{err}");
    assert_eq!(
        post(&s.url, &[], INIT.into()).await.status(),
        401,
        "no token, loopback included"
    );
    let bearer = format!("Bearer {token}");
    assert_eq!(
        post(&s.url, &[("authorization", &bearer)], INIT.into()).await.status(),
        200
    );
    // A restart keeps the token while its file stays private and ours.
    let home = std::mem::replace(&mut s.home, tempfile::tempdir().unwrap());
    drop(s);
    let s = serve_with(
        &d,
        Opts {
            home: Some(home),
            ..Opts::default()
        },
    );
    assert_eq!(
        post(&s.url, &[("authorization", &bearer)], INIT.into()).await.status(),
        200
    );
    assert!(s.stderr().contains("kept from an earlier start"));
    // Only the loudly named flag serves without a token.
    let open = serve(&d, None, &["--dangerously-serve-without-token"]);
    assert_eq!(post(&open.url, &[], INIT.into()).await.status(), 200);
    assert!(open.stderr().contains("WITHOUT A TOKEN"));
}

#[test]
fn an_unsafe_token_place_refuses_to_start_and_symlinks_are_not_followed() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("supervisord-mcp");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = |extra: &[&str]| {
        bare_cli()
            .args(["-s", "unix:///nonexistent.sock", "mcp", "--http", "127.0.0.1:0"])
            .args(extra)
            .env_remove("SUPERVISORD_MCP_TOKEN")
            .env("XDG_CONFIG_HOME", home.path())
            .timeout(Duration::from_secs(10))
            .output()
            .unwrap()
    };
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("chmod 700"), "{}", stderr(&o));
    // A symlink planted at the token's place is replaced, its target untouched.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let target = home.path().join("victim");
    std::fs::write(&target, "precious\n").unwrap();
    std::os::unix::fs::symlink(&target, dir.join("token")).unwrap();
    let empty = home.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let o = run(&["--token-file", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "an empty token file: {}", stderr(&o));
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"))
        .args([
            "-s",
            "unix:///nonexistent.sock",
            "mcp",
            "--http",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .env_remove("SUPERVISORD_MCP_TOKEN")
        .env("XDG_CONFIG_HOME", home.path())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::symlink_metadata(dir.join("token"))
        .unwrap()
        .file_type()
        .is_symlink()
    {
        assert!(Instant::now() < deadline, "the token was not written");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    let meta = std::fs::symlink_metadata(dir.join("token")).unwrap();
    assert!(meta.is_file() && meta.permissions().mode() & 0o777 == 0o600);
}

/// #9.2: the cap holds against concurrent initializes with delayed bodies (each
/// passed the old check before any session existed).
#[test]
fn concurrent_initializes_with_delayed_bodies_cannot_pass_the_session_cap() {
    let d = Daemon::start();
    let s = serve(&d, Some(TOKEN), &["--max-sessions", "4"]);
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n\r\n",
        s.port,
        INIT.len()
    );
    let mut conns: Vec<TcpStream> = (0..24)
        .map(|_| {
            let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
            c.write_all(head.as_bytes()).unwrap();
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    for c in &mut conns {
        c.write_all(INIT.as_bytes()).unwrap();
    }
    let ids: Vec<String> = conns.into_iter().filter_map(session_id_of).collect();
    assert!(!ids.is_empty());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let alive = rt.block_on(async {
        let mut alive = 0;
        for id in &ids {
            alive += usize::from(call(&s.url, id, "ping", serde_json::json!({})).await.0 == 200);
        }
        alive
    });
    assert!(alive <= 4, "{alive} sessions answer against --max-sessions 4");
}

/// The `Mcp-Session-Id` of a raw HTTP response (read up to the end of its headers).
fn session_id_of(mut c: TcpStream) -> Option<String> {
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") && c.read(&mut byte).ok()? == 1 {
        buf.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&buf).to_lowercase();
    let line = text.lines().find(|l| l.starts_with("mcp-session-id:"))?;
    Some(line["mcp-session-id:".len()..].trim().to_owned())
}

/// #9.2: when the cap is reached, the least recently used idle session makes room.
#[tokio::test]
async fn a_full_session_cap_closes_the_least_recently_used_idle_session() {
    let d = Daemon::start();
    let s = serve(&d, Some(TOKEN), &["--max-sessions", "2"]);
    let a = session(&s.url).await;
    let b = session(&s.url).await;
    assert_eq!(call(&s.url, &a, "ping", serde_json::json!({})).await.0, 200);
    let c = session(&s.url).await;
    assert_eq!(
        call(&s.url, &b, "ping", serde_json::json!({})).await.0,
        404,
        "b was least recently used"
    );
    assert_eq!(call(&s.url, &a, "ping", serde_json::json!({})).await.0, 200);
    assert_eq!(call(&s.url, &c, "ping", serde_json::json!({})).await.0, 200);
}

/// #9.2: with every session busy, a new session gets 503, but a request that needs
/// no session (MCP 2026-07-28, stateless) is served, and Host and token are
/// checked first (403 and 401, not 503).
#[tokio::test]
async fn requests_without_a_session_never_meet_the_cap() {
    let d = Daemon::start();
    let s = serve(&d, Some(TOKEN), &["--max-sessions", "1"]);
    let a = session(&s.url).await;
    let url = s.url.clone();
    let busy = tokio::spawn(async move {
        let wait = serde_json::json!({"name":"wait","arguments":{"names":["quiet"],"timeout_s":30}});
        call(&url, &a, "tools/call", wait).await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        post(&s.url, &[AUTH], INIT.into()).await.status(),
        503,
        "the only session is busy"
    );
    assert_eq!(
        post(&s.url, &[AUTH, ("host", "evil.example")], INIT.into())
            .await
            .status(),
        403
    );
    assert_eq!(post(&s.url, &[], INIT.into()).await.status(), 401);
    let meta =
        r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;
    let list = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{{"_meta":{meta}}}}}"#);
    let modern = [
        AUTH,
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/list"),
    ];
    let r = post(&s.url, &modern, list).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("\"status\""));
    busy.abort();
}

/// #9.3: 100 slowloris connections against an fd limit of 64 neither exhaust the
/// descriptors nor starve `/health` or `/mcp` (the oldest idle connections make room).
#[tokio::test]
async fn slow_clients_cannot_starve_health_or_mcp() {
    let d = Daemon::start();
    let opts = Opts {
        token: Some(TOKEN),
        nofile: Some(64),
        ..Opts::default()
    };
    let s = serve_with(&d, opts);
    let partial = format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-Slow: ", s.port);
    let mut slow = Vec::new();
    for _ in 0..100 {
        if let Ok(mut c) = TcpStream::connect(("127.0.0.1", s.port)) {
            let _ = c.write_all(partial.as_bytes());
            slow.push(c);
        }
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for _ in 0..3 {
        let h = client
            .get(format!("{}/health", s.url))
            .send()
            .await
            .expect("/health answers");
        assert_eq!(h.status(), 200);
        assert_eq!(post_to(&client, &s.url, &[AUTH], INIT.into()).await.status(), 200);
    }
    drop(slow);
}

/// #9.3: a client that stalls in its headers is cut off after `--read-timeout`;
/// one that stalls in its body gets 408.
#[test]
fn stalled_headers_and_bodies_are_cut_off() {
    let d = Daemon::start();
    let s = serve(&d, Some(TOKEN), &["--read-timeout", "1"]);
    let mut buf = [0u8; 512];
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert!(c.read(&mut buf).is_ok(), "the stalled header was not cut off");
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{{\"jsonrpc\""
    );
    c.write_all(head.as_bytes()).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let n = c.read(&mut buf).expect("the stalled body was not cut off");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"));
}

/// #9.4: calls on one reused keep-alive connection are not held back by Nagle's
/// algorithm and delayed ACKs (~40 ms a call without TCP_NODELAY).
#[tokio::test]
async fn a_reused_connection_answers_without_delayed_ack_stalls() {
    let d = Daemon::start();
    let s = serve(&d, Some(TOKEN), &[]);
    let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
    let r = post_to(&client, &s.url, &[AUTH], INIT.into()).await;
    let sid = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let _ = r.text().await;
    let ping = r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#;
    let mut times = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let r = post_to(&client, &s.url, &[AUTH, ("mcp-session-id", &sid)], ping.into()).await;
        assert!(r.text().await.unwrap().contains("\"result\""));
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    eprintln!("a call on a reused connection: median {median:?}, min {:?}", times[0]);
    // Without TCP_NODELAY each waits for a delayed ACK: 40 ms or more.
    assert!(median < Duration::from_millis(25), "median {median:?}");
}

/// A `wait` call on `quiet` (not started), its body read to the end.
async fn wait_call(url: String, sid: String, timeout_s: u64) -> (u16, String) {
    let args = serde_json::json!({"name":"wait","arguments":{"names":["quiet"],"timeout_s":timeout_s}});
    call(&url, &sid, "tools/call", args).await
}

/// #9.5: SIGTERM stops accepting, lets a `wait` in flight finish with its real
/// result, then exits 0.
#[tokio::test]
async fn sigterm_lets_a_call_in_flight_finish() {
    let d = Daemon::start();
    let mut s = serve(&d, Some(TOKEN), &[]);
    let sid = session(&s.url).await;
    let waiting = tokio::spawn(wait_call(s.url.clone(), sid, 30));
    tokio::time::sleep(Duration::from_millis(500)).await;
    s.term();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(TcpStream::connect(("127.0.0.1", s.port)).is_err(), "still accepting");
    assert!(!waiting.is_finished(), "the call was cut short");
    d.cli(Via::Unix).args(["start", "quiet"]).assert().success();
    let (status, body) = waiting.await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains(r#""outcome":"reached""#), "{body}");
    assert_eq!(s.exit_within(10), Some(0));
}

/// #9.5: a call longer than `--shutdown-grace` is cancelled at the grace, and the
/// bridge exits 0 soon after.
#[tokio::test]
async fn a_call_longer_than_the_grace_is_cancelled() {
    let d = Daemon::start();
    let mut s = serve(&d, Some(TOKEN), &["--shutdown-grace", "1"]);
    let sid = session(&s.url).await;
    let waiting = tokio::spawn(wait_call(s.url.clone(), sid, 60));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let t = Instant::now();
    s.term();
    assert_eq!(s.exit_within(15), Some(0));
    eprintln!("exited {:?} after SIGTERM", t.elapsed());
    assert!(t.elapsed() >= Duration::from_millis(900), "did not wait for the grace");
    let (_, body) = waiting.await.unwrap();
    assert!(!body.contains(r#""outcome":"reached""#), "{body}");
}

#[test]
fn official_python_sdk_over_http_finds_no_error_and_read_only_applies() {
    let d = Daemon::start();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let probe = root.join("../shared/tools/mcp_probe.py");
    let python = root.join(".venv/bin/python");
    assert!(
        probe.is_file() && python.is_file(),
        "needs ../shared/tools/mcp_probe.py and scripts/setup.sh"
    );
    for (extra, tools) in [(vec![], 7), (vec!["--read-only"], 4)] {
        let s = serve(&d, Some(TOKEN), &extra);
        let out = probe_http(&python, &probe, &s.url);
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

fn probe_http(python: &Path, probe: &Path, url: &str) -> std::process::Output {
    Command::new(python)
        .arg(probe)
        .args(["--strict", "--http", &format!("{url}/mcp")])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args(["--call", "status", "{}"])
        .args(["--call", "logs", r#"{"name":"fast","lines":5}"#])
        .output()
        .unwrap()
}
