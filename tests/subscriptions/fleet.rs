//! Notifications from every target of a targets file: a client subscribes to
//! `supervisor://process/TARGET/NAME` on a target that is not the first, the
//! process is stopped there, and the update arrives under that qualified URI, over
//! stdio and over HTTP, under 2025-11-25 (`resources/subscribe`) and 2026-07-28
//! (`subscriptions/listen`); unqualified URIs stay the first target's.

use super::*;

/// Two daemons, `a` (the first target: unqualified URIs) and `b`, in a targets file.
struct TwoTargets {
    a: Daemon,
    b: Daemon,
    _dir: tempfile::TempDir,
    file: String,
}

fn two_targets() -> TwoTargets {
    let (a, b) = (Daemon::start(), Daemon::start());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.toml");
    std::fs::write(
        &file,
        format!(
            "[targets.a]\nurl = \"{}\"\n\n[targets.b]\nurl = \"{}\"\n",
            a.url(Via::Unix),
            b.url(Via::Unix)
        ),
    )
    .unwrap();
    for d in [&a, &b] {
        d.wait_for(10, "sleeper to run", |_| d.state("sleeper") == "RUNNING");
    }
    let file = file.to_str().unwrap().to_owned();
    TwoTargets { a, b, _dir: dir, file }
}

const B_SLEEPER: &str = "supervisor://process/b/sleeper";

async fn stop(c: &Mcp, name: &str) {
    call(c, "control", json!({"action": "stop", "names": [name]})).await;
}

/// 2025-11-25: subscribed to b's sleeper (qualified) and to the sleeper
/// (unqualified: a's), b's stop is notified under the qualified URI only, then a's
/// under the unqualified one; a URI of no target is "resource not found".
#[allow(deprecated)]
async fn subscriptions_follow_their_target(c: &Mcp, t: &TwoTargets) {
    c.subscribe(SubscribeRequestParams::new(B_SLEEPER)).await.unwrap();
    c.subscribe(SubscribeRequestParams::new(SLEEPER)).await.unwrap();
    match c
        .subscribe(SubscribeRequestParams::new("supervisor://process/zz/sleeper"))
        .await
    {
        Err(ServiceError::McpError(e)) => assert_eq!(e.code, ErrorCode::RESOURCE_NOT_FOUND, "{e:?}"),
        other => panic!("a URI of no target: {other:?}"),
    }
    stop(c, "b/sleeper").await;
    assert_eq!(t.b.state("sleeper"), "STOPPED");
    let updated = c.service().updated.clone();
    eventually(10, "b's update", || {
        updated.lock().unwrap().contains(&B_SLEEPER.to_owned())
    })
    .await;
    assert!(
        !updated.lock().unwrap().contains(&SLEEPER.to_owned()),
        "a's sleeper did not change: {:?}",
        updated.lock().unwrap()
    );
    stop(c, "a/sleeper").await;
    assert_eq!(t.a.state("sleeper"), "STOPPED");
    eventually(10, "a's update", || {
        updated.lock().unwrap().contains(&SLEEPER.to_owned())
    })
    .await;
    let got = updated.lock().unwrap().clone();
    assert_eq!(got.iter().filter(|u| *u == B_SLEEPER).count(), 1, "{got:?}");
}

/// 2026-07-28: a listen on b's sleeper sees its stop, under the qualified URI.
async fn a_listen_follows_its_target(c: &Mcp, t: &TwoTargets) {
    let filter = SubscriptionFilter::builder()
        .resource_subscription(B_SLEEPER)
        .resources_list_changed()
        .build();
    let mut sub = c.listen(filter.clone()).await.unwrap();
    assert_eq!(sub.acknowledged(), &filter);
    stop(c, "b/sleeper").await;
    assert_eq!(t.b.state("sleeper"), "STOPPED");
    assert_eq!(next_update(&mut sub).await, B_SLEEPER);
    sub.cancel().await.unwrap();
}

#[tokio::test]
async fn over_stdio_a_2025_subscription_sees_a_stop_on_another_target() {
    let t = two_targets();
    let (c, _child) = stdio_with(&["--fleet", &t.file], ClientLifecycleMode::Initialize).await;
    subscriptions_follow_their_target(&c, &t).await;
}

#[tokio::test]
async fn over_http_a_2025_subscription_sees_a_stop_on_another_target() {
    let t = two_targets();
    let s = http_server_with(&["--fleet", &t.file]);
    let c = over_http(&s.url, Some(TOKEN), ClientLifecycleMode::Initialize).await;
    subscriptions_follow_their_target(&c, &t).await;
}

#[tokio::test]
async fn over_http_a_2026_listen_sees_a_stop_on_another_target() {
    let t = two_targets();
    let s = http_server_with(&["--fleet", &t.file]);
    let c = over_http(&s.url, Some(TOKEN), modern()).await;
    a_listen_follows_its_target(&c, &t).await;
}
