//! The MCP server in process, driven by rmcp's own client over a duplex pipe,
//! against a real supervisord: every tool, its successes and its main faults.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/mcp.rs"]
mod mcp_client;
use common::*;
use mcp_client::*;
use rmcp::model::{CallToolRequestParams, ProgressNotificationParam};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use supervisord_mcp::mcp::SupervisorMcp;
use supervisord_mcp::supervisor::{Client, Endpoint, Policy, ServerSettings};

/// A client that records progress and resource notifications.
#[derive(Clone, Default)]
struct Recorder {
    progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
    updated: Arc<Mutex<Vec<String>>>,
}

impl ClientHandler for Recorder {
    async fn on_progress(&self, params: ProgressNotificationParam, _ctx: NotificationContext<RoleClient>) {
        self.progress.lock().unwrap().push(params);
    }

    async fn on_resource_updated(
        &self,
        params: rmcp::model::ResourceUpdatedNotificationParam,
        _ctx: NotificationContext<RoleClient>,
    ) {
        self.updated.lock().unwrap().push(params.uri);
    }
}

type Mcp = RunningService<RoleClient, Recorder>;

fn settings(url: &str, timeout: Duration) -> ServerSettings {
    let p = Endpoint::parse(url).unwrap();
    ServerSettings {
        endpoint: p.endpoint,
        username: None,
        password: None,
        connect_timeout: timeout,
        timeout,
        tls: Default::default(),
    }
}

async fn connect_url(url: &str, timeout: Duration) -> Mcp {
    connect_with(url, timeout, Policy::default()).await
}

async fn connect_with(url: &str, timeout: Duration, policy: Policy) -> Mcp {
    let server = SupervisorMcp::with_policy(Client::new(&settings(url, timeout)).unwrap(), policy);
    let (a, b) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(s) = server.serve(a).await {
            let _ = s.waiting().await;
        }
    });
    Recorder::default().serve(b).await.unwrap()
}

async fn connect(d: &Daemon, via: Via) -> Mcp {
    connect_url(&d.url(via), Duration::from_secs(10)).await
}

