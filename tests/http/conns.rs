//! #9.3 and #9.4: slow clients cannot take the server down; TCP_NODELAY.

use super::*;

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
    let s = serve_with(Some(&d), opts);
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
    let s = serve(None, Some(TOKEN), &["--read-timeout", "1"]);
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
    let s = serve(None, Some(TOKEN), &[]);
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
