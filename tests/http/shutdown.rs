//! #9.5: SIGTERM drains calls in flight within the grace, then cancels the rest.

use super::*;

/// A `wait` call on `quiet` (not started), once the server has taken it in; the
/// task reads its answer to the end.
async fn wait_call(url: &str, sid: &str, timeout_s: u64) -> tokio::task::JoinHandle<(u16, String)> {
    let args = serde_json::json!({"name":"wait","arguments":{"names":["quiet"],"timeout_s":timeout_s}});
    in_flight(url, sid, "tools/call", args).await
}

/// #9.5: SIGTERM stops accepting, lets a `wait` in flight finish with its real
/// result, then exits 0.
#[tokio::test]
async fn sigterm_lets_a_call_in_flight_finish() {
    let d = Daemon::start();
    let mut s = serve(Some(&d), Some(TOKEN), &[]);
    let sid = session(&s.url).await;
    let waiting = wait_call(&s.url, &sid, 30).await;
    s.term();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", s.port)).is_ok() {
        assert!(Instant::now() < deadline, "still accepting 10 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
    let mut s = serve(Some(&d), Some(TOKEN), &["--shutdown-grace", "1"]);
    let sid = session(&s.url).await;
    let waiting = wait_call(&s.url, &sid, 60).await;
    let t = Instant::now();
    s.term();
    assert_eq!(s.exit_within(15), Some(0));
    eprintln!("exited {:?} after SIGTERM", t.elapsed());
    assert!(t.elapsed() >= Duration::from_millis(900), "did not wait for the grace");
    let (_, body) = waiting.await.unwrap();
    assert!(!body.contains(r#""outcome":"reached""#), "{body}");
}

/// #9.5: a one-shot `program run` cut off by SIGTERM past the grace leaves nothing
/// behind: no transient program in the daemon, no file, no logs in the include dir.
#[tokio::test]
async fn a_run_cancelled_at_shutdown_removes_its_program_file_and_logs() {
    let d = Daemon::start();
    let mut s = serve(Some(&d), Some(TOKEN), &["--shutdown-grace", "1"]);
    let sid = session(&s.url).await;
    let args = serde_json::json!({"name":"program","arguments":{"action":"run","command":"sleep 100","timeout_s":60}});
    let url = s.url.clone();
    let running = tokio::spawn(async move { call(&url, &sid, "tools/call", args).await });
    // Until the transient program runs.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !d
        .cli(Via::Unix)
        .args(["status", "--json"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("\"run-"))
        .unwrap_or(false)
    {
        assert!(Instant::now() < deadline, "the run never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s.term();
    assert_eq!(s.exit_within(30), Some(0));
    let _ = running.await;
    let status = d.cli(Via::Unix).args(["status", "--json"]).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&status.stdout).contains("\"run-"),
        "the transient program is still registered"
    );
    let left: Vec<String> = std::fs::read_dir(d.path("conf.d"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "left in the include dir: {left:?}");
}
