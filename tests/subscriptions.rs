//! Resource notifications under each protocol version, against a real supervisord:
//! a 2026-07-28 client (`server/discover`, `subscriptions/listen`) and a 2025-11-25
//! client (`initialize`, `resources/subscribe`) subscribe to a process, the process
//! is stopped, and the update arrives, over stdio (the real binary) and over HTTP
//! (the real binary, with a bearer token); list changes after our own `reload`; one
//! watcher shared by every HTTP session, that stops polling when they go; `wait`'s
//! progress at most once a second.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ProgressNotificationParam, ProtocolVersion,
    ResourceUpdatedNotificationParam, ServerNotification, SubscribeRequestParams, SubscriptionFilter,
};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, ClientLifecycleMode, ClientServiceExt, RoleClient, ServiceExt};
use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use supervisord_mcp::mcp::SupervisorMcp;
use supervisord_mcp::mcp::resources::Watcher;
use supervisord_mcp::supervisor::{Client, Endpoint, ServerSettings};

const TOKEN: &str = "t0ken-for-subscription-tests";
const SLEEPER: &str = "supervisor://process/sleeper";

/// A client that records the notifications it gets outside any listen.
#[derive(Clone, Default)]
struct Recorder {
    updated: Arc<Mutex<Vec<String>>>,
    list_changed: Arc<AtomicUsize>,
    progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
}

impl ClientHandler for Recorder {
    async fn on_resource_updated(&self, p: ResourceUpdatedNotificationParam, _: NotificationContext<RoleClient>) {
        self.updated.lock().unwrap().push(p.uri);
    }
    async fn on_resource_list_changed(&self, _: NotificationContext<RoleClient>) {
        self.list_changed.fetch_add(1, Ordering::SeqCst);
    }
    async fn on_progress(&self, p: ProgressNotificationParam, _: NotificationContext<RoleClient>) {
        self.progress.lock().unwrap().push(p);
    }
}

type Mcp = RunningService<RoleClient, Recorder>;

fn modern() -> ClientLifecycleMode {
    ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    }
}

fn client(d: &Daemon) -> Client {
    let p = Endpoint::parse(&d.url(Via::Unix)).unwrap();
    Client::new(&ServerSettings {
        endpoint: p.endpoint,
        username: None,
        password: None,
        connect_timeout: Duration::from_secs(10),
        timeout: Duration::from_secs(30),
    })
    .unwrap()
}

