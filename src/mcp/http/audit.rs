//! What `serve`'s audit log records of an MCP tool call that changes something:
//! the operation (`control`'s action, `program`'s action, `reload`), the names and
//! the targets asked for, and how it ended. Never the arguments that may hold
//! secrets (a program's command and environment, stdin text).

use super::guard::Caller;
use crate::server::audit::{AuditLog, Entry, Failed, Outcome};
use crate::supervisor::ErrorKind;
use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolResult, JsonObject};
use serde_json::Value;
use std::sync::Arc;

/// The log and who the session's calls come from.
#[derive(Debug)]
pub struct Audited {
    pub log: Arc<AuditLog>,
    pub caller: Caller,
}

/// Whether calling `tool` may change something (it is not offered read-only).
fn changes(tool: &str) -> bool {
    crate::mcp::tools::TOOLS
        .iter()
        .any(|t| t.tool.name == tool && !t.is_read_only())
}

/// Records the call of `tool` with `args` that gave `result`, when it may change
/// something.
pub fn record(a: &Audited, tool: &str, args: Option<&JsonObject>, result: &Result<CallToolResult, McpError>) {
    if !changes(tool) {
        return;
    }
    let empty = JsonObject::new();
    let args = args.unwrap_or(&empty);
    let text = |k: &str| args.get(k).and_then(Value::as_str).map(str::to_owned);
    let op = match (tool, text("action")) {
        ("program", Some(action)) => format!("program {action}"),
        (_, Some(action)) => action,
        _ => tool.to_owned(),
    };
    let mut names: Vec<String> = match args.get("names") {
        Some(Value::Array(v)) => v.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    names.extend(text("name"));
    let (result, failed) = outcome(result);
    a.log.record(Entry {
        time: String::new(),
        token: a.caller.id.name.clone(),
        client: a.caller.client.clone(),
        via: "mcp",
        op,
        targets: text("targets").into_iter().collect(),
        names,
        result,
        failed,
    });
}

/// How the call ended: refused (its text starts `REFUSED`), failed, partly done
/// across targets (the fleet summary's `failed`), or done.
fn outcome(result: &Result<CallToolResult, McpError>) -> (Outcome, Vec<Failed>) {
    let r = match result {
        Ok(r) => r,
        Err(_) => return (Outcome::Failed, Vec::new()),
    };
    let first = r
        .content
        .first()
        .and_then(|c| c.as_text())
        .map_or("", |t| t.text.as_str());
    if first.starts_with(&ErrorKind::Refused.label()) {
        return (Outcome::Refused, Vec::new());
    }
    let failed: Vec<Failed> = r
        .structured_content
        .as_ref()
        .and_then(|s| s.get("summary")?.get("failed")?.as_object().cloned())
        .into_iter()
        .flatten()
        .flat_map(|(kind, targets)| {
            let kind = ErrorKind::ALL.into_iter().find(|k| k.as_str() == kind);
            let targets: Vec<String> = serde_json::from_value(targets).unwrap_or_default();
            targets.into_iter().map(move |target| Failed {
                target,
                kind: kind.unwrap_or(ErrorKind::Fault),
            })
        })
        .collect();
    let outcome = match (r.is_error == Some(true), failed.is_empty()) {
        (true, _) => Outcome::Failed,
        (false, true) => Outcome::Ok,
        (false, false) => Outcome::Partial,
    };
    (outcome, failed)
}
