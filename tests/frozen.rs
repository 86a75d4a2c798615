//! `maintail -f` (a streaming GET of `/mainlogtail`) against a real supervisord that
//! freezes (SIGSTOP): a timeout error within its bound, never a hang; and a quiet but
//! live daemon keeps being followed, however long it stays silent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `maintail -f --rpc-timeout 1`, killed on drop.
struct Maintail(Child);

impl Maintail {
    fn start(d: &Daemon, via: Via) -> Maintail {
        let child = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"))
            .args(["-s", &d.url(via), "--rpc-timeout", "1", "maintail", "-f"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Maintail(child)
    }

    /// Waits at most `bound` for it to exit: its exit code and stderr, and how long it took.
    fn exit_within(&mut self, bound: Duration) -> (Option<i32>, String, Duration) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                let mut err = String::new();
                self.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
                return (status.code(), err, started.elapsed());
            }
            assert!(started.elapsed() < bound, "maintail -f still running after {bound:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn is_running(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }
}

impl Drop for Maintail {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn maintail_follow_times_out_on_a_frozen_daemon_and_follows_a_quiet_one() {
    let d = Daemon::start();
    for via in BOTH {
        // Quiet but alive: four rpc timeouts of silence later it is still following.
        let mut m = Maintail::start(&d, via);
        std::thread::sleep(Duration::from_secs(4));
        assert!(m.is_running(), "{via:?}: stopped following a live daemon");
        // Frozen while following: 1 s of silence, then 1 s for the unanswered probe.
        d.signal("STOP");
        let (code, err, took) = m.exit_within(Duration::from_secs(15));
        d.signal("CONT");
        assert_eq!(code, Some(1), "{via:?}: {err}");
        assert!(
            err.contains("did not answer supervisor.getState within 1.0 s"),
            "{via:?}: {err}"
        );
        assert!(took < Duration::from_secs(8), "{via:?}: took {took:?}");
        // Frozen before the stream opens: the response headers are bounded too.
        d.signal("STOP");
        let (code, err, took) = Maintail::start(&d, via).exit_within(Duration::from_secs(15));
        d.signal("CONT");
        assert_eq!(code, Some(1), "{via:?}: {err}");
        assert!(
            err.contains("did not answer GET /mainlogtail within 1.0 s"),
            "{via:?}: {err}"
        );
        assert!(took < Duration::from_secs(6), "{via:?}: took {took:?}");
    }
}
