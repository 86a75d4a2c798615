//! Logs in any encoding, read both ways: from the file on this host, and through
//! supervisord alone (`--no-host-access`), over the unix socket and HTTP. Every log
//! is written to its final size before it is read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use std::time::{Duration, Instant};

/// Generous bound on one `logs -n 5` (a regression guard, not a benchmark: the
/// figure is printed; the old code failed after 4-7 s).
const BOUND: Duration = Duration::from_secs(3);

/// `caf\xe9 cr\xe8me line N`: Latin-1, two bytes of every line are not UTF-8.
fn latin1_lines(from: usize, to: usize) -> Vec<u8> {
    (from..to)
        .flat_map(|i| {
            let mut l = b"caf\xe9 cr\xe8me line ".to_vec();
            l.extend_from_slice(format!("{i}\n").as_bytes());
            l
        })
        .collect()
}

fn shown(from: usize, to: usize) -> String {
    (from..to)
        .map(|i| format!("caf\u{FFFD} cr\u{FFFD}me line {i}\n"))
        .collect()
}

/// The CLI against `d` over `via`, reading the host's files or not.
fn cli(d: &Daemon, via: Via, host: bool) -> assert_cmd::Command {
    let mut c = d.cli(via);
    if !host {
        c.env("SUPERVISORD_MCP_NO_HOST_ACCESS", "1");
    }
    c
}

fn ways() -> Vec<(Via, bool)> {
    BOTH.iter().flat_map(|v| [(*v, true), (*v, false)]).collect()
}

fn label(via: Via, host: bool) -> String {
    format!("{via:?}, {}", if host { "host file" } else { "supervisord only" })
}

#[test]
fn a_latin1_log_tails_exactly_and_fast_both_ways() {
    let d = Daemon::start();
    d.append("web_a.out.log", &latin1_lines(0, 2500));
    for (via, host) in ways() {
        let started = Instant::now();
        let o = cli(&d, via, host)
            .args(["logs", "web:web_a", "-n", "5"])
            .output()
            .unwrap();
        let took = started.elapsed();
        eprintln!("logs -n 5 on 2,500 Latin-1 lines ({}): {took:?}", label(via, host));
        assert_eq!(o.status.code(), Some(0), "{}: {}", label(via, host), stderr(&o));
        assert_eq!(stdout(&o), shown(2495, 2500), "{}", label(via, host));
        assert!(took < BOUND, "{}: {took:?}", label(via, host));
        // More lines than the first window holds: it widens.
        let o = cli(&d, via, host)
            .args(["logs", "web:web_a", "-n", "40", "--json"])
            .output()
            .unwrap();
        let v = json(&o);
        let lines: Vec<&str> = v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert_eq!(lines.join("\n") + "\n", shown(2460, 2500), "{}", label(via, host));
        // Filters see the same text.
        let o = cli(&d, via, host)
            .args(["logs", "web:web_a", "-n", "2", "--grep", "cr.me line 24[0-9]7$"])
            .output()
            .unwrap();
        assert_eq!(
            stdout(&o),
            shown(2487, 2488) + &shown(2497, 2498),
            "{}",
            label(via, host)
        );
    }
}

#[test]
fn the_main_log_in_latin1_tails_exactly_both_ways() {
    let d = Daemon::start();
    settle(&d);
    d.append("supervisord.log", &latin1_lines(0, 2500));
    for (via, host) in ways() {
        let o = cli(&d, via, host).args(["maintail", "-n", "5"]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}: {}", label(via, host), stderr(&o));
        assert_eq!(stdout(&o), shown(2495, 2500), "{}", label(via, host));
    }
}

/// Lets the daemon log its programs' start, so that nothing more is written to the
/// main log while a test reads it.
fn settle(d: &Daemon) {
    d.wait_for(10, "every program started", |v| {
        v["processes"]
            .as_array()
            .is_some_and(|ps| ps.iter().all(|p| p["state"] != "STARTING"))
    });
    // supervisord logs `success: NAME entered RUNNING state` (NAME without its group)
    // as each gets there: once every running one has its line, it has no more to say.
    d.wait_for(10, "the main log to have every start", |v| {
        let log = std::fs::read_to_string(d.path("supervisord.log")).unwrap_or_default();
        v["processes"].as_array().is_some_and(|ps| {
            ps.iter()
                .filter(|p| p["state"] == "RUNNING")
                .map(|p| p["name"].as_str().unwrap_or("").rsplit(':').next().unwrap_or(""))
                .all(|name| log.contains(&format!("success: {name} entered RUNNING state")))
        })
    });
}