/// `supervisord-mcp mcp` as a child, spoken to over its stdin/stdout (killed on drop).
async fn stdio(d: &Daemon, lifecycle: ClientLifecycleMode) -> (Mcp, tokio::process::Child) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_supervisord-mcp"))
        .args(["-s", &d.url(Via::Unix), "mcp"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let io = (child.stdout.take().unwrap(), child.stdin.take().unwrap());
    let c = Recorder::default().serve_with_lifecycle(io, lifecycle).await.unwrap();
    (c, child)
}

/// `supervisord-mcp mcp --http` with a bearer token, as a child (killed on drop).
struct HttpServer {
    child: std::process::Child,
    url: String,
    _home: tempfile::TempDir,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_server(d: &Daemon) -> HttpServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let home = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_supervisord-mcp"))
        .args(["-s", &d.url(Via::Unix), "mcp", "--http", &format!("127.0.0.1:{port}")])
        .env("SUPERVISORD_MCP_TOKEN", TOKEN)
        .env("XDG_CONFIG_HOME", home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the HTTP server did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    HttpServer {
        child,
        url: format!("http://127.0.0.1:{port}/mcp"),
        _home: home,
    }
}

async fn over_http(url: &str, token: Option<&str>, lifecycle: ClientLifecycleMode) -> Mcp {
    let mut cfg = StreamableHttpClientTransportConfig::with_uri(url.to_owned());
    if let Some(t) = token {
        cfg = cfg.auth_header(t);
    }
    let transport = StreamableHttpClientTransport::from_config(cfg);
    Recorder::default()
        .serve_with_lifecycle(transport, lifecycle)
        .await
        .unwrap()
}

async fn call(c: &Mcp, tool: &str, args: Value) -> CallToolResult {
    let Value::Object(m) = args else { panic!("args") };
    let r = c
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(m))
        .await
        .unwrap();
    assert_ne!(r.is_error, Some(true), "{tool}: {:?}", r.content);
    r
}

async fn stop_sleeper(c: &Mcp) {
    call(c, "control", json!({"action": "stop", "names": ["sleeper"]})).await;
}

/// 2026-07-28: `subscriptions/listen` to the sleeper, stop it, the update arrives
/// on the listen stream, tagged with its subscription.
async fn listen_sees_the_stop(c: &Mcp) {
    let filter = SubscriptionFilter::builder().resource_subscription(SLEEPER).build();
    let mut sub = c.listen(filter.clone()).await.unwrap();
    assert_eq!(sub.acknowledged(), &filter, "the resource subscription is accepted");
    stop_sleeper(c).await;
    let n = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("an update within 10 s")
        .unwrap()
        .expect("the stream is open");
    let ServerNotification::ResourceUpdatedNotification(u) = n else {
        panic!("expected resources/updated, got {n:?}")
    };
    assert_eq!(u.params.uri, SLEEPER);
    sub.cancel().await.unwrap();
}

/// Waits until `cond` holds, or panics after `secs`.
async fn eventually(secs: u64, what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// 2025-11-25: `resources/subscribe` to the sleeper, stop it, the update arrives.
#[allow(deprecated)]
async fn subscribe_sees_the_stop(c: &Mcp) {
    c.subscribe(SubscribeRequestParams::new(SLEEPER)).await.unwrap();
    stop_sleeper(c).await;
    let updated = c.service().updated.clone();
    eventually(10, "resources/updated", || {
        updated.lock().unwrap().contains(&SLEEPER.to_owned())
    })
    .await;
}

#[tokio::test]
async fn over_stdio_a_2026_listen_sees_a_stopped_process() {
    let d = Daemon::start();
    let (c, _child) = stdio(&d, modern()).await;
    listen_sees_the_stop(&c).await;
}

#[tokio::test]
async fn over_stdio_a_2025_subscription_sees_a_stopped_process() {
    let d = Daemon::start();
    let (c, _child) = stdio(&d, ClientLifecycleMode::Initialize).await;
    subscribe_sees_the_stop(&c).await;
}

#[tokio::test]
async fn over_http_a_2026_listen_sees_a_stopped_process() {
    let d = Daemon::start();
    let s = http_server(&d);
    let c = over_http(&s.url, Some(TOKEN), modern()).await;
    listen_sees_the_stop(&c).await;
}

#[tokio::test]
async fn over_http_a_2025_subscription_sees_a_stopped_process() {
    let d = Daemon::start();
    let s = http_server(&d);
    let c = over_http(&s.url, Some(TOKEN), ClientLifecycleMode::Initialize).await;
    subscribe_sees_the_stop(&c).await;
}

/// After our own `reload` adds a program, a 2026-07-28 listener of that server hears
/// of it at once (not at the next 10 s list poll); a 2025-11-25 session of another
/// server (for which the change came from outside) within the 10 s list cadence,
/// unasked. Both `resources/list` then show it.
#[tokio::test]
async fn a_program_added_is_a_list_change_for_both_versions() {
    let d = Daemon::start();
    let (old, _c1) = stdio(&d, ClientLifecycleMode::Initialize).await;
    let (new, _c2) = stdio(&d, modern()).await;
    let filter = SubscriptionFilter::builder().resources_list_changed().build();
    let mut sub = new.listen(filter.clone()).await.unwrap();
    assert_eq!(sub.acknowledged(), &filter);
    let before = old.list_all_resources().await.unwrap();
    assert!(!before.iter().any(|r| r.name == "late"));
    std::fs::write(
        d.path("conf.d/late.conf"),
        "[program:late]\ncommand=sleep 100000\nautostart=false\n",
    )
    .unwrap();
    let started = Instant::now();
    call(&new, "reload", json!({})).await;
    let n = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("list_changed soon after our reload")
        .unwrap()
        .unwrap();
    assert!(
        matches!(n, ServerNotification::ResourceListChangedNotification(_)),
        "{n:?}"
    );
    let after = new.list_all_resources().await.unwrap();
    assert!(after.iter().any(|r| r.uri == "supervisor://process/late"), "{after:?}");
    let count = old.service().list_changed.clone();
    eventually(15, "list_changed on the 2025 session", || {
        count.load(Ordering::SeqCst) > 0
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(13), "{:?}", started.elapsed());
    let after = old.list_all_resources().await.unwrap();
    assert!(after.iter().any(|r| r.uri == "supervisor://process/late"), "{after:?}");
    sub.cancel().await.unwrap();
}

/// The HTTP app in process, on loopback, with the watcher in the test's hands.
async fn http_app(d: &Daemon) -> (String, Watcher, tokio_util::sync::CancellationToken) {
    use supervisord_mcp::mcp::http::{HttpSettings, app_with_watcher};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let settings = HttpSettings {
        addr,
        token: None,
        allowed_hosts: vec![],
        allowed_origins: vec![],
        max_body_bytes: 1 << 20,
        max_sessions: 8,
        idle_timeout: Duration::from_secs(60),
        max_connections: 64,
        read_timeout: Duration::from_secs(10),
        shutdown_grace: Duration::from_secs(1),
        policy: Default::default(),
        include_dir: None,
    };
    let watcher = Watcher::new(client(d));
    let ct = tokio_util::sync::CancellationToken::new();
    let router = app_with_watcher(watcher.clone(), &settings, ct.clone());
    let stop = ct.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
    });
    (format!("http://{addr}/mcp"), watcher, ct)
}

/// Two HTTP clients of different versions watch the same process: the daemon is
/// polled once for both, both get the update, and when both go the watcher stops.
#[tokio::test]
#[allow(deprecated)]
async fn http_sessions_share_one_watcher_that_stops_when_they_go() {
    let d = Daemon::start();
    let (url, w, ct) = http_app(&d).await;
    let old = over_http(&url, None, ClientLifecycleMode::Initialize).await;
    let new = over_http(&url, None, modern()).await;
    old.subscribe(SubscribeRequestParams::new(SLEEPER)).await.unwrap();
    let filter = SubscriptionFilter::builder().resource_subscription(SLEEPER).build();
    let mut sub = new.listen(filter).await.unwrap();
    eventually(5, "both subscribers", || w.stats().subscribers == 2).await;
    let st = w.stats();
    assert_eq!(st.watched_uris, 1, "one URI, watched once: {st:?}");
    assert!(st.polling);
    // Polled once a second for both, not once per subscriber.
    let probes = w.stats().probes;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let per_3s = w.stats().probes - probes;
    assert!(
        (2..=5).contains(&per_3s),
        "{per_3s} probes in 3.5 s for two subscribers"
    );
    stop_sleeper(&new).await;
    let n = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(matches!(n, ServerNotification::ResourceUpdatedNotification(_)), "{n:?}");
    let updated = old.service().updated.clone();
    eventually(10, "the 2025 session's update", || {
        updated.lock().unwrap().contains(&SLEEPER.to_owned())
    })
    .await;
    // Both go: the listen is cancelled, the session is closed (DELETE).
    sub.cancel().await.unwrap();
    old.cancel().await.unwrap();
    eventually(10, "no subscriber left", || w.stats().subscribers == 0).await;
    eventually(5, "the watcher to stop polling", || !w.stats().polling).await;
    drop(new);
    ct.cancel();
}

/// A stdio-like session (in process) that subscribed and then vanished leaves the
/// watcher idle; a listen that only asks for one resource never lists processes.
#[tokio::test]
#[allow(deprecated)]
async fn a_vanished_session_leaves_the_watcher_idle() {
    let d = Daemon::start();
    let w = Watcher::new(client(&d));
    let c = in_process(&d, &w, ClientLifecycleMode::Initialize).await;
    c.subscribe(SubscribeRequestParams::new(SLEEPER)).await.unwrap();
    assert!(w.stats().polling);
    c.cancel().await.unwrap();
    eventually(10, "the session's subscriber to go", || w.stats().subscribers == 0).await;
    eventually(5, "the watcher to stop polling", || !w.stats().polling).await;
    // 2026-07-28, one resource: per-process probes only, no getAllProcessInfo.
    let c = in_process(&d, &w, modern()).await;
    let lists = w.stats().list_polls;
    let mut sub = c
        .listen(SubscriptionFilter::builder().resource_subscription(SLEEPER).build())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let st = w.stats();
    assert!(st.polling && st.probes > 0, "{st:?}");
    assert_eq!(st.list_polls, lists, "no process list for a resource subscription");
    sub.cancel().await.unwrap();
    eventually(5, "the listen's subscriber to go", || w.stats().subscribers == 0).await;
    eventually(5, "the watcher to stop polling", || !w.stats().polling).await;
}

/// `wait` with a log pattern that matches after ~3 s: at most one progress
/// notification a second, the first at once and the last (all passed) at the end.
#[tokio::test]
async fn wait_sends_at_most_one_progress_notification_a_second() {
    let d = Daemon::start_with(
        false,
        "[program:slowready]\ncommand=sh -c 'sleep 3; echo ready; exec sleep 100000'\nautostart=false\n\
         stdout_logfile=%(here)s/slowready.out.log\n",
    );
    let c = in_process(&d, &Watcher::new(client(&d)), ClientLifecycleMode::Initialize).await;
    call(
        &c,
        "control",
        json!({"action": "start", "names": ["slowready"], "wait": false}),
    )
    .await;
    let started = Instant::now();
    let r = call(
        &c,
        "wait",
        json!({"names": ["slowready"], "pattern": "^ready", "timeout_s": 20}),
    )
    .await;
    let secs = started.elapsed().as_secs_f64();
    assert!(secs >= 2.0, "the pattern matched after {secs:.1} s: {:?}", r.content);
    let progress = c.service().progress.lock().unwrap().clone();
    let allowed = secs.ceil() as usize + 2;
    assert!(
        (2..=allowed).contains(&progress.len()),
        "{} progress notifications in {secs:.1} s",
        progress.len()
    );
    // The last one says every check passed ("2/2 checks passed": running, pattern).
    let last = progress.last().unwrap().message.clone().unwrap();
    let (done, of) = last.split_once(' ').unwrap().0.split_once('/').unwrap();
    assert_eq!(done, of, "{progress:?}");
}

/// Hostile subscriptions are bounded: a URI that names no resource is refused (or
/// left out of a listen's acknowledgment), at most 100 per session or listen.
#[tokio::test]
#[allow(deprecated)]
async fn subscriptions_are_bounded() {
    let d = Daemon::start();
    let w = Watcher::new(client(&d));
    let old: Mcp = in_process(&d, &w, ClientLifecycleMode::Initialize).await;
    for bad in [
        "file:///etc/passwd",
        "supervisor://process/",
        "supervisor://process/a/b/c",
    ] {
        assert!(old.subscribe(SubscribeRequestParams::new(bad)).await.is_err(), "{bad}");
    }
    let long = format!("supervisor://process/{}", "x".repeat(300));
    assert!(old.subscribe(SubscribeRequestParams::new(long.clone())).await.is_err());
    for i in 0..100 {
        let uri = format!("supervisor://process/p{i}");
        old.subscribe(SubscribeRequestParams::new(uri)).await.unwrap();
    }
    let e = old
        .subscribe(SubscribeRequestParams::new("supervisor://process/one_too_many"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("at most 100"), "{e}");
    // The same URIs again are no new subscriptions.
    old.subscribe(SubscribeRequestParams::new("supervisor://process/p0"))
        .await
        .unwrap();
    assert_eq!(w.stats().watched_uris, 100);
    // A listen: what names nothing is dropped, and at most 100 are acknowledged.
    let new: Mcp = in_process(&d, &w, modern()).await;
    let mut asked: Vec<String> = (0..150).map(|i| format!("supervisor://process/q{i}")).collect();
    asked.insert(0, "file:///etc/shadow".into());
    asked.insert(1, long);
    let sub = new
        .listen(
            SubscriptionFilter::builder()
                .resource_subscriptions(asked.clone())
                .build(),
        )
        .await
        .unwrap();
    let acked = sub.acknowledged().resource_subscriptions.clone().unwrap();
    assert_eq!(acked, asked[2..102].to_vec());
    eventually(5, "the listen's URIs watched", || w.stats().watched_uris == 200).await;
}

async fn in_process(d: &Daemon, w: &Watcher, lifecycle: ClientLifecycleMode) -> Mcp {
    let server = SupervisorMcp::new(client(d)).with_watcher(w.clone());
    let (a, b) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(s) = server.serve(a).await {
            let _ = s.waiting().await;
        }
    });
    Recorder::default().serve_with_lifecycle(b, lifecycle).await.unwrap()
}

/// SIGTERM ends an open `subscriptions/listen` gracefully (its final result), so
/// the bridge exits at once instead of waiting out its 30 s grace for it.
#[tokio::test]
async fn sigterm_ends_a_listen_gracefully() {
    let d = Daemon::start();
    let mut s = http_server(&d);
    let c = over_http(&s.url, Some(TOKEN), modern()).await;
    let mut sub = c
        .listen(SubscriptionFilter::builder().resource_subscription(SLEEPER).build())
        .await
        .unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(s.child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let end = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("the listen ends");
    assert!(matches!(end, Ok(None)), "{end:?}");
    assert!(
        matches!(sub.end(), Some(rmcp::service::SubscriptionEnd::Graceful(_))),
        "{:?}",
        sub.end()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the bridge did not exit within 10 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}
