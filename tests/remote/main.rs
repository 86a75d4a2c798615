//! Remote daemons, against the real binary and a real supervisord: `https://` through
//! a TLS proxy in front of it (a test CA made with rcgen), `ssh://` through a fake
//! `ssh` on PATH that forwards the local socket to the daemon's, and the warning for
//! a password sent over plain `http://` to another host.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/remote.rs"]
mod remote;
mod ssh;
mod tls;

use common::*;
use remote::*;
use std::time::{Duration, Instant};

/// The `error` object of a `--json` command that failed.
fn json_error(o: &std::process::Output) -> serde_json::Value {
    let v = json(o);
    assert!(v["error"].is_object(), "no error: {v}");
    v["error"].clone()
}

/// Waits (at most 10 s) until `cond` holds.
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "not within 10 s: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn basic_auth_over_plain_http_to_another_host_warns_on_stderr() {
    // 192.0.2.1 (TEST-NET-1) answers nothing: the call times out, the warning came first.
    let out = bare_cli()
        .args([
            "-s",
            "http://admin:hunter2-Pw@192.0.2.1:9001",
            "--rpc-timeout",
            "1",
            "status",
        ])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        err.contains("warning") && err.contains("clear text") && err.contains("http://192.0.2.1:9001"),
        "{err}"
    );
    assert!(!format!("{}{err}", stdout(&out)).contains("hunter2"), "{err}");
    // The same over loopback, or without credentials: no warning.
    let d = Daemon::with_auth();
    let out = d.cli(Via::Http).args(["status"]).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    let out = bare_cli()
        .args(["-s", "http://192.0.2.1:9001", "--rpc-timeout", "1", "status"])
        .output()
        .unwrap();
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}
