//! What a tool answers: [`Answer`] (text for the model, structured content for
//! programs, whether it failed), and the answer for an error: `LABEL: message`
//! ([`Error::label`]: the kind in upper case, a fault's own code) and what to do
//! next. Supervisord's faults and an unreachable daemon are `isError` results; only
//! arguments that cannot work are protocol errors.

use super::render;
use super::tools::ResultsOut;
use crate::supervisor::Error;
use crate::supervisor::ops::control::ProcessResult;
use crate::supervisor::text::{self, shown};
use rmcp::ErrorData as McpError;
use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;
use serde_json::Value;

/// One tool answer, typed: as one daemon's result, or one target's part of a
/// fleet's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub text: String,
    pub structured: Value,
    pub is_error: bool,
}

impl Answer {
    /// A successful (or, with `is_error`, failed) answer. The text is made of
    /// escaped fields ([`render`]); as a last guard, no control character but line
    /// feeds and tabs stays raw in it ([`text::escape_lines`]).
    pub fn new<T: Serialize>(text: String, value: &T, is_error: bool) -> Answer {
        Answer::as_is(text::escape_lines(&text).into_owned(), value, is_error)
    }

    /// [`Answer::new`] with `text` as it is: only for log lines, cleaned as read
    /// unless the agent asked for them `raw`.
    pub fn as_is<T: Serialize>(text: String, value: &T, is_error: bool) -> Answer {
        Answer {
            text,
            structured: serde_json::to_value(value).unwrap_or(Value::Null),
            is_error,
        }
    }

    /// An answer for a result a tool never gets from its operation.
    pub fn unexpected() -> Answer {
        Answer {
            text: "PROTOCOL: an unexpected answer".into(),
            structured: Value::Null,
            is_error: true,
        }
    }

    /// The MCP result.
    pub fn into_result(self) -> CallToolResult {
        let content = vec![ContentBlock::text(self.text)];
        let mut r = if self.is_error {
            CallToolResult::error(content)
        } else {
            CallToolResult::success(content)
        };
        r.structured_content = Some(self.structured);
        r
    }
}

/// A failure the agent can act on: `LABEL: message` (one line, the daemon's text in
/// it escaped) and what to do next.
pub(crate) fn failure(e: &Error) -> CallToolResult {
    let message = e.to_string();
    let label = e.label();
    let mut text = match e {
        // The daemon's text already starts with the fault's name: "BAD_NAME: nope".
        Error::Fault(f) if f.text.starts_with(&label) => shown(&f.text).to_string(),
        _ if message.starts_with(&label) => shown(&message).to_string(),
        _ => format!("{label}: {}", shown(&message)),
    };
    if let Some(step) = e.next_step() {
        text.push_str("\nnext: ");
        text.push_str(&render::next_step(&step));
    }
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// The answer for an operation's error: arguments that cannot work are a protocol
/// error (`invalid_params`); everything else is an `isError` result the agent reads.
pub(crate) fn tool_error(e: Error) -> Result<CallToolResult, McpError> {
    match e {
        Error::Usage(m) => Err(McpError::invalid_params(m, None)),
        other => Ok(failure(&other)),
    }
}

/// Per-process results, `isError` when any failed.
pub(crate) fn results(rs: Vec<ProcessResult>) -> Answer {
    let failed = rs.iter().any(|r| !r.outcome.is_success());
    Answer::new(render::results(&rs), &ResultsOut { results: rs }, failed)
}
