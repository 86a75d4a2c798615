//! Tools across targets. With a targets file, every tool takes an optional `targets`
//! (the selection grammar of the CLI's `-t`: names, globs, `@tag`, `all`, `!name`) and
//! names may be qualified (`TARGET/name`). Agents name configured targets only, never
//! URLs or credentials.
//!
//! A call that goes to one target without `targets` answers exactly as with one
//! daemon. Otherwise the tool's operation runs on each planned target
//! ([`crate::fleet::exec`]: through the policy gate, in parallel under the fleet's
//! bound, each within its deadline), each output is rendered as the tool does, and
//! the answers are joined:
//! the text per target and a summary line; structuredContent `{summary, targets}`
//! with one entry per target, sorted (`{target, ok, elapsed_ms, result}` or
//! `{target, ok: false, error: {kind, message}}`). A partial failure is a normal
//! answer; `isError` only when no target answered well or the selection matched
//! nothing.

use super::answer::{Answer, failure, tool_error};
use super::server::SupervisorMcp;
use crate::fleet::exec::{self, Call, Op, Output, Reach, Report};
use crate::fleet::report::envelope;
use crate::fleet::{Fleet, FleetError, Summary, TargetOutcome};
use crate::supervisor::ErrorKind;
use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool};
use serde_json::Value;
use std::sync::Arc;

/// The longest `targets` argument accepted, in bytes.
const MAX_SELECTION: usize = 4096;

/// Renders one daemon's output as the tool does.
pub type Render<'a> = &'a (dyn Fn(Output) -> Answer + Sync);

/// The tool as listed when a targets file is configured: its input takes `targets`,
/// and its output may be the fleet document.
pub fn with_targets(tool: &Tool, default: &str) -> Tool {
    let mut t = tool.clone();
    let mut input = (*t.input_schema).clone();
    if let Some(Value::Object(props)) = input.get_mut("properties") {
        props.insert(
            "targets".into(),
            serde_json::json!({
                "type": "string",
                "description": format!("Targets: names, globs (web-*), @tag, all, !name; default {default}")
            }),
        );
    }
    t.input_schema = Arc::new(input);
    if let Some(out) = &t.output_schema {
        let mut out: JsonObject = (**out).clone();
        if let Some(Value::Object(props)) = out.get_mut("properties") {
            props.insert("summary".into(), serde_json::json!({"type": "object"}));
            props.insert(
                "targets".into(),
                serde_json::json!({"type": "array", "items": {"type": "object"}}),
            );
        }
        t.output_schema = Some(Arc::new(out));
    }
    t
}

/// Takes `targets` out of the arguments. Errors: not a string, too long.
pub fn take_targets(args: &mut JsonObject) -> Result<Option<String>, McpError> {
    match args.remove("targets") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() <= MAX_SELECTION => Ok(Some(s)),
        Some(_) => Err(McpError::invalid_params(
            format!("targets: a string of at most {MAX_SELECTION} bytes, such as \"web-*,!web-3\" or \"@prod\""),
            None,
        )),
    }
}

/// Runs a tool's operation across the fleet (`targets`, else the file's default
/// selection): a call that goes to one target without `targets` (or an operation
/// on one daemon, `program`) answers exactly as with one daemon; otherwise the
/// report is joined ([`join`]).
pub async fn call(
    s: &SupervisorMcp,
    fleet: &Fleet,
    call: Call,
    targets: Option<String>,
    render: Render<'_>,
) -> Result<CallToolResult, McpError> {
    let fleet = match select(fleet, targets.as_deref()) {
        Ok(f) => f,
        Err(e) => return Ok(refusal(&e)),
    };
    if matches!(call.op, Op::Health) {
        return unhealthy(&fleet, call).await;
    }
    let planned = match exec::plan(&fleet, &call) {
        Ok(p) => p,
        Err(e) => return Ok(refusal(&e)),
    };
    if let [(t, names)] = planned.as_slice()
        && (targets.is_none() || call.op.reach() == Reach::One)
    {
        if let Err(error) = t.usable() {
            let target = t.name.clone();
            return Ok(refusal(&FleetError::Unusable { target, error }));
        }
        let policy = exec::policy_for(&fleet, &s.policy, t);
        return match exec::run_one(&t.client, &policy, &call.op, names.clone()).await {
            Ok(out) => Ok(render(out).into_result()),
            Err(e) => tool_error(e),
        };
    }
    if let Err(e) = exec::gate(&fleet, &s.policy, &call.op, &planned) {
        return Ok(refusal(&e));
    }
    let report = exec::fan(&fleet, &s.policy, planned, call.op).await;
    // Arguments that fit no target are the caller's error, as with one daemon.
    if let Some(msg) = report.outcomes.iter().find_map(|o| match &o.result {
        Err(e) if e.kind == ErrorKind::Usage => Some(e.message.clone()),
        _ => None,
    }) {
        return Err(McpError::invalid_params(msg, None));
    }
    Ok(join(&report, render))
}

