//! #23.3: a URI naming a process the daemon does not know (valid form) is refused:
//! `resources/subscribe` answers "resource not found" with the closest known name,
//! and a listen's acknowledgment leaves it out; logs of unknown processes likewise.
//! A process added later is watched once subscribed to again.

use super::*;

const NOPE: &str = "supervisor://process/nope";
const NOPE_LOG: &str = "supervisor://process/nope/stderr";
const TYPO: &str = "supervisor://process/sleepr";

/// 2025-11-25: unknown processes and their logs are refused, the closest name said;
/// after a reload adds the program, subscribing to it again works.
#[allow(deprecated)]
async fn subscribe_refuses_unknown_processes(c: &Mcp, d: &Daemon) {
    for uri in [NOPE, NOPE_LOG, TYPO, "supervisor://process/late"] {
        match c.subscribe(SubscribeRequestParams::new(uri)).await {
            Err(ServiceError::McpError(e)) => {
                assert_eq!(e.code, ErrorCode::RESOURCE_NOT_FOUND, "{uri}: {e:?}");
                assert!(e.message.contains("BAD_NAME"), "{uri}: {e:?}");
            }
            other => panic!("{uri}: {other:?}"),
        }
    }
    let Err(ServiceError::McpError(e)) = c.subscribe(SubscribeRequestParams::new(TYPO)).await else {
        panic!("the typo is refused")
    };
    assert!(e.message.contains("did you mean `sleeper`?"), "{e:?}");
    c.subscribe(SubscribeRequestParams::new(SLEEPER)).await.unwrap();
    c.subscribe(SubscribeRequestParams::new(format!("{SLEEPER}/stdout")))
        .await
        .unwrap();
    std::fs::write(
        d.path("conf.d/late.conf"),
        "[program:late]\ncommand=sleep 100000\nautostart=false\n",
    )
    .unwrap();
    call(c, "reload", json!({})).await;
    c.subscribe(SubscribeRequestParams::new("supervisor://process/late"))
        .await
        .unwrap();
}

/// 2026-07-28: the acknowledgment leaves out unknown processes and their logs, in
/// the order asked otherwise.
async fn listen_leaves_out_unknown_processes(c: &Mcp) {
    let asked = [NOPE, SLEEPER, NOPE_LOG, "supervisor://process/sleeper/stderr", TYPO];
    let filter = SubscriptionFilter::builder()
        .resource_subscriptions(asked.iter().map(|u| u.to_string()).collect::<Vec<_>>())
        .resources_list_changed()
        .build();
    let mut sub = c.listen(filter).await.unwrap();
    let acked = sub.acknowledged();
    assert_eq!(
        acked.resource_subscriptions.as_deref(),
        Some(&[SLEEPER.to_owned(), "supervisor://process/sleeper/stderr".to_owned()][..])
    );
    assert_eq!(acked.resources_list_changed, Some(true));
    sub.cancel().await.unwrap();
}

#[tokio::test]
async fn over_stdio_unknown_processes_are_refused_under_both_versions() {
    let d = Daemon::start();
    let (old, _c1) = stdio(&d, ClientLifecycleMode::Initialize).await;
    subscribe_refuses_unknown_processes(&old, &d).await;
    let (new, _c2) = stdio(&d, modern()).await;
    listen_leaves_out_unknown_processes(&new).await;
}

#[tokio::test]
async fn over_http_unknown_processes_are_refused_under_both_versions() {
    let d = Daemon::start();
    let s = http_server(&d);
    let old = over_http(&s.url, Some(TOKEN), ClientLifecycleMode::Initialize).await;
    subscribe_refuses_unknown_processes(&old, &d).await;
    let new = over_http(&s.url, Some(TOKEN), modern()).await;
    listen_leaves_out_unknown_processes(&new).await;
}

/// In process, served as the library's [`Served`] (what `serve_stdio` serves).
#[tokio::test]
async fn in_process_a_listen_leaves_out_what_the_daemon_does_not_know() {
    let d = Daemon::start();
    let c = in_process(&d, &Watcher::new(d.client()), modern()).await;
    listen_leaves_out_unknown_processes(&c).await;
}
