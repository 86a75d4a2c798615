//! Unit tests of the watch engine against the scripted fake daemon (no MCP): typed
//! events, what each tick costs, the spacing of list polls, caps, and closing.

use super::engine::list_wait;
use super::*;
use crate::supervisor::fake::{FakeDaemon, Model};
use crate::supervisor::{Channel, ProcessInfo, ProcessState};
use std::sync::Arc;
use std::time::Instant;

/// A watcher of `d` whose ticks the test takes by hand ([`tick`]).
fn manual(d: &FakeDaemon) -> Watcher {
    let mut w = Watcher::new(d.client());
    match Arc::get_mut(&mut w.inner) {
        Some(inner) => inner.manual = true,
        None => panic!("a new watcher is not shared"),
    }
    w
}

/// One tick of the polling task.
async fn tick(w: &Watcher) {
    if let Some(plan) = w.inner.plan() {
        w.inner.poll(plan).await;
    }
}

/// Sets a fake process's state code, pid, exit status and stop time.
fn set(d: &FakeDaemon, name: &str, state: i64, pid: i64, exitstatus: i64, stop: i64) {
    let mut m = d.model();
    let Some(p) = m.processes.iter_mut().find(|p| p.namespec() == name) else {
        panic!("no process {name}")
    };
    (p.state, p.pid, p.exitstatus, p.stop) = (state, pid, exitstatus, stop);
}

fn process(n: &str) -> Key {
    Key::Process(n.into())
}

/// Nothing is pending for `s` (waits a little for something that should not come).
async fn quiet(s: &Subscription) {
    let got = tokio::time::timeout(Duration::from_millis(100), s.next()).await;
    assert!(got.is_err(), "unexpected events: {got:?}");
}

#[tokio::test]
async fn a_state_change_is_an_event_from_the_last_look_to_this_one() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let w = manual(&d);
    let s = w.subscribe();
    assert_eq!(s.add(&[process("ticker")]).await, Ok(vec![]), "a known process");
    let before = d.model().process("ticker").map(Snapshot::from);
    assert_eq!(before.map(|b| b.state), Some(ProcessState::Running));
    set(&d, "ticker", 100, 0, 3, 1_700_000_000);
    tick(&w).await;
    let to = Snapshot {
        state: ProcessState::Exited,
        pid: 0,
        exitstatus: 3,
        start: before.map_or(0, |b| b.start),
        stop: 1_700_000_000,
    };
    let want = Event::State {
        name: "ticker".into(),
        from: before,
        to: Some(to),
    };
    assert_eq!(s.next().await, Some(vec![want]));
    tick(&w).await;
    quiet(&s).await;
    // Gone from the daemon: a change to "unknown".
    d.model().processes.retain(|p| p.name != "ticker");
    tick(&w).await;
    let gone = Event::State {
        name: "ticker".into(),
        from: Some(to),
        to: None,
    };
    assert_eq!(s.next().await, Some(vec![gone]));
}

#[tokio::test]
async fn a_log_that_grows_is_an_event_with_its_new_size() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let w = manual(&d);
    let s = w.subscribe();
    let key = Key::Log("colors".into(), Channel::Stderr);
    s.add(std::slice::from_ref(&key)).await.unwrap_or_default();
    tick(&w).await;
    quiet(&s).await;
    let log = ("colors".to_owned(), Channel::Stderr);
    d.model().logs.entry(log).or_default().extend_from_slice(b"one line\n");
    tick(&w).await;
    let grew = Event::LogSize {
        name: "colors".into(),
        channel: Channel::Stderr,
        size: Some(9),
    };
    assert_eq!(s.next().await, Some(vec![grew]));
    tick(&w).await;
    quiet(&s).await;
}

#[tokio::test]
async fn processes_added_and_removed_are_one_event_with_their_names() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let w = manual(&d);
    let s = w.subscribe();
    s.add(&[Key::Processes]).await.unwrap_or_default();
    tick(&w).await;
    quiet(&s).await;
    assert_eq!(w.stats().list_polls, 1, "the first list is the baseline");
    {
        let mut m = d.model();
        m.processes.retain(|p| p.name != "crasher");
        m.processes.push(ProcessInfo {
            name: "late".into(),
            group: "late".into(),
            ..ProcessInfo::default()
        });
    }
    w.refresh_list();
    tick(&w).await;
    let want = Event::Processes {
        added: vec!["late".into()],
        removed: vec!["crasher".into()],
    };
    assert_eq!(s.next().await, Some(vec![want]));
    assert!(w.processes().await.unwrap_or_default().contains(&"late".to_owned()));
    assert_eq!(w.stats().list_polls, 2, "processes() reuses the fresh list");
}