#[test]
fn following_the_main_log_in_latin1_is_exact() {
    let d = Daemon::start();
    settle(&d);
    d.append("supervisord.log", &latin1_lines(0, 2500));
    let mut all: Vec<String> = shown(0, 2500).lines().map(str::to_owned).collect();
    for (i, via) in BOTH.into_iter().enumerate() {
        let f = Follower::start(&d, via, &["maintail", "-f"]);
        // The daemon's stream starts with the last 1 KiB: whole lines up to the end.
        let first = f.next();
        let at = all
            .iter()
            .rposition(|l| *l == first)
            .unwrap_or_else(|| panic!("{via:?}: {first:?}"));
        assert!(all.len() - at > 10, "{via:?}: from line {at}");
        for want in &all[at + 1..] {
            assert_eq!(&f.next(), want, "{via:?}");
        }
        // A cut 3-byte character is two bytes that are not UTF-8: two U+FFFD. One
        // write: supervisord's /mainlogtail reads what the file grew by since it last
        // looked backwards from the end, so a second write landing between its look
        // and its read shifts what it reads (a race of the daemon's, seen under load).
        let cut = [
            format!("cut \u{2026} {i}\n").as_bytes(),
            &b"cut \xe2\x80 "[..],
            format!("{i}\n").as_bytes(),
        ]
        .concat();
        d.append("supervisord.log", &cut);
        for want in [format!("cut \u{2026} {i}"), format!("cut \u{FFFD}\u{FFFD} {i}")] {
            assert_eq!(f.next(), want, "{via:?}");
            all.push(want);
        }
    }
}

#[test]
fn following_a_latin1_log_is_exact_both_ways() {
    let d = Daemon::start();
    d.append("web_a.out.log", &latin1_lines(0, 2500));
    let mut n = 2500;
    for (via, host) in ways() {
        let mut args = vec!["logs", "web:web_a", "-f", "-n", "2"];
        if !host {
            args.insert(0, "--no-host-access");
        }
        let f = Follower::start(&d, via, &args);
        let history = format!("{}\n{}\n", f.next(), f.next());
        assert_eq!(history, shown(n - 2, n), "{}", label(via, host));
        d.append("web_a.out.log", &latin1_lines(n, n + 3));
        for i in n..n + 3 {
            assert_eq!(f.next() + "\n", shown(i, i + 1), "{}", label(via, host));
        }
        n += 3;
    }
}

#[test]
fn logs_follow_exits_when_its_reader_goes_away_on_an_idle_log() {
    use std::io::{BufRead, BufReader};
    let d = Daemon::start();
    d.append("web_a.out.log", b"only line\n");
    for args in [&["logs", "web:web_a", "-f", "-n", "1"][..], &["maintail", "-f"][..]] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"))
            .args(["-s", &d.url(Via::Unix)])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "{args:?}");
        drop(out); // as `| head -1` does, on a log that gets no new line
        let started = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            // It exits at once (stdout's POLLERR wakes it); 10 s is room for a loaded machine.
            if started.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let status = status.unwrap_or_else(|| panic!("{args:?} still running 10 s after its reader left"));
        assert_eq!(status.code(), Some(0), "{args:?}");
        eprintln!("{args:?} exited {:?} after its reader left", started.elapsed());
    }
}

#[test]
fn logs_numbers_out_of_range_are_refused_when_parsed() {
    let d = Daemon::start();
    d.append("web_a.out.log", b"a line\n");
    for (args, says) in [
        (&["--max-bytes", "100"][..], "at least 1024"),
        (&["--max-bytes", "0"], "at least 1024"),
        (&["--max-bytes=-1"], "not a byte count"),
        (&["--max-bytes", "1e9"], "not a byte count"),
        (&["-n", "0"], "1 to 100000"),
        (&["-n", "1000000000000"], "1 to 100000"),
        (&["--lines=-5"], "1 to 100000"),
        (&["-C", "100000", "--grep", "a"], "0 to 1000"),
    ] {
        let o = d
            .cli(Via::Unix)
            .args(["logs", "web:web_a"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("invalid value") && stderr(&o).contains(says) && !stderr(&o).contains("panicked"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    let o = d
        .cli(Via::Unix)
        .args(["logs", "web:web_a", "--max-bytes", "1024"])
        .output()
        .unwrap();
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), "a line\n".into()));
}

#[test]
fn following_a_log_over_2_gib_costs_the_daemon_no_traceback() {
    let d = Daemon::start();
    d.sparse("web_b.out.log", 3 << 30);
    d.append("web_b.out.log", b"\nbefore 1\nbefore 2\n");
    let tracebacks = || {
        std::fs::read_to_string(d.path("supervisord.log"))
            .unwrap_or_default()
            .matches("Traceback")
            .count()
    };
    let mut last = "before 2".to_owned();
    for (i, (via, host)) in ways().into_iter().enumerate() {
        let mut args = vec!["logs", "web:web_b", "-f", "-n", "1"];
        if !host {
            args.insert(0, "--no-host-access");
        }
        let before = tracebacks();
        let f = Follower::start(&d, via, &args);
        assert_eq!(f.next(), last, "{}", label(via, host));
        // A few polls (200 ms each) on an idle log, then new lines.
        std::thread::sleep(Duration::from_millis(1200));
        d.append("web_b.out.log", format!("after \u{e9} {i}\n").as_bytes());
        d.append(
            "web_b.out.log",
            &[&b"latin \xe9 "[..], format!("{i}\n").as_bytes()].concat(),
        );
        assert_eq!(f.next(), format!("after \u{e9} {i}"), "{}", label(via, host));
        last = format!("latin \u{FFFD} {i}");
        assert_eq!(f.next(), last, "{}", label(via, host));
        drop(f);
        assert_eq!(
            tracebacks(),
            before,
            "{}: the daemon logged tracebacks",
            label(via, host)
        );
    }
}
