//! `logs`: the last lines of a process's log or supervisord's own, filtered, with a
//! cursor for what is new.

use super::{ToolDef, reads};
use crate::mcp::render;
use crate::mcp::server::{SupervisorMcp, answer_as_is, failure};
use crate::supervisor::Channel;
use crate::supervisor::ops::logs::filter::LogFilter;
use crate::supervisor::ops::logs::{self, LogSource, TailOptions};
use rmcp::ErrorData as McpError;
use rmcp::model::CallToolResult;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Largest `lines` for `logs`.
const MAX_LINES: usize = 5000;

/// The tool: its name, description, schemas and annotations, and its handler.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<LogsArgs, LogsOut>(
        "logs",
        "Last N lines of a process's stdout/stderr or supervisord's log; pass cursor back for new lines only.",
        reads(),
        |s, a, ctx| Box::pin(call(s, a, ctx)),
    )
}

/// `logs` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct LogsArgs {
    /// Namespec; omit for supervisord's own log
    pub name: Option<String>,
    /// stdout (default) or stderr
    pub stream: Option<Channel>,
    /// Lines (default 20)
    pub lines: Option<usize>,
    /// From a previous call: only newer lines
    pub cursor: Option<u64>,
    /// Keep ANSI escapes
    pub raw: Option<bool>,
    /// Only lines matching this regex
    pub grep: Option<String>,
    /// Lines around grep matches
    pub context: Option<usize>,
    /// Lowest level: debug..fatal (JSON or text)
    pub min_level: Option<String>,
    /// Exactly this level
    pub level: Option<String>,
    /// JSON lines: field=value, field~=regex, field
    #[serde(default, rename = "where")]
    pub wheres: Vec<String>,
    /// JSON lines: timestamp >= this (ISO 8601 or epoch)
    pub since: Option<String>,
}

/// `logs` result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LogsOut {
    pub lines: Vec<String>,
    /// Pass back to get only newer lines
    pub cursor: u64,
    /// Byte cap hit before all lines were found
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// Log shrank (rotated/cleared): read from its start
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
    /// More new lines are waiting
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub more: bool,
}

async fn call(
    s: &SupervisorMcp,
    a: LogsArgs,
    _ctx: &rmcp::service::RequestContext<rmcp::RoleServer>,
) -> Result<CallToolResult, McpError> {
    let src = match &a.name {
        Some(n) => LogSource::process(n, a.stream.unwrap_or(Channel::Stdout)),
        None => LogSource::Main,
    };
    let opts = TailOptions {
        lines: a.lines.unwrap_or(20).clamp(1, MAX_LINES),
        raw: a.raw.unwrap_or(false),
        ..TailOptions::default()
    };
    let filter = LogFilter::from_args(
        a.grep.as_deref(),
        a.context.unwrap_or(0).min(50),
        a.level.as_deref(),
        a.min_level.as_deref(),
        &a.wheres,
        a.since.as_deref(),
    )
    .map_err(|e| McpError::invalid_params(e.to_string(), None))?;
    let out = match a.cursor {
        Some(cursor) => logs::read_since(&s.client, &src, cursor, &opts, &filter)
            .await
            .map(|c| LogsOut {
                lines: c.lines,
                cursor: c.cursor,
                truncated: false,
                reset: c.reset,
                more: c.more,
            }),
        None => logs::tail_filtered(&s.client, &src, &opts, &filter)
            .await
            .map(|t| LogsOut {
                cursor: t.end_offset.unwrap_or(0),
                truncated: t.truncated,
                lines: t.lines,
                reset: false,
                more: false,
            }),
    };
    match out {
        // Log lines: cleaned as read, or kept raw as asked.
        Ok(out) => answer_as_is(render::logs(&out), &out, false),
        Err(e) => Ok(failure(&e)),
    }
}
