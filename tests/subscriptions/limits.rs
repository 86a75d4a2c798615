//! Bounds and endings: hostile subscriptions are capped, SIGTERM ends a listen
//! gracefully, and `wait` sends at most one progress notification a second (#10.2).

use super::*;

/// `wait` with a log pattern that matches after ~3 s: at most one progress
/// notification a second, the first at once and the last (all passed) at the end.
#[tokio::test]
async fn wait_sends_at_most_one_progress_notification_a_second() {
    let d = Daemon::start_with(
        false,
        "[program:slowready]\ncommand=sh -c 'sleep 3; echo ready; exec sleep 100000'\nautostart=false\n\
         stdout_logfile=%(here)s/slowready.out.log\n",
    );
    let c = in_process(&d, &Watcher::new(d.client()), ClientLifecycleMode::Initialize).await;
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
    // Processes p0..p99 and q0..q149 (never started): subscriptions name real ones.
    let programs: String = (0..100)
        .map(|i| format!("p{i}"))
        .chain((0..150).map(|i| format!("q{i}")))
        .map(|n| format!("[program:{n}]\ncommand=sleep 100000\nautostart=false\n"))
        .collect();
    let d = Daemon::start_programs(false, &programs, "");
    let w = Watcher::new(d.client());
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
    assert_eq!(w.stats().watched_keys, 100);
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
    eventually(5, "the listen's URIs watched", || w.stats().watched_keys == 200).await;
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
