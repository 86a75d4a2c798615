//! What the MCP test crates share: calling a tool and reading its result.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rmcp::RoleClient;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::Peer;
use serde_json::Value;

/// The request for `tool` with `args` (a JSON object).
pub fn params(tool: &'static str, args: Value) -> CallToolRequestParams {
    let Value::Object(m) = args else {
        panic!("args must be an object")
    };
    CallToolRequestParams::new(tool).with_arguments(m)
}

/// Calls `tool` with `args` (a JSON object); panics on a protocol error only.
pub async fn call(c: &Peer<RoleClient>, tool: &'static str, args: Value) -> CallToolResult {
    c.call_tool(params(tool, args)).await.expect("call")
}

/// The result's text blocks, one per line.
pub fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The result's structuredContent (panics without one).
pub fn structured(r: &CallToolResult) -> &Value {
    r.structured_content.as_ref().expect("structuredContent")
}

/// Whether the result is `isError`.
pub fn is_error(r: &CallToolResult) -> bool {
    r.is_error == Some(true)
}
