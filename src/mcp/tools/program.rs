//! `program`: add (or change) and remove programs, and one-shot runs.

use super::{Cx, Planned, ToolDef, changes};
use crate::fleet::exec::{Call, Op, Output, ProgramAdd};
use crate::mcp::answer::Answer;
use crate::mcp::render;
use crate::supervisor::bounds::Seconds;
use crate::supervisor::ops::control::{DEFAULT_TIMEOUT, WaitOptions};
use crate::supervisor::ops::programs::{self, AddOptions, Added, ProgramSettings, RunRequest, RunResult};
use crate::supervisor::text::shown;
use rmcp::ErrorData as McpError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The tool: its name, description, schemas and annotations, its operation and rendering.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<ProgramArgs, ProgramOut>(
        "program",
        "add (or change) a program and start it; remove one added so; run a command to completion (exit status, output).",
        changes(),
        plan,
        render,
    )
}

/// What `program` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProgramAction {
    Add,
    Remove,
    Run,
}

/// `program` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProgramArgs {
    pub action: ProgramAction,
    /// add/remove
    pub name: Option<String>,
    /// add/run
    pub command: Option<String>,
    pub directory: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// add (default false)
    pub autostart: Option<bool>,
    /// add: true, false, unexpected
    pub autorestart: Option<String>,
    pub startsecs: Option<u32>,
    pub numprocs: Option<u32>,
    /// add: start now (default true)
    pub start: Option<bool>,
    /// add: keep it when the start fails (default: roll back)
    pub keep_on_failure: Option<bool>,
    /// run: kill after (default 60)
    pub timeout_s: Option<Seconds>,
}

/// `program` result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProgramOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added: Option<crate::supervisor::ops::programs::Added>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<crate::supervisor::ops::programs::RunResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<crate::supervisor::ops::programs::Removed>,
}

/// The operation on one daemon (the one a qualified name names, across targets):
/// add, remove or run; what each action needs missing is `invalid_params`.
fn plan(a: &ProgramArgs, cx: &Cx<'_>) -> Result<Planned, McpError> {
    let include_dir = cx.include_dir.clone();
    let (op, names) = match a.action {
        ProgramAction::Add => {
            let name = need(&a.name, "name", a.action)?;
            let add = ProgramAdd {
                command: need(&a.command, "command", a.action)?,
                settings: settings(a),
                opts: AddOptions {
                    start: a.start.unwrap_or(true),
                    keep_on_failure: a.keep_on_failure.unwrap_or(false),
                    wait: WaitOptions {
                        timeout: a.timeout_s.map_or(DEFAULT_TIMEOUT, Seconds::duration),
                        ..WaitOptions::default()
                    },
                },
                include_dir,
            };
            (Op::ProgramAdd(add), vec![name])
        }
        ProgramAction::Remove => (
            Op::ProgramRemove { include_dir },
            vec![need(&a.name, "name", a.action)?],
        ),
        ProgramAction::Run => {
            let request = RunRequest {
                command: need(&a.command, "command", a.action)?,
                directory: a.directory.clone(),
                environment: a.env.clone(),
                timeout: a.timeout_s.map_or(programs::RUN_TIMEOUT, Seconds::duration),
                lines: 50,
            };
            (Op::Run { request, include_dir }, Vec::new())
        }
    };
    Ok(Call::new(op, names).into())
}

fn need(v: &Option<String>, what: &str, action: ProgramAction) -> Result<String, McpError> {
    v.clone()
        .ok_or_else(|| McpError::invalid_params(format!("action {action:?} needs `{what}`"), None))
}

fn settings(a: &ProgramArgs) -> ProgramSettings {
    ProgramSettings {
        directory: a.directory.clone(),
        environment: a.env.clone(),
        autostart: a.autostart,
        autorestart: a.autorestart.clone(),
        startsecs: a.startsecs,
        startretries: None,
        numprocs: a.numprocs,
        redirect_stderr: None,
    }
}

fn render(_: &ProgramArgs, out: Output) -> Answer {
    let empty = ProgramOut {
        added: None,
        run: None,
        removed: None,
    };
    match out {
        Output::Added(added) => added_answer(added),
        Output::Ran(r) => ran_answer(r),
        Output::Removed(r) => {
            let text = r.message.clone();
            let out = ProgramOut {
                removed: Some(r),
                ..empty
            };
            Answer::new(text, &out, false)
        }
        _ => Answer::unexpected(),
    }
}

fn added_answer(added: Added) -> Answer {
    let failed = added.processes.iter().any(|r| !r.outcome.is_success());
    let mut text = format!("{}: {} ({})\n", shown(&added.name), added.action, shown(&added.file));
    text.push_str(&render::results(&added.processes));
    if let Some(note) = added.failure_note("keep_on_failure") {
        text.push_str(&format!("\n{note}"));
    }
    let out = ProgramOut {
        added: Some(added),
        run: None,
        removed: None,
    };
    Answer::new(text, &out, failed)
}

fn ran_answer(r: RunResult) -> Answer {
    let mut text = shown(&programs::run_summary(&r)).to_string();
    for (label, lines) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        if !lines.is_empty() {
            text.push_str(&format!("\n{label}:\n  {}", lines.join("\n  ")));
        }
    }
    let failed = r.timed_out || r.error.is_some();
    let out = ProgramOut {
        added: None,
        run: Some(r),
        removed: None,
    };
    Answer::new(text, &out, failed)
}
