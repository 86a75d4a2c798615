//! #9.2: the session cap holds, and cannot lock anyone out.

use super::*;

/// #9.2: the cap holds against concurrent initializes with delayed bodies (each
/// passed the old check before any session existed).
#[test]
fn concurrent_initializes_with_delayed_bodies_cannot_pass_the_session_cap() {
    let s = serve(None, Some(TOKEN), &["--max-sessions", "4"]);
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n\r\n",
        s.port,
        INIT.len()
    );
    let fds = || std::fs::read_dir(format!("/proc/{}/fd", s.child.id())).map_or(0, Iterator::count);
    let before = fds();
    let mut conns: Vec<TcpStream> = (0..24)
        .map(|_| {
            let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
            c.write_all(head.as_bytes()).unwrap();
            c
        })
        .collect();
    // Every connection taken by the server (its heads read as they come) before any
    // body is sent.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while fds() < before + 24 {
        assert!(
            std::time::Instant::now() < deadline,
            "the server took {} of 24",
            fds() - before
        );
        std::thread::sleep(Duration::from_millis(10));
    }
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
    let s = serve(None, Some(TOKEN), &["--max-sessions", "2"]);
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

/// #9.2: with every session busy (for the 5 s a new one waits), a new session gets 503, but a request that needs
/// no session (MCP 2026-07-28, stateless) is served, and Host and token are
/// checked first (403 and 401, not 503).
#[tokio::test]
async fn requests_without_a_session_never_meet_the_cap() {
    let d = Daemon::start();
    let s = serve(Some(&d), Some(TOKEN), &["--max-sessions", "1"]);
    let a = session(&s.url).await;
    let wait = serde_json::json!({"name":"wait","arguments":{"names":["quiet"],"timeout_s":30}});
    let busy = in_flight(&s.url, &a, "tools/call", wait).await;
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

/// A client that ends its session with DELETE gets 204 No Content (the Python SDK
/// warns "Session termination failed: 202" otherwise), and the session is gone.
#[tokio::test]
async fn a_deleted_session_answers_204_and_is_gone() {
    let s = serve(None, Some(TOKEN), &[]);
    let id = session(&s.url).await;
    let r = reqwest::Client::new()
        .delete(format!("{}/mcp", s.url))
        .header("authorization", AUTH.1)
        .header("mcp-session-id", &id)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.text().await.unwrap(), "");
    assert_eq!(call(&s.url, &id, "ping", serde_json::json!({})).await.0, 404);
}

/// Under 2026-07-28 over HTTP, `resources/subscribe` and `resources/unsubscribe` are
/// not methods of that version: without the `Mcp-Name` header the header check
/// answers first (400, -32020), with it the method is unknown (404, -32601), as
/// docs/mcp.md says.
#[tokio::test]
async fn modern_subscribe_without_or_with_mcp_name_answers_as_documented() {
    let s = serve(None, Some(TOKEN), &[]);
    let meta =
        r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;
    for method in ["resources/subscribe", "resources/unsubscribe"] {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{{"uri":"supervisor://process/sleeper","_meta":{meta}}}}}"#
        );
        let headers = [AUTH, ("mcp-protocol-version", "2026-07-28"), ("mcp-method", method)];
        let r = post(&s.url, &headers, body.clone()).await;
        assert_eq!(r.status(), 400, "{method}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], -32020, "{method}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("Mcp-Name"), "{v}");
        let named = [&headers[..], &[("mcp-name", "supervisor://process/sleeper")]].concat();
        let r = post(&s.url, &named, body).await;
        assert_eq!(r.status(), 404, "{method}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], -32601, "{method}: {v}");
    }
}
