//! What a client without a token meets: a body sent slowly frees its connection within
//! `--read-timeout`, `/health` and the assets check the Host like every endpoint (no
//! DNS rebinding), and without tokens at all a change must still come from the
//! dashboard's own pages, not from another local origin.

use super::*;
use std::io::{Read, Write};

/// The status code of the answer on `conn`, read within `secs` (0: none came).
fn status_within(conn: &mut std::net::TcpStream, secs: u64) -> u16 {
    conn.set_read_timeout(Some(Duration::from_secs(secs))).unwrap();
    let mut buf = [0u8; 64];
    let n = conn.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]).into_owned();
    head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn a_slow_login_body_is_cut_off_at_the_read_timeout() {
    let d = Daemon::start();
    let s = serve(&d.url(Via::Unix), &["--read-timeout", "1"]);
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1:{p}\r\nOrigin: http://127.0.0.1:{p}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\ntoken=",
        p = s.port
    );
    conn.write_all(head.as_bytes()).unwrap();
    // The body never comes: the server gives up on it (408) instead of holding the
    // connection (and a slot under --max-connections) for as long as the client likes.
    assert_eq!(status_within(&mut conn, 15), 408, "{}", s.stderr());
}

#[tokio::test]
async fn health_and_assets_answer_only_to_an_allowed_host() {
    let d = Daemon::start();
    let s = serve(&d.url(Via::Unix), &[]);
    for path in ["/health", "/assets/app.js"] {
        let ok = client().get(format!("{}{path}", s.url)).send().await.unwrap();
        assert_eq!(ok.status(), 200, "{path}");
        let rebound = client()
            .get(format!("{}{path}", s.url))
            .header("host", format!("evil.example:{}", s.port))
            .send()
            .await
            .unwrap();
        assert_eq!(rebound.status(), 403, "{path} answered a page of evil.example");
    }
}

#[tokio::test]
async fn without_tokens_a_change_from_another_local_origin_is_refused() {
    let d = Daemon::start();
    let s = serve_in(
        tempfile::tempdir().unwrap(),
        &d.url(Via::Unix),
        &["--dangerously-serve-without-token"],
    );
    let name = "sleeper";
    eventually(10, "sleeper to run", || d.state(name) == "RUNNING");
    // A page served by another program on this host (a dev server) posts a form here.
    let r = client()
        .post(format!("{}/action", s.url))
        .header("origin", "http://127.0.0.1:1")
        .form(&[("op", "stop"), ("t", "default"), ("n", name)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "{}", r.text().await.unwrap_or_default());
    assert_eq!(d.state(name), "RUNNING", "stopped by another origin's form");
    let refused = s.audit();
    assert!(
        refused
            .iter()
            .any(|l| l["op"] == "POST /action" && l["result"] == "refused"),
        "the refusal is an audit line: {refused:?}"
    );
    // The dashboard's own page still may.
    let r = client()
        .post(format!("{}/action", s.url))
        .header("origin", &s.url)
        .form(&[("op", "stop"), ("t", "default"), ("n", name)])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "{}: {}",
        r.status(),
        r.text().await.unwrap_or_default()
    );
    eventually(10, "sleeper to stop", || d.state(name) == "STOPPED");
}