/// A JSON-RPC error of this `code` (not any failure: a transport error fails here).
fn assert_error_code<T: std::fmt::Debug>(r: Result<T, rmcp::ServiceError>, code: rmcp::model::ErrorCode, what: &str) {
    match r {
        Err(rmcp::ServiceError::McpError(e)) => assert_eq!(e.code, code, "{what}: {e:?}"),
        other => panic!("{what}: expected error {code:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn tools_are_few_described_annotated_and_object_typed() {
    let c = connect_url("unix:///nonexistent.sock", Duration::from_secs(1)).await;
    let info = c.peer_info().unwrap();
    let server = info.server_info.as_ref().unwrap();
    assert_eq!(server.name, "supervisord-mcp");
    assert_eq!(server.version, env!("CARGO_PKG_VERSION"));
    let tools = c.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        ["status", "control", "logs", "wait", "diagnose", "program", "reload"]
    );
    for t in &tools {
        assert!(t.description.as_ref().is_some_and(|d| d.len() > 20), "{}", t.name);
        assert_eq!(t.input_schema.get("type"), Some(&json!("object")), "{}", t.name);
        assert_eq!(
            t.output_schema.as_ref().unwrap().get("type"),
            Some(&json!("object")),
            "{}",
            t.name
        );
        let a = t.annotations.as_ref().expect("annotations");
        assert_eq!(a.open_world_hint, Some(false));
        let read_only = matches!(t.name.as_ref(), "status" | "logs" | "wait" | "diagnose");
        assert_eq!(a.read_only_hint.unwrap_or(false), read_only, "{}", t.name);
        if !read_only {
            assert_eq!(a.destructive_hint, Some(true), "{}", t.name);
        }
    }
    let schema_text = serde_json::to_string(&tools).unwrap();
    assert!(
        !schema_text.contains("$ref") && !schema_text.contains("\"null\""),
        "lean schemas"
    );
}

#[tokio::test]
async fn status_lists_namespecs_with_filters_and_paging() {
    let d = Daemon::start();
    let c = connect(&d, Via::Unix).await;
    let r = call(
        &c,
        "wait",
        json!({"names": ["sleeper", "worker:*"], "state": "RUNNING"}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    let r = call(&c, "status", json!({})).await;
    assert!(!is_error(&r));
    let s = structured(&r);
    assert_eq!(s["daemon"]["state"], "RUNNING");
    assert_eq!(s["total"], 14);
    let names: Vec<&str> = s["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"worker:worker_02") && names.contains(&"web:web_a"));
    let t = text(&r);
    assert!(
        t.starts_with("supervisord 4.") && t.contains("RUNNING: ") && t.contains("STOPPED (Not started): "),
        "{t}"
    );
    // Filters and paging.
    let r = call(&c, "status", json!({"names": ["worker:*"], "state": ["running"]})).await;
    assert_eq!(structured(&r)["total"], 3);
    let r = call(&c, "status", json!({"limit": 5})).await;
    assert_eq!(structured(&r)["processes"].as_array().unwrap().len(), 5);
    assert_eq!(structured(&r)["next_offset"], 5);
    assert!(text(&r).contains("offset=5"));
    let r = call(&c, "status", json!({"offset": 10, "limit": 5})).await;
    assert_eq!(structured(&r)["processes"].as_array().unwrap().len(), 4);
    // One process: a line with its pid.
    let r = call(&c, "status", json!({"names": ["sleeper"]})).await;
    assert!(text(&r).contains("sleeper RUNNING pid "), "{}", text(&r));
    // Unknown name: an error result that says so.
    let r = call(&c, "status", json!({"names": ["nope"]})).await;
    assert!(is_error(&r));
    assert!(text(&r).contains("nope: BAD_NAME: no such process"));
    // A typo: the closest name, and the text ends with its next step.
    let r = call(&c, "status", json!({"names": ["sleepr"]})).await;
    assert_eq!(structured(&r)["did_you_mean"]["sleepr"], "sleeper");
    assert!(
        text(&r).trim_end().ends_with(
            "next: did you mean `sleeper`? call `status` to list the valid names (name, group:name, group:*, all)"
        ),
        "{}",
        text(&r)
    );
    for (tool, args) in [
        ("control", json!({"action": "stop", "names": ["sleepr"]})),
        ("wait", json!({"names": ["sleepr"], "timeout_s": 1})),
        ("diagnose", json!({"name": "sleepr"})),
    ] {
        let r = call(&c, tool, args).await;
        assert!(is_error(&r), "{tool}");
        let t = text(&r);
        assert!(
            t.contains("no such process") && !t.contains("supervisor."),
            "{tool}: {t}"
        );
        assert!(
            t.trim_end()
                .lines()
                .last()
                .is_some_and(|l| l.starts_with("next: did you mean `sleeper`?")),
            "{tool}: {t}"
        );
    }
}

#[tokio::test]
async fn control_is_idempotent_and_failed_starts_say_why() {
    let d = Daemon::start();
    let c = connect(&d, Via::Http).await;
    let r = call(&c, "control", json!({"action": "start", "names": ["web:*"]})).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(structured(&r)["results"][1]["outcome"], "started");
    let r = call(&c, "control", json!({"action": "start", "names": ["web:web_a"]})).await;
    assert_eq!(structured(&r)["results"][0]["outcome"], "already_running");
    assert!(text(&r).contains("web:web_a: already running"));
    let r = call(&c, "control", json!({"action": "stop", "names": ["web"]})).await;
    assert!(!is_error(&r));
    let r = call(&c, "control", json!({"action": "stop", "names": ["web:web_b"]})).await;
    assert_eq!(structured(&r)["results"][0]["outcome"], "already_stopped");
    // A crash on start: isError, the fault, spawnerr and stderr's last lines.
    let r = call(&c, "control", json!({"action": "start", "names": ["crasher"]})).await;
    assert!(is_error(&r));
    let t = text(&r);
    assert!(
        t.contains("SPAWN_ERROR") && t.contains("crasher: fatal error, config missing"),
        "{t}"
    );
    let f = &structured(&r)["results"][0]["failure"];
    assert_eq!(f["fault"], "SPAWN_ERROR");
    assert!(f["spawnerr"].as_str().unwrap().contains("Exited too quickly"));
    // Restart from FATAL tries again; restart from RUNNING gives a new pid.
    let r = call(&c, "control", json!({"action": "restart", "names": ["crasher"]})).await;
    assert!(is_error(&r) && text(&r).contains("fatal error"));
    let r = call(&c, "control", json!({"action": "restart", "names": ["sleeper"]})).await;
    assert_eq!(structured(&r)["results"][0]["outcome"], "restarted");
    // Unknown names.
    let r = call(&c, "control", json!({"action": "stop", "names": ["nope"]})).await;
    assert!(is_error(&r) && text(&r).contains("nope: BAD_NAME"), "{}", text(&r));
}

#[tokio::test]
async fn control_signal_stdin_and_clear_logs() {
    let d = Daemon::start();
    let c = connect(&d, Via::Unix).await;
    let r = call(
        &c,
        "control",
        json!({"action": "signal", "names": ["worker:*"], "signal": "HUP"}),
    )
    .await;
    assert!(!is_error(&r));
    assert_eq!(structured(&r)["results"].as_array().unwrap().len(), 3);
    let r = call(
        &c,
        "control",
        json!({"action": "signal", "names": ["sleeper"], "signal": "NOPE"}),
    )
    .await;
    assert!(is_error(&r) && text(&r).starts_with("BAD_SIGNAL"), "{}", text(&r));
    // stdin reaches the program (cat echoes it to its log).
    let r = call(
        &c,
        "control",
        json!({"action": "stdin", "names": ["echo"], "text": "hello from mcp\n"}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    d.wait_for(10, "cat to echo", |_| {
        std::fs::read_to_string(d.path("echo.out.log")).is_ok_and(|s| s.contains("hello from mcp"))
    });
    let r = call(
        &c,
        "control",
        json!({"action": "stdin", "names": ["web:web_a"], "text": "x"}),
    )
    .await;
    assert!(is_error(&r) && text(&r).contains("NOT_RUNNING"), "{}", text(&r));
    let r = call(&c, "control", json!({"action": "clear_logs", "names": ["echo"]})).await;
    assert!(!is_error(&r));
    assert_eq!(std::fs::metadata(d.path("echo.out.log")).unwrap().len(), 0);
}

#[tokio::test]
async fn logs_by_lines_then_only_what_is_new() {
    let d = Daemon::start();
    let c = connect(&d, Via::Http).await;
    let text_of = |n: usize| (0..n).map(|i| format!("line {i}\n")).collect::<String>();
    d.append("web_a.out.log", text_of(100).as_bytes());
    let r = call(&c, "logs", json!({"name": "web:web_a", "lines": 3})).await;
    let s = structured(&r);
    assert_eq!(s["lines"], json!(["line 97", "line 98", "line 99"]));
    let cursor = s["cursor"].as_u64().unwrap();
    assert_eq!(text(&r), format!("line 97\nline 98\nline 99\n[cursor {cursor}]"));
    // Nothing new.
    let r = call(&c, "logs", json!({"name": "web:web_a", "cursor": cursor})).await;
    assert_eq!(structured(&r)["lines"], json!([]));
    // New lines, and a partial one that waits for its newline.
    d.append("web_a.out.log", b"new 1\nnew 2\npart");
    let r = call(&c, "logs", json!({"name": "web:web_a", "cursor": cursor})).await;
    assert_eq!(structured(&r)["lines"], json!(["new 1", "new 2"]));
    let cursor = structured(&r)["cursor"].as_u64().unwrap();
    d.append("web_a.out.log", b"ial\n");
    let r = call(&c, "logs", json!({"name": "web:web_a", "cursor": cursor, "lines": 1})).await;
    assert_eq!(structured(&r)["lines"], json!(["partial"]));
    // More waiting than asked for: paged, nothing lost.
    let cursor = structured(&r)["cursor"].as_u64().unwrap();
    d.append("web_a.out.log", b"a\nb\nc\n");
    let r = call(&c, "logs", json!({"name": "web:web_a", "cursor": cursor, "lines": 2})).await;
    assert_eq!(
        (structured(&r)["lines"].clone(), structured(&r)["more"].clone()),
        (json!(["a", "b"]), json!(true))
    );
    let r = call(
        &c,
        "logs",
        json!({"name": "web:web_a", "cursor": structured(&r)["cursor"]}),
    )
    .await;
    assert_eq!(structured(&r)["lines"], json!(["c"]));
    // Truncated log: reset, read from the start.
    let cursor = structured(&r)["cursor"].clone();
    std::fs::OpenOptions::new()
        .write(true)
        .open(d.path("web_a.out.log"))
        .unwrap()
        .set_len(0)
        .unwrap();
    d.append("web_a.out.log", b"fresh\n");
    let r = call(&c, "logs", json!({"name": "web:web_a", "cursor": cursor})).await;
    assert_eq!(
        (structured(&r)["lines"].clone(), structured(&r)["reset"].clone()),
        (json!(["fresh"]), json!(true))
    );
    // stderr, and supervisord's own log.
    call(&c, "control", json!({"action": "start", "names": ["crasher"]})).await;
    let r = call(&c, "logs", json!({"name": "crasher", "stream": "stderr", "lines": 1})).await;
    assert_eq!(structured(&r)["lines"], json!(["crasher: fatal error, config missing"]));
    let r = call(&c, "logs", json!({"lines": 5})).await;
    assert_eq!(structured(&r)["lines"].as_array().unwrap().len(), 5);
    // Faults name themselves and say what to do.
    let r = call(&c, "logs", json!({"name": "nope"})).await;
    assert!(
        is_error(&r) && text(&r).starts_with("BAD_NAME") && text(&r).contains("next: "),
        "{}",
        text(&r)
    );
}

#[tokio::test]
async fn wait_reports_progress_reaches_states_and_fails_fast() {
    let d = Daemon::start();
    let c = connect(&d, Via::Unix).await;
    call(
        &c,
        "control",
        json!({"action": "start", "names": ["web:web_a"], "wait": false}),
    )
    .await;
    let r = call(
        &c,
        "wait",
        json!({"names": ["web:web_a"], "state": "RUNNING", "timeout_s": 10}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(structured(&r)["results"][0]["outcome"], "reached");
    assert!(
        !c.service().progress.lock().unwrap().is_empty(),
        "progress notifications were sent"
    );
    // A process that dies while we wait for RUNNING: fails fast, with its stderr.
    call(
        &c,
        "control",
        json!({"action": "start", "names": ["crasher"], "wait": false}),
    )
    .await;
    let started = std::time::Instant::now();
    let r = call(
        &c,
        "wait",
        json!({"names": ["crasher"], "state": "RUNNING", "timeout_s": 20}),
    )
    .await;
    assert!(is_error(&r));
    assert!(started.elapsed() < Duration::from_secs(10), "failed fast");
    assert!(text(&r).contains("fatal error, config missing"), "{}", text(&r));
    // Timeout.
    let r = call(
        &c,
        "wait",
        json!({"names": ["sleeper"], "state": "STOPPED", "timeout_s": 0.5}),
    )
    .await;
    assert!(is_error(&r));
    assert_eq!(structured(&r)["results"][0]["outcome"], "timed_out");
    // Ready by port: the daemon's own HTTP port stands in for a service that listens.
    let r = call(
        &c,
        "wait",
        json!({"names": ["sleeper"], "port": d.port.to_string(), "timeout_s": 5}),
    )
    .await;
    assert!(!is_error(&r), "{}", text(&r));
    assert!(text(&r).contains("ready after"), "{}", text(&r));
    let two = json!({"names": ["sleeper", "web:*"], "port": "1"});
    let e = c
        .call_tool(CallToolRequestParams::new("wait").with_arguments(two.as_object().unwrap().clone()))
        .await;
    assert_error_code(
        e,
        rmcp::model::ErrorCode::INVALID_PARAMS,
        "checks on several names are malformed arguments",
    );
    // Bad state: the schema's enum, a protocol error.
    let e = c
        .call_tool(
            CallToolRequestParams::new("wait")
                .with_arguments(json!({"names": ["x"], "state": "SLEEPY"}).as_object().unwrap().clone()),
        )
        .await;
    assert_error_code(e, rmcp::model::ErrorCode::INVALID_PARAMS, "state SLEEPY");
}

#[tokio::test]
async fn reload_applies_the_configuration() {
    let d = Daemon::start();
    let c = connect(&d, Via::Unix).await;
    std::fs::write(d.path("conf.d/extra.conf"), "[program:extra]\ncommand=sleep 100000\n").unwrap();
    let r = call(&c, "reload", json!({"dry_run": true})).await;
    assert_eq!(
        structured(&r)["changes"][0],
        json!({"group": "extra", "change": "added", "applied": false})
    );
    let r = call(&c, "reload", json!({})).await;
    assert!(!is_error(&r));
    assert!(text(&r).contains("extra: added applied"), "{}", text(&r));
    let r = call(&c, "status", json!({"names": ["extra"]})).await;
    assert!(!is_error(&r));
}

/// `diagnose` takes no CPU sample unless asked: its CPU is the average since the
/// process started, labelled so in the text and the structured content;
/// `cpu_sample_ms` samples over that long instead, and says so.
#[tokio::test]
async fn diagnose_samples_cpu_only_when_asked() {
    let d = Daemon::start();
    let c = connect(&d, Via::Unix).await;
    let r = call(&c, "diagnose", json!({"name": "sleeper"})).await;
    assert!(!is_error(&r), "{}", text(&r));
    let m = &structured(&r)["metrics"];
    assert!(
        m["cpu_avg_percent"].is_number() && m.get("cpu_percent").is_none(),
        "{m}"
    );
    assert!(text(&r).contains("% avg since start, rss"), "{}", text(&r));
    let r = call(&c, "diagnose", json!({"name": "sleeper", "cpu_sample_ms": 50})).await;
    assert!(!is_error(&r), "{}", text(&r));
    let m = &structured(&r)["metrics"];
    assert!(
        m["cpu_percent"].is_number() && m.get("cpu_avg_percent").is_none(),
        "{m}"
    );
    assert_eq!(m["cpu_sample_ms"], 50, "{m}");
    assert!(text(&r).contains("% over 50 ms, rss"), "{}", text(&r));
}

/// `logs` and `diagnose` of a mistyped name answer as every tool does: no such
/// process, the closest known name, no XML-RPC method name (issue 18.7.1).
#[tokio::test]
async fn logs_of_a_mistyped_name_say_so_as_every_tool_does() {
    let d = Daemon::start();
    let c = connect(&d, Via::Unix).await;
    for (tool, args) in [
        ("logs", json!({"name": "sleeperr"})),
        ("logs", json!({"name": "sleeperr", "stream": "stderr", "cursor": 0})),
        ("diagnose", json!({"name": "sleeperr"})),
        ("control", json!({"action": "start", "names": ["sleeperr"]})),
    ] {
        let r = call(&c, tool, args).await;
        let t = text(&r);
        assert!(
            is_error(&r) && t.contains("BAD_NAME") && t.contains("sleeperr") && t.contains("did you mean `sleeper`?"),
            "{tool}: {t}"
        );
        assert!(!t.contains("supervisor."), "{tool}: {t}");
    }
}

#[tokio::test]
async fn an_unreachable_or_frozen_daemon_is_an_error_result_and_the_server_recovers() {
    let c = connect_url("unix:///nonexistent/supervisor.sock", Duration::from_secs(1)).await;
    let r = call(&c, "status", json!({})).await;
    assert!(is_error(&r));
    assert!(
        text(&r).starts_with("NO_SOCKET") && text(&r).contains("next: is supervisord running?"),
        "{}",
        text(&r)
    );
    // Frozen daemon: a TIMEOUT error within the bound, then it works again.
    let d = Daemon::start();
    let c = connect_url(&d.url(Via::Http), Duration::from_secs(1)).await;
    d.signal("STOP");
    let started = std::time::Instant::now();
    let r = call(&c, "logs", json!({"name": "sleeper"})).await;
    assert!(is_error(&r) && text(&r).starts_with("TIMEOUT"), "{}", text(&r));
    assert!(started.elapsed() < Duration::from_secs(5));
    d.signal("CONT");
    let r = call(&c, "status", json!({})).await;
    assert!(!is_error(&r), "{}", text(&r));
}

#[tokio::test]
async fn malformed_arguments_are_protocol_errors() {
    let c = connect_url("unix:///nonexistent.sock", Duration::from_secs(1)).await;
    for (tool, args) in [
        ("control", json!({"action": "start"})),
        ("control", json!({"action": "launch", "names": ["x"]})),
        ("control", json!({"action": "signal", "names": ["x"]})),
        ("logs", json!({"lines": "many"})),
        ("no_such_tool", json!({})),
        // Numbers out of range are refused when parsed (issue #9.13), never clamped
        // into something else or left to panic later.
        ("control", json!({"action": "stop", "names": ["x"], "timeout_s": 1e30})),
        ("control", json!({"action": "stop", "names": ["x"], "timeout_s": -1})),
        ("wait", json!({"names": ["x"], "timeout_s": 1e300})),
        (
            "program",
            json!({"action": "run", "command": "true", "timeout_s": 86401}),
        ),
        ("diagnose", json!({"name": "x", "lines": 0})),
        ("diagnose", json!({"name": "x", "lines": 100000})),
        ("diagnose", json!({"name": "x", "cpu_sample_ms": 0})),
        ("status", json!({"limit": 0})),
        ("status", json!({"limit": -5})),
    ] {
        let r = c
            .call_tool(CallToolRequestParams::new(tool).with_arguments(args.as_object().unwrap().clone()))
            .await;
        assert_error_code(r, rmcp::model::ErrorCode::INVALID_PARAMS, &format!("{tool} {args}"));
    }
}

#[tokio::test]
async fn a_hundred_concurrent_calls_are_all_answered() {
    let d = Daemon::start();
    let c = connect(&d, Via::Unix).await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..100 {
        let peer = c.peer().clone();
        set.spawn(async move {
            let (tool, args) = match i % 3 {
                0 => ("status", json!({})),
                1 => ("logs", json!({"name": "fast", "lines": 5})),
                _ => ("status", json!({"names": ["sleeper"]})),
            };
            peer.call_tool(CallToolRequestParams::new(tool).with_arguments(args.as_object().unwrap().clone()))
                .await
        });
    }
    let mut ok = 0;
    while let Some(r) = set.join_next().await {
        let r = r.unwrap().unwrap();
        assert!(r.is_error != Some(true), "{:?}", r.content);
        ok += 1;
    }
    assert_eq!(ok, 100);
}

#[tokio::test]
async fn calls_work_again_as_soon_as_a_restarting_daemon_is_back() {
    let d = Daemon::start();
    for via in BOTH {
        let c = connect_url(&d.url(via), Duration::from_secs(2)).await;
        assert!(!is_error(&call(&c, "status", json!({})).await));
        // supervisord restarts in place: children stop, the socket is reopened.
        let direct = Client::new(&settings(&d.url(via), Duration::from_secs(2))).unwrap();
        direct.restart().await.unwrap();
        let started = std::time::Instant::now();
        let mut errors = 0;
        loop {
            let r = call(&c, "status", json!({})).await;
            if !is_error(&r) && structured(&r)["daemon"]["state"] == "RUNNING" {
                break;
            }
            if is_error(&r) {
                errors += 1;
                let t = text(&r);
                assert!(
                    [
                        "CONNECTION_REFUSED",
                        "NO_SOCKET",
                        "UNREACHABLE",
                        "SHUTDOWN_STATE",
                        "TIMEOUT",
                        "PROTOCOL"
                    ]
                    .iter()
                    .any(|k| t.starts_with(k)),
                    "a clear error while restarting: {t}"
                );
            }
            // supervisord stops its groups one per main-loop tick (up to 1 s each)
            // before it restarts: a minute is room for that on a loaded machine.
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "never recovered ({errors} errors)"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn read_only_and_allow_limit_what_an_agent_may_do() {
    let d = Daemon::start();
    d.wait_for(10, "sleeper to run", |_| d.state("sleeper") == "RUNNING");
    let ro = connect_with(
        &d.url(Via::Unix),
        Duration::from_secs(5),
        Policy::new(true, &[]).unwrap(),
    )
    .await;
    let names: Vec<String> = ro
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(names, ["status", "logs", "wait", "diagnose"]);
    // `mcp --help` says exactly what --read-only keeps (generated from the tools).
    let help = bare_cli().args(["mcp", "--help"]).output().unwrap();
    let help = stdout(&help);
    let line = help
        .lines()
        .skip_while(|l| !l.contains("--read-only"))
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    assert!(line.ends_with(&format!("({})", names.join(", "))), "{line}");
    let r = call(&ro, "control", json!({"action": "stop", "names": ["sleeper"]})).await;
    assert!(is_error(&r) && text(&r).starts_with("REFUSED"), "{}", text(&r));
    assert_eq!(d.state("sleeper"), "RUNNING");

    let c = connect_with(
        &d.url(Via::Unix),
        Duration::from_secs(5),
        Policy::new(false, &["web:*".into()]).unwrap(),
    )
    .await;
    let r = call(&c, "control", json!({"action": "start", "names": ["web:web_a"]})).await;
    assert!(!is_error(&r), "{}", text(&r));
    for names in [json!(["sleeper"]), json!(["all"]), json!(["web:web_a", "worker:*"])] {
        let r = call(&c, "control", json!({"action": "stop", "names": names})).await;
        assert!(
            is_error(&r) && text(&r).starts_with("REFUSED") && text(&r).contains("web:*"),
            "{}",
            text(&r)
        );
    }
    assert_eq!(d.state("sleeper"), "RUNNING");
    assert_eq!(d.state("web:web_a"), "RUNNING");
    let r = call(&c, "reload", json!({})).await;
    assert!(is_error(&r) && text(&r).starts_with("REFUSED"));
    // A dry run re-reads the configuration (reloadConfig): a change, refused too.
    let r = call(&c, "reload", json!({"dry_run": true})).await;
    assert!(is_error(&r) && text(&r).starts_with("REFUSED"), "{}", text(&r));

    // Both ways: what a pattern allows is done. A bare group name lets its processes
    // through (`worker` matches `worker:worker_00`), and `*` allows a reload.
    let c = connect_with(
        &d.url(Via::Unix),
        Duration::from_secs(5),
        Policy::new(false, &["worker".into()]).unwrap(),
    )
    .await;
    let r = call(&c, "control", json!({"action": "stop", "names": ["worker:*"]})).await;
    assert!(!is_error(&r), "{}", text(&r));
    for w in ["worker:worker_00", "worker:worker_01", "worker:worker_02"] {
        assert_eq!(d.state(w), "STOPPED", "{w}");
    }
    let r = call(&c, "control", json!({"action": "start", "names": ["worker:worker_01"]})).await;
    assert!(!is_error(&r), "{}", text(&r));
    assert_eq!(d.state("worker:worker_01"), "RUNNING");
    let r = call(&c, "control", json!({"action": "stop", "names": ["sleeper"]})).await;
    assert!(is_error(&r) && text(&r).starts_with("REFUSED"), "{}", text(&r));
    let everything = connect_with(
        &d.url(Via::Unix),
        Duration::from_secs(5),
        Policy::new(false, &["*".into()]).unwrap(),
    )
    .await;
    let r = call(&everything, "reload", json!({"dry_run": true})).await;
    assert!(!is_error(&r), "{}", text(&r));
}

#[tokio::test]
async fn diagnose_and_local_insight_tools() {
    let d = Daemon::start();
    let c = connect(&d, Via::Unix).await;
    call(&c, "control", json!({"action": "start", "names": ["crasher"]})).await;
    let r = call(&c, "diagnose", json!({"name": "crasher"})).await;
    assert!(!is_error(&r));
    let t = text(&r);
    assert!(
        t.starts_with("crasher FATAL: Exited too quickly") && t.contains("crasher: fatal error, config missing"),
        "{t}"
    );
    assert_eq!(structured(&r)["config"]["startretries"], 0);
    let r = call(&c, "diagnose", json!({"name": "nope"})).await;
    assert!(is_error(&r) && text(&r).starts_with("BAD_NAME"));
    d.wait_for(10, "sleeper", |_| d.state("sleeper") == "RUNNING");
    let r = call(&c, "status", json!({"names": ["sleeper"], "metrics": true})).await;
    assert!(
        structured(&r)["processes"][0]["metrics"]["rss_bytes"].as_u64().unwrap() > 0,
        "{}",
        text(&r)
    );
    assert!(text(&r).contains("rss "), "{}", text(&r));
    // The daemon's own HTTP port: a listener that is not supervised.
    let r = call(&c, "status", json!({"port": d.port})).await;
    assert_eq!(structured(&r)["total"], 0);
    assert!(
        text(&r).contains(&format!("port {}: pid {} (not supervised)", d.port, d.pid())),
        "{}",
        text(&r)
    );
}

#[tokio::test]
async fn logs_tool_filters_json_lines_and_by_cursor() {
    let d = Daemon::start();
    let c = connect(&d, Via::Unix).await;
    d.append(
        "web_a.out.log",
        b"{\"level\":\"info\",\"msg\":\"a\"}\n{\"level\":\"error\",\"msg\":\"b\"}\nplain WARN c\n",
    );
    let r = call(&c, "logs", json!({"name": "web:web_a", "min_level": "warn"})).await;
    assert_eq!(
        structured(&r)["lines"],
        json!(["{\"level\":\"error\",\"msg\":\"b\"}", "plain WARN c"])
    );
    let cursor = structured(&r)["cursor"].clone();
    d.append(
        "web_a.out.log",
        b"{\"level\":\"debug\",\"msg\":\"d\"}\n{\"level\":\"fatal\",\"msg\":\"e\"}\n",
    );
    let r = call(
        &c,
        "logs",
        json!({"name": "web:web_a", "cursor": cursor, "where": ["msg=e"]}),
    )
    .await;
    assert_eq!(structured(&r)["lines"], json!(["{\"level\":\"fatal\",\"msg\":\"e\"}"]));
    let bad = json!({"name": "web:web_a", "min_level": "loud"});
    assert_error_code(
        c.call_tool(CallToolRequestParams::new("logs").with_arguments(bad.as_object().unwrap().clone()))
            .await,
        rmcp::model::ErrorCode::INVALID_PARAMS,
        "min_level loud",
    );
}

#[tokio::test]
#[allow(deprecated)]
async fn resources_and_state_change_notifications() {
    use rmcp::model::{ReadResourceRequestParams, ResourceContents, SubscribeRequestParams};
    // Reaches RUNNING at once (startsecs=0), then exits 5, not restarted.
    let exiter = "[program:exiter]\ncommand=sh -c 'exit 5'\nautostart=false\nstartsecs=0\nautorestart=false\n\
                  stdout_logfile=%(here)s/exiter.out.log\nstderr_logfile=%(here)s/exiter.err.log\n";
    let d = Daemon::start_with(false, exiter);
    let c = connect(&d, Via::Unix).await;
    let list = c.list_all_resources().await.unwrap();
    assert!(
        list.iter().any(|r| r.uri == "supervisor://process/web:web_a"),
        "{list:?}"
    );
    let read = c
        .read_resource(ReadResourceRequestParams::new("supervisor://process/web:web_a"))
        .await
        .unwrap();
    let ResourceContents::TextResourceContents { text, .. } = &read.contents[0] else {
        panic!("text")
    };
    let v: Value = serde_json::from_str(text).unwrap();
    assert_eq!(v["state"], "STOPPED");
    // Subscribe, then change the process: a notification arrives without polling.
    c.subscribe(SubscribeRequestParams::new("supervisor://process/web:web_a"))
        .await
        .unwrap();
    c.subscribe(SubscribeRequestParams::new("supervisor://process/web:web_b/stdout"))
        .await
        .unwrap();
    // No wait: a subscription takes its first look before it is answered, so a
    // change made right after is seen.
    call(&c, "control", json!({"action": "start", "names": ["web:web_a"]})).await;
    d.append("web_b.out.log", b"a new line\n");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = c.service().updated.lock().unwrap().clone();
        if got.contains(&"supervisor://process/web:web_a".to_owned())
            && got.contains(&"supervisor://process/web:web_b/stdout".to_owned())
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "notifications: {got:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The exit status is in the resource, with the state it ended in.
    call(&c, "control", json!({"action": "start", "names": ["exiter"]})).await;
    d.wait_for(10, "exiter to exit", |_| d.state("exiter") == "EXITED");
    let read = c
        .read_resource(ReadResourceRequestParams::new("supervisor://process/exiter"))
        .await
        .unwrap();
    let ResourceContents::TextResourceContents { text, .. } = &read.contents[0] else {
        panic!("text")
    };
    let v: Value = serde_json::from_str(text).unwrap();
    assert_eq!(
        (v["state"].as_str(), v["exitstatus"].as_i64()),
        (Some("EXITED"), Some(5)),
        "{text}"
    );
    let read = c
        .read_resource(ReadResourceRequestParams::new("supervisor://process/web:web_b/stdout"))
        .await
        .unwrap();
    let ResourceContents::TextResourceContents { text, .. } = &read.contents[0] else {
        panic!("text")
    };
    assert_eq!(text, "a new line");
    assert_error_code(
        c.read_resource(ReadResourceRequestParams::new("supervisor://process/nope"))
            .await,
        rmcp::model::ErrorCode::RESOURCE_NOT_FOUND,
        "an unknown process",
    );
}
