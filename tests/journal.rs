//! The event journal against real supervisord daemons: the relay installed with
//! `events install` records every transition of a program that exits every 100 ms
//! (counted against supervisord's own log, no buffer overflow), survives `kill -9`,
//! keeps acknowledging when its journal file is gone (and says so in supervisord's
//! log); the history is read locally across rotated files and over HTTP as for a
//! remote daemon; a fleet of two daemons, one without a journal; and the watch
//! engine fed by the journal sees transitions that polling cannot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Daemon, Via};
use serde_json::Value;
use std::time::{Duration, Instant};

const FLAP: &str = r#"
[program:flap]
command=sh -c 'sleep 0.1; exit 3'
autostart=false
startsecs=0
autorestart=true
stdout_logfile=%(here)s/flap.out.log
stderr_logfile=%(here)s/flap.err.log

[program:sleeper]
command=sleep 100000
stdout_logfile=%(here)s/sleeper.out.log
stderr_logfile=%(here)s/sleeper.err.log

[program:burst]
command=sh -c 'sleep 0.05; exit 1'
numprocs=8
process_name=%(program_name)s_%(process_num)d
autostart=false
startsecs=0
autorestart=true
stdout_logfile=NONE
stderr_logfile=NONE
"#;

fn daemon() -> Daemon {
    Daemon::start_programs(false, FLAP, "")
}

