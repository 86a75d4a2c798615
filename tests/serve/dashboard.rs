//! The dashboard over plain HTTP: login and its cookie, CSRF and same-origin on
//! every change, a read token refused, hostile text escaped under a strict CSP, and
//! live updates over SSE.

use super::*;

/// A program whose log holds markup.
pub const HOSTILE: &str = r#"
[program:hostile]
command=sh -c 'echo "<script>alert(1)</script><img src=x onerror=alert(2)>" >&2; exec sleep 100000'
stdout_logfile=%(here)s/hostile.out.log
stderr_logfile=%(here)s/hostile.err.log
"#;

/// Logs in with `token`: the session cookie (`name=value`) and the Set-Cookie header.
pub async fn login(s: &Server, token: &str) -> (String, String) {
    let r = client()
        .post(format!("{}/login", s.url))
        .header("origin", &s.url)
        .form(&[("token", token), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    (set.split(';').next().unwrap().to_owned(), set)
}

/// A page with the cookie: status, headers, body.
pub async fn page(s: &Server, cookie: &str, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = client()
        .get(format!("{}{path}", s.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let (st, h) = (r.status().as_u16(), r.headers().clone());
    (st, h, r.text().await.unwrap())
}

/// The CSRF token of a page (its `csrf-token` meta tag).
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find(r#"name="csrf-token" content=""#)
        .expect("a csrf-token meta tag")
        + 27;
    html[at..at + 64].to_owned()
}

async fn act(s: &Server, cookie: &str, origin: &str, csrf: &str, op: &str, name: &str) -> (u16, String) {
    let r = client()
        .post(format!("{}/action", s.url))
        .header("cookie", cookie)
        .header("origin", origin)
        .form(&[("op", op), ("t", "default"), ("n", name), ("csrf", csrf)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn login_cookie_csrf_and_scopes_guard_every_change() {
    let d = Daemon::start_programs(
        false,
        &format!("{HOSTILE}\n[program:sleeper]\ncommand=sleep 100000\nstdout_logfile=NONE\nstderr_logfile=NONE\n"),
        "",
    );
    let s = serve(&d.url(Via::Unix), &[]);
    // No cookie: to the login page.
    let r = client().get(format!("{}/", s.url)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=%2F");
    // A login from another origin, or without saying where from, is refused.
    for origin in [Some("http://127.0.0.1:1"), None] {
        let mut r = client().post(format!("{}/login", s.url)).form(&[("token", OPERATE)]);
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        assert_eq!(r.send().await.unwrap().status(), 403, "{origin:?}");
    }
    let wrong = client()
        .post(format!("{}/login", s.url))
        .header("origin", &s.url)
        .form(&[("token", "nope")]);
    assert_eq!(wrong.send().await.unwrap().status(), 401);
    let (cookie, set) = login(&s, OPERATE).await;
    for attr in ["HttpOnly", "SameSite=Strict", "Max-Age=28800", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(!set.contains("Secure"), "plain http: {set}");
    // The page: strict CSP, no inline script, hostile text escaped.
    d.wait_for(20, "hostile RUNNING", |v| v.to_string().contains("hostile"));
    let (st, h, html) = page(&s, &cookie, "/process?t=default&n=hostile").await;
    assert_eq!(st, 200, "{html}");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the app's own script file: {html}"
    );
    assert!(
        !html.contains("<img src=x") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    // A change: CSRF token and own origin both needed.
    let (_, _, html) = page(&s, &cookie, "/").await;
    let csrf = csrf_of(&html);
    assert_eq!(
        act(&s, &cookie, &s.url, "", "stop", "sleeper").await.0,
        403,
        "no CSRF token"
    );
    assert_eq!(
        act(&s, &cookie, &s.url, &"0".repeat(64), "stop", "sleeper").await.0,
        403,
        "wrong CSRF token"
    );
    assert_eq!(
        act(&s, &cookie, "http://127.0.0.1:9", &csrf, "stop", "sleeper").await.0,
        403,
        "another origin"
    );
    let (st, body) = act(&s, &cookie, &s.url, &csrf, "delete", "sleeper").await;
    assert_eq!(st, 400, "no such action: {body}");
    assert_ne!(d.state("sleeper"), "STOPPED");
    let (st, body) = act(&s, &cookie, &s.url, &csrf, "stop", "sleeper").await;
    assert_eq!(st, 200, "{body}");
    assert!(body.contains("sleeper STOPPED"), "{body}");
    assert_eq!(d.state("sleeper"), "STOPPED");
    // A read token: no actions offered, and a change refused.
    let (read_cookie, _) = login(&s, READ).await;
    let (_, _, html) = page(&s, &read_cookie, "/").await;
    assert!(!html.contains("class=\"act\""), "no actions for a read token");
    let (st, body) = act(&s, &read_cookie, &s.url, &csrf_of(&html), "start", "sleeper").await;
    assert_eq!(
        (st, body.contains("the token grafana has scope read")),
        (403, true),
        "{body}"
    );
    assert_eq!(d.state("sleeper"), "STOPPED");
    let audit = s.audit();
    let lines: Vec<(&str, &str, &str)> = audit
        .iter()
        .map(|e| {
            (
                e["token"].as_str().unwrap(),
                e["op"].as_str().unwrap(),
                e["result"].as_str().unwrap(),
            )
        })
        .collect();
    // Every POST, refused or done (the other origin's before its form is read, so
    // by its path), never with a CSRF token.
    assert_eq!(
        lines,
        [
            ("oncall", "stop", "refused"),
            ("oncall", "stop", "refused"),
            ("oncall", "POST /action", "refused"),
            ("oncall", "delete", "refused"),
            ("oncall", "stop", "ok"),
            ("grafana", "start", "refused")
        ]
    );
    let text = s.audit_text();
    assert!(!text.contains(&csrf) && !text.contains(&"0".repeat(64)), "{text}");
    assert!(
        audit
            .iter()
            .filter(|e| e["op"] != "POST /action")
            .all(|e| e["via"] == "dashboard" && e["names"] == serde_json::json!(["sleeper"]))
    );
}

#[tokio::test]
async fn a_change_reaches_an_open_event_stream() {
    let d = Daemon::start();
    let s = serve(&d.url(Via::Unix), &["--behind-https"]);
    let (cookie, set) = {
        let r = client()
            .post(format!("{}/login", s.url))
            .header("origin", s.url.replace("http://", "https://"))
            .form(&[("token", READ)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
        (set.split(';').next().unwrap().to_owned(), set)
    };
    assert!(set.contains("; Secure"), "behind https: {set}");
    let mut events = client()
        .get(format!("{}/events", s.url))
        .header("cookie", &cookie)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    // The stream is open once its first keep-alive or event may come; change now.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let out = d.supervisorctl(&["stop", "sleeper"]);
    assert!(out.status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = String::new();
    while !seen.contains(r#""n":"sleeper""#) || !seen.contains(r#""state":"STOPPED""#) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.chunk()).await {
            Ok(Ok(Some(c))) => seen.push_str(&String::from_utf8_lossy(&c)),
            other => panic!("no STOPPED event for sleeper ({other:?}): {seen}"),
        }
    }
    assert!(seen.contains("event: state"), "{seen}");
}