/// The fleet with this call's selection: `targets` when given (explicit), else the
/// file's default.
fn select(fleet: &Fleet, targets: Option<&str>) -> Result<Fleet, FleetError> {
    let mut f = fleet.clone();
    if let Some(sel) = targets {
        f.selector = crate::fleet::Selector::parse(sel)?;
        f.explicit = true;
    }
    Ok(f)
}

/// The joined answer: each target's text (one line: `target: text`; more:
/// `== target ==` then the text), failed targets as `target: ERROR (kind) message`,
/// then the summary line; structured, `{summary, targets}` with each target's
/// structured content. `isError` when no target answered well.
fn join(report: &Report, render: Render<'_>) -> CallToolResult {
    let answers: Vec<TargetOutcome<Answer>> = report
        .outcomes
        .iter()
        .map(|o| TargetOutcome {
            target: o.target.clone(),
            elapsed: o.elapsed,
            result: o.result.clone().map(render),
        })
        .collect();
    let mut text = Vec::new();
    for o in &answers {
        match &o.result {
            Ok(a) if !a.text.contains('\n') => text.push(format!("{}: {}", o.target, a.text)),
            Ok(a) => text.push(format!("== {} ==\n{}", o.target, a.text)),
            Err(e) => text.push(crate::fleet::report::failed_line(&o.target, e)),
        }
    }
    text.push(report.summary.line());
    let structured: Vec<TargetOutcome<&Value>> = answers
        .iter()
        .map(|o| TargetOutcome {
            target: o.target.clone(),
            elapsed: o.elapsed,
            result: o.result.as_ref().map(|a| &a.structured).map_err(Clone::clone),
        })
        .collect();
    let all_failed = !answers.iter().any(|o| o.result.as_ref().is_ok_and(|a| !a.is_error));
    Answer {
        text: text.join("\n"),
        structured: envelope(&structured, serde_json::json!({})),
        is_error: all_failed,
    }
    .into_result()
}

/// A selection or a plan that cannot be used, or a change refused: an `isError`
/// result the agent reads, `LABEL: why` (the kind in upper case: `REFUSED`, `USAGE`).
fn refusal(e: &FleetError) -> CallToolResult {
    if let FleetError::Core(e) = e {
        return failure(e);
    }
    let why = crate::supervisor::text::escape(&e.to_string()).into_owned();
    let label = e.kind().label();
    let text = match e {
        FleetError::NotExplicit { targets } => {
            format!("{label}: {why}\nnext: pass targets: \"{}\"", targets.join(","))
        }
        _ => format!("{label}: {why}"),
    };
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// `status` with `unhealthy`: only what is wrong across the fleet (processes FATAL,
/// BACKOFF, EXITED unexpectedly, UNKNOWN; daemons not RUNNING; targets that could not
/// be asked), a few tokens when all is well: `all healthy; 20 targets: 20 ok`.
async fn unhealthy(fleet: &Fleet, call: Call) -> Result<CallToolResult, McpError> {
    let report = match exec::run(fleet, &crate::supervisor::Policy::default(), call).await {
        Ok(r) => r,
        Err(e) => return Ok(refusal(&e)),
    };
    let outcomes: Vec<TargetOutcome<crate::supervisor::ops::status::Health>> = report
        .outcomes
        .into_iter()
        .map(|o| TargetOutcome {
            target: o.target,
            elapsed: o.elapsed,
            result: o.result.map(|out| match out {
                Output::Health(h) => h,
                _ => Default::default(),
            }),
        })
        .collect();
    // Structured: only the targets with something wrong (few tokens when all is well).
    let wrong: Vec<Value> = outcomes
        .iter()
        .filter_map(|o| match &o.result {
            Ok(h) if h.is_healthy() => None,
            Ok(h) => Some(serde_json::json!({ "target": o.target, "ok": true, "result": h })),
            Err(e) => Some(serde_json::json!({ "target": o.target, "ok": false, "error": e })),
        })
        .collect();
    let summary = Summary::of(&outcomes);
    let text = crate::fleet::report::health_lines(&outcomes).join("\n");
    let structured = serde_json::json!({ "summary": summary, "targets": wrong });
    Ok(Answer {
        text,
        structured,
        is_error: summary.all_failed(),
    }
    .into_result())
}

/// The resource listing the targets (names, URLs without credentials, tags, auth).
pub const TARGETS_URI: &str = "supervisor://targets";

/// The `supervisor://targets` resource: every target of the file, as `targets` lists
/// them (never a credential).
pub fn targets_resource(fleet: &Fleet) -> rmcp::model::ResourceContents {
    let rows: Vec<Value> = fleet
        .targets
        .iter()
        .map(|t| {
            serde_json::json!({
                "target": t.name, "url": t.url, "tags": t.tags, "auth": t.auth, "read_only": t.read_only
            })
        })
        .collect();
    rmcp::model::ResourceContents::TextResourceContents {
        uri: TARGETS_URI.into(),
        mime_type: Some("application/json".into()),
        text: crate::supervisor::text::json_string(&serde_json::json!({ "targets": rows })),
        meta: None,
    }
}
