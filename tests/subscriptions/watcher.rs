//! #12.3: one watcher for every session of the HTTP server, polling only what is
//! subscribed, stopping when the subscribers go; list changes for both versions.

use super::*;

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
    call(&new, "reload", json!({})).await;
    let reloaded = Instant::now();
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
    // Within the 10 s list cadence (and slack for a loaded machine).
    assert!(reloaded.elapsed() < Duration::from_secs(14), "{:?}", reloaded.elapsed());
    let after = old.list_all_resources().await.unwrap();
    assert!(after.iter().any(|r| r.uri == "supervisor://process/late"), "{after:?}");
    sub.cancel().await.unwrap();
}

/// The HTTP app in process, on loopback, with the watcher in the test's hands.
async fn http_app(d: &Daemon) -> (String, Watcher, tokio_util::sync::CancellationToken) {
    use supervisord_mcp::fleet::Scope;
    use supervisord_mcp::mcp::http::{HttpSettings, app_with_watchers};
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
    };
    let backend = supervisord_mcp::mcp::Backend::new(Scope::One(d.client()), Default::default(), None).unwrap();
    let watcher = Watcher::new(d.client());
    let ct = tokio_util::sync::CancellationToken::new();
    let router = app_with_watchers(watcher.clone().into(), &backend, &settings, ct.clone());
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
    assert_eq!(st.watched_keys, 1, "one URI, watched once: {st:?}");
    assert!(st.polling);
    // Polled once a second for both, not once per subscriber.
    let probes = w.stats().probes;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let per_3s = w.stats().probes - probes;
    // Once per subscriber would be 6 or more; a loaded machine may tick late.
    assert!(
        (1..=5).contains(&per_3s),
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
    let w = Watcher::new(d.client());
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
