//! `logs`: the last lines of a process's log or supervisord's own, filtered, with a
//! cursor for what is new.

use super::{Cx, Planned, ToolDef, reads};
use crate::fleet::exec::{Call, LogsRead, Op, Output};
use crate::mcp::answer::Answer;
use crate::mcp::render;
use crate::supervisor::Channel;
use crate::supervisor::ops::logs::TailOptions;
use crate::supervisor::ops::logs::filter::LogFilter;
use rmcp::ErrorData as McpError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Largest `lines` for `logs`.
const MAX_LINES: usize = 5000;

/// The tool: its name, description, schemas and annotations, its operation and rendering.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<LogsArgs, LogsOut>(
        "logs",
        "Last N lines of a process's stdout/stderr or supervisord's log; pass cursor back for new lines only.",
        reads(),
        plan,
        render,
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

/// The named process's log, or supervisord's own; from the cursor, or its last lines
/// with the end as the next cursor. A bad filter is `invalid_params`.
fn plan(a: &LogsArgs, _: &Cx<'_>) -> Result<Planned, McpError> {
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
    let read = LogsRead {
        channel: a.stream.unwrap_or(Channel::Stdout),
        opts,
        filter,
        cursor: a.cursor,
        at_end: true,
    };
    Ok(Call::new(Op::Logs(read), a.name.iter().cloned().collect()).into())
}

fn render(_: &LogsArgs, out: Output) -> Answer {
    let out = match out {
        Output::Since(_, c) => LogsOut {
            lines: c.lines,
            cursor: c.cursor,
            truncated: false,
            reset: c.reset,
            more: c.more,
        },
        Output::Tail(_, t) => LogsOut {
            cursor: t.end_offset.unwrap_or(0),
            truncated: t.truncated,
            lines: t.lines,
            reset: false,
            more: false,
        },
        _ => return Answer::unexpected(),
    };
    // Log lines: cleaned as read, or kept raw as asked.
    Answer::as_is(render::logs(&out), &out, false)
}
