//! The command line against a real supervisord, over the unix socket and loopback HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

#[test]
fn status_lists_full_namespecs_and_exits_3_when_some_are_stopped() {
    let d = Daemon::start();
    for via in BOTH {
        let o = d.cli(via).arg("status").output().unwrap();
        assert_eq!(o.status.code(), Some(3), "{via:?}: {}", stderr(&o));
        let out = stdout(&o);
        for name in [
            "sleeper",
            "web:web_a",
            "web:web_b",
            "worker:worker_00",
            "worker:worker_02",
        ] {
            assert!(out.contains(name), "{via:?}: {name} missing from\n{out}");
        }
        let v = json(&d.cli(via).args(["status", "--json"]).output().unwrap());
        let names: Vec<&str> = v["processes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"worker:worker_01"));
        // Every listed name can be passed back.
        for n in &names {
            d.cli(via)
                .args(["status", n])
                .assert()
                .code(predicates::ord::eq(0).or(predicates::ord::eq(3)));
        }
    }
    // All selected running: 0. Unknown name: 4.
    d.cli(Via::Unix)
        .args(["status", "sleeper", "worker:*"])
        .assert()
        .code(0);
    let o = d.cli(Via::Unix).args(["status", "nope"]).output().unwrap();
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("nope: ERROR (BAD_NAME) no such process"));
}

