//! The MCP handlers against the scripted fake daemon, through an in-process rmcp
//! client: what the model reads and what programs get, in milliseconds.

use super::SupervisorMcp;
use crate::supervisor::Policy;
use crate::supervisor::fake::{FakeDaemon, Model};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use serde_json::{Value, json};

type Client = RunningService<RoleClient, ()>;

async fn connect(d: &FakeDaemon, policy: Policy) -> Client {
    let server = SupervisorMcp::with_policy(d.client(), policy);
    let (a, b) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(s) = server.serve(a).await {
            let _ = s.waiting().await;
        }
    });
    ().serve(b).await.unwrap_or_else(|e| panic!("{e}"))
}

async fn call(c: &Client, tool: &'static str, args: Value) -> Result<CallToolResult, rmcp::ServiceError> {
    let Value::Object(m) = args else {
        panic!("args must be an object")
    };
    c.call_tool(CallToolRequestParams::new(tool).with_arguments(m)).await
}

fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn status_text_groups_by_state_and_structured_content_has_every_process() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let c = connect(&d, Policy::default()).await;
    let r = call(&c, "status", json!({})).await.unwrap_or_else(|e| panic!("{e}"));
    let t = text(&r);
    assert!(
        t.starts_with("supervisord 4.3.0 RUNNING, 7 processes: 4 RUNNING, 1 FATAL, 2 STOPPED"),
        "{t}"
    );
    assert!(t.contains("FATAL (Exited too quickly): crasher"), "{t}");
    let s = r.structured_content.unwrap_or_default();
    assert_eq!(s["total"], 7);
    assert_eq!(s["counts"]["STOPPED"], 2);
}

#[tokio::test]
async fn a_failed_start_says_why_and_what_to_do_next() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let c = connect(&d, Policy::default()).await;
    let r = call(
        &c,
        "control",
        json!({"action": "start", "names": ["crasher", "web:web_a"]}),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.is_error, Some(true));
    let t = text(&r);
    assert!(t.contains("crasher: SPAWN_ERROR: Exited too quickly"), "{t}");
    assert!(
        t.contains("; exit 3;") && t.contains("crasher: fatal error, config missing"),
        "{t}"
    );
    assert!(t.contains("web:web_a: started"), "{t}");
    assert!(t.trim_end().ends_with("next: the program exited while starting; call `diagnose` with name \"crasher\" (or `logs` with stream \"stderr\")"), "{t}");
    // Empty names are malformed arguments, and nothing is stopped.
    let e = call(&c, "control", json!({"action": "stop", "names": []})).await;
    assert!(e.is_err(), "{e:?}");
    assert_eq!(d.model().count("supervisor.stopProcess"), 0);
}

#[tokio::test]
async fn read_only_refuses_changes_and_says_so() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let c = connect(&d, Policy::new(true, &[]).unwrap_or_default()).await;
    let tools = c.list_all_tools().await.unwrap_or_default();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["status", "logs", "wait", "diagnose"]);
    let r = call(&c, "control", json!({"action": "stop", "names": ["colors"]}))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(text(&r).starts_with("REFUSED"), "{}", text(&r));
    assert_eq!(d.model().count("supervisor.stopProcess"), 0);
    // Under --allow without `*`, a dry run is refused too: it re-reads the configuration.
    let c = connect(&d, Policy::new(false, &["web:*".into()]).unwrap_or_default()).await;
    let r = call(&c, "reload", json!({"dry_run": true}))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(text(&r).starts_with("REFUSED"), "{}", text(&r));
    assert_eq!(d.model().count("supervisor.reloadConfig"), 0);
}

#[tokio::test]
async fn reload_reports_the_diff_and_applies_it() {
    let mut m = Model::recorded();
    m.diff.added = vec!["new".into()];
    let d = FakeDaemon::start(m).await;
    let c = connect(&d, Policy::default()).await;
    let r = call(&c, "reload", json!({"dry_run": true}))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text(&r).trim(), "new: added not applied (dry run)");
    assert_eq!(d.model().count("supervisor.addProcessGroup"), 0);
    let r = call(&c, "reload", json!({})).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text(&r).trim(), "new: added applied");
    assert_eq!(d.model().calls_of("supervisor.addProcessGroup"), ["new"]);
}

/// The capabilities say what is served: prompts (an empty list) and completions of
/// the resource templates' arguments (process names as they are typed).
#[tokio::test]
async fn declared_prompts_and_completions_are_served() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let c = connect(&d, Policy::default()).await;
    let caps = c.peer_info().map(|i| i.capabilities.clone()).unwrap_or_default();
    assert!(caps.prompts.is_some() && caps.completions.is_some(), "{caps:?}");
    let prompts = c.list_prompts(None).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(prompts.prompts.is_empty());
    let template = "supervisor://process/{name}";
    let got = c
        .complete_resource_argument(template, "name", "web:", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.values, ["web:web_a", "web:web_b"]);
    assert_eq!(got.total, Some(2));
    let got = c
        .complete_resource_argument("supervisor://process/{name}/{stream}", "stream", "std", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.values, ["stderr", "stdout"]);
    let got = c
        .complete_resource_argument(template, "name", "no-such-", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(got.values.is_empty());
}
