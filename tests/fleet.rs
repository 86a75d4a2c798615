//! The fleet against real daemons: twenty-four supervisords on this machine (unix
//! sockets and loopback HTTP, some with basic auth), one of them frozen (SIGSTOP), one
//! killed, one asked with a wrong password, one with a program that will not start,
//! two behind TLS proxies (one certificate names another host), one through ssh.
//! Every answer names every selected target, sorted, with its result or the stable
//! kind of its error; the frozen daemon costs its deadline and no more; changes need
//! an explicit selection; no password appears in any output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/mcp.rs"]
mod mcp_client;
#[path = "common/remote.rs"]
mod remote;

use common::*;
use mcp_client::text;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The deadline of a read on one target (`[defaults] timeout_s`), seconds.
const DEADLINE_S: f64 = 2.0;
const WRONG: &str = "not-the-password";

const LIGHT: &str = "
[program:app]
command=sleep 100000
startsecs=0

[program:idle]
command=sleep 100000
autostart=false
startsecs=0
";

const SICK: &str = "
[program:app]
command=sleep 100000
startsecs=0

[program:broken]
command=sh -c 'exit 3'
startsecs=1
startretries=0
";

struct Fleet {
    /// By target name.
    daemons: Vec<(String, Daemon)>,
    dir: tempfile::TempDir,
    file: PathBuf,
    /// Every stdout and stderr the fleet's commands printed.
    seen: std::cell::RefCell<String>,
    _pki: remote::Pki,
    _proxies: Vec<remote::Proxy>,
    ssh: remote::FakeSsh,
}

/// How each target of the harness is reached.
#[derive(Clone, Copy)]
enum Kind {
    Unix,
    Http,
    Auth,
    WrongPassword,
    Frozen,
    Killed,
    Sick,
    /// Behind a TLS proxy whose certificate the test CA issued for 127.0.0.1.
    Tls,
    /// Behind a TLS proxy whose certificate names another host.
    TlsOtherName,
    /// Through the fake ssh.
    Ssh,
}

fn layout() -> Vec<(String, Kind)> {
    let mut l = Vec::new();
    for i in 1..=8 {
        l.push((format!("unix-{i:02}"), Kind::Unix));
    }
    for i in 1..=6 {
        l.push((format!("http-{i:02}"), Kind::Http));
    }
    for i in 1..=3 {
        l.push((format!("auth-{i:02}"), Kind::Auth));
    }
    l.push(("bad-pass".into(), Kind::WrongPassword));
    l.push(("frozen".into(), Kind::Frozen));
    l.push(("killed".into(), Kind::Killed));
    l.push(("sick".into(), Kind::Sick));
    l.push(("tls-1".into(), Kind::Tls));
    l.push(("tls-other-name".into(), Kind::TlsOtherName));
    l.push(("ssh-1".into(), Kind::Ssh));
    l
}

