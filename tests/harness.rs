//! The test harness itself: a test daemon, once dropped, leaves no process behind,
//! even with many groups (supervisord's own shutdown stops one group per second),
//! a program that ignores SIGTERM, and the daemon frozen when the test ends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

/// Whether `pid` is alive (a zombie is not).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !matches!(
                s.rsplit_once(')').and_then(|(_, r)| r.split_whitespace().next()),
                Some("Z" | "X")
            )
        })
        .unwrap_or(false)
}

#[test]
fn a_dropped_daemon_leaves_no_process_behind() {
    // 60 idle groups sorted after every other: supervisord would spend a minute on
    // them before stopping anything that runs.
    let extra: String = (0..60)
        .map(|i| format!("[program:zz_idle_{i:02}]\ncommand=sleep 100000\nautostart=false\n"))
        .collect();
    let d = Daemon::start_with(false, &extra);
    d.cli(Via::Unix).args(["start", "stubborn"]).assert().code(0);
    d.wait_for(20, "the autostart programs", |v| {
        v["processes"]
            .as_array()
            .is_some_and(|ps| ps.iter().filter(|p| p["state"] == "RUNNING").count() >= 9)
    });
    let started = started_by(Some(d.pid()), &d.sock);
    assert!(started.len() >= 9, "{started:?}");
    d.signal("STOP");
    let t = std::time::Instant::now();
    drop(d);
    eprintln!(
        "the daemon and {} processes stopped in {:?}",
        started.len(),
        t.elapsed()
    );
    let left: Vec<_> = started.into_iter().filter(|&p| alive(p)).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
