//! Unit tests of the watchers of many daemons: routing by target, the caps across
//! targets, events tagged with the target subscribed on, unknown processes refused.

use super::*;
use crate::supervisor::fake::{FakeDaemon, Model, nowhere};
use crate::supervisor::watch::{Event, WatchError};

/// The first daemon, targets `x` and `y`, and `bad` (a missing password).
fn three() -> Watchers {
    Watchers::with_targets(
        Watcher::new(nowhere()),
        vec![
            ("x", Ok(Watcher::new(nowhere()))),
            ("y", Ok(Watcher::new(nowhere()))),
            ("bad", Err("no password: set PW".to_owned())),
        ],
    )
}

fn on(target: Option<&str>, prefix: &str, n: usize) -> Vec<(TargetKey, Key)> {
    (0..n)
        .map(|i| (target.map(Arc::from), Key::Process(format!("{prefix}p{i}"))))
        .collect()
}

fn watched(w: &Watchers, target: &str) -> usize {
    w.watcher(Some(target)).map_or(0, |w| w.stats().watched_keys)
}

#[test]
fn targets_lead_to_their_watcher_or_say_why_not() {
    let w = three();
    assert!(w.watcher(None).is_ok_and(|f| f.same(w.first())));
    assert!(w.watcher(Some("x")).is_ok_and(|x| !x.same(w.first())));
    assert!(matches!(w.watcher(Some("bad")), Err(RouteError::Unusable { target, .. }) if target == "bad"));
    assert_eq!(
        w.watcher(Some("zz")).err(),
        Some(RouteError::Unknown { target: "zz".into() })
    );
    assert!(w.is_target("x") && !w.is_target("zz") && w.has_targets());
}

#[test]
fn a_subscriber_is_admitted_100_keys_across_targets() {
    let w = three();
    let mut asked = on(Some("x"), "", 60);
    asked.extend(on(None, "", 60));
    asked.push((Some(Arc::from("bad")), Key::Process("a".into())));
    asked.push(asked[0].clone());
    let admitted = w.admit(&asked);
    assert_eq!(admitted.iter().filter(|a| **a).count(), MAX_KEYS_PER_SUBSCRIBER);
    assert!(admitted[..100].iter().all(|a| *a), "in the order asked");
    assert!(
        !admitted[120] && !admitted[121],
        "a target that cannot be asked; a repeat"
    );
}

#[test]
fn a_huge_ask_is_admitted_in_linear_time() {
    let w = three();
    let xa = (Some(Arc::from("x")), Key::Process("a".into()));
    let mut asked = vec![xa; 100_000];
    asked.extend((0..100_000).map(|i| (Some(Arc::from("q")), Key::Process(i.to_string()))));
    asked.extend(on(Some("y"), "", 5));
    let admitted = w.admit(&asked);
    assert_eq!(admitted.iter().filter(|a| **a).count(), 6);
    assert!(admitted[0] && admitted[200_000]);
}

#[tokio::test]
async fn a_subscriber_has_100_keys_in_all_and_hears_each_target_as_subscribed() {
    let w = three();
    let s = Subscriber::new(&w, false);
    assert!(s.add(&on(Some("x"), "", 60)).await.is_ok());
    assert_eq!(
        s.add(&on(Some("y"), "", 41)).await,
        Err(SubscribeError::Watch(WatchError::TooMany))
    );
    assert_eq!(watched(&w, "y"), 0, "nothing half-added");
    assert!(s.add(&on(Some("y"), "", 40)).await.is_ok());
    assert!(matches!(
        s.add(&on(Some("bad"), "", 1)).await,
        Err(SubscribeError::Route(RouteError::Unusable { .. }))
    ));
    let x = w.watcher(Some("x")).cloned().unwrap_or_else(|e| panic!("{e}"));
    let stopped = |name: &str| Event::State {
        name: name.into(),
        from: None,
        to: None,
    };
    x.inject(&[stopped("p0"), stopped("nobody watches this")]);
    assert_eq!(s.next().await, Some(vec![(Some(Arc::from("x")), stopped("p0"))]));
    s.remove(&Some(Arc::from("x")), &Key::Process("p0".into()));
    assert_eq!(watched(&w, "x"), 59);
    drop(s);
    assert_eq!(x.stats().subscribers, 0, "dropping it unsubscribes everywhere");
}

#[tokio::test]
async fn the_first_target_is_one_daemon_under_both_names() {
    let first = Watcher::new(nowhere());
    let w = Watchers::with_targets(first.clone(), vec![("x", Ok(first.clone()))]);
    let a = Key::Process("a".into());
    let both = vec![(None, a.clone()), (Some(Arc::from("x")), a.clone())];
    assert_eq!(w.admit(&both), [true, true]);
    let s = Subscriber::new(&w, false);
    assert!(s.add(&both).await.is_ok());
    assert_eq!(first.stats().watched_keys, 1, "one key of one daemon");
    let e = Event::State {
        name: "a".into(),
        from: None,
        to: None,
    };
    first.inject(std::slice::from_ref(&e));
    let mut got = s.next().await.unwrap_or_default();
    got.sort_by_key(|(t, _)| t.clone());
    assert_eq!(
        got,
        [(None, e.clone()), (Some(Arc::from("x")), e)],
        "each as subscribed"
    );
    assert_eq!(w.all().count(), 1);
}

#[tokio::test]
async fn concurrent_adds_share_the_100_keys() {
    let w = three();
    let s = Subscriber::new(&w, false);
    let (x, y) = (on(Some("x"), "", 60), on(Some("y"), "", 60));
    let (a, b) = tokio::join!(s.add(&x), s.add(&y));
    assert!(a.is_ok() != b.is_ok(), "one of them is refused: {a:?} {b:?}");
    assert_eq!(watched(&w, "x") + watched(&w, "y"), 60);
}

/// A process the daemon does not know is refused (with the closest known name) and
/// not watched; finding it out costs no `getAllProcessInfo` when it is known.
#[tokio::test]
async fn unknown_processes_are_refused_with_the_closest_name() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let w = Watchers::from(Watcher::new(d.client()));
    let s = Subscriber::new(&w, false);
    let ticker = (None, Key::Process("ticker".into()));
    assert_eq!(s.add_known(std::slice::from_ref(&ticker)).await, Ok(()));
    assert_eq!(d.model().count("supervisor.getAllProcessInfo"), 0);
    let typo = (None, Key::Log("tickr".into(), crate::supervisor::Channel::Stderr));
    assert_eq!(
        s.add_known(std::slice::from_ref(&typo)).await,
        Err(SubscribeError::NoSuchProcess {
            target: None,
            name: "tickr".into(),
            suggestion: Some("ticker".into()),
        })
    );
    assert_eq!(w.first().stats().watched_keys, 1, "the typo is not watched");
    let unknown = w.unknown(&[ticker, typo.clone()]).await;
    assert_eq!(unknown, [typo].into_iter().collect());
}