#[tokio::test]
async fn each_tick_costs_one_multicall_of_what_is_watched() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let w = manual(&d);
    let count = |m: &str| d.model().count(&format!("supervisor.{m}"));
    let a = w.subscribe();
    let log = Key::Log("colors".into(), Channel::Stdout);
    a.add(&[process("ticker"), process("web:web_a"), log.clone()])
        .await
        .unwrap_or_default();
    let b = w.subscribe();
    b.add(&[process("ticker"), process("crasher")])
        .await
        .unwrap_or_default();
    d.model().calls.clear();
    tick(&w).await;
    let per_tick = |m: &Model| {
        (
            m.count("system.multicall"),
            m.count("supervisor.getProcessInfo"),
            m.count("supervisor.tailProcessStdoutLog"),
            m.count("supervisor.getAllProcessInfo"),
        )
    };
    assert_eq!(per_tick(&d.model()), (1, 3, 1, 0), "ticker once for both");
    drop(b);
    d.model().calls.clear();
    tick(&w).await;
    assert_eq!(per_tick(&d.model()), (1, 2, 1, 0), "what b watched is no more");
    // The list, when watched: its processes come from it; only the log is probed.
    let l = w.subscribe();
    l.add(&[Key::Processes]).await.unwrap_or_default();
    d.model().calls.clear();
    tick(&w).await;
    assert_eq!(per_tick(&d.model()), (1, 0, 1, 1));
    d.model().calls.clear();
    tick(&w).await;
    assert_eq!(per_tick(&d.model()), (1, 2, 1, 0), "the list is not due for 10 s");
    w.refresh_list();
    tick(&w).await;
    assert_eq!(count("getAllProcessInfo"), 1, "at once after refresh_list");
    assert_eq!(w.stats().probes, 5, "one per tick");
}

#[tokio::test]
async fn a_slow_list_is_read_less_often() {
    let d = FakeDaemon::start(Model::recorded()).await;
    d.model().stalled.insert("supervisor.getAllProcessInfo".into());
    let mut w = Watcher::new(d.client_with_timeout(Duration::from_millis(700)));
    if let Some(inner) = Arc::get_mut(&mut w.inner) {
        inner.manual = true;
    }
    let s = w.subscribe();
    s.add(&[Key::Processes, process("ticker")]).await.unwrap_or_default();
    tick(&w).await;
    assert!(
        w.lock().list_every >= Duration::from_secs(14),
        "20 times the 0.7 s it took"
    );
    assert_eq!(
        d.model().count("supervisor.getProcessInfo"),
        2,
        "ticker by name when the list fails"
    );
    tick(&w).await;
    assert_eq!(w.stats().list_polls, 1, "not read again so soon");
}

#[test]
fn the_list_wait_follows_its_cost() {
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

#[tokio::test]
async fn unknown_processes_are_told_by_the_first_look_without_a_list() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let w = manual(&d);
    let s = w.subscribe();
    let nope_log = Key::Log("nope".into(), Channel::Stderr);
    let got = s.add(&[process("nope"), nope_log.clone(), process("ticker")]).await;
    assert_eq!(got, Ok(vec![process("nope"), nope_log]));
    d.model().calls.clear();
    let asked = [process("nope"), process("web:web_b"), process("other"), Key::Processes];
    let unknown = w.unknown(&asked).await;
    assert_eq!(unknown, [process("nope"), process("other")].into_iter().collect());
    assert_eq!(d.model().count("system.multicall"), 1, "nope was known already");
    assert_eq!(d.model().count("supervisor.getAllProcessInfo"), 0);
    assert_eq!(w.suggest("tickr").await.as_deref(), Some("ticker"));
}

fn keys(prefix: &str, n: usize) -> Vec<Key> {
    (0..n).map(|i| process(&format!("{prefix}{i}"))).collect()
}

#[tokio::test]
async fn watching_is_capped_per_subscriber_and_in_all() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let w = manual(&d);
    let mut asked = keys("a", 150);
    asked.insert(0, Key::Processes);
    asked.push(asked[1].clone());
    let mut want = vec![Key::Processes];
    want.extend(keys("a", 100));
    assert_eq!(w.admit(&asked), want, "the list is not counted");
    let mut subs = Vec::new();
    for g in 0..10 {
        let s = w.subscribe();
        assert!(s.add(&keys(&format!("g{g}_"), 100)).await.is_ok());
        subs.push(s);
    }
    assert_eq!(w.stats().watched_keys, MAX_WATCHED_KEYS);
    assert!(w.admit(&keys("new", 5)).is_empty(), "no room for new keys");
    assert_eq!(w.admit(&keys("g0_", 5)), keys("g0_", 5), "watched ones are free");
    let s = w.subscribe();
    assert_eq!(s.add(&keys("new", 1)).await, Err(WatchError::Full));
    assert_eq!(s.add(&keys("g0_", 101)).await, Err(WatchError::TooMany));
    assert!(s.add(&[Key::Processes]).await.is_ok(), "the list needs no room");
    drop(subs);
    assert_eq!(w.stats().watched_keys, 0);
    assert_eq!(w.stats().subscribers, 1);
    assert!(s.add(&keys("new", 1)).await.is_ok());
    s.close();
    assert_eq!(s.add(&keys("new", 1)).await, Err(WatchError::Closed));
    assert_eq!(s.next().await, None);
}

