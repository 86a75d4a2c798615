//! #18.7.3, 18.7.4: over stdio, closing stdin ends the server within a second even
//! with a `subscriptions/listen` open and a call in flight; a client that goes away
//! makes us log no ERROR, and a stderr that is not a terminal gets no colour codes.

use super::*;

/// The real binary over stdio, its stdin fed through a pipe the test can close on
/// its own, its stderr (RUST_LOG=info: something is logged) kept in a file.
struct Child {
    child: tokio::process::Child,
    client: Option<Mcp>,
    /// Copies what the client writes to the child's stdin; aborting it closes stdin.
    feed: tokio::task::JoinHandle<()>,
    stderr: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

async fn spawn(d: &Daemon, args: &[&str]) -> Child {
    let dir = tempfile::tempdir().unwrap();
    let stderr = dir.path().join("stderr");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_supervisord-mcp"))
        .args(["-s", &d.url(Via::Unix)])
        .args(args)
        .arg("mcp")
        .env("RUST_LOG", "info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (mut stdin, stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
    let (to_child, mut from_client) = tokio::io::duplex(1 << 16);
    let feed = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_client, &mut stdin).await;
    });
    let client = Recorder::default()
        .serve_with_lifecycle((stdout, to_child), modern())
        .await
        .unwrap();
    Child {
        child,
        client: Some(client),
        feed,
        stderr,
        _dir: dir,
    }
}

impl Child {
    /// Opens a listen on the sleeper, runs `then`, then calls `tool` with `args`
    /// (one that does not answer soon) and waits until the call is under way.
    async fn busy(
        &self,
        then: impl FnOnce(),
        tool: &'static str,
        args: Value,
    ) -> (rmcp::service::Subscription, tokio::task::JoinHandle<()>) {
        let c = self.client.as_ref().unwrap();
        let filter = SubscriptionFilter::builder().resource_subscription(SLEEPER).build();
        let sub = c.listen(filter.clone()).await.unwrap();
        assert_eq!(sub.acknowledged(), &filter);
        then();
        let peer = c.peer().clone();
        let call = tokio::spawn(async move {
            let Value::Object(m) = args else { unreachable!() };
            let _ = peer.call_tool(CallToolRequestParams::new(tool).with_arguments(m)).await;
        });
        // The call's first request to the daemon is in flight well within this.
        tokio::time::sleep(Duration::from_millis(500)).await;
        (sub, call)
    }

    /// How long the child takes to exit from now (panics after 10 s).
    async fn exit_time(&mut self) -> Duration {
        let started = Instant::now();
        tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("the server exits within 10 s of stdin closing")
            .unwrap();
        started.elapsed()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.stderr).unwrap()).into_owned()
    }
}

/// Stdin closes (the client still reads stdout): the server exits within a
/// second, not after rmcp's 5 s drain of the listen and the call still running.
#[tokio::test]
async fn closing_stdin_ends_the_server_at_once_despite_a_listen_and_a_call() {
    let d = Daemon::start();
    let mut c = spawn(&d, &[]).await;
    // A wait for the sleeper to stop, which it never does on its own.
    let wait = json!({"names": ["sleeper"], "state": "STOPPED", "timeout_s": 600});
    let (_sub, _wait) = c.busy(|| {}, "wait", wait).await;
    c.feed.abort();
    let took = c.exit_time().await;
    // Generous for a loaded machine, and still well under rmcp's 5 s drain.
    assert!(took < Duration::from_millis(2500), "exited {took:?} after stdin closed");
    let err = c.stderr();
    assert!(!err.contains("ERROR"), "{err}");
    assert!(!err.contains('\u{1b}'), "ANSI codes in a stderr that is a file: {err}");
}

/// The client goes away altogether (both pipes closed, as a health check does)
/// with a listen open and a call whose answer comes after it left (`status` of a
/// frozen daemon, 2 s reply timeout): no ERROR in the log (rmcp logs one for each
/// answer it cannot write), no colour codes, and a prompt exit.
#[tokio::test]
async fn a_client_that_disconnects_with_a_listen_open_logs_no_error() {
    let d = Daemon::start();
    let mut c = spawn(&d, &["--rpc-timeout", "2"]).await;
    let (sub, status) = c.busy(|| d.signal("STOP"), "status", json!({})).await;
    drop(sub);
    status.abort();
    drop(c.client.take());
    c.feed.abort();
    let took = c.exit_time().await;
    d.signal("CONT");
    let err = c.stderr();
    assert!(err.contains("INFO"), "something was logged: {err}");
    assert!(!err.contains("ERROR"), "{err}");
    assert!(!err.contains('\u{1b}'), "ANSI codes in a stderr that is a file: {err}");
    assert!(
        took < Duration::from_millis(2500),
        "exited {took:?} after the client went"
    );
}

/// A client that writes its requests and closes stdin at once (`printf ... | mcp`)
/// still gets the answers of quick ones: the server stops, but lets what is in
/// flight finish for a moment before cancelling it.
#[test]
fn requests_written_just_before_stdin_closes_are_answered() {
    let d = Daemon::start();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_supervisord-mcp"))
        .args(["-s", &d.url(Via::Unix), "mcp"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for line in [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"status","arguments":{"names":["sleeper"]}}}"#,
    ] {
        std::io::Write::write_all(&mut stdin, format!("{line}\n").as_bytes()).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let answers: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    for id in [2, 3] {
        let a = answers
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no answer {id}: {answers:?}"));
        assert!(a.get("result").is_some(), "{a}");
    }
}
