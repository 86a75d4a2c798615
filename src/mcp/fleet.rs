//! Tools across targets. With a targets file, every tool takes an optional `targets`
//! (the selection grammar of the CLI's `-t`: names, globs, `@tag`, `all`, `!name`) and
//! names may be qualified (`TARGET/name`). Agents name configured targets only, never
//! URLs or credentials.
//!
//! A call that goes to one target without `targets` answers exactly as with one
//! daemon. Otherwise each planned target runs the tool's own handler, in parallel
//! under the fleet's bound and each within its deadline, and the answers are joined:
//! the text per target and a summary line; structuredContent `{summary, targets}`
//! with one entry per target, sorted (`{target, ok, elapsed_ms, result}` or
//! `{target, ok: false, error: {kind, message}}`). A partial failure is a normal
//! answer; `isError` only when no target answered well or the selection matched
//! nothing.

use super::server::SupervisorMcp;
use super::tools::ToolDef;
use crate::fleet::report::envelope;
use crate::fleet::{Fleet, FleetError, Outcome, Summary, Target, TargetError, fan_out};
use crate::supervisor::ops::status;
use crate::supervisor::ops::{control, update, wait};
use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer};
use serde_json::Value;
use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

/// The longest `targets` argument accepted, in bytes.
const MAX_SELECTION: usize = 4096;

tokio::task_local! {
    /// The failure of the target a handler is running for, as the handler reported it.
    static TARGET_ERROR: RefCell<Option<TargetError>>;
}

/// Called by every failure a handler reports: when it runs for one target of a fleet
/// call, the target's outcome is that error, with its stable kind.
pub(crate) fn note_error(e: &crate::supervisor::Error) {
    let _ = TARGET_ERROR.try_with(|c| *c.borrow_mut() = Some(TargetError::from_error(e)));
}

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

/// Runs tool `def` with `args` across the fleet.
pub async fn call(
    s: &SupervisorMcp,
    fleet: &Fleet,
    def: &'static ToolDef,
    args: JsonObject,
    targets: Option<String>,
    ctx: &RequestContext<RoleServer>,
) -> Result<CallToolResult, McpError> {
    let fleet = match select(fleet, targets.as_deref()) {
        Ok(f) => f,
        Err(e) => return Ok(refusal(&e)),
    };
    let name = def.tool.name.as_ref();
    if name == "status" && args.get("unhealthy").and_then(Value::as_bool) == Some(true) {
        return unhealthy(&fleet).await;
    }
    if name == "program" {
        return one_target(s, &fleet, def, args, ctx).await;
    }
    let planned = match plan(&fleet, &args, !def.is_read_only()) {
        Ok(p) => p,
        Err(e) => return Ok(refusal(&e)),
    };
    let names_key = if args.contains_key("names") { "names" } else { "name" };
    // One target and no `targets`: exactly the one-daemon answer.
    if let [(t, names)] = planned.as_slice()
        && targets.is_none()
    {
        if let Err(e) = t.usable() {
            return Ok(refusal(&FleetError::Selection(format!(
                "{} ({}): {}",
                t.name, e.kind, e.message
            ))));
        }
        let server = s.for_target(t);
        return def
            .invoke(&server, Some(with_names(&args, names_key, names)), ctx)
            .await;
    }
    let extra = extra_time(name, &args);
    let outcomes = fan_out(
        planned,
        fleet.limits(),
        |t| t.deadline + extra,
        |t, names| on_target(s.for_target(&t), def, with_names(&args, names_key, &names), ctx.clone()),
    )
    .await;
    // Arguments that fit no target are the caller's error, as with one daemon.
    if let Some(msg) = outcomes.iter().find_map(|o| match &o.result {
        Err(e) if e.kind == "invalid" => Some(e.message.clone()),
        _ => None,
    }) {
        return Err(McpError::invalid_params(msg, None));
    }
    Ok(join(&outcomes))
}

/// `program` acts on one target ([`Fleet::one_target`]): the one its name is
/// qualified by (`web-1/api`), else the only one selected; it answers as with one
/// daemon.
async fn one_target(
    s: &SupervisorMcp,
    fleet: &Fleet,
    def: &'static ToolDef,
    mut args: JsonObject,
    ctx: &RequestContext<RoleServer>,
) -> Result<CallToolResult, McpError> {
    let name = args.get("name").and_then(Value::as_str).map(str::to_owned);
    let (target, bare) = match fleet.one_target(name.as_deref()) {
        Ok(t) => t,
        Err(e) => return Ok(refusal(&e)),
    };
    if let Some(n) = bare {
        args.insert("name".into(), Value::from(n));
    }
    def.invoke(&s.for_target(&target), Some(args), ctx).await
}

