//! Resource notifications under each protocol version, against a real supervisord:
//! a 2026-07-28 client (`server/discover`, `subscriptions/listen`) and a 2025-11-25
//! client (`initialize`, `resources/subscribe`) subscribe to a process, the process
//! is stopped, and the update arrives, over stdio (the real binary) and over HTTP
//! (the real binary, with a bearer token); list changes after our own `reload`; one
//! watcher shared by every HTTP session, that stops polling when they go; `wait`'s
//! progress at most once a second.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;
mod fleet;
mod limits;
mod stdio_exit;
mod unknown;
mod watcher;

use common::*;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ErrorCode, ProgressNotificationParam, ProtocolVersion,
    ReadResourceRequestParams, ResourceUpdatedNotificationParam, ServerNotification, SubscribeRequestParams,
    SubscriptionFilter,
};
use rmcp::service::{NotificationContext, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, ClientLifecycleMode, ClientServiceExt, RoleClient, ServiceExt};
use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use supervisord_mcp::mcp::{Served, SupervisorMcp};
use supervisord_mcp::supervisor::watch::Watcher;

const TOKEN: &str = "e322013dcf731225940acfa1368ea821fce9b122c0ac51c3";
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

/// `supervisord-mcp mcp` as a child, spoken to over its stdin/stdout (killed on drop).
async fn stdio(d: &Daemon, lifecycle: ClientLifecycleMode) -> (Mcp, tokio::process::Child) {
    stdio_with(&["-s", &d.url(Via::Unix)], lifecycle).await
}

/// `supervisord-mcp ARGS mcp` over stdio (ARGS: where the daemons are).
async fn stdio_with(args: &[&str], lifecycle: ClientLifecycleMode) -> (Mcp, tokio::process::Child) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_supervisord-mcp"))
        .args(args)
        .arg("mcp")
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
    http_server_with(&["-s", &d.url(Via::Unix)])
}

/// `supervisord-mcp ARGS mcp --http` (ARGS: where the daemons are), listening on a
/// free port (another one if that was taken meanwhile).
fn http_server_with(args: &[&str]) -> HttpServer {
    let home = tempfile::tempdir().unwrap();
    let (child, port) = spawn_on_free_port(
        |port| {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_supervisord-mcp"));
            cmd.args(args)
                .args(["mcp", "--http", &format!("127.0.0.1:{port}")])
                .env("SUPERVISORD_MCP_TOKEN", TOKEN)
                .env("XDG_CONFIG_HOME", home.path())
                .stdout(Stdio::null());
            cmd
        },
        &home.path().join("stderr"),
    );
    HttpServer {
        child,
        url: format!("http://127.0.0.1:{port}/mcp"),
        _home: home,
    }
}

async fn over_http(url: &str, token: Option<&str>, lifecycle: ClientLifecycleMode) -> Mcp {
    // rmcp's HTTP client is reqwest, built with the TLS provider this crate installs.
    supervisord_mcp::supervisor::transport::install_default_provider();
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
    assert_eq!(next_update(&mut sub).await, SLEEPER);
    sub.cancel().await.unwrap();
}

/// The URI of the next notification of a listen, which must be `resources/updated`
/// and come within 10 s.
async fn next_update(sub: &mut rmcp::service::Subscription) -> String {
    let n = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("an update within 10 s")
        .unwrap()
        .expect("the stream is open");
    let ServerNotification::ResourceUpdatedNotification(u) = n else {
        panic!("expected resources/updated, got {n:?}")
    };
    u.params.uri
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

/// The error is -32601 (method not found), as the other version's way of subscribing.
fn assert_method_not_found<T: std::fmt::Debug>(r: Result<T, ServiceError>) {
    match r {
        Err(ServiceError::McpError(e)) => assert_eq!(e.code, ErrorCode::METHOD_NOT_FOUND, "{e:?}"),
        other => panic!("expected method not found, got {other:?}"),
    }
}

/// Each protocol version is served everything the server announces (discover's or
/// initialize's capabilities): tools; prompts (none); completions; resources (list, templates, read);
/// `resources.subscribe` (2026-07-28: a listen's resource subscriptions;
/// 2025-11-25: `resources/subscribe`); `resources.listChanged` (2026-07-28: a
/// listen's `resourcesListChanged`; 2025-11-25: unasked, from `initialized` on).
/// The other version's way of subscribing is -32601.
#[tokio::test]
#[allow(deprecated)]
async fn every_announced_capability_is_served_under_each_version() {
    let d = Daemon::start();
    for (lifecycle, version) in [
        (ClientLifecycleMode::Initialize, ProtocolVersion::V_2025_11_25),
        (modern(), ProtocolVersion::V_2026_07_28),
    ] {
        let w = Watcher::new(d.client());
        let c = in_process(&d, &w, lifecycle).await;
        let info = c.peer_info().unwrap();
        assert_eq!(info.protocol_version, version);
        let caps = info.capabilities.clone();
        assert!(
            caps.logging.is_none() && caps.extensions.is_none(),
            "{version}: announced more than tested: {caps:?}"
        );
        // Prompts: an empty list; completions: the templates' arguments.
        assert!(
            caps.prompts.is_some() && caps.completions.is_some(),
            "{version}: {caps:?}"
        );
        assert!(c.list_prompts(None).await.unwrap().prompts.is_empty(), "{version}");
        let done = c
            .complete_resource_argument("supervisor://process/{name}", "name", "slee", None)
            .await
            .unwrap();
        assert_eq!(done.values, ["sleeper"], "{version}");
        assert!(caps.tools.is_some(), "{version}");
        let tools = c.list_all_tools().await.unwrap();
        assert!(tools.iter().any(|t| t.name == "status"), "{version}");
        call(&c, "status", json!({})).await;
        let res = caps.resources.clone().unwrap();
        assert_eq!((res.subscribe, res.list_changed), (Some(true), Some(true)), "{version}");
        let listed = c.list_all_resources().await.unwrap();
        assert!(listed.iter().any(|r| r.uri == SLEEPER), "{version}: {listed:?}");
        assert_eq!(c.list_all_resource_templates().await.unwrap().len(), 3, "{version}");
        let read = c.read_resource(ReadResourceRequestParams::new(SLEEPER)).await.unwrap();
        assert_eq!(read.contents.len(), 1, "{version}");
        let both = SubscriptionFilter::builder()
            .resource_subscription(SLEEPER)
            .resources_list_changed()
            .build();
        let subscribed = c.subscribe(SubscribeRequestParams::new(SLEEPER)).await;
        let listen = c.listen(both.clone()).await;
        if version == ProtocolVersion::V_2026_07_28 {
            assert_method_not_found(subscribed);
            let mut sub = listen.unwrap();
            assert_eq!(sub.acknowledged(), &both, "the listen gets both capabilities");
            eventually(5, "the listen's subscriber", || w.stats().list_watchers == 1).await;
            assert_eq!(w.stats().watched_keys, 1);
            sub.cancel().await.unwrap();
        } else {
            subscribed.unwrap();
            assert_method_not_found(listen.map(|_| ()));
            let st = w.stats();
            assert_eq!((st.list_watchers, st.watched_keys), (1, 1), "the session: {st:?}");
        }
        c.cancel().await.unwrap();
    }
}

async fn in_process(d: &Daemon, w: &Watcher, lifecycle: ClientLifecycleMode) -> Mcp {
    let server = Served(SupervisorMcp::new(d.client()).with_watcher(w.clone()));
    let (a, b) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(s) = server.serve(a).await {
            let _ = s.waiting().await;
        }
    });
    Recorder::default().serve_with_lifecycle(b, lifecycle).await.unwrap()
}
