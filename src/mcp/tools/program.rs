//! `program`: add (or change) and remove programs, and one-shot runs.

use super::{ToolDef, changes};
use crate::mcp::render;
use crate::mcp::server::{SupervisorMcp, answer, failure};
use crate::supervisor::Error;
use crate::supervisor::bounds::Seconds;
use crate::supervisor::ops::control::{DEFAULT_TIMEOUT, WaitOptions};
use crate::supervisor::ops::programs::{self, AddOptions, ProgramSettings, ProgramSpec, RunRequest};
use crate::supervisor::text::shown;
use rmcp::ErrorData as McpError;
use rmcp::model::CallToolResult;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The tool: its name, description, schemas and annotations, and its handler.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<ProgramArgs, ProgramOut>(
        "program",
        "add (or change) a program and start it; remove one added so; run a command to completion (exit status, output).",
        changes(),
        |s, a, ctx| Box::pin(call(s, a, ctx)),
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

async fn call(
    s: &SupervisorMcp,
    a: ProgramArgs,
    ctx: &rmcp::service::RequestContext<rmcp::RoleServer>,
) -> Result<CallToolResult, McpError> {
    let check = match a.action {
        ProgramAction::Run => s.policy.check_global("run"),
        _ => {
            let name = need(&a.name, "name", a.action)?;
            s.policy.check_write("program").and_then(|()| {
                if s.policy.allows_name(&name) {
                    Ok(())
                } else {
                    Err(Error::Refused(format!("program {name} is not allowed (--allow)")))
                }
            })
        }
    };
    if let Err(e) = check {
        return Ok(failure(&e));
    }
    let dir = match programs::include_dir(&s.client, s.include_dir.as_deref().map(|p| p.as_path())).await {
        Ok(d) => d,
        Err(e) => return Ok(failure(&e)),
    };
    let c = &s.client;
    let work = async {
        match a.action {
            ProgramAction::Add => add(c, &dir, a).await,
            ProgramAction::Remove => {
                let name = need(&a.name, "name", a.action)?;
                Ok(programs::remove(c, &dir, &name, programs::REMOVE_TIMEOUT)
                    .await
                    .map(|r| {
                        let out = ProgramOut {
                            added: None,
                            run: None,
                            removed: Some(r.clone()),
                        };
                        (r.message, out, false)
                    }))
            }
            ProgramAction::Run => run(c, &dir, a).await,
        }
    };
    // A cancelled request (notifications/cancelled) drops the work: its cleanup runs on.
    let outcome = tokio::select! {
        r = work => r?,
        _ = ctx.ct.cancelled() => return Err(McpError::internal_error("cancelled: the operation was undone", None)),
    };
    match outcome {
        Ok((text, out, failed)) => answer(text, &out, failed),
        Err(e) => Ok(failure(&e)),
    }
}

type Outcome = crate::supervisor::Result<(String, ProgramOut, bool)>;

fn need(v: &Option<String>, what: &str, action: ProgramAction) -> Result<String, McpError> {
    v.clone()
        .ok_or_else(|| McpError::invalid_params(format!("action {action:?} needs `{what}`"), None))
}

async fn add(c: &crate::supervisor::Client, dir: &programs::IncludeDir, a: ProgramArgs) -> Result<Outcome, McpError> {
    let settings = ProgramSettings {
        directory: a.directory,
        environment: a.env,
        autostart: a.autostart,
        autorestart: a.autorestart,
        startsecs: a.startsecs,
        startretries: None,
        numprocs: a.numprocs,
        redirect_stderr: None,
    };
    let spec = match ProgramSpec::new(
        need(&a.name, "name", a.action)?,
        need(&a.command, "command", a.action)?,
        settings,
    ) {
        Ok(spec) => spec,
        Err(e) => return Ok(Err(e)),
    };
    let opts = AddOptions {
        start: a.start.unwrap_or(true),
        keep_on_failure: a.keep_on_failure.unwrap_or(false),
        wait: WaitOptions {
            timeout: a.timeout_s.map_or(DEFAULT_TIMEOUT, Seconds::duration),
            ..WaitOptions::default()
        },
    };
    Ok(programs::add(c, dir, &spec, &opts).await.map(|added| {
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
        (text, out, failed)
    }))
}

async fn run(c: &crate::supervisor::Client, dir: &programs::IncludeDir, a: ProgramArgs) -> Result<Outcome, McpError> {
    let req = RunRequest {
        command: need(&a.command, "command", a.action)?,
        directory: a.directory,
        environment: a.env,
        timeout: a.timeout_s.map_or(programs::RUN_TIMEOUT, Seconds::duration),
        lines: 50,
    };
    Ok(programs::run(c, dir, &req).await.map(|r| {
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
        (text, out, failed)
    }))
}