/// One message for a mistyped name, with the closest known name, in every command
/// (issue #10.8).
#[test]
fn a_mistyped_name_gets_one_message_and_a_suggestion_everywhere() {
    let d = Daemon::start();
    let said = "ERROR (BAD_NAME) no such process; did you mean `sleeper`?";
    for args in [
        &["start", "sleepr"][..],
        &["stop", "sleepr"],
        &["restart", "sleepr"],
        &["signal", "HUP", "sleepr"],
        &["clear", "sleepr"],
        &["wait", "sleepr", "--timeout", "1"],
    ] {
        let o = d.cli(Via::Unix).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(
            stdout(&o).contains(&format!("sleepr: {said}")),
            "{args:?}: {}",
            stdout(&o)
        );
    }
    for args in [&["status", "sleepr"][..], &["pid", "sleepr"]] {
        let o = d.cli(Via::Unix).args(args).output().unwrap();
        assert!(
            stderr(&o).contains(&format!("sleepr: {said}")),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    let o = d.cli(Via::Unix).args(["status", "sleepr", "--json"]).output().unwrap();
    assert_eq!(json(&o)["did_you_mean"]["sleepr"], "sleeper");
    let o = d.cli(Via::Unix).args(["diagnose", "sleepr"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("BAD_NAME: no such process: sleepr")
            && err.contains("hint: did you mean `sleeper`?")
            && !err.contains("supervisor."),
        "{err}"
    );
    // A group typed wrong suggests the group.
    let o = d.cli(Via::Unix).args(["start", "wbe:*"]).output().unwrap();
    assert!(stdout(&o).contains("did you mean `web:*`?"), "{}", stdout(&o));
}

/// `logs` and `diagnose` of a mistyped name say it as every command does: no such
/// process, the closest known name, no XML-RPC method name, and `start`'s exit
/// status; `--json` gives kind `fault` with the code beside (issue 18.7.1). Before,
/// `logs` printed `BAD_NAME: sleeperr (supervisor.readProcessStdoutLog)`.
#[test]
fn logs_of_a_mistyped_name_say_so_as_every_command_does() {
    let d = Daemon::start();
    let start = d.cli(Via::Unix).args(["start", "sleeperr"]).output().unwrap();
    assert!(stdout(&start).contains("did you mean `sleeper`?"), "{}", stdout(&start));
    for args in [
        &["logs", "sleeperr"][..],
        &["logs", "sleeperr", "--stderr"],
        &["logs", "sleeperr", "--grep", "x"],
        &["diagnose", "sleeperr"],
    ] {
        for via in BOTH {
            let o = d.cli(via).args(args).output().unwrap();
            assert_eq!(o.status.code(), start.status.code(), "{via:?} {args:?}");
            let err = stderr(&o);
            assert!(
                err.contains("no such process: sleeperr")
                    && err.contains("did you mean `sleeper`?")
                    && !err.contains("supervisor."),
                "{via:?} {args:?}: {err}"
            );
        }
        let o = d.cli(Via::Unix).args(args).arg("--json").output().unwrap();
        let e = &json(&o)["error"];
        assert_eq!(
            (e["kind"].as_str(), e["fault"].as_str()),
            (Some("fault"), Some("BAD_NAME")),
            "{e}"
        );
        assert!(!e.to_string().contains("supervisor."), "{e}");
    }
}

use predicates::prelude::PredicateBooleanExt;

/// Every numeric flag is checked when parsed: a clear error naming the flag, exit 2,
/// never a panic (issue #9.13).
#[test]
fn numbers_out_of_range_are_refused_when_parsed() {
    for args in [
        &["--rpc-timeout", "inf", "status"][..],
        &["--rpc-timeout", "NaN", "status"],
        &["--rpc-timeout", "0", "status"],
        &["--rpc-timeout=-1", "status"],
        &["wait", "x", "--timeout", "1e30"],
        &["start", "x", "--wait-timeout", "1e30"],
        &["run", "--timeout", "1e30", "--", "true"],
        &["run", "-n", "0", "--", "true"],
        &["diagnose", "x", "-n", "0"],
        &["maintail", "-n", "0"],
        &["wait", "x", "--url", "http://h/", "--expect-status", "42"],
        &["program", "add", "x", "--command", "true", "--numprocs", "10000"],
        &["mcp", "--http", "--max-sessions", "0"],
        &["mcp", "--http", "--read-timeout", "0"],
        &["mcp", "--http", "--idle-timeout", "1e30"],
        &["mcp", "--http", "--max-body-bytes", "1"],
        &["status", "--state", "sleepy"],
    ] {
        let o = bare_cli()
            .args(["-s", "unix:///nonexistent.sock"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("invalid value"), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn status_filters_by_state() {
    let d = Daemon::start();
    let v = json(
        &d.cli(Via::Http)
            .args(["status", "--state", "stopped", "--json"])
            .output()
            .unwrap(),
    );
    let names: Vec<&str> = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"web:web_a") && names.contains(&"crasher"), "{names:?}");
    assert!(!names.contains(&"sleeper"));
    let o = d.cli(Via::Http).args(["status", "--state", "sleepy"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    // clap says which value is wrong and lists the states.
    let err = stderr(&o);
    assert!(
        err.contains("invalid value 'sleepy'") && err.contains("RUNNING") && err.contains("FATAL"),
        "{err}"
    );
    // The Python tool's name for the same listing.
    let v = json(&d.cli(Via::Unix).args(["list-processes", "--json"]).output().unwrap());
    assert!(v["processes"].as_array().unwrap().len() >= 12);
}

#[test]
fn start_and_stop_are_idempotent_over_both_transports() {
    let d = Daemon::start();
    for via in BOTH {
        let o = d.cli(via).args(["start", "web:*"]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{via:?}: {}", stdout(&o));
        assert!(stdout(&o).contains("web:web_a: started"), "{}", stdout(&o));
        assert_eq!(d.state("web:web_b"), "RUNNING");
        let o = d.cli(via).args(["start", "web:web_a"]).output().unwrap();
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).contains("web:web_a: already running"));
        let o = d.cli(via).args(["stop", "web"]).output().unwrap();
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).contains("web:web_b: stopped"), "{}", stdout(&o));
        let o = d.cli(via).args(["stop", "web:web_b", "--json"]).output().unwrap();
        assert_eq!(o.status.code(), Some(0));
        assert_eq!(json(&o)["results"][0]["outcome"], "already_stopped");
    }
}

#[test]
fn failed_start_shows_why_and_exits_7() {
    let d = Daemon::start();
    for via in BOTH {
        let o = d.cli(via).args(["start", "crasher"]).output().unwrap();
        assert_eq!(o.status.code(), Some(7), "{via:?}");
        let out = stdout(&o);
        assert!(out.contains("crasher: ERROR (SPAWN_ERROR)"), "{out}");
        assert!(
            out.contains("crasher: fatal error, config missing"),
            "the stderr tail is shown: {out}"
        );
        let v = json(&d.cli(via).args(["start", "crasher", "--json"]).output().unwrap());
        let r = &v["results"][0];
        assert_eq!(r["outcome"], "failed");
        assert_eq!(r["failure"]["fault"], "SPAWN_ERROR");
        assert!(
            r["failure"]["spawnerr"]
                .as_str()
                .unwrap()
                .contains("Exited too quickly")
        );
        assert_eq!(
            r["failure"]["log_tail"].as_array().unwrap().last().unwrap(),
            "crasher: fatal error, config missing"
        );
        // It exited before startsecs: supervisord keeps no status, but logged 3.
        assert_eq!(r["failure"]["exitstatus"], 3, "{r}");
    }
}

/// "Exited too quickly" has an exit status after all (supervisord logs it); and a
/// crash loop's repeated stderr line is shown once with a count (issues #10.12, #10.13).
#[test]
fn exit_status_of_a_quick_exit_and_repeated_lines_folded() {
    let d = Daemon::start_with(
        false,
        "[program:repeater]\ncommand=sh -c 'for i in 1 2 3 4; do echo \"boom: same line\" >&2; done; exit 2'\n\
         autostart=false\nstartsecs=1\nstartretries=0\nstdout_logfile=%(here)s/repeater.out.log\nstderr_logfile=%(here)s/repeater.err.log\n",
    );
    let o = d.cli(Via::Unix).args(["start", "repeater"]).output().unwrap();
    assert_eq!(o.status.code(), Some(7));
    let out = stdout(&o);
    assert!(out.contains("exit status 2"), "{out}");
    assert!(
        out.contains("| boom: same line (\u{d7}4)"),
        "the four identical lines, once: {out}"
    );
    assert_eq!(out.matches("boom: same line").count(), 1, "{out}");
    let o = d.cli(Via::Unix).args(["diagnose", "repeater"]).output().unwrap();
    assert!(
        stdout(&o).contains("FATAL: Exited too quickly; exit 2"),
        "{}",
        stdout(&o)
    );
    let v = json(
        &d.cli(Via::Unix)
            .args(["status", "repeater", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(v["processes"][0]["exitstatus"], 2, "{v}");
    assert_eq!(v["processes"][0]["state"], "FATAL");
}

#[test]
fn restart_works_from_every_state() {
    let d = Daemon::start();
    // STOPPED
    let o = d.cli(Via::Unix).args(["restart", "web:web_a"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(d.state("web:web_a"), "RUNNING");
    // RUNNING (pid changes)
    let pid = |n: &str| {
        json(&d.cli(Via::Unix).args(["status", n, "--json"]).output().unwrap())["processes"][0]["pid"]
            .as_i64()
            .unwrap()
    };
    let before = pid("sleeper");
    d.cli(Via::Http).args(["restart", "sleeper"]).assert().code(0);
    assert_ne!(pid("sleeper"), before);
    // FATAL: restart tries again and reports the failure.
    d.cli(Via::Unix).args(["start", "crasher"]).assert().code(7);
    assert_eq!(d.state("crasher"), "FATAL");
    let o = d.cli(Via::Unix).args(["restart", "crasher"]).output().unwrap();
    assert_eq!(o.status.code(), Some(7));
    assert!(stdout(&o).contains("fatal error, config missing"));
    // EXITED
    d.cli(Via::Unix).args(["signal", "KILL", "web:web_b"]).assert().code(7); // NOT_RUNNING, as supervisorctl
    d.cli(Via::Unix).args(["start", "web:web_b"]).assert().code(0);
    d.cli(Via::Unix).args(["signal", "KILL", "web:web_b"]).assert().code(0);
    d.wait_for(10, "web_b to die", |_| d.state("web:web_b") != "RUNNING");
    d.cli(Via::Unix).args(["restart", "web:web_b"]).assert().code(0);
    assert_eq!(d.state("web:web_b"), "RUNNING");
    // A group and all.
    let o = d
        .cli(Via::Http)
        .args(["restart", "worker:*", "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["results"].as_array().unwrap().len(), 3);
}

#[test]
fn restart_waits_for_a_stopping_process() {
    let d = Daemon::start();
    d.cli(Via::Unix).args(["start", "stubborn"]).assert().code(0);
    // Ask for a stop without waiting: it ignores SIGTERM and stays STOPPING for its
    // stopwaitsecs (5 s, time enough to look even on a loaded machine).
    d.cli(Via::Unix)
        .args(["stop", "stubborn", "--no-wait"])
        .assert()
        .code(0);
    assert_eq!(d.state("stubborn"), "STOPPING");
    let o = d.cli(Via::Unix).args(["restart", "stubborn"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{} {}", stdout(&o), stderr(&o));
    assert_eq!(d.state("stubborn"), "RUNNING");
    // And start on a STOPPING process waits too (the daemon would answer HTTP 500).
    d.cli(Via::Unix)
        .args(["stop", "stubborn", "--no-wait"])
        .assert()
        .code(0);
    d.cli(Via::Unix).args(["start", "stubborn"]).assert().code(0);
    assert_eq!(d.state("stubborn"), "RUNNING");
}

#[test]
fn unknown_names_and_bad_signals_fail_clearly() {
    let d = Daemon::start();
    let o = d.cli(Via::Unix).args(["start", "nope", "web:web_a"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("nope: ERROR (BAD_NAME) no such process"));
    assert!(
        stdout(&o).contains("web:web_a: started"),
        "the valid name is still started"
    );
    let o = d.cli(Via::Unix).args(["signal", "FOO", "sleeper"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("BAD_SIGNAL") && err.contains("hint:"), "{err}");
    d.cli(Via::Unix).args(["signal", "HUP", "all"]).assert().code(0);
    let o = d.cli(Via::Unix).args(["logs"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn logs_are_lines_not_bytes() {
    let d = Daemon::start();
    d.wait_for(10, "fast to finish writing", |_| {
        std::fs::read_to_string(d.path("fast.out.log")).is_ok_and(|s| s.contains("fast line 19999"))
    });
    for via in BOTH {
        let o = d.cli(via).args(["logs", "fast", "--lines", "20"]).output().unwrap();
        assert_eq!(o.status.code(), Some(0));
        let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
        let want: Vec<String> = (19980..20000).map(|i| format!("fast line {i}")).collect();
        assert_eq!(lines, want, "{via:?}");
        // More lines than the first window holds: the window grows.
        let v = json(
            &d.cli(via)
                .args(["logs", "fast", "-n", "5000", "--json"])
                .output()
                .unwrap(),
        );
        let lines = v["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 5000);
        assert_eq!(lines[0], "fast line 15000");
        // A byte cap smaller than needed stops early and says so.
        let o = d
            .cli(via)
            .args(["logs", "fast", "-n", "5000", "--max-bytes", "10000"])
            .output()
            .unwrap();
        assert!(stdout(&o).lines().count() < 5000);
        assert!(stderr(&o).contains("raise --max-bytes"));
    }
}

#[test]
fn logs_handle_ansi_carriage_returns_and_bytes_that_are_not_utf8() {
    let d = Daemon::start();
    d.wait_for(10, "programs to write", |_| {
        std::fs::metadata(d.path("binary.out.log")).is_ok_and(|m| m.len() > 0)
            && std::fs::metadata(d.path("colors.out.log")).is_ok_and(|m| m.len() > 40)
    });
    for via in BOTH {
        let o = d.cli(via).args(["logs", "colors"]).output().unwrap();
        assert_eq!(stdout(&o), "INFO started\nERROR red line\nprogress 100%\n", "{via:?}");
        let o = d.cli(via).args(["logs", "colors", "--raw"]).output().unwrap();
        assert_eq!(
            stdout(&o),
            "\x1b[32mINFO\x1b[0m started\n\x1b[31mERROR\x1b[0m red line\nprogress 10%\rprogress 100%\n"
        );
        // The daemon answers HTTP 500 for this log; we still return every line.
        let o = d.cli(via).args(["logs", "binary"]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), "first line\nbad \u{FFFD}\u{FFFD} bytes\nafter é ok\n");
    }
}

#[test]
fn logs_of_stderr_both_and_errors() {
    let d = Daemon::start();
    d.cli(Via::Unix).args(["start", "crasher"]).assert().code(7);
    let o = d
        .cli(Via::Unix)
        .args(["logs", "crasher", "--stderr", "-n", "1"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "crasher: fatal error, config missing\n");
    let o = d.cli(Via::Unix).args(["logs", "crasher", "--both"]).output().unwrap();
    assert!(stdout(&o).contains("==> crasher stderr <=="));
    let o = d.cli(Via::Unix).args(["logs", "nope"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("BAD_NAME") && stderr(&o).contains("hint: run `status`"),
        "{}",
        stderr(&o)
    );
    // stderr redirected to stdout: the daemon has no stderr log.
    let o = d.cli(Via::Unix).args(["logs", "quiet", "--stderr"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("NO_FILE"), "{}", stderr(&o));
}

#[test]
fn tail_of_a_1_gb_log_reads_only_its_end() {
    let d = Daemon::start();
    // A sparse 1 GiB log, then 30 real lines at its end.
    d.sparse("web_a.out.log", 1 << 30);
    let text: String = (0..30).map(|i| format!("tail line {i}\n")).collect();
    d.append("web_a.out.log", text.as_bytes());
    let v = json(
        &d.cli(Via::Unix)
            .args(["logs", "web:web_a", "-n", "20", "--json"])
            .output()
            .unwrap(),
    );
    let lines: Vec<&str> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let want: Vec<String> = (10..30).map(|i| format!("tail line {i}")).collect();
    assert_eq!(lines, want);
    assert!(v["window_bytes"].as_u64().unwrap() <= 4096, "one small window: {v}");
}

#[test]
fn tail_of_a_log_over_2_gib_still_works() {
    // tailProcessLog answers HTTP 500 past 2 GiB (the size overflows an XML-RPC int).
    let d = Daemon::start();
    d.sparse("web_b.out.log", 3 << 30);
    d.append("web_b.out.log", b"\none\ntwo \xff\nthree\n");
    let o = d
        .cli(Via::Http)
        .args(["logs", "web:web_b", "-n", "3"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "one\ntwo \u{FFFD}\nthree\n");
}

#[test]
fn follow_streams_new_lines_across_truncation_and_clear() {
    let d = Daemon::start();
    d.append("web_a.out.log", b"old 1\nold 2\n");
    let f = Follower::start(&d, Via::Unix, &["logs", "web:web_a", "-f", "-n", "1"]);
    let next = || f.next();
    assert_eq!(next(), "old 2");
    d.append("web_a.out.log", b"new 1\nnew ");
    assert_eq!(next(), "new 1");
    d.append("web_a.out.log", b"2 (completed later)\n");
    assert_eq!(next(), "new 2 (completed later)");
    // Truncation in place (copytruncate): reading restarts at 0, nothing repeated.
    std::fs::OpenOptions::new()
        .write(true)
        .open(d.path("web_a.out.log"))
        .unwrap()
        .set_len(0)
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    d.append("web_a.out.log", b"after truncate\n");
    assert_eq!(next(), "after truncate");
    // clearProcessLogs: a new file.
    d.cli(Via::Unix).args(["clear", "web:web_a"]).assert().code(0);
    std::thread::sleep(std::time::Duration::from_millis(500));
    d.append("web_a.out.log", b"after clear\n");
    assert_eq!(next(), "after clear");
}

#[test]
fn follow_loses_and_repeats_nothing_across_supervisord_log_rotation() {
    let d = Daemon::start();
    d.cli(Via::Unix).args(["start", "rotator"]).assert().code(0);
    let f = Follower::start(&d, Via::Unix, &["logs", "rotator", "-f", "-n", "1"]);
    let number = |line: &str| {
        line.strip_prefix("rot line ")
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{line:?}"))
    };
    // The last whole line of the newest rotated file: where supervisord last rotated.
    let rotated_at = || {
        let old = std::fs::read_to_string(d.path("rotator.out.log.1")).ok()?;
        let whole = &old[..old.rfind('\n')?];
        whole.lines().last().map(number)
    };
    let mut numbers = vec![number(&f.next())];
    // Followed until well past a rotation made while following (however slowly a
    // loaded machine writes the lines), and for 300 lines at least.
    let mut crossed = None;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let last = *numbers.last().unwrap();
        if crossed.is_none() {
            crossed = rotated_at().filter(|r| *r > numbers[0]);
        }
        if crossed.is_some_and(|r| last > r + 100) && numbers.len() > 300 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no rotation crossed in 90 s: {} lines followed, last rotation at {:?}",
            numbers.len(),
            rotated_at()
        );
        numbers.push(number(&f.next()));
    }
    drop(f);
    for w in numbers.windows(2) {
        assert_eq!(w[1], w[0] + 1, "a line lost or repeated around {}", w[0]);
    }
}

#[test]
fn maintail_pid_info_version_clear_avail() {
    let d = Daemon::start();
    let o = d.cli(Via::Unix).args(["maintail", "-n", "3"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o).lines().count(), 3);
    let o = d.cli(Via::Unix).args(["pid"]).output().unwrap();
    assert_eq!(stdout(&o).trim(), d.pid().to_string());
    let o = d.cli(Via::Unix).args(["pid", "web:web_a"]).output().unwrap();
    assert_eq!((o.status.code(), stdout(&o).trim()), (Some(7), "0"));
    d.cli(Via::Unix).args(["pid", "sleeper"]).assert().code(0);
    let v = json(&d.cli(Via::Http).args(["info", "--json"]).output().unwrap());
    assert_eq!(v["api_version"], "3.0");
    assert_eq!(v["state"], "RUNNING");
    assert!(v["supervisor_version"].as_str().unwrap().starts_with('4'));
    let o = d.cli(Via::Http).args(["version"]).output().unwrap();
    assert_eq!(stdout(&o).trim(), v["supervisor_version"].as_str().unwrap());
    d.append("sleeper.out.log", b"to be cleared\n");
    d.cli(Via::Unix).args(["clear", "sleeper"]).assert().code(0);
    assert_eq!(std::fs::metadata(d.path("sleeper.out.log")).unwrap().len(), 0);
    let o = d.cli(Via::Unix).args(["clear", "all"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let v = json(&d.cli(Via::Unix).args(["avail", "--json"]).output().unwrap());
    assert!(
        v["processes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "web:web_a" && p["in_use"] == true)
    );
}

#[test]
fn reread_update_add_remove() {
    let d = Daemon::start();
    d.cli(Via::Unix)
        .arg("reread")
        .assert()
        .code(0)
        .stdout("No config updates to processes\n");
    std::fs::write(
        d.path("conf.d/extra.conf"),
        "[program:extra]\ncommand=sleep 100000\nstdout_logfile=%(here)s/../extra.log\n",
    )
    .unwrap();
    d.cli(Via::Unix)
        .arg("reread")
        .assert()
        .code(0)
        .stdout("extra: available\n");
    // The Python tool's `reload --dry-run` prints the diff only.
    let v = json(
        &d.cli(Via::Unix)
            .args(["reload", "--dry-run", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(v["diff"]["added"][0], "extra");
    d.cli(Via::Unix).args(["status", "extra"]).assert().code(4);
    // `reload` applies it (the Python peer only printed "reloaded").
    let o = d.cli(Via::Http).arg("reload").output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("extra: added process group"));
    d.wait_for(10, "extra to autostart", |_| d.state("extra") == "RUNNING");
    // Changed, then removed.
    std::fs::write(d.path("conf.d/extra.conf"), "[program:extra]\ncommand=sleep 99999\n").unwrap();
    d.cli(Via::Unix)
        .arg("update")
        .assert()
        .code(0)
        .stdout("extra: updated process group\n");
    std::fs::remove_file(d.path("conf.d/extra.conf")).unwrap();
    d.cli(Via::Unix)
        .arg("update")
        .assert()
        .code(0)
        .stdout("extra: removed process group\n");
    d.cli(Via::Unix).args(["status", "extra"]).assert().code(4);
    // add/remove of configured groups.
    d.cli(Via::Unix)
        .args(["remove", "web"])
        .assert()
        .code(0)
        .stdout("web: removed\n");
    d.cli(Via::Unix)
        .args(["add", "web"])
        .assert()
        .code(0)
        .stdout("web: added\n");
    d.cli(Via::Unix)
        .args(["add", "web"])
        .assert()
        .code(0)
        .stdout("web: already added\n");
    let o = d.cli(Via::Unix).args(["remove", "sleeper"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("STILL_RUNNING"));
}

#[test]
fn auth_over_both_transports_and_the_password_never_shows() {
    let d = Daemon::with_auth();
    for via in BOTH {
        d.cli(via).args(["status", "sleeper"]).assert().code(0);
        // No credentials.
        let o = bare_cli().args(["-s", &d.url(via), "status"]).output().unwrap();
        assert_eq!(o.status.code(), Some(4), "{via:?}");
        assert!(
            stderr(&o).contains("401") && stderr(&o).contains("SUPERVISOR_PASSWORD"),
            "{}",
            stderr(&o)
        );
        // Wrong password, given on the command line.
        let o = bare_cli()
            .args(["-s", &d.url(via), "-u", USER, "-p", "wrong-pw", "start", "web:web_a"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(4));
        assert!(!stderr(&o).contains("wrong-pw") && !stdout(&o).contains("wrong-pw"));
    }
    // Credentials in the URL work and are never printed.
    let url = format!(
        "http://{USER}:{}@127.0.0.1:{}",
        PASSWORD.replace(':', "%3A").replace('#', "%23"),
        d.port
    );
    let o = bare_cli().args(["-s", &url, "info"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains(PASSWORD) && !stdout(&o).contains("s3cret"));
    // From [supervisorctl] in a config file, with %(here)s.
    let conf = d.path("ctl.conf");
    std::fs::write(
        &conf,
        format!("[supervisorctl]\nserverurl=unix://%(here)s/supervisor.sock\nusername={USER}\npassword={PASSWORD}\n"),
    )
    .unwrap();
    bare_cli()
        .args(["-c", conf.to_str().unwrap(), "status", "sleeper"])
        .assert()
        .code(0);
    let o = bare_cli()
        .args(["-c", conf.to_str().unwrap(), "-p", "bad", "status", "sleeper"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4));
    assert!(!stderr(&o).contains("s3cret"));
}

#[test]
fn unreachable_daemon_errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    // Socket file missing: exit 7 (supervisorctl's "no such file").
    let sock = dir.path().join("missing.sock");
    let o = bare_cli()
        .args(["-s", &format!("unix://{}", sock.display()), "start", "x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(7));
    let err = stderr(&o);
    assert!(
        err.contains("no such socket file") && err.contains("hint: is supervisord running?"),
        "{err}"
    );
    // Connection refused: exit 4 (supervisorctl's code); `status` gives 4 for any unreachable daemon.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = bare_cli()
        .args(["-s", &format!("http://127.0.0.1:{port}"), "stop", "x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("refused the connection"), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).lines().count(),
        2,
        "one error line and one hint: {}",
        stderr(&o)
    );
    let o = bare_cli()
        .args(["-s", &format!("unix://{}", sock.display()), "status"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4));
    // Bad URLs and files: exit 2.
    for args in [
        vec!["-s", "ssh://-oProxyCommand=x/s.sock", "status"],
        vec!["-s", "ftp://x", "info"],
        vec!["-c", "/nonexistent.conf", "info"],
    ] {
        let o = bare_cli().args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    // --json errors are JSON on stdout.
    let o = bare_cli()
        .args(["-s", &format!("unix://{}", sock.display()), "info", "--json"])
        .output()
        .unwrap();
    let v = json(&o);
    assert!(v["error"]["message"].as_str().unwrap().contains("no such socket file"));
    assert!(v["error"]["hint"].is_string());
    // Kinds, one word each, as the fleet says them (exit 7 and 4 as above).
    assert_eq!(v["error"]["kind"], "no_socket");
    let o = bare_cli()
        .args(["-s", &format!("http://127.0.0.1:{port}"), "stop", "x", "--json"])
        .output()
        .unwrap();
    assert_eq!(json(&o)["error"]["kind"], "connection_refused");
}

#[test]
fn wrong_path_and_frozen_daemon() {
    let d = Daemon::start();
    let o = bare_cli()
        .args(["-s", &format!("http://127.0.0.1:{}/WRONG", d.port), "status"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4));
    let err = stderr(&o);
    assert!(err.contains("HTTP") && err.contains("/RPC2"), "{err}");
    // Frozen (SIGSTOP): a timeout error within the bound, never a hang; works after SIGCONT.
    d.signal("STOP");
    for via in BOTH {
        let started = std::time::Instant::now();
        let o = d
            .cli(via)
            .args(["--rpc-timeout", "1", "start", "web:web_a"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{via:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("did not answer"), "{}", stderr(&o));
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
    d.signal("CONT");
    d.cli(Via::Unix).args(["status", "sleeper"]).assert().code(0);
}

#[test]
fn completions_and_man_page_are_generated() {
    let o = bare_cli().args(["completions", "bash"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("supervisord-mcp") && stdout(&o).contains("restart"));
    let o = bare_cli().arg("man").output().unwrap();
    assert!(stdout(&o).contains(".TH supervisord-mcp"));
    let o = bare_cli().arg("--help").output().unwrap();
    assert!(stdout(&o).contains("Exit codes"));
}

fn webapp_daemon() -> (Daemon, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let extra = format!(
        "[program:webapp]\ncommand=sh -c 'sleep 1; exec python3 -u -m http.server {port} --bind 127.0.0.1'\n\
         autostart=false\nstartsecs=0\nstdout_logfile=%(here)s/webapp.out.log\nstderr_logfile=%(here)s/webapp.err.log\n\n\
         [program:webapp2]\ncommand=python3 -u -m http.server --bind 127.0.0.1 {port}\n\
         autostart=false\nstartsecs=5\nstartretries=0\nstdout_logfile=%(here)s/webapp2.out.log\nstderr_logfile=%(here)s/webapp2.err.log\n\n\
         [program:family]\ncommand=sh -c 'sleep 100000 & sleep 100000 & wait'\nautostart=false\nautorestart=false\n\
         stdout_logfile=%(here)s/family.out.log\nstderr_logfile=%(here)s/family.err.log\n"
    );
    (Daemon::start_with(false, &extra), port)
}

#[test]
fn wait_until_ready_by_url_port_or_log_pattern() {
    let (d, port) = webapp_daemon();
    d.cli(Via::Unix).args(["start", "webapp", "--no-wait"]).assert().code(0);
    let url = format!("http://127.0.0.1:{port}/");
    let o = d
        .cli(Via::Unix)
        .args(["wait", "webapp", "--url", &url, "--timeout", "20"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{} {}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("webapp: ready after"), "{}", stdout(&o));
    // A restart, then: the port, and a log line written after the call.
    d.cli(Via::Unix)
        .args(["restart", "webapp", "--no-wait"])
        .assert()
        .code(0);
    let o = d
        .cli(Via::Http)
        .args([
            "wait",
            "webapp",
            "--port",
            &port.to_string(),
            "--pattern",
            "Serving HTTP",
            "--timeout",
            "20",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{} {}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("Serving HTTP"),
        "the matching line is shown: {}",
        stdout(&o)
    );
    // The URL must answer with the expected status.
    let o = d
        .cli(Via::Unix)
        .args([
            "wait",
            "webapp",
            "--url",
            &format!("{url}nope"),
            "--expect-status",
            "404",
            "--timeout",
            "5",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn wait_fails_fast_when_the_process_dies_and_times_out_otherwise() {
    let d = Daemon::start();
    // supervisord reaps at once after spawning, even without waiting: a crasher that
    // died that fast is a SPAWN_ERROR (7) already; either way `wait` must fail fast.
    d.cli(Via::Unix)
        .args(["start", "crasher", "--no-wait"])
        .assert()
        .code(predicates::ord::eq(0).or(predicates::ord::eq(7)));
    let started = std::time::Instant::now();
    let o = d
        .cli(Via::Unix)
        .args(["wait", "crasher", "--port", "1", "--timeout", "30"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(7), "{}", stdout(&o));
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "fails fast");
    assert!(
        stdout(&o).contains("crasher: fatal error, config missing"),
        "stderr tail: {}",
        stdout(&o)
    );
    // Ready never comes: exit 1, saying what is missing.
    d.wait_for(10, "sleeper to run", |_| d.state("sleeper") == "RUNNING");
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = d
        .cli(Via::Unix)
        .args(["wait", "sleeper", "--port", &free.to_string(), "--timeout", "1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("not ready after 1 s") && stdout(&o).contains(&free.to_string()),
        "{}",
        stdout(&o)
    );
    // States.
    d.cli(Via::Unix)
        .args(["stop", "worker:*", "--no-wait"])
        .assert()
        .code(0);
    d.cli(Via::Unix)
        .args(["wait", "worker:*", "--state", "stopped", "--timeout", "10"])
        .assert()
        .code(0);
    // Bad arguments: exit 2.
    d.cli(Via::Unix)
        .args(["wait", "sleeper", "--pattern", "("])
        .assert()
        .code(2);
    d.cli(Via::Unix)
        .args(["wait", "sleeper", "worker:*", "--port", "1"])
        .assert()
        .code(2);
    d.cli(Via::Unix)
        .args(["wait", "sleeper", "--state", "sleepy"])
        .assert()
        .code(2);
}

#[test]
fn diagnose_says_why_a_program_quit_and_who_holds_its_port() {
    let (d, port) = webapp_daemon();
    // The crasher: one call, everything needed.
    d.cli(Via::Unix).args(["start", "crasher"]).assert().code(7);
    let o = d.cli(Via::Unix).args(["diagnose", "crasher"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for want in [
        "crasher FATAL: Exited too quickly",
        "command: sh -c",
        "startretries 0",
        "crasher: fatal error, config missing",
        "stdout: (empty)",
    ] {
        assert!(out.contains(want), "{want:?} in\n{out}");
    }
    let v = json(
        &d.cli(Via::Http)
            .args(["diagnose", "crasher", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(v["state"], "FATAL");
    assert_eq!(v["config"]["startsecs"], 1);
    // A port conflict: webapp holds the port, webapp2 cannot bind it.
    d.cli(Via::Unix).args(["start", "webapp"]).assert().code(0);
    d.cli(Via::Unix)
        .args(["wait", "webapp", "--port", &port.to_string(), "--timeout", "20"])
        .assert()
        .code(0);
    d.cli(Via::Unix).args(["start", "webapp2"]).assert().code(7);
    let o = d.cli(Via::Unix).args(["diagnose", "webapp2"]).output().unwrap();
    let out = stdout(&o);
    assert!(out.contains("Address already in use"), "{out}");
    assert!(
        out.contains(&format!("port {port} held by pid")) && out.contains("(webapp)"),
        "{out}"
    );
    // Who listens on the port, from status.
    let o = d
        .cli(Via::Unix)
        .args(["status", "--port", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("webapp") && !stdout(&o).contains("webapp2"),
        "{}",
        stdout(&o)
    );
    assert!(stderr(&o).contains(&format!("port {port}: pid")), "{}", stderr(&o));
    // --json: one document on stdout, listeners included.
    let o = d
        .cli(Via::Unix)
        .args(["status", "--port", &port.to_string(), "--json"])
        .output()
        .unwrap();
    let v = json(&o);
    assert_eq!(v["processes"][0]["name"], "webapp", "{v}");
    assert_eq!(v["listeners"][0]["supervised"], "webapp", "{v}");
    // A port held by a process supervisord does not run, and a free port: exit 3
    // (nothing supervised listens there), with the listeners in the one JSON document.
    let outsider = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let held = outsider.local_addr().unwrap().port();
    let o = d
        .cli(Via::Unix)
        .args(["status", "--port", &held.to_string(), "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["processes"].as_array().map(Vec::len), Some(0), "{v}");
    let l = &v["listeners"][0];
    assert_eq!(l["pid"], std::process::id(), "{v}");
    assert!(l["supervised"].is_null() && l["command"].is_string(), "{v}");
    drop(outsider);
    let o = d
        .cli(Via::Unix)
        .args(["status", "--port", &held.to_string(), "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(json(&o)["listeners"], serde_json::json!([]));
}

#[test]
fn metrics_and_tree_signals_when_the_daemon_is_local() {
    let (d, _) = webapp_daemon();
    d.cli(Via::Unix).args(["start", "family"]).assert().code(0);
    let v = json(
        &d.cli(Via::Unix)
            .args(["status", "family", "--metrics", "--json"])
            .output()
            .unwrap(),
    );
    let m = &v["processes"][0]["metrics"];
    assert_eq!(m["children"], 2, "{v}");
    assert!(m["rss_bytes"].as_u64().unwrap() > 0);
    let o = d.cli(Via::Unix).args(["status", "--metrics"]).output().unwrap();
    assert!(stdout(&o).contains("CPU %") && stdout(&o).contains("RSS MB"));
    // TERM to the whole tree: the shell and both sleeps.
    let o = d
        .cli(Via::Unix)
        .args(["signal", "TERM", "family", "--tree", "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let msg = json(&o)["results"][0]["message"].as_str().unwrap().to_owned();
    let count: usize = msg
        .split(" to ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(count >= 2, "the shell and its children: {msg}");
    d.wait_for(10, "family to exit", |_| d.state("family") != "RUNNING");
    let pids: Vec<u32> = msg
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|t| t.parse().ok())
        .filter(|p| *p > 3)
        .collect();
    // Gone, or a zombie waiting for a reaper (PID 1 in a container may not reap).
    let gone = |pid: u32| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit(") ").next().and_then(|r| r.chars().next());
        stat.is_empty() || state == Some('Z')
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !pids.iter().all(|p| gone(*p)) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for pid in pids {
        assert!(gone(pid), "pid {pid} survived");
    }
}

#[test]
fn without_an_include_directory_the_error_says_how_to_configure_one() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("s.sock");
    let conf = dir.path().join("s.conf");
    std::fs::write(
        &conf,
        "[unix_http_server]\nfile=%(here)s/s.sock\n[supervisord]\nlogfile=%(here)s/d.log\npidfile=%(here)s/d.pid\nnodaemon=true\n\
         [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n",
    )
    .unwrap();
    let mut child = supervisord_command(&conf).spawn().unwrap();
    // Until the daemon answers (its socket exists a moment before it does).
    let url = format!("unix://{}", sock.display());
    for _ in 0..200 {
        if bare_cli()
            .args(["-s", &url, "pid"])
            .output()
            .is_ok_and(|o| o.status.success())
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let o = bare_cli()
        .args([
            "-s",
            &format!("unix://{}", sock.display()),
            "program",
            "add",
            "x",
            "--command",
            "true",
        ])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("[include]") && stderr(&o).contains("--include-dir"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn logs_filter_json_and_text_lines() {
    let d = Daemon::start();
    let lines = [
        r#"{"level":30,"time":1795240000000,"msg":"pino info","req":{"path":"/api"}}"#,
        r#"{"level":50,"time":1795240100000,"msg":"pino error","req":{"path":"/api/items"},"status":500}"#,
        r#"{"level":"warning","timestamp":"2026-11-21T06:12:01Z","event":"structlog warn"}"#,
        "2026-11-21 06:12:02 ERROR plain text failure",
        "2026-11-21 06:12:03 INFO plain text ok",
        "trailing context line",
    ];
    d.append("web_a.out.log", (lines.join("\n") + "\n").as_bytes());
    let run = |args: &[&str]| {
        let mut all = vec!["logs", "web:web_a", "-n", "20"];
        all.extend_from_slice(args);
        let o = d.cli(Via::Unix).args(&all).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        stdout(&o).lines().map(str::to_owned).collect::<Vec<_>>()
    };
    assert_eq!(
        run(&["--min-level", "warn"]).len(),
        3,
        "pino 50, structlog warning, plain ERROR"
    );
    assert_eq!(run(&["--level", "error"]), [lines[1], lines[3]]);
    assert_eq!(
        run(&["--where", "req.path~=^/api", "--where", "status=500"]),
        [lines[1]]
    );
    assert_eq!(run(&["--where", "req"]).len(), 2);
    assert_eq!(run(&["--since", "2026-11-21T06:00:00Z"]), [lines[2]]);
    assert_eq!(
        run(&["--grep", "plain text f", "-C", "1"]),
        [lines[2], lines[3], lines[4]]
    );
    let o = d
        .cli(Via::Unix)
        .args(["logs", "web:web_a", "-n", "1", "--grep", "plain"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), format!("{}\n", lines[4]), "the last matching line");
    d.cli(Via::Unix)
        .args(["logs", "web:web_a", "--min-level", "loud"])
        .assert()
        .code(2);
    d.cli(Via::Unix)
        .args(["logs", "web:web_a", "--where", "x~=("])
        .assert()
        .code(2);
}

#[test]
fn a_deleted_socket_and_a_restart_mid_call_give_clear_errors() {
    // STARTING for longer than any test runs: the reload below always lands while the
    // start waits, however slow the machine.
    let extra = "[program:slowstart]\ncommand=sleep 100000\nautostart=false\nstartsecs=300\n\
                 stdout_logfile=%(here)s/slowstart.out.log\nstderr_logfile=%(here)s/slowstart.err.log\n";
    let d = Daemon::start_with(false, extra);
    // Restarted while `start` waits for startsecs: a clear error, within its bound.
    let bin = assert_cmd::cargo::cargo_bin("supervisord-mcp");
    let child = std::process::Command::new(&bin)
        .args([
            "-s",
            &d.url(Via::Unix),
            "--rpc-timeout",
            "2",
            "start",
            "slowstart",
            "--wait-timeout",
            "120",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the start is under way (STARTING), restart the daemon.
    d.wait_for(10, "slowstart to be starting", |_| d.state("slowstart") == "STARTING");
    let restart = std::process::Command::new(supervisord_bin().with_file_name("supervisorctl"))
        .args(["-s", &d.url(Via::Unix), "reload"])
        .output();
    let started = std::time::Instant::now();
    let o = child.wait_with_output().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "no hang");
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let restart = restart.unwrap();
    assert!(
        restart.status.success() && String::from_utf8_lossy(&restart.stdout).contains("Restarted supervisord"),
        "supervisorctl reload: {restart:?}"
    );
    assert_ne!(o.status.code(), Some(0), "the start was cut short: {out}{err}");
    // What the start saw, however the restart fell: the process gone from the
    // reloading daemon, the daemon shutting down, or its socket gone or silent.
    assert!(
        [
            "slowstart: ERROR (BAD_NAME) vanished while we waited: the daemon was restarted or reloaded",
            "SHUTDOWN_STATE",
            "refused the connection",
            "no such socket file",
            "did not answer",
            "HTTP 500 from",
        ]
        .iter()
        .any(|k| out.contains(k) || err.contains(k)),
        "a clear message: {out}{err}"
    );
    // supervisord stops its groups one per main-loop tick (up to 1 s each) first.
    d.wait_for(60, "the daemon back", |v| v["processes"].is_array());
    // The socket file deleted under a running daemon.
    std::fs::remove_file(&d.sock).unwrap();
    let o = d.cli(Via::Unix).arg("status").output().unwrap();
    assert_eq!(o.status.code(), Some(4));
    assert!(
        stderr(&o).contains("no such socket file") && stderr(&o).contains("hint:"),
        "{}",
        stderr(&o)
    );
    d.cli(Via::Unix).args(["start", "web:web_a"]).assert().code(7);
    // HTTP still works.
    d.cli(Via::Http).args(["status", "sleeper"]).assert().code(0);
}

/// `diagnose` keeps the daemon's configuration between runs (getAllConfigInfo costs
/// the daemon ~0.5 ms a process), in a private file, and never answers from it once
/// another client has changed the program.
#[test]
fn diagnose_keeps_the_configuration_until_another_client_changes_it() {
    use std::os::unix::fs::PermissionsExt;
    let d = Daemon::start();
    let write = |cmd: &str| {
        std::fs::write(
            d.path("conf.d/cached.conf"),
            format!("[program:cached]\ncommand={cmd}\nstartsecs=0\n"),
        )
        .expect("write")
    };
    write("sleep 100000");
    let o = d.supervisorctl(&["update"]);
    assert!(o.status.success(), "{} {}", stdout(&o), stderr(&o));
    let command = || {
        let out = d
            .cli(Via::Unix)
            .args(["diagnose", "cached", "--json"])
            .output()
            .expect("run");
        json(&out)["config"]["command"].as_str().unwrap_or_default().to_string()
    };
    let rpc_ready = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !stdout(&d.cli(Via::Unix).args(["status", "cached"]).output().expect("run")).contains("RUNNING") {
        assert!(std::time::Instant::now() < rpc_ready, "cached never ran");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The start and the fetch must fall in different seconds of the daemon's clock.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(command(), "sleep 100000");
    let files: Vec<_> = std::fs::read_dir(d.path("cache/supervisord-mcp/config"))
        .expect("a cache directory")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&files[0]), 0o600);
    assert_eq!(mode(&d.path("cache/supervisord-mcp/config")), 0o700);
    // What the file says is what is answered (no getAllConfigInfo).
    let kept = std::fs::read_to_string(&files[0]).expect("read");
    std::fs::write(&files[0], kept.replace("sleep 100000", "sleep 123")).expect("write");
    assert_eq!(command(), "sleep 123", "answered from the cache");
    // Another client replaces the program: the cache must not answer for it.
    write("sleep 100001");
    assert!(d.supervisorctl(&["update"]).status.success());
    assert_eq!(command(), "sleep 100001");
}

/// A program that exits on its own and autorestarts is EXITED most of the time:
/// `stop` must leave it stopped, not call it "already stopped" while supervisord is
/// about to start it again.
#[test]
fn stop_stops_a_program_caught_between_exit_and_autorestart() {
    let extra = "[program:bouncer]\ncommand=sh -c 'exit 0'\nautostart=false\nstartsecs=0\nautorestart=true\n\
                 stdout_logfile=%(here)s/bouncer.out.log\nstderr_logfile=%(here)s/bouncer.err.log\n";
    let d = Daemon::start_with(false, extra);
    for round in 0..3 {
        d.cli(Via::Unix)
            .args(["start", "--no-wait", "bouncer"])
            .output()
            .unwrap();
        d.wait_for(10, "bouncer to exit and come back", |_| d.state("bouncer") == "EXITED");
        let o = d.cli(Via::Unix).args(["stop", "bouncer"]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{round}: {}{}", stdout(&o), stderr(&o));
        std::thread::sleep(std::time::Duration::from_millis(2500));
        assert_eq!(d.state("bouncer"), "STOPPED", "{round}: {}", stdout(&o));
    }
}

/// `diagnose` of a running process takes no CPU sample unless asked: its CPU is the
/// tree's average since it started, read from /proc at once and labelled so (text and
/// JSON), so a program that burned CPU and now sleeps shows it; `--cpu-sample MS`
/// measures over MS ms instead (the sleeping program: nothing), labelled with its length.
#[test]
fn diagnose_reports_cpu_since_start_and_samples_only_when_asked() {
    let burner = "[program:burner]\ncommand=sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; exec sleep 100000'\nstartsecs=0\n";
    let d = Daemon::start_programs(false, burner, "");
    // Until the loop is over: the program is then `sleep`.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let pid = json(&d.cli(Via::Unix).args(["status", "burner", "--json"]).output().unwrap())["processes"][0]["pid"]
            .as_i64()
            .unwrap_or(0);
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if pid > 0 && comm.trim() == "sleep" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "burner never reached its sleep");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let o = d
        .cli(Via::Unix)
        .args(["diagnose", "burner", "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m = &json(&o)["metrics"];
    let avg = m["cpu_avg_percent"]
        .as_f64()
        .unwrap_or_else(|| panic!("no cpu_avg_percent in {m}"));
    assert!(avg > 0.0, "the loop's CPU is in the average: {m}");
    assert!(
        m.get("cpu_percent").is_none() && m.get("cpu_sample_ms").is_none(),
        "{m}"
    );
    let text = stdout(&d.cli(Via::Unix).args(["diagnose", "burner"]).output().unwrap());
    assert!(text.contains("% avg since start, rss"), "{text}");

    let o = d
        .cli(Via::Unix)
        .args(["diagnose", "burner", "--json", "--cpu-sample", "300"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let m = &json(&o)["metrics"];
    assert_eq!(m["cpu_sample_ms"], 300, "{m}");
    let sampled = m["cpu_percent"]
        .as_f64()
        .unwrap_or_else(|| panic!("no cpu_percent in {m}"));
    assert!(sampled < avg, "a sleeping program uses less now than its loop did: {m}");
    assert!(m.get("cpu_avg_percent").is_none(), "{m}");
    let text = stdout(
        &d.cli(Via::Unix)
            .args(["diagnose", "burner", "--cpu-sample", "100"])
            .output()
            .unwrap(),
    );
    assert!(text.contains("% over 100 ms, rss"), "{text}");
    // A bound on the sample, as for every count.
    d.cli(Via::Unix)
        .args(["diagnose", "burner", "--cpu-sample", "0"])
        .assert()
        .code(2);
}