impl Fleet {
    fn start() -> Fleet {
        let layout = layout();
        let daemons: Vec<(String, Daemon)> = std::thread::scope(|s| {
            let handles: Vec<_> = layout
                .iter()
                .map(|(name, kind)| {
                    let kind = *kind;
                    let name = name.clone();
                    s.spawn(move || {
                        let auth = matches!(kind, Kind::Auth | Kind::WrongPassword);
                        let programs = if matches!(kind, Kind::Sick) { SICK } else { LIGHT };
                        (name, Daemon::start_programs(auth, programs, ""))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("daemon start")).collect()
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let pw_file = dir.path().join("auth-03.password");
        std::fs::write(&pw_file, format!("{PASSWORD}\n")).expect("write");
        std::fs::set_permissions(&pw_file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod");
        let mut toml = format!("[defaults]\ntimeout_s = {DEADLINE_S}\nconnect_timeout_s = 1\n\n");
        let pki = remote::Pki::new("fleet test CA");
        let mut proxies = Vec::new();
        let ca = pki.ca_file();
        for ((name, kind), (_, d)) in layout.iter().zip(&daemons) {
            let (url, extra) = match kind {
                Kind::Tls | Kind::TlsOtherName => {
                    let host = if matches!(kind, Kind::Tls) {
                        "127.0.0.1"
                    } else {
                        "other.example"
                    };
                    let proxy = remote::Proxy::start(&pki.issue(name, &[host]), None, d.port);
                    let url = proxy.url();
                    proxies.push(proxy);
                    (url, format!("ca_file = \"{}\"\ntags = [\"tls\"]\n", ca.display()))
                }
                Kind::Ssh => (remote::ssh_url(&d.sock), "tags = [\"ssh\"]\n".to_string()),
                Kind::Unix => (d.url(Via::Unix), "tags = [\"unix\", \"prod\"]\n".to_string()),
                Kind::Http | Kind::Frozen | Kind::Killed | Kind::Sick => {
                    (d.url(Via::Http), "tags = [\"http\"]\n".into())
                }
                Kind::Auth if name == "auth-03" => (
                    d.url(Via::Http),
                    format!(
                        "username = \"{USER}\"\npassword_file = \"{}\"\ntags = [\"auth\"]\n",
                        pw_file.display()
                    ),
                ),
                Kind::Auth => (
                    d.url(Via::Http),
                    format!("username = \"{USER}\"\npassword_env = \"FLEET_TEST_PASSWORD\"\ntags = [\"auth\"]\n"),
                ),
                Kind::WrongPassword => (
                    d.url(Via::Http),
                    format!("username = \"{USER}\"\npassword_env = \"FLEET_WRONG_PASSWORD\"\ntags = [\"auth\"]\n"),
                ),
            };
            let ro = if name == "unix-08" { "read_only = true\n" } else { "" };
            toml.push_str(&format!("[targets.{name}]\nurl = \"{url}\"\n{extra}{ro}\n"));
        }
        let file = dir.path().join("fleet.toml");
        std::fs::write(&file, toml).expect("write fleet.toml");
        let fleet = Fleet {
            daemons,
            dir,
            file,
            seen: std::cell::RefCell::new(String::new()),
            _pki: pki,
            _proxies: proxies,
            ssh: remote::FakeSsh::forwarding(),
        };
        for (name, d) in &fleet.daemons {
            if name == "frozen" {
                d.signal("STOP");
            }
            if name == "killed" {
                d.signal("KILL");
            }
        }
        fleet
    }

    fn daemon(&self, name: &str) -> &Daemon {
        &self
            .daemons
            .iter()
            .find(|(n, _)| n == name)
            .expect("a target of the harness")
            .1
    }

    /// Runs the CLI on the fleet; returns its output, keeping what it printed.
    fn run(&self, args: &[&str]) -> std::process::Output {
        self.run_without(args, &[])
    }

    /// [`Fleet::run`] with the environment variables `unset` unset.
    fn run_without(&self, args: &[&str], unset: &[&str]) -> std::process::Output {
        let mut c = self.ssh.command();
        c.arg("--fleet")
            .arg(&self.file)
            .env("FLEET_TEST_PASSWORD", PASSWORD)
            .env("FLEET_WRONG_PASSWORD", WRONG)
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env_remove(fleet_env());
        for v in unset {
            c.env_remove(v);
        }
        let out = c.args(args).output().expect("run the CLI");
        let mut seen = self.seen.borrow_mut();
        seen.push_str(&stdout(&out));
        seen.push_str(&stderr(&out));
        out
    }
}

fn fleet_env() -> &'static str {
    "SUPERVISORD_MCP_TARGET"
}

/// target name -> the entry of a `--json` fleet answer.
fn entries(v: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    v["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|e| (e["target"].as_str().expect("target").to_owned(), e.clone()))
        .collect()
}

fn kind(e: &serde_json::Value) -> Option<&str> {
    e["error"]["kind"].as_str()
}

#[test]
fn twenty_four_daemons_frozen_killed_unauthorized_tls_and_ssh() {
    let f = Fleet::start();
    let all: Vec<String> = {
        let mut v: Vec<String> = layout().into_iter().map(|(n, _)| n).collect();
        v.sort();
        v
    };

    // status across all: every target, sorted, each with its result or error kind;
    // the frozen daemon costs its deadline and no more: the call takes as long as the
    // longer of its deadline and the others together (timed alone, on this machine,
    // now), plus at most half the deadline; were the frozen one waited for before or
    // after the others, it would take both.
    let others = Instant::now();
    let _ = f.run(&["-t", "all,!frozen", "status", "--json"]);
    let others = others.elapsed();
    let started = Instant::now();
    let out = f.run(&["status", "--json"]);
    let took = started.elapsed();
    let bound = others.max(Duration::from_secs_f64(DEADLINE_S)) + Duration::from_secs_f64(DEADLINE_S / 2.0);
    assert!(
        took < bound,
        "fleet status took {took:?} with a frozen daemon (deadline {DEADLINE_S} s, the others alone {others:?})"
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "a target could not be asked: {}",
        stderr(&out)
    );
    let v = json(&out);
    let got = entries(&v);
    assert_eq!(got.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(), all);
    for (name, e) in &got {
        let want = match name.as_str() {
            "frozen" => Some("timeout"),
            "killed" => Some("connection_refused"),
            "bad-pass" => Some("unauthorized"),
            "tls-other-name" => Some("tls"),
            _ => None,
        };
        assert_eq!(kind(e), want, "{name}: {e}");
        if want.is_none() {
            assert_eq!(e["ok"], true, "{name}: {e}");
            assert!(
                e["result"]["processes"].as_array().is_some_and(|p| !p.is_empty()),
                "{name}: {e}"
            );
        }
    }
    assert_eq!(v["summary"]["targets"], 24);
    assert_eq!(v["summary"]["ok"], 20);
    assert_eq!(v["summary"]["failed"]["timeout"], serde_json::json!(["frozen"]));

    // The table: a TARGET column, a failed target as its own row, the summary line.
    let out = f.run(&["status"]);
    let text = stdout(&out);
    assert!(text.lines().next().is_some_and(|l| l.starts_with("TARGET")), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("frozen") && l.contains("TIMEOUT")),
        "{text}"
    );
    assert!(
        text.contains(
            "24 targets: 20 ok, 1 connection_refused (killed), 1 timeout (frozen), 1 tls (tls-other-name), 1 unauthorized (bad-pass)"
        ),
        "{text}"
    );

    // Only what is wrong: the process that will not start, the failed targets.
    let sick = f.daemon("sick");
    sick.wait_for(20, "broken FATAL", |v| {
        v["processes"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["name"] == "broken" && p["state"] == "FATAL"))
    });
    let out = f.run(&["status", "--unhealthy"]);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.iter().any(|l| l.starts_with("sick/broken FATAL")), "{text}");
    assert!(lines.iter().any(|l| l.starts_with("frozen: ERROR (timeout)")), "{text}");
    assert!(!text.contains("unix-01"), "a healthy target is not listed: {text}");
    assert_eq!(lines.len(), 6, "{text}");

    // Selection: globs, tags, exclusions; a name qualified by its target.
    let out = f.run(&["-t", "unix-*,!unix-01,@auth,!bad-pass", "status", "app", "--json"]);
    let names: Vec<String> = entries(&json(&out)).into_iter().map(|(n, _)| n).collect();
    let mut want: Vec<String> = (2..=8).map(|i| format!("unix-{i:02}")).collect();
    want.extend(["auth-01", "auth-02", "auth-03"].map(String::from));
    want.sort();
    assert_eq!(names, want);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // A target whose password is missing fails alone, and only when selected.
    let out = f.run_without(&["-t", "auth-01,unix-01", "status", "--json"], &["FLEET_TEST_PASSWORD"]);
    let got = entries(&json(&out));
    assert_eq!(kind(&got[0].1), Some("unauthorized"), "{:?}", got[0]);
    assert!(
        got[0].1["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("FLEET_TEST_PASSWORD"))
    );
    assert_eq!(got[1].1["ok"], true);

    // A change on several targets needs an explicit selection, and nothing happens
    // without one: refused (exit 1, as every refusal).
    let out = f.run(&["start", "idle"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("-t"), "{}", stderr(&out));
    assert_eq!(f.daemon("unix-01").state("idle"), "STOPPED");
    // A qualified name is explicit: only that target changes.
    let out = f.run(&["start", "http-02/idle"]);
    assert_eq!(out.status.code(), Some(0), "{} {}", stdout(&out), stderr(&out));
    assert_eq!(f.daemon("http-02").state("idle"), "RUNNING");
    assert_eq!(f.daemon("http-01").state("idle"), "STOPPED");
    // With -t, every selected target; a read-only target refuses, and nothing changes.
    let out = f.run(&["-t", "@prod", "start", "idle"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    assert_eq!(f.daemon("unix-02").state("idle"), "STOPPED");
    // Re-reading the configuration changes what the daemon acts on: refused there too,
    // a dry run included, as MCP refuses it.
    for args in [&["reread"][..], &["reload", "--dry-run"][..]] {
        let out = f.run(&[&["-t", "unix-08"][..], args].concat());
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("read-only"), "{args:?}: {}", stderr(&out));
    }
    let out = f.run(&["-t", "@prod,!unix-08", "start", "idle", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(entries(&json(&out)).len(), 7);
    assert_eq!(f.daemon("unix-07").state("idle"), "RUNNING");
    // Unqualified names on a target that lacks them: that target's own unknown
    // name, exit 4 as on one daemon.
    let out = f.run(&["-t", "unix-01,sick", "status", "broken", "--json"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));

    // maintail -f across two targets: their lines interleaved, each with its target;
    // it exits as soon as its reader goes away.
    follow_two_targets(&f);

    // targets: names, redacted URLs, tags, auth kind; check: version or error.
    let out = f.run(&["targets", "--json"]);
    let v = json(&out);
    let rows = v["targets"].as_array().expect("targets");
    assert_eq!(rows.len(), 24);
    let auth = rows.iter().find(|r| r["target"] == "auth-01").expect("auth-01");
    assert_eq!(auth["auth"], "basic");
    let out = f.run(&["-t", "auth-*,bad-pass,killed", "targets", "check", "--json"]);
    let got = entries(&json(&out));
    assert_eq!(got.len(), 5);
    for (name, e) in &got {
        match name.as_str() {
            "bad-pass" => assert_eq!(kind(e), Some("unauthorized")),
            "killed" => assert_eq!(kind(e), Some("connection_refused")),
            _ => assert!(
                e["result"]["version"].as_str().is_some_and(|v| v.starts_with('4')),
                "{e}"
            ),
        }
    }

    // The MCP tools across the same targets.
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(mcp_checks(&f));

    // No password in anything printed, right or wrong.
    let seen = f.seen.borrow();
    assert!(!seen.contains(PASSWORD), "the password was printed");
    assert!(!seen.contains(WRONG), "the wrong password was printed");
    drop(seen);
    // Every ssh tunnel was closed with the command that opened it.
    f.ssh.assert_nothing_left();
    drop(f);
}

type Mcp = rmcp::service::RunningService<rmcp::RoleClient, ()>;

/// An in-process MCP server across the harness's targets file, and a client of it.
async fn mcp_server(f: &Fleet) -> Mcp {
    use rmcp::ServiceExt;
    let env = |k: &str| match k {
        "FLEET_TEST_PASSWORD" => Some(PASSWORD.to_string()),
        "FLEET_WRONG_PASSWORD" => Some(WRONG.to_string()),
        _ => None,
    };
    let args = supervisord_mcp::fleet::FleetArgs {
        file: Some(f.file.clone()),
        target: None,
    };
    let common = supervisord_mcp::fleet::Common {
        rpc_timeout: Duration::from_secs(10),
        no_host_access: false,
        fleet_memory_mib: None,
    };
    let fleet = supervisord_mcp::fleet::resolve(&args, false, &common, &env, &mut Vec::new())
        .expect("the targets file")
        .expect("a fleet");
    let client = fleet.targets[0].client.clone();
    let server = supervisord_mcp::mcp::SupervisorMcp::new(client).with_fleet(Some(std::sync::Arc::new(fleet)));
    let (a, b) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(s) = server.serve(a).await {
            let _ = s.waiting().await;
        }
    });
    ().serve(b).await.expect("client")
}

/// Calls `tool`, keeping everything it answered in `seen` (searched for secrets).
async fn call(
    c: &Mcp,
    tool: &'static str,
    args: serde_json::Value,
    seen: &std::cell::RefCell<String>,
) -> rmcp::model::CallToolResult {
    let r = mcp_client::call(c, tool, args).await;
    seen.borrow_mut()
        .push_str(&serde_json::to_string(&r).unwrap_or_default());
    r
}

async fn mcp_checks(f: &Fleet) {
    use serde_json::json;
    let c = mcp_server(f).await;
    let seen = &f.seen;
    // Every tool takes `targets`.
    let tools = c.list_all_tools().await.expect("tools");
    assert!(!tools.is_empty());
    for t in &tools {
        let props = t.input_schema.get("properties").expect("properties");
        assert!(props.get("targets").is_some(), "{} lacks targets", t.name);
    }

    // A partial failure is a normal answer, every target listed with its outcome.
    let started = Instant::now();
    let r = call(
        &c,
        "status",
        json!({"targets": "unix-0[1-3],frozen,killed", "names": ["app"]}),
        seen,
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs_f64(DEADLINE_S + 1.0),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.is_error, Some(false), "{}", text(&r));
    let v = r.structured_content.clone().expect("structuredContent");
    let got = entries(&v);
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["frozen", "killed", "unix-01", "unix-02", "unix-03"]);
    assert_eq!(kind(&got[0].1), Some("timeout"));
    assert_eq!(kind(&got[1].1), Some("connection_refused"));
    assert_eq!(got[2].1["result"]["processes"][0]["name"], "app", "{v}");
    assert!(
        text(&r).ends_with("5 targets: 3 ok, 1 connection_refused (killed), 1 timeout (frozen)"),
        "{}",
        text(&r)
    );

    // Every target failed: an error.
    let r = call(&c, "status", json!({"targets": "killed,bad-pass"}), seen).await;
    assert_eq!(r.is_error, Some(true), "{}", text(&r));
    let v = r.structured_content.clone().expect("structuredContent");
    assert_eq!(kind(&entries(&v)[0].1), Some("unauthorized"));

    // Only what is wrong, in a few lines.
    // (ssh-1 is left out: this process has no fake ssh on its PATH.)
    let r = call(&c, "status", json!({"unhealthy": true, "targets": "!ssh-1"}), seen).await;
    let t = text(&r);
    assert!(
        t.contains("sick/broken FATAL") && t.contains("frozen: ERROR (timeout)"),
        "{t}"
    );
    assert!(!t.contains("unix-01"), "{t}");
    let r = call(&c, "status", json!({"unhealthy": true, "targets": "unix-*"}), seen).await;
    assert_eq!(text(&r), "all healthy\n8 targets: 8 ok");

    // A change on several targets needs `targets`; nothing happens without it.
    let r = call(&c, "control", json!({"action": "start", "names": ["idle"]}), seen).await;
    assert_eq!(r.is_error, Some(true));
    assert!(text(&r).contains("next: pass targets"), "{}", text(&r));
    assert_eq!(f.daemon("http-05").state("idle"), "STOPPED");
    // A qualified name goes to its target only, answered as with one daemon.
    let r = call(
        &c,
        "control",
        json!({"action": "start", "names": ["http-04/idle"]}),
        seen,
    )
    .await;
    assert_eq!(r.is_error, Some(false), "{}", text(&r));
    assert_eq!(r.structured_content.as_ref().expect("sc")["results"][0]["name"], "idle");
    assert_eq!(f.daemon("http-04").state("idle"), "RUNNING");
    assert_eq!(f.daemon("http-06").state("idle"), "STOPPED");
    // Read-only targets refuse.
    let r = call(
        &c,
        "control",
        json!({"action": "start", "names": ["idle"], "targets": "unix-08"}),
        seen,
    )
    .await;
    assert_eq!(r.is_error, Some(true));
    assert!(text(&r).contains("read-only"), "{}", text(&r));
    let r = call(&c, "reload", json!({"dry_run": true, "targets": "unix-08"}), seen).await;
    assert_eq!(r.is_error, Some(true));
    assert!(text(&r).contains("read-only"), "{}", text(&r));
    // `program` acts on one target: refused when the selection has several.
    let r = call(&c, "program", json!({"action": "remove", "name": "ghost"}), seen).await;
    assert_eq!(r.is_error, Some(true));
    assert!(text(&r).contains("acts on one target"), "{}", text(&r));
    // A target that is not configured is refused, by name; a URL is not a target.
    for bad in ["nope", "http://127.0.0.1:1"] {
        let r = call(&c, "status", json!({"targets": bad}), seen).await;
        assert_eq!(r.is_error, Some(true), "{bad}: {}", text(&r));
    }
    // Resources: the targets (no credential), a process of a named target.
    let listed = c.list_all_resources().await.expect("resources");
    assert!(listed.iter().any(|r| r.uri == "supervisor://targets"));
    let read = |uri: &str| {
        let uri = uri.to_owned();
        let c = &c;
        async move {
            let r = c
                .read_resource(rmcp::model::ReadResourceRequestParams::new(uri))
                .await
                .expect("read");
            match &r.contents[0] {
                rmcp::model::ResourceContents::TextResourceContents { uri, text, .. } => (uri.clone(), text.clone()),
                other => panic!("{other:?}"),
            }
        }
    };
    let (_, text) = read("supervisor://targets").await;
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["targets"].as_array().map(Vec::len), Some(24));
    seen.borrow_mut().push_str(&text);
    let (uri, text) = read("supervisor://process/http-04/idle").await;
    assert_eq!(uri, "supervisor://process/http-04/idle");
    assert!(text.contains("RUNNING"), "{text}");
    let (_, text) = read("supervisor://process/http-06/idle").await;
    assert!(text.contains("STOPPED"), "{text}");
    c.cancel().await.expect("close");
}

/// Reads `stdout` (non-blocking) into `text` until `done` holds, it ends, or 20 s.
fn read_until(stdout: &mut std::process::ChildStdout, text: &mut String, done: impl Fn(&str) -> bool) {
    use std::io::Read;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(text) && Instant::now() < deadline {
        let mut buf = [0u8; 4096];
        match stdout.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => text.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// `maintail -f` on two targets while each restarts a program: both targets' lines
/// arrive, prefixed; closing the pipe ends the follow at once, though the logs are idle.
fn follow_two_targets(f: &Fleet) {
    use std::os::fd::AsFd;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"))
        .arg("--fleet")
        .arg(&f.file)
        .args(["-t", "unix-05,unix-06", "maintail", "-f", "-n", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(f.dir.path().join("follow.err")).expect("create"))
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let flags = nix::fcntl::fcntl(stdout.as_fd(), nix::fcntl::FcntlArg::F_GETFL).expect("flags");
    let flags = nix::fcntl::OFlag::from_bits_truncate(flags) | nix::fcntl::OFlag::O_NONBLOCK;
    nix::fcntl::fcntl(stdout.as_fd(), nix::fcntl::FcntlArg::F_SETFL(flags)).expect("nonblocking");
    let targets = ["unix-05", "unix-06"];
    // Each target's last line first (`-n 1`): then both are followed.
    let mut history = String::new();
    read_until(&mut stdout, &mut history, |t: &str| {
        targets
            .iter()
            .all(|target| t.lines().any(|l| l.starts_with(&format!("{target} | "))))
    });
    let out = f.run(&["-t", "unix-05,unix-06", "restart", "app"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // What follows the history: the restart, from both targets.
    let has_both = |t: &str| {
        targets.iter().all(|target| {
            t.lines()
                .any(|l| l.starts_with(&format!("{target} | ")) && l.contains("app"))
        })
    };
    let mut text = String::new();
    read_until(&mut stdout, &mut text, has_both);
    assert!(
        has_both(&text),
        "history:\n{history}\nthen:\n{text}\nstderr: {}",
        std::fs::read_to_string(f.dir.path().join("follow.err")).unwrap_or_default()
    );
    // The reader goes away while the logs are idle: the follow ends by itself.
    drop(stdout);
    let started = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("maintail -f went on after its reader went away");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An unknown name exits as on one daemon, across targets too: `status` 4 (LSB
/// "unknown"), an action, `pid` and `logs` 1; the name and the closest known one are
/// said per target (issue 18.7.2). Before, `status` across targets exited 3 and `pid`
/// 0.
#[test]
fn an_unknown_name_exits_as_on_one_daemon() {
    let (a, b) = (Daemon::start(), Daemon::start());
    for d in [&a, &b] {
        d.wait_for(10, "sleeper to run", |_| d.state("sleeper") == "RUNNING");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("fleet.toml");
    let toml = format!(
        "[targets.a]\nurl = \"{}\"\n[targets.b]\nurl = \"{}\"\n",
        a.url(Via::Unix),
        b.url(Via::Unix)
    );
    std::fs::write(&file, toml).expect("write");
    for args in [
        &["status", "sleeperr"][..],
        &["status", "sleeper", "sleeperr"],
        &["pid", "sleeperr"],
        &["start", "sleeperr"],
        &["stop", "sleeperr"],
        &["logs", "sleeperr"],
    ] {
        let one = a.cli(Via::Unix).args(args).output().expect("run");
        let many = bare_cli()
            .arg("--fleet")
            .arg(&file)
            .args(["-t", "a,b"])
            .args(args)
            .env_remove(fleet_env())
            .output()
            .expect("run");
        assert_eq!(
            many.status.code(),
            one.status.code(),
            "{args:?}: one daemon: {}{} across targets: {}{}",
            stdout(&one),
            stderr(&one),
            stdout(&many),
            stderr(&many)
        );
        let said = format!("{}{}", stdout(&many), stderr(&many));
        assert!(said.contains("did you mean `sleeper`?"), "{args:?}: {said}");
    }
}

/// A bad argument is a usage error (exit 2) across targets as on one daemon, found
/// before any target is asked (here none could be).
#[test]
fn bad_arguments_are_usage_errors_across_targets_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("fleet.toml");
    std::fs::write(&file, "[targets.a]\nurl = \"unix:///nonexistent/s.sock\"\n").expect("write");
    for args in [
        &["logs", "x", "--since", "garbage"][..],
        &["logs", "x", "--grep", "("],
        &["logs", "x", "--level", "nope"],
        &["maintail", "--grep", "("],
        &["wait", "x", "--pattern", "("],
    ] {
        let out = bare_cli()
            .arg("--fleet")
            .arg(&file)
            .args(args)
            .env_remove("SUPERVISORD_MCP_TARGET")
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}
