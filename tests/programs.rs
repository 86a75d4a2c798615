//! Dynamic programs and one-shot runs against a real supervisord, through the CLI
//! and the in-process MCP server: nothing of the daemon's own is taken over, limits,
//! idempotent remove, rollback of failed adds, cleanup of interrupted runs, and no
//! "empty means all". What values round-trip is in `program_values.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/mcp.rs"]
mod mcp_client;
use common::*;
use mcp_client::*;
use rmcp::model::{CallToolRequest, ClientRequest};
use rmcp::service::{PeerRequestOptions, RunningService};
use rmcp::{RoleClient, ServiceExt};
use serde_json::json;
use std::time::{Duration, Instant};
use supervisord_mcp::mcp::SupervisorMcp;
use supervisord_mcp::supervisor::Policy;

type Mcp = RunningService<RoleClient, ()>;

async fn connect_with(d: &Daemon, policy: Policy) -> Mcp {
    let server = SupervisorMcp::with_policy(d.client(), policy);
    let (a, b) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(s) = server.serve(a).await {
            let _ = s.waiting().await;
        }
    });
    ().serve(b).await.unwrap()
}

async fn connect(d: &Daemon) -> Mcp {
    connect_with(d, Policy::default()).await
}

/// The files in the include directory (program files, logs, anything).
fn conf_d(d: &Daemon) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d.path("conf.d"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// `status --json` as text (every process).
fn status_text(d: &Daemon) -> String {
    stdout(&d.cli(Via::Unix).args(["status", "--json"]).output().unwrap())
}

/// Waits until `cond` holds, or panics after `secs`.
fn eventually(secs: u64, what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The command line of every live process (zombies excluded) that contains `needle`.
fn live_processes(needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let p = e.path();
        let cmd = std::fs::read(p.join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        let stat = std::fs::read_to_string(p.join("stat")).unwrap_or_default();
        let zombie = stat.rsplit(") ").next().is_some_and(|r| r.starts_with('Z'));
        if cmd.contains(needle) && !zombie {
            out.push(cmd);
        }
    }
    out
}

#[test]
fn programs_are_added_changed_and_removed_through_the_include_directory() {
    let d = Daemon::start();
    let o = d
        .cli(Via::Unix)
        .args([
            "program",
            "add",
            "api",
            "--command",
            "sleep 100000",
            "--env",
            "MODE=dev",
            "--startsecs",
            "0",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{} {}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("api: added") && stdout(&o).contains("api: started"),
        "{}",
        stdout(&o)
    );
    assert_eq!(d.state("api"), "RUNNING");
    let file = std::fs::read_to_string(d.path("conf.d/api.conf")).unwrap();
    assert!(file.contains("environment=MODE=\"dev\""), "{file}");
    // Change: stopped, removed, added again, started.
    let o = d
        .cli(Via::Http)
        .args(["program", "add", "api", "--command", "sleep 99999", "--numprocs", "2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("api: changed"));
    assert_eq!(d.state("api:api_01"), "RUNNING");
    // Remove: gone, and its file too.
    d.cli(Via::Unix).args(["program", "remove", "api"]).assert().code(0);
    d.cli(Via::Unix).args(["status", "api:*"]).assert().code(4);
    assert!(!d.path("conf.d/api.conf").exists());
    // Injection and bad names are refused before anything is written.
    for args in [
        vec!["program", "add", "x]\n[program:evil", "--command", "true"],
        vec!["program", "add", "ok", "--command", "true\n[program:evil]\ncommand=id"],
        vec!["program", "add", "ok", "--command", "true", "--env", "BAD KEY=1"],
    ] {
        let o = d.cli(Via::Unix).args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    assert!(conf_d(&d).is_empty(), "nothing written: {:?}", conf_d(&d));
    // A file we did not write is never touched.
    std::fs::write(d.path("conf.d/mine.conf"), "[program:mine]\ncommand=sleep 1\n").unwrap();
    let o = d
        .cli(Via::Unix)
        .args(["program", "add", "mine", "--command", "true"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not written by supervisord-mcp"), "{}", stderr(&o));
}

#[test]
fn a_program_of_the_daemons_own_configuration_is_never_taken_over() {
    let d = Daemon::start();
    d.wait_for(10, "sleeper to run", |_| d.state("sleeper") == "RUNNING");
    // `sleeper` is a group of supervisord.conf; `web_a` a program inside group `web`.
    for name in ["sleeper", "web_a", "web"] {
        let o = d
            .cli(Via::Unix)
            .args(["program", "add", name, "--command", "sleep 7777"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("supervisord's own configuration") && stderr(&o).contains("another name"),
            "{name}: {}",
            stderr(&o)
        );
    }
    assert!(conf_d(&d).is_empty(), "{:?}", conf_d(&d));
    assert_eq!(d.state("sleeper"), "RUNNING");
    let v = json(&d.cli(Via::Unix).args(["avail", "--json"]).output().unwrap());
    assert!(!v.to_string().contains("7777"), "nothing replaced: {v}");
    // Nor removed: exit 1 (a refusal, not bad arguments), and it keeps running.
    let o = d
        .cli(Via::Unix)
        .args(["program", "remove", "sleeper"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("not added by supervisord-mcp"), "{}", stderr(&o));
    assert_eq!(d.state("sleeper"), "RUNNING");
}

#[test]
fn remove_is_idempotent_and_a_missing_command_exits_7() {
    let d = Daemon::start();
    let o = d.cli(Via::Unix).args(["program", "remove", "ghost"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "ghost: already absent\n");
    d.cli(Via::Unix)
        .args(["program", "add", "tmp", "--command", "sleep 100000", "--startsecs", "0"])
        .assert()
        .code(0);
    let v = json(
        &d.cli(Via::Unix)
            .args(["program", "remove", "tmp", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(v["outcome"], "removed");
    let v = json(
        &d.cli(Via::Unix)
            .args(["program", "remove", "tmp", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(v["outcome"], "already_absent");
    // A bad name is still bad arguments.
    d.cli(Via::Unix).args(["program", "remove", "a b"]).assert().code(2);
    // A program that failed to start: 7, as the exit-code table says.
    let o = d
        .cli(Via::Unix)
        .args(["run", "--", "/nonexistent/cmd"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert!(stderr(&o).contains("failed to start"), "{}", stderr(&o));
    assert!(conf_d(&d).is_empty(), "{:?}", conf_d(&d));
}

#[test]
fn numprocs_and_the_number_of_programs_are_capped() {
    let d = Daemon::start();
    for n in ["10000", "101", "0"] {
        let o = d
            .cli(Via::Unix)
            .args(["program", "add", "many", "--command", "sleep 100000", "--numprocs", n])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "numprocs {n}: {}", stderr(&o));
        assert!(stderr(&o).contains("1 to 100"), "{}", stderr(&o));
    }
    assert!(conf_d(&d).is_empty());
    // 100 programs of ours already (written as this tool writes them, not loaded).
    for i in 0..100 {
        let text = format!(
            "{}\n[program:p{i}]\ncommand=true\nautostart=false\n",
            supervisord_mcp::supervisor::ops::programs::MARKER
        );
        std::fs::write(d.path(&format!("conf.d/p{i}.conf")), text).unwrap();
    }
    let o = d
        .cli(Via::Unix)
        .args(["program", "add", "one-more", "--command", "sleep 100000"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("at most 100"), "{}", stderr(&o));
    assert!(!d.path("conf.d/one-more.conf").exists());
    // Changing one of them is not one more.
    d.cli(Via::Unix)
        .args(["program", "add", "p0", "--command", "sleep 100000", "--no-start"])
        .assert()
        .code(0);
    // Processes in all: 99 + 2 x 100 would pass 200.
    for i in 1..100 {
        std::fs::remove_file(d.path(&format!("conf.d/p{i}.conf"))).unwrap();
    }
    d.cli(Via::Unix)
        .args([
            "program",
            "add",
            "big",
            "--command",
            "sleep 100000",
            "--numprocs",
            "100",
            "--no-start",
        ])
        .assert()
        .code(0);
    let o = d
        .cli(Via::Unix)
        .args([
            "program",
            "add",
            "big2",
            "--command",
            "sleep 100000",
            "--numprocs",
            "100",
            "--no-start",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("200"), "{}", stderr(&o));
}

#[test]
fn a_failed_add_is_rolled_back_unless_kept_and_says_which() {
    let d = Daemon::start();
    let failing = ["--command", "sh -c 'echo no port >&2; exit 3'", "--startretries", "0"];
    let o = d
        .cli(Via::Unix)
        .args(["program", "add", "bad"])
        .args(failing)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert!(stdout(&o).contains("rolled back, nothing was added"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("no port"),
        "the failure details stay: {}",
        stdout(&o)
    );
    d.cli(Via::Unix).args(["status", "bad"]).assert().code(4);
    assert!(conf_d(&d).is_empty(), "{:?}", conf_d(&d));
    // Kept for inspection.
    let o = d
        .cli(Via::Unix)
        .args(["program", "add", "bad", "--keep-on-failure", "--json"])
        .args(failing)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert_eq!(json(&o)["rolled_back"], false);
    assert_eq!(d.state("bad"), "FATAL");
    assert!(d.path("conf.d/bad.conf").exists());
    d.cli(Via::Unix).args(["program", "remove", "bad"]).assert().code(0);
    // A failed change goes back to the previous definition, running again.
    d.cli(Via::Unix)
        .args(["program", "add", "api", "--command", "sleep 100000", "--startsecs", "0"])
        .assert()
        .code(0);
    let before = std::fs::read_to_string(d.path("conf.d/api.conf")).unwrap();
    let o = d
        .cli(Via::Unix)
        .args(["program", "add", "api"])
        .args(failing)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("rolled back to its previous definition"),
        "{}",
        stdout(&o)
    );
    assert_eq!(std::fs::read_to_string(d.path("conf.d/api.conf")).unwrap(), before);
    assert_eq!(d.state("api"), "RUNNING");
}

#[test]
fn run_returns_exit_status_and_output_and_kills_the_tree_on_timeout() {
    let d = Daemon::start();
    let o = d
        .cli(Via::Unix)
        .args(["run", "--", "sh", "-c", "echo out line; echo err line >&2; exit 3"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(stdout(&o), "out line\n");
    assert!(
        stderr(&o).contains("err line") && stderr(&o).contains("exit 3"),
        "{}",
        stderr(&o)
    );
    let v = json(
        &d.cli(Via::Unix)
            .args(["run", "--json", "--", "echo", "it's quoted"])
            .output()
            .unwrap(),
    );
    assert_eq!(v["exitstatus"], 0);
    assert_eq!(v["stdout"], json!(["it's quoted"]));
    // Timeout: the whole tree is stopped, and nothing is left behind.
    let o = d
        .cli(Via::Unix)
        .args([
            "run",
            "--timeout",
            "1",
            "--",
            "sh",
            "-c",
            "sleep 100.25 & sleep 100.25; wait",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(124), "{}", stderr(&o));
    eventually(10, "the tree to be gone", || live_processes("sleep 100.25").is_empty());
    assert!(!status_text(&d).contains("run-"), "transient programs are removed");
    assert!(conf_d(&d).is_empty(), "{:?}", conf_d(&d));
}

#[test]
fn an_interrupted_cli_run_removes_its_program_file_and_logs() {
    let d = Daemon::start();
    for (sig, code) in [("-INT", 130), ("-TERM", 143)] {
        let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"))
            .args(["-s", &d.url(Via::Unix), "run", "--", "sleep", "100.75"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        eventually(20, "the run to be RUNNING", || {
            status_text(&d).contains("run-") && !live_processes("sleep 100.75").is_empty()
        });
        let ok = std::process::Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
        assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
        // Cleaned up before the CLI exited: nothing to wait for.
        assert!(!status_text(&d).contains("run-"), "{}", status_text(&d));
        assert!(conf_d(&d).is_empty(), "file and logs: {:?}", conf_d(&d));
        eventually(10, "the process to be gone", || {
            live_processes("sleep 100.75").is_empty()
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_mcp_run_or_add_leaves_nothing_behind() {
    let d = Daemon::start();
    let c = connect(&d).await;
    let handle = c
        .send_cancellable_request(
            ClientRequest::CallToolRequest(CallToolRequest::new(params(
                "program",
                json!({"action": "run", "command": "sleep 100.5"}),
            ))),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    let dd = &d;
    tokio::task::block_in_place(|| {
        eventually(20, "the run to be RUNNING", || {
            status_text(dd).contains("run-") && !live_processes("sleep 100.5").is_empty()
        })
    });
    handle.cancel(Some("test".into())).await.unwrap();
    tokio::task::block_in_place(|| {
        eventually(20, "the transient program to be removed", || {
            !status_text(dd).contains("run-") && conf_d(dd).is_empty()
        });
        eventually(10, "the process to be gone", || {
            live_processes("sleep 100.5").is_empty()
        });
    });
    // An add cancelled while it waits for the start is rolled back.
    let handle = c
        .send_cancellable_request(
            ClientRequest::CallToolRequest(CallToolRequest::new(params(
                "program",
                json!({"action": "add", "name": "slow", "command": "sleep 100.6", "startsecs": 60}),
            ))),
            PeerRequestOptions::no_options(),
        )
        .await
        .unwrap();
    tokio::task::block_in_place(|| eventually(20, "slow to be STARTING", || dd.state("slow") == "STARTING"));
    handle.cancel(None).await.unwrap();
    tokio::task::block_in_place(|| {
        eventually(20, "the add to be undone", || {
            !status_text(dd).contains("slow") && conf_d(dd).is_empty()
        });
        eventually(10, "the process to be gone", || {
            live_processes("sleep 100.6").is_empty()
        });
    });
    // The server goes on serving.
    let r = call(&c, "status", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
}

#[tokio::test]
async fn mcp_program_adds_runs_and_removes_idempotently() {
    let d = Daemon::start();
    let c = connect(&d).await;
    let r = call(
        &c,
        "program",
        json!({"action": "add", "name": "api", "command": "sleep 100000", "startsecs": 0}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(structured(&r)["added"]["action"], "added");
    assert_eq!(d.state("api"), "RUNNING");
    let r = call(
        &c,
        "program",
        json!({"action": "run", "command": "sh -c 'echo hello; exit 2'"}),
    )
    .await;
    assert_eq!(structured(&r)["run"]["exitstatus"], 2, "{}", text(&r));
    assert!(
        text(&r).starts_with("exit 2") && text(&r).contains("hello"),
        "{}",
        text(&r)
    );
    let r = call(&c, "program", json!({"action": "remove", "name": "api"})).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(structured(&r)["removed"]["outcome"], "removed");
    let r = call(&c, "program", json!({"action": "remove", "name": "api"})).await;
    assert_eq!(structured(&r)["removed"]["outcome"], "already_absent");
}

#[tokio::test]
async fn mcp_program_refuses_what_it_cannot_write_and_rolls_back_failed_adds() {
    let d = Daemon::start();
    let c = connect(&d).await;
    let r = call(
        &c,
        "program",
        json!({"action": "add", "name": "bad\nname", "command": "true"}),
    )
    .await;
    assert!(is_error(&r) && text(&r).starts_with("INVALID"), "{}", text(&r));
    let r = call(
        &c,
        "program",
        json!({"action": "add", "name": "x", "command": "echo a ; b"}),
    )
    .await;
    assert!(is_error(&r) && text(&r).contains("comment"), "{}", text(&r));
    let r = call(
        &c,
        "program",
        json!({"action": "add", "name": "sleeper", "command": "true"}),
    )
    .await;
    assert!(is_error(&r) && text(&r).starts_with("REFUSED"), "{}", text(&r));
    // A failed start: rolled back, or kept with keep_on_failure.
    let bad =
        |keep: bool| json!({"action": "add", "name": "bad", "command": "sh -c 'exit 3'", "keep_on_failure": keep});
    let r = call(&c, "program", bad(false)).await;
    assert!(
        is_error(&r) && structured(&r)["added"]["rolled_back"] == true,
        "{}",
        text(&r)
    );
    assert!(text(&r).contains("rolled back"), "{}", text(&r));
    d.cli(Via::Unix).args(["status", "bad"]).assert().code(4);
    let r = call(&c, "program", bad(true)).await;
    assert!(
        is_error(&r) && structured(&r)["added"]["rolled_back"] == false,
        "{}",
        text(&r)
    );
    assert!(text(&r).contains("kept for inspection"), "{}", text(&r));
    assert!(
        ["BACKOFF", "STARTING", "FATAL"].contains(&d.state("bad").as_str()),
        "kept"
    );
    // Policy: --allow limits names, and refuses run.
    let limited = connect_with(&d, Policy::new(false, &["web*".into()]).unwrap()).await;
    let r = call(
        &limited,
        "program",
        json!({"action": "add", "name": "api", "command": "true"}),
    )
    .await;
    assert!(is_error(&r) && text(&r).starts_with("REFUSED"));
    let r = call(&limited, "program", json!({"action": "run", "command": "id"})).await;
    assert!(is_error(&r) && text(&r).starts_with("REFUSED"));
}

#[tokio::test]
async fn control_with_no_names_is_invalid_and_every_process_needs_all() {
    let d = Daemon::start();
    d.wait_for(10, "sleeper to run", |_| d.state("sleeper") == "RUNNING");
    let c = connect(&d).await;
    for action in ["stop", "restart", "signal", "clear_logs", "stdin"] {
        let err = c
            .call_tool(params(
                "control",
                json!({"action": action, "names": [], "signal": "TERM", "text": "x"}),
            ))
            .await
            .expect_err("invalid params");
        assert!(err.to_string().contains("all"), "{action}: {err}");
    }
    let err = c
        .call_tool(params("wait", json!({"names": []})))
        .await
        .expect_err("invalid params");
    assert!(err.to_string().contains("all"), "wait: {err}");
    assert_eq!(d.state("sleeper"), "RUNNING");
    let r = call(
        &c,
        "control",
        json!({"action": "stop", "names": ["all"], "timeout_s": 20}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(d.state("sleeper"), "STOPPED");
}
