//! `/mcp` under `serve`: each token acts with its scope, a session belongs to the
//! token that opened it, and every change is in the audit log under the token's
//! name, never a token.

use super::*;

const INIT: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;

async fn post(url: &str, token: &str, sid: Option<&str>, body: String) -> reqwest::Response {
    post_from(url, token, sid, body, None).await
}

/// [`post`] through a proxy that says the client is `forwarded` (`X-Forwarded-For`).
async fn post_from(
    url: &str,
    token: &str,
    sid: Option<&str>,
    body: String,
    forwarded: Option<&str>,
) -> reqwest::Response {
    let mut req = client()
        .post(format!("{url}/mcp"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {token}"))
        .body(body);
    if let Some(s) = sid {
        req = req.header("mcp-session-id", s);
    }
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.unwrap()
}

/// A session opened with `token`: its id.
async fn session(url: &str, token: &str) -> String {
    session_from(url, token, None).await
}

/// [`session`] through a proxy that says the client is `forwarded`.
async fn session_from(url: &str, token: &str, forwarded: Option<&str>) -> String {
    let r = post_from(url, token, None, INIT.into(), forwarded).await;
    assert_eq!(r.status(), 200);
    let sid = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let _ = r.text().await;
    let note = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    let _ = post_from(url, token, Some(&sid), note.into(), forwarded)
        .await
        .text()
        .await;
    sid
}

/// A request in a session: status and body.
async fn call(url: &str, token: &str, sid: &str, method: &str, params: serde_json::Value) -> (u16, String) {
    let body = serde_json::json!({"jsonrpc":"2.0","id":2,"method":method,"params":params}).to_string();
    let r = post(url, token, Some(sid), body).await;
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn each_token_acts_with_its_scope_and_every_change_is_audited() {
    let d = Daemon::start();
    let s = serve(&d.url(Via::Unix), &[]);
    assert_eq!(post(&s.url, "nope", None, INIT.into()).await.status(), 401);
    // The read token: only the reading tools, and a change refused in its name.
    let read = session(&s.url, READ).await;
    let (_, tools) = call(&s.url, READ, &read, "tools/list", serde_json::json!({})).await;
    assert!(
        tools.contains("\"status\"") && !tools.contains("\"control\""),
        "{tools}"
    );
    let stop = serde_json::json!({"name":"control","arguments":{"action":"stop","names":["sleeper"]}});
    let (_, refused) = call(&s.url, READ, &read, "tools/call", stop.clone()).await;
    assert!(
        refused.contains("REFUSED") && refused.contains("the token grafana has scope read"),
        "{refused}"
    );
    assert_ne!(d.state("sleeper"), "STOPPED");
    // A session belongs to the token that opened it.
    let (status, _) = call(&s.url, OPERATE, &read, "tools/call", stop.clone()).await;
    assert_eq!(status, 404, "the operate token may not use the read token's session");
    assert_ne!(d.state("sleeper"), "STOPPED");
    // The operate token changes.
    let op = session(&s.url, OPERATE).await;
    let (_, done) = call(&s.url, OPERATE, &op, "tools/call", stop).await;
    assert!(done.contains("STOPPED"), "{done}");
    assert_eq!(d.state("sleeper"), "STOPPED");
    // Reads are not audited; each change is, under the token's name.
    let (_, _) = call(
        &s.url,
        OPERATE,
        &op,
        "tools/call",
        serde_json::json!({"name":"status","arguments":{}}),
    )
    .await;
    let audit = s.audit();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(
        (
            audit[0]["token"].as_str(),
            audit[0]["result"].as_str(),
            audit[0]["via"].as_str()
        ),
        (Some("grafana"), Some("refused"), Some("mcp"))
    );
    assert_eq!(
        (
            audit[1]["token"].as_str(),
            audit[1]["op"].as_str(),
            audit[1]["result"].as_str()
        ),
        (Some("oncall"), Some("stop"), Some("ok"))
    );
    assert_eq!(audit[1]["names"], serde_json::json!(["sleeper"]));
    assert_eq!(audit[1]["client"], "127.0.0.1");
    let text = s.audit_text();
    assert!(!text.contains(READ) && !text.contains(OPERATE), "{text}");
    assert!(!s.stderr().contains(READ) && !s.stderr().contains(OPERATE));
}

#[tokio::test]
async fn behind_a_trusted_proxy_a_change_names_the_forwarded_client() {
    let d = Daemon::start();
    let s = serve(&d.url(Via::Unix), &["--trusted-proxy", "127.0.0.1"]);
    let via = Some("10.9.9.9, 203.0.113.7");
    let sid = session_from(&s.url, OPERATE, via).await;
    let stop = serde_json::json!({"jsonrpc":"2.0","id":2,"method":"tools/call",
        "params":{"name":"control","arguments":{"action":"stop","names":["sleeper"]}}});
    let done = post_from(&s.url, OPERATE, Some(&sid), stop.to_string(), via).await;
    let done = done.text().await.unwrap_or_default();
    assert!(done.contains("STOPPED"), "{done}");
    let audit = s.audit();
    assert_eq!(audit.len(), 1, "{audit:?}");
    // The address the trusted proxy appended last, as the dashboard's lines give it.
    assert_eq!(audit[0]["client"], "203.0.113.7", "{audit:?}");
}

#[test]
fn a_weak_or_open_tokens_file_refuses_to_start_without_quoting_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.toml");
    for (body, mode, says) in [
        (
            "[tokens.a]\ntoken = \"password-password-password-12\"\nscope = \"operate\"\n",
            0o600,
            "too weak",
        ),
        (
            &*format!("[tokens.a]\ntoken = \"{OPERATE}\"\nscope = \"operate\"\n"),
            0o644,
            "chmod 600",
        ),
        // A token pasted into `scope`: serde's "unknown variant" would quote it.
        (
            &*format!("[tokens.a]\ntoken = \"{READ}\"\nscope = \"{OPERATE}\"\n"),
            0o600,
            "tokens.a.scope (line 3): expected `read` or `operate` (the value is not shown)",
        ),
    ] {
        std::fs::write(&path, body).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = bare_cli()
            .args([
                "-s",
                "unix:///nonexistent.sock",
                "serve",
                "--http",
                "127.0.0.1:0",
                "--tokens-file",
            ])
            .arg(&path)
            .arg("--audit-log")
            .arg(dir.path().join("audit.jsonl"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(says), "{err}");
        assert!(!err.contains("password-password") && !err.contains(OPERATE), "{err}");
    }
}
