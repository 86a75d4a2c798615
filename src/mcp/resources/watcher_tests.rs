//! Unit tests of the watcher: its caps and the spacing of list polls.

use super::super::test_support::nowhere;
use super::super::uri::PREFIX;
use super::*;

fn uris(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{PREFIX}{prefix}{i}")).collect()
}

#[tokio::test]
async fn watching_is_capped_per_subscriber_and_in_all() {
    let w = Watcher::new(nowhere());
    let mut asked = uris("a", 150);
    asked.insert(0, "file:///etc/passwd".into());
    asked.push(asked[1].clone());
    assert_eq!(w.admit(&asked), uris("a", 100));
    let mut regs = Vec::new();
    for g in 0..10 {
        let r = w.register(false);
        assert_eq!(r.add(&uris(&format!("g{g}_"), 100)).await, Ok(()));
        regs.push(r);
    }
    assert_eq!(w.stats().watched_uris, MAX_WATCHED_URIS);
    assert!(w.admit(&uris("new", 5)).is_empty(), "no room for new URIs");
    assert_eq!(w.admit(&uris("g0_", 5)), uris("g0_", 5), "watched ones are free");
    let r = w.register(false);
    assert_eq!(r.add(&uris("new", 1)).await, Err(WatchError::Full));
    assert_eq!(r.add(&uris("g0_", 101)).await, Err(WatchError::TooMany));
    drop(regs);
    assert_eq!(w.stats().watched_uris, 0);
    assert_eq!(w.stats().subscribers, 1);
    assert_eq!(r.add(&uris("new", 1)).await, Ok(()));
    r.close();
    assert_eq!(r.add(&uris("new", 1)).await, Err(WatchError::Closed));
}

#[test]
fn slow_lists_are_polled_less_often() {
    assert_eq!(list_wait(Duration::from_millis(5)), LIST_INTERVAL);
    assert_eq!(list_wait(Duration::from_millis(500)), LIST_INTERVAL);
    assert_eq!(list_wait(Duration::from_secs(2)), Duration::from_secs(40));
    assert_eq!(
        list_wait(Duration::from_secs(10)),
        Duration::from_secs(200),
        "a timed-out call"
    );
    assert_eq!(list_wait(Duration::from_secs(60)), LIST_INTERVAL_MAX);
}