#[tokio::test]
async fn polling_runs_only_while_something_is_watched_and_stops_when_closed() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let w = Watcher::new(d.client());
    let s = w.subscribe();
    assert!(!w.stats().polling, "nothing watched");
    s.add(&[process("ticker")]).await.unwrap_or_default();
    assert!(w.stats().polling);
    drop(s);
    wait_until(|| !w.stats().polling).await;
    let s = w.subscribe();
    s.add(&[process("ticker")]).await.unwrap_or_default();
    assert!(w.stats().polling);
    w.close();
    wait_until(|| !w.stats().polling).await;
    let calls = d.model().calls.len();
    tokio::time::sleep(WATCH_INTERVAL + Duration::from_millis(500)).await;
    assert_eq!(d.model().calls.len(), calls, "no call after closing");
    s.add(&[process("colors")]).await.unwrap_or_default();
    assert!(!w.stats().polling, "a closed watcher polls no more");
}

/// Waits until `cond` holds (panics after 5 s).
async fn wait_until(cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn with_a_journal_every_transition_is_an_event_at_once_and_looks_are_a_safety_net() {
    use crate::supervisor::journal::{JournalEvent, ProcessChange, What};
    let d = FakeDaemon::start(Model::recorded()).await;
    let w = manual(&d);
    let s = w.subscribe();
    s.add(&[process("ticker")]).await.unwrap_or_default();
    let before = d.model().process("ticker").map(Snapshot::from);
    w.lock().journal = true;
    let line = |to: ProcessState, pid: Option<i64>, exitstatus: Option<i64>, t: i64| JournalEvent {
        time_ms: t,
        serial: None,
        what: What::Process(ProcessChange {
            process: "ticker".into(),
            group: "ticker".into(),
            from: None,
            to,
            pid,
            tries: None,
            expected: Some(false),
            exitstatus,
        }),
    };
    // An exit and a restart between two looks: three events, in order, none merged
    // away (the consumer takes each before the next line).
    let mut got = Vec::new();
    for (to, pid, status, t) in [
        (ProcessState::Exited, Some(7), Some(3), 1_000),
        (ProcessState::Starting, None, None, 1_100),
        (ProcessState::Running, Some(8), None, 1_200),
    ] {
        w.inner.take(&line(to, pid, status, t));
        got.extend(s.next().await.unwrap_or_default());
    }
    let states: Vec<_> = got
        .iter()
        .map(|e| match e {
            Event::State { to: Some(t), .. } => (t.state, t.pid, t.exitstatus),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        states,
        [
            (ProcessState::Exited, 0, 3),
            (ProcessState::Starting, 0, 0),
            (ProcessState::Running, 8, 0)
        ]
    );
    assert!(matches!(&got[0], Event::State { from, .. } if *from == before));
    // The safety look agrees (RUNNING): nothing; the next tick does not look at all.
    d.model().calls.clear();
    tick(&w).await;
    quiet(&s).await;
    tick(&w).await;
    assert_eq!(d.model().count("supervisor.getProcessInfo"), 1, "one safety look");
    // The journal said EXITED but the daemon says RUNNING: the safety look tells.
    w.inner.take(&line(ProcessState::Exited, Some(8), Some(1), 2_000));
    let _ = s.next().await;
    w.lock().safety_at = None;
    tick(&w).await;
    let fixed = s.next().await.unwrap_or_default();
    assert!(matches!(&fixed[..], [Event::State { to: Some(t), .. }] if t.state == ProcessState::Running));
}

/// A listen is acknowledged (its processes checked with [`Watcher::unknown`]) before
/// its subscriber registers: a change in between is still an event, the check's look
/// standing as the subscriber's first.
#[tokio::test]
async fn a_change_between_the_check_and_the_registration_is_seen() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let w = manual(&d);
    assert!(w.unknown(&[process("ticker")]).await.is_empty());
    set(&d, "ticker", 0, 0, 0, 1_700_000_000);
    let s = w.subscribe();
    assert_eq!(s.add(&[process("ticker")]).await, Ok(vec![]));
    tick(&w).await;
    let got = tokio::time::timeout(Duration::from_secs(1), s.next()).await;
    let Ok(Some(events)) = got else {
        panic!("no event for a stop made before the registration: {got:?}")
    };
    assert!(
        matches!(&events[..], [Event::State { name, from: Some(f), to: Some(t) }]
            if name == "ticker" && f.state == ProcessState::Running && t.state == ProcessState::Stopped),
        "{events:?}"
    );
}
