//! Bounded configuration reads: `-c` names a regular file of at most 1 MiB, or the
//! command fails at once with a clear error (exit 2), without reading a device dry,
//! blocking on a FIFO or a terminal, or growing its memory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `-c CONF status` with stdin a pipe held open (so that reading it would block);
/// returns the exit code and stderr, asserting it ended within 5 s.
fn status_with_conf(conf: &std::path::Path) -> (Option<i32>, String) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"))
        .arg("-c")
        .arg(conf)
        .arg("status")
        .env_remove("SUPERVISOR_SERVER_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("-c {} still running after 5 s", conf.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), stderr(&out))
}

#[test]
fn configuration_files_that_are_not_small_regular_files_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.conf");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let big = dir.path().join("big.conf");
    let mut text = "[supervisorctl]\nserverurl=unix:///nonexistent.sock\n".to_owned();
    text.push_str(&"; a long comment line\n".repeat(2 * 1024 * 1024 / 22 + 1));
    std::fs::write(&big, text).unwrap();
    for (conf, why) in [
        ("/dev/zero".into(), "not a regular file (a character device)"),
        ("/dev/stdin".into(), "not a regular file (a FIFO)"),
        (fifo, "not a regular file (a FIFO)"),
        (dir.path().to_owned(), "not a regular file (a directory)"),
        (big, "larger than 1 MiB"),
    ] {
        let (code, err) = status_with_conf(&conf);
        assert_eq!(code, Some(2), "{}: {err}", conf.display());
        assert!(
            err.contains(&format!("configuration file {}: ", conf.display())) && err.contains(why),
            "{}: {err}",
            conf.display()
        );
    }
}