/// Runs tool `def` with `args` for one target (`server`): its answer, or its failure
/// as the handler reported it ([`note_error`]); arguments the tool refuses are kind
/// `invalid`.
async fn on_target(
    server: SupervisorMcp,
    def: &'static ToolDef,
    args: JsonObject,
    ctx: RequestContext<RoleServer>,
) -> Result<Answer, TargetError> {
    TARGET_ERROR
        .scope(RefCell::new(None), async move {
            let r = def.invoke(&server, Some(args), &ctx).await;
            let noted = TARGET_ERROR.with(|c| c.borrow_mut().take());
            match (r, noted) {
                (Ok(r), None) => Ok(Answer::from(r)),
                (Ok(_), Some(e)) => Err(e),
                (Err(e), _) => Err(TargetError {
                    kind: "invalid",
                    message: e.message.to_string(),
                }),
            }
        })
        .await
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

/// The targets of the call, each with its names (qualifiers removed). Tools without
/// names, and calls naming every process, go to every selected target.
fn plan(fleet: &Fleet, args: &JsonObject, changes: bool) -> Result<Vec<(Target, Vec<String>)>, FleetError> {
    let names: Vec<String> = match (args.get("names"), args.get("name")) {
        (Some(Value::Array(a)), _) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
        (_, Some(Value::String(n))) => vec![n.clone()],
        _ => Vec::new(),
    };
    if names.is_empty() {
        let targets = if changes {
            fleet.for_change()?
        } else {
            fleet.selected()?
        };
        return Ok(targets.into_iter().map(|t| (t, Vec::new())).collect());
    }
    let planned = fleet.plan(&names, changes)?;
    if planned.is_empty() {
        return Err(FleetError::Selection("the names match no selected target".into()));
    }
    Ok(planned)
}

/// The arguments for one target: its own names (`names` or `name`).
fn with_names(args: &JsonObject, key: &str, names: &[String]) -> JsonObject {
    let mut a = args.clone();
    if names.is_empty() {
        return a;
    }
    let v = if key == "names" {
        Value::from(names.to_vec())
    } else {
        Value::from(names[0].clone())
    };
    a.insert(key.into(), v);
    a
}

/// What a change may wait beyond a read's deadline: its own timeout.
fn extra_time(tool: &str, args: &JsonObject) -> Duration {
    let asked = args
        .get("timeout_s")
        .and_then(Value::as_f64)
        .and_then(|s| Duration::try_from_secs_f64(s).ok());
    match tool {
        "control" => asked.unwrap_or(control::DEFAULT_TIMEOUT),
        "wait" => asked.unwrap_or(wait::DEFAULT_TIMEOUT),
        "reload" => update::STOP_TIMEOUT,
        _ => Duration::ZERO,
    }
}

/// One target's answer: its text, structured content, and whether it failed.
struct Answer {
    text: String,
    structured: Value,
    is_error: bool,
}

impl From<CallToolResult> for Answer {
    fn from(r: CallToolResult) -> Answer {
        let text = r
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.clone()))
            .collect::<Vec<_>>()
            .join("\n");
        Answer {
            text,
            structured: r.structured_content.unwrap_or(Value::Null),
            is_error: r.is_error == Some(true),
        }
    }
}

/// The joined answer: each target's text (one line: `target: text`; more:
/// `== target ==` then the text), failed targets as `target: ERROR (kind) message`,
/// then the summary line.
fn join(outcomes: &[Outcome<Answer>]) -> CallToolResult {
    let mut text = Vec::new();
    for o in outcomes {
        match &o.result {
            Ok(a) if !a.text.contains('\n') => text.push(format!("{}: {}", o.target, a.text)),
            Ok(a) => text.push(format!("== {} ==\n{}", o.target, a.text)),
            Err(e) => text.push(crate::fleet::report::failed_line(&o.target, e)),
        }
    }
    text.push(Summary::of(outcomes).line());
    let structured: Vec<Outcome<Value>> = outcomes
        .iter()
        .map(|o| Outcome {
            target: o.target.clone(),
            elapsed: o.elapsed,
            result: o.result.as_ref().map(|a| a.structured.clone()).map_err(Clone::clone),
        })
        .collect();
    let all_failed = !outcomes.iter().any(|o| o.result.as_ref().is_ok_and(|a| !a.is_error));
    let mut r = if all_failed {
        CallToolResult::error(vec![ContentBlock::text(text.join("\n"))])
    } else {
        CallToolResult::success(vec![ContentBlock::text(text.join("\n"))])
    };
    r.structured_content = Some(envelope(&structured, serde_json::json!({})));
    r
}

/// A selection or a plan that cannot be used: an `isError` result the agent reads.
fn refusal(e: &FleetError) -> CallToolResult {
    let why = crate::supervisor::text::escape(&e.to_string()).into_owned();
    let text = match e {
        FleetError::NotExplicit { targets } => {
            format!("REFUSED: {why}\nnext: pass targets: \"{}\"", targets.join(","))
        }
        _ => format!("REFUSED: {why}"),
    };
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// `status` with `unhealthy`: only what is wrong across the fleet (processes FATAL,
/// BACKOFF, EXITED unexpectedly, UNKNOWN; daemons not RUNNING; targets that could not
/// be asked), a few tokens when all is well: `all healthy; 20 targets: 20 ok`.
async fn unhealthy(fleet: &Fleet) -> Result<CallToolResult, McpError> {
    let targets = match fleet.selected() {
        Ok(t) => t,
        Err(e) => return Ok(refusal(&e)),
    };
    let items = targets.into_iter().map(|t| (t, ())).collect();
    let outcomes = fan_out(
        items,
        fleet.limits(),
        |t| t.deadline,
        |t, ()| async move { status::health(&t.client).await },
    )
    .await;
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
    let lines = crate::fleet::report::health_lines(&outcomes);
    let text = lines.join("\n");
    let mut r = if summary.all_failed() {
        CallToolResult::error(vec![ContentBlock::text(text)])
    } else {
        CallToolResult::success(vec![ContentBlock::text(text)])
    };
    r.structured_content = Some(serde_json::json!({ "summary": summary, "targets": wrong }));
    Ok(r)
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
