//! `ssh://` daemons: a fake `ssh` first on PATH (tests/py/fake_ssh.py, which forwards
//! `-L LOCAL:REMOTE` like ssh, here to the test daemon's own socket) makes the tunnel.
//! The command works through it; afterwards, however the command ended (done,
//! Ctrl-C, SIGTERM), the fake ssh is gone and so are its socket and private directory.
//! An ssh that fails is an error of kind `ssh` carrying what it said.

use super::*;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::process::{Command, Stdio};

#[test]
fn an_ssh_url_reaches_the_daemon_and_leaves_no_tunnel_behind() {
    let d = Daemon::start();
    // `fast` writes its 20,000 lines at start: all of them before its log is read.
    d.wait_for(20, "fast to finish writing", |_| {
        std::fs::read_to_string(d.path("fast.out.log")).is_ok_and(|s| s.contains("fast line 19999"))
    });
    let ssh = FakeSsh::forwarding();
    let url = ssh_url(&d.sock);
    let out = ssh.cli(&url).arg("status").output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 3)) && stdout(&out).contains("sleeper"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(ssh.pids().len(), 1, "one tunnel for the command");
    ssh.assert_nothing_left();
    // A change and a log read through the tunnel too.
    let out = ssh.cli(&url).args(["start", "quiet"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(d.state("quiet"), "RUNNING");
    let out = ssh.cli(&url).args(["logs", "fast", "-n", "3"]).output().unwrap();
    assert!(
        stdout(&out).contains("fast line 19999"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    ssh.assert_nothing_left();
}

#[test]
fn ctrl_c_or_sigterm_during_a_follow_stops_the_tunnel() {
    let d = Daemon::start();
    let url = ssh_url(&d.sock);
    for (signal, args) in [
        (Signal::SIGINT, &["logs", "-f", "fast"][..]),
        (Signal::SIGTERM, &["maintail", "-f"][..]),
    ] {
        let ssh = FakeSsh::forwarding();
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"))
            .args(["-s", &url])
            .args(args)
            .env_remove("SUPERVISOR_SERVER_URL")
            .env("PATH", ssh.path_var())
            .env("TMPDIR", ssh.tmp())
            .env_remove("XDG_RUNTIME_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        // Following: its first bytes came through the tunnel.
        let mut first = [0u8; 1];
        std::io::Read::read_exact(&mut out, &mut first).unwrap();
        assert_eq!(ssh.pids().len(), 1);
        assert_eq!(ssh.tunnel_dirs().len(), 1);
        kill(Pid::from_raw(child.id() as i32), signal).unwrap();
        let status = child.wait().unwrap();
        // Ctrl-C ends a follow the user asked to end: success. SIGTERM is not
        // handled there: the process dies of it, after the tunnel's guard saw it go.
        match signal {
            Signal::SIGINT => assert_eq!(status.code(), Some(0), "{signal}: {status}"),
            _ => assert_eq!(
                std::os::unix::process::ExitStatusExt::signal(&status),
                Some(signal as i32),
                "{signal}: {status}"
            ),
        }
        eventually(&format!("{signal}: the fake ssh stopped"), || {
            ssh.pids().into_iter().all(gone)
        });
        eventually(&format!("{signal}: the tunnel's directory removed"), || {
            ssh.tunnel_dirs().is_empty()
        });
    }
}

/// A client killed with SIGKILL cannot clean up: the guard does. An ssh that ignores
/// SIGTERM is killed after the grace period (3 s), not left running.
#[test]
fn a_killed_client_leaves_no_ssh_even_one_deaf_to_sigterm() {
    let d = Daemon::start();
    let ssh = FakeSsh::forwarding_deaf_to_sigterm();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"))
        .args(["-s", &ssh_url(&d.sock), "logs", "-f", "fast"])
        .env_remove("SUPERVISOR_SERVER_URL")
        .env("PATH", ssh.path_var())
        .env("TMPDIR", ssh.tmp())
        .env_remove("XDG_RUNTIME_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    std::io::Read::read_exact(&mut out, &mut first).unwrap();
    assert_eq!(ssh.pids().len(), 1);
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    child.wait().unwrap();
    eventually("the fake ssh, deaf to SIGTERM, killed", || {
        ssh.pids().into_iter().all(gone)
    });
    eventually("the tunnel's directory removed", || ssh.tunnel_dirs().is_empty());
}

#[test]
fn a_failing_ssh_is_an_ssh_error_with_what_it_said() {
    let ssh = FakeSsh::new("echo 'tester@remote.example: Permission denied (publickey).' >&2\nexit 255");
    let out = ssh
        .cli("ssh://tester@remote.example/run/supervisor.sock")
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let e = json_error(&out);
    assert_eq!(e["kind"], "ssh", "{e}");
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("Permission denied (publickey)") && msg.contains("status 255"),
        "{msg}"
    );
    ssh.assert_nothing_left();
    // ssh's words in plain text too, on stderr, for a command other than status.
    let out = ssh
        .cli("ssh://remote.example/run/supervisor.sock")
        .args(["start", "quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("SSH tunnel to ssh://remote.example/run/supervisor.sock failed"));
    ssh.assert_nothing_left();
}

#[test]
fn a_missing_remote_socket_is_an_ssh_error_in_ssh_words() {
    let ssh = FakeSsh::forwarding();
    let gone_sock = ssh.dir.path().join("no-such.sock");
    let out = ssh
        .cli(&ssh_url(&gone_sock))
        .args(["status", "--json"])
        .output()
        .unwrap();
    let e = json_error(&out);
    assert_eq!(e["kind"], "ssh", "{e}");
    let msg = e["message"].as_str().unwrap();
    assert!(msg.contains("open failed: connect failed"), "{msg}");
    ssh.assert_nothing_left();
}

#[test]
fn a_fleet_of_ssh_targets_reports_a_broken_tunnel_as_ssh() {
    let d = Daemon::start();
    let ssh = FakeSsh::forwarding();
    let file = ssh.dir.path().join("fleet.toml");
    std::fs::write(
        &file,
        format!(
            "[targets.good]\nurl = \"{}\"\n\n[targets.bad]\nurl = \"{}\"\n",
            ssh_url(&d.sock),
            ssh_url(&ssh.dir.path().join("no-such.sock"))
        ),
    )
    .unwrap();
    let out = ssh
        .command()
        .arg("--fleet")
        .arg(&file)
        .env("XDG_CACHE_HOME", ssh.dir.path().join("cache"))
        .args(["status", "--json"])
        .output()
        .unwrap();
    let v = json(&out);
    let targets = v["targets"].as_array().unwrap();
    assert_eq!(targets[0]["target"], "bad", "{v}");
    assert_eq!(targets[0]["error"]["kind"], "ssh", "{v}");
    assert_eq!(targets[1]["target"], "good", "{v}");
    assert_eq!(targets[1]["ok"], true, "{v}");
    ssh.assert_nothing_left();
}
