//! `program`: add (or change) and remove programs, and one-shot runs.

use super::{ToolDef, changes};
use crate::mcp::render;
use crate::mcp::server::{SupervisorMcp, answer, failure, secs};
use crate::supervisor::Error;
use crate::supervisor::ops::control::WaitOptions;
use crate::supervisor::ops::programs::{self, ProgramSpec};
use rmcp::ErrorData as McpError;
use rmcp::model::CallToolResult;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// The tool: its name, description, schemas and annotations, and its handler.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<ProgramArgs, ProgramOut>(
        "program",
        "add (or change) a program and start it; remove one added so; run a command to completion (exit status, output) as a transient program.",
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
    /// run: kill after (default 60)
    pub timeout_s: Option<f64>,
}

/// `program` result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProgramOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added: Option<crate::supervisor::ops::programs::Added>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<crate::supervisor::ops::programs::RunResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<String>,
}

async fn call(
    s: &SupervisorMcp,
    a: ProgramArgs,
    _ctx: &rmcp::service::RequestContext<rmcp::RoleServer>,
) -> Result<CallToolResult, McpError> {
    let need = |v: &Option<String>, what: &str| {
        v.clone()
            .ok_or_else(|| McpError::invalid_params(format!("action {:?} needs `{what}`", a.action), None))
    };
    let check = match a.action {
        ProgramAction::Run => s.policy.check_global("run"),
        _ => {
            let name = need(&a.name, "name")?;
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
    let outcome = match a.action {
        ProgramAction::Add => {
            let spec = ProgramSpec {
                name: need(&a.name, "name")?,
                command: need(&a.command, "command")?,
                directory: a.directory,
                environment: a.env,
                autostart: a.autostart,
                autorestart: a.autorestart,
                startsecs: a.startsecs,
                startretries: None,
                numprocs: a.numprocs,
                redirect_stderr: None,
            };
            let wait = WaitOptions {
                timeout: secs(a.timeout_s, 60.0),
                ..WaitOptions::default()
            };
            programs::add(c, &dir, &spec, a.start.unwrap_or(true), &wait)
                .await
                .map(|added| {
                    let failed = added.processes.iter().any(|r| !r.outcome.is_success());
                    let mut text = format!("{}: {} ({})\n", added.name, added.action, added.file);
                    text.push_str(&render::results(&added.processes));
                    (
                        text,
                        ProgramOut {
                            added: Some(added),
                            run: None,
                            removed: None,
                        },
                        failed,
                    )
                })
        }
        ProgramAction::Remove => programs::remove(c, &dir, &need(&a.name, "name")?, Duration::from_secs(60))
            .await
            .map(|msg| {
                (
                    msg.clone(),
                    ProgramOut {
                        added: None,
                        run: None,
                        removed: Some(msg),
                    },
                    false,
                )
            }),
        ProgramAction::Run => {
            let command = need(&a.command, "command")?;
            let timeout = secs(a.timeout_s, 60.0);
            programs::run(c, &dir, &command, a.directory.as_deref(), &a.env, timeout, 50)
                .await
                .map(|r| {
                    let mut text = programs::run_summary(&r);
                    for (label, lines) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
                        if !lines.is_empty() {
                            text.push_str(&format!("\n{label}:\n  {}", lines.join("\n  ")));
                        }
                    }
                    let failed = r.timed_out || r.error.is_some();
                    (
                        text,
                        ProgramOut {
                            added: None,
                            run: Some(r),
                            removed: None,
                        },
                        failed,
                    )
                })
        }
    };
    match outcome {
        Ok((text, out, failed)) => answer(text, &out, failed),
        Err(e) => Ok(failure(&e)),
    }
}