/// Runs the CLI on `d` (unix socket) and returns its stdout; panics unless it exits 0.
fn ok(d: &Daemon, args: &[&str]) -> String {
    let out = d.cli(Via::Unix).args(args).output().expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `events ARGS --json` on `d` over `via` (extra global flags first).
fn history(d: &Daemon, via: Via, global: &[&str], args: &[&str]) -> Value {
    let out = d
        .cli(via)
        .args(global)
        .arg("events")
        .args(args)
        .arg("--json")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

fn events(v: &Value) -> Vec<Value> {
    v["events"].as_array().cloned().unwrap_or_default()
}

fn count(events: &[Value], process: &str, to: &str) -> usize {
    events
        .iter()
        .filter(|e| e["process"] == process && e["to"] == to)
        .count()
}

/// Lines of supervisord's own log that contain `what`.
fn logged(d: &Daemon, what: &str) -> usize {
    let log = std::fs::read_to_string(d.path("supervisord.log")).unwrap_or_default();
    log.lines().filter(|l| l.contains(what)).count()
}

/// Stops `name` until every process of it is STOPPED: one caught in EXITED is
/// "already stopped", and supervisord restarts it right after.
fn stop_until_stopped(d: &Daemon, name: &str) {
    for _ in 0..20 {
        ok(d, &["stop", name]);
        let out = d
            .cli(Via::Unix)
            .args(["status", name, "--json"])
            .output()
            .expect("status");
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        let procs = v["processes"].as_array().cloned().unwrap_or_default();
        if procs.iter().all(|p| p["state"] == "STOPPED") {
            return;
        }
    }
    panic!("{name} never stopped");
}

/// Stops `flap` and waits until the journal has its STOPPED (the relay drained).
fn stop_flap_and_drain(d: &Daemon) -> Vec<Value> {
    stop_until_stopped(d, "flap");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let all = events(&history(d, Via::Unix, &[], &["flap", "--since", "1h"]));
        if all.last().is_some_and(|e| e["to"] == "STOPPED") {
            return all;
        }
        assert!(Instant::now() < deadline, "the journal never got flap's STOPPED");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until the journal's last event stays the same for a second (the relay
/// wrote what was in flight).
fn settled(d: &Daemon) {
    let last = || events(&history(d, Via::Unix, &[], &["-n", "1"])).pop();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut before = last();
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let now = last();
        if now == before {
            return;
        }
        assert!(Instant::now() < deadline, "the journal kept growing");
        before = now;
    }
}

#[test]
fn every_transition_of_a_program_exiting_every_100_ms_for_60_s_is_in_the_journal() {
    let d = daemon();
    let installed = ok(&d, &["events", "install"]);
    assert!(installed.contains("journal installed"), "{installed}");
    ok(&d, &["start", "--no-wait", "flap"]);
    std::thread::sleep(Duration::from_secs(60));
    let all = stop_flap_and_drain(&d);
    let (starts, exits) = (count(&all, "flap", "STARTING"), count(&all, "flap", "EXITED"));
    let (spawned, exited) = (logged(&d, "spawned: 'flap'"), logged(&d, "exited: flap "));
    eprintln!("journal: {starts} starts, {exits} exits; supervisord's log: {spawned} spawned, {exited} exited");
    assert!(exited > 100, "the program flapped: {exited} exits in 60 s");
    assert_eq!(
        (starts, exits),
        (spawned, exited),
        "every start and exit supervisord logged"
    );
    assert_eq!(logged(&d, "event buffer overflowed"), 0);
    let known: Vec<&Value> = all.iter().filter(|e| e["to"] == "EXITED").collect();
    assert!(
        known.iter().all(|e| e["exitstatus"] == 3 && e["expected"] == false),
        "every exit with its status: {:?}",
        known.iter().find(|e| e["exitstatus"] != 3)
    );
    let crashes = events(&history(&d, Via::Unix, &[], &["flap", "--kind", "crash", "-n", "5"]));
    assert_eq!(crashes.len(), 5, "the last five crashes");
}

#[test]
fn a_relay_killed_with_9_is_restarted_and_loses_at_most_the_event_in_flight() {
    let d = daemon();
    ok(&d, &["events", "install"]);
    ok(&d, &["start", "--no-wait", "flap"]);
    std::thread::sleep(Duration::from_secs(3));
    let pid = ok(&d, &["pid", "supervisord-mcp-journal"]).trim().to_owned();
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    std::thread::sleep(Duration::from_secs(4));
    let again = ok(&d, &["pid", "supervisord-mcp-journal"]).trim().to_owned();
    assert!(
        again != pid && again != "0",
        "supervisord started the relay again: {pid} -> {again}"
    );
    let all = stop_flap_and_drain(&d);
    let (starts, exits) = (count(&all, "flap", "STARTING"), count(&all, "flap", "EXITED"));
    let (spawned, exited) = (logged(&d, "spawned: 'flap'"), logged(&d, "exited: flap "));
    eprintln!("journal: {starts} starts, {exits} exits; supervisord's log: {spawned} spawned, {exited} exited");
    assert!(
        starts + exits + 1 >= spawned + exited && starts <= spawned && exits <= exited,
        "at most one event lost"
    );
    assert_eq!(logged(&d, "event buffer overflowed"), 0);
}

#[test]
fn a_journal_that_is_gone_is_said_in_supervisords_log_and_events_are_still_acknowledged() {
    let d = daemon();
    std::fs::create_dir(d.path("jdir")).expect("mkdir");
    let file = d.path("jdir/journal.log");
    ok(
        &d,
        &["events", "install", "--journal-file", &file.display().to_string()],
    );
    ok(&d, &["start", "--no-wait", "flap"]);
    std::thread::sleep(Duration::from_secs(1));
    std::fs::remove_dir_all(d.path("jdir")).expect("rm");
    let deadline = Instant::now() + Duration::from_secs(20);
    while logged(&d, "supervisord-mcp-journal: event was rejected") == 0 {
        assert!(
            Instant::now() < deadline,
            "supervisord's log never said the relay refused an event"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let before = logged(&d, "spawned: 'flap'");
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        logged(&d, "spawned: 'flap'") > before + 5,
        "supervisord goes on at full speed"
    );
    assert_eq!(logged(&d, "has entered the UNKNOWN state"), 0, "the protocol was kept");
    assert_eq!(logged(&d, "event buffer overflowed"), 0);
    assert_eq!(d.state("supervisord-mcp-journal"), "RUNNING");
}

#[test]
fn since_crosses_rotation_here_and_a_remote_daemon_is_read_over_http() {
    let d = daemon();
    ok(&d, &["events", "install", "--max-bytes", "64KB", "--backups", "30"]);
    std::thread::sleep(Duration::from_millis(1500));
    let since = history(&d, Via::Unix, &[], &["-n", "1"]);
    let t0 = events(&since)[0]["time"].as_str().expect("a time").to_owned();
    ok(&d, &["start", "--no-wait", "burst:*"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !d.path("supervisord-mcp-journal.log.1").exists() {
        assert!(Instant::now() < deadline, "the journal never rotated");
        std::thread::sleep(Duration::from_millis(200));
    }
    stop_until_stopped(&d, "burst:*");
    settled(&d);
    let current = std::fs::read_to_string(d.path("supervisord-mcp-journal.log")).expect("journal");
    let first_current: Value = current
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .expect("a line in the current file");
    let here = history(&d, Via::Unix, &[], &["--since", &t0]);
    let here_events = events(&here);
    assert!(here_events.len() > 300, "{} events", here_events.len());
    assert_eq!(
        here_events[0]["time"], t0,
        "from the first event asked for, in a rotated file"
    );
    assert!(here_events[0]["time"].as_str() < first_current["time"].as_str());
    assert_eq!(here["older_unread"], false);
    // As for a remote daemon: the current file only, through readProcessStderrLog.
    let remote = history(&d, Via::Http, &["--no-host-access"], &["--since", &t0]);
    let remote_events = events(&remote);
    assert_eq!(remote["older_unread"], true, "{remote}");
    assert_eq!(remote_events.first().map(|e| &e["time"]), Some(&first_current["time"]));
    assert_eq!(remote_events.last(), here_events.last(), "the same journal");
    let status = ok(&d, &["events", "status"]);
    assert!(
        status.contains("journal RUNNING") && status.contains(" files"),
        "{status}"
    );
    let out = d
        .cli(Via::Http)
        .args(["--no-host-access", "events", "status", "--json"])
        .output()
        .expect("run");
    let remote_status: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        remote_status["rotated"], 0,
        "rotated files are on the daemon's host only"
    );
}

#[test]
fn a_fleet_of_two_daemons_one_without_a_journal() {
    let (a, b) = (daemon(), daemon());
    ok(&a, &["events", "install"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("fleet.toml");
    let toml = format!(
        "[targets.a]\nurl = \"{}\"\n\n[targets.b]\nurl = \"{}\"\n",
        a.url(Via::Unix),
        b.url(Via::Unix)
    );
    std::fs::write(&file, toml).expect("write");
    let fleet = |args: &[&str]| {
        let mut c = common::bare_cli();
        c.arg("--fleet").arg(&file).args(["-t", "all", "events"]).args(args);
        c
    };
    ok(&a, &["restart", "sleeper"]);
    let out = fleet(&[]).output().expect("run");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("a/sleeper") && stdout.contains("RUNNING -> STOPPING"),
        "{stdout}"
    );
    assert!(
        stdout.contains("b: ERROR (invalid)") && stdout.contains("has no event journal"),
        "{stdout}"
    );
    assert!(stdout.contains("2 targets: 1 ok, 1 invalid (b)"), "{stdout}");
    // Following both: a from its journal, b by polling (said so).
    let mut follow = std::process::Command::new(env!("CARGO_BIN_EXE_supervisord-mcp"))
        .arg("--fleet")
        .arg(&file)
        .args(["-t", "all", "events", "sleeper", "-f", "-n", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_secs(3));
    ok(&a, &["restart", "sleeper"]);
    ok(&b, &["restart", "sleeper"]);
    std::thread::sleep(Duration::from_secs(3));
    let _ = follow.kill();
    let out = follow.wait_with_output().expect("wait");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        stdout.contains("a/sleeper") && stdout.contains("STOPPING -> STOPPED"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("b/sleeper") && l.contains("-> RUNNING")),
        "{stdout}"
    );
    assert!(
        stderr.contains("b: no event journal: following state changes by polling"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_watch_engine_fed_by_the_journal_sees_every_transition() {
    use supervisord_mcp::supervisor::ProcessState;
    use supervisord_mcp::supervisor::watch::{Event, Key, Watcher};
    let d = daemon();
    ok(&d, &["events", "install"]);
    let w = Watcher::new(d.client());
    let s = w.subscribe();
    s.add(&[Key::Process("flap".into())]).await.expect("watch");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !w.stats().journal {
        assert!(Instant::now() < deadline, "the watcher never followed the journal");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ok(&d, &["start", "--no-wait", "flap"]);
    // Each take is every change since the last one (coalesced per process): a new
    // run each time, several a second, where a look once a second sees at most one.
    let mut changes = 0;
    let mut runs = std::collections::HashSet::new();
    let end = Instant::now() + Duration::from_secs(4);
    while let Ok(Some(events)) = tokio::time::timeout(end.saturating_duration_since(Instant::now()), s.next()).await {
        for e in events {
            if let Event::State { to: Some(t), .. } = e {
                changes += 1;
                if t.state == ProcessState::Running {
                    runs.insert(t.pid);
                }
            }
        }
    }
    assert!(
        changes >= 12,
        "{changes} changes told in 4 s (polling once a second tells at most 4)"
    );
    assert!(runs.len() >= 8, "{} runs seen", runs.len());
}

#[test]
fn a_quiet_journal_is_not_taken_for_a_broken_one() {
    let d = daemon();
    ok(&d, &["events", "install"]);
    // Single events seconds apart: the file changed each time, just not since the last one.
    for _ in 0..2 {
        std::thread::sleep(Duration::from_millis(2500));
        ok(&d, &["remove", "burst"]);
        std::thread::sleep(Duration::from_millis(2500));
        ok(&d, &["add", "burst"]);
    }
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(logged(&d, "event was rejected"), 0);
    let all = events(&history(&d, Via::Unix, &[], &["--kind", "group", "--kind", "error"]));
    assert_eq!(all.iter().filter(|e| e["group"] == "burst").count(), 4, "{all:?}");
    assert!(all.iter().all(|e| e.get("error").is_none()), "{all:?}");
}
