//! `wait`: until processes reach a state, or one is ready (URL, port, log pattern).

use super::ResultsOut;
use super::{ToolDef, reads};
use crate::mcp::server::{SupervisorMcp, results, tool_error};
use crate::supervisor::ProcessState;
use crate::supervisor::bounds::Seconds;
use crate::supervisor::ops::control;
use crate::supervisor::ops::ready::ReadyCheck;
use crate::supervisor::ops::wait::{self, WaitFor};
use rmcp::ErrorData as McpError;
use rmcp::model::CallToolResult;
use rmcp::model::ProgressNotificationParam;
use schemars::JsonSchema;
use serde::Deserialize;

/// The tool: its name, description, schemas and annotations, and its handler.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<WaitArgs, ResultsOut>(
        "wait",
        "Wait for a state, or readiness (url, port, log pattern), with progress; fails fast with stderr if it dies.",
        reads(),
        |s, a, ctx| Box::pin(call(s, a, ctx)),
    )
}

/// `wait` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct WaitArgs {
    /// Namespecs: name, group:*, all
    pub names: Vec<String>,
    /// State to reach (default RUNNING)
    pub state: Option<WaitState>,
    /// Ready when this http URL answers <400
    pub url: Option<String>,
    /// Ready when this port (or host:port) accepts connections
    pub port: Option<String>,
    /// Ready when a new log line matches this regex
    pub pattern: Option<String>,
    /// Max seconds (default 30)
    pub timeout_s: Option<Seconds>,
}

/// States worth waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum WaitState {
    Running,
    Stopped,
    Exited,
    Fatal,
}

impl From<WaitState> for ProcessState {
    fn from(s: WaitState) -> ProcessState {
        match s {
            WaitState::Running => ProcessState::Running,
            WaitState::Stopped => ProcessState::Stopped,
            WaitState::Exited => ProcessState::Exited,
            WaitState::Fatal => ProcessState::Fatal,
        }
    }
}

async fn call(
    s: &SupervisorMcp,
    a: WaitArgs,
    ctx: &rmcp::service::RequestContext<rmcp::RoleServer>,
) -> Result<CallToolResult, McpError> {
    let check = ReadyCheck::new(a.url, None, a.port, a.pattern.as_deref())
        .map_err(|e| McpError::invalid_params(e.to_string(), None))?;
    let w = WaitFor {
        names: a.names,
        state: a.state.map_or(ProcessState::Running, Into::into),
        check,
        timeout: a.timeout_s.map_or(wait::DEFAULT_TIMEOUT, Seconds::duration),
    };
    // Progress notifications go out from a task, so that polling never waits on the client.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<control::WaitProgress>();
    let forwarder = ctx.meta.get_progress_token().map(|token| {
        let peer = ctx.peer.clone();
        tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                let param = ProgressNotificationParam::new(token.clone(), p.elapsed.as_secs_f64())
                    .with_total(p.timeout.as_secs_f64())
                    .with_message(format!("{}/{} checks passed", p.settled, p.total));
                if peer.notify_progress(param).await.is_err() {
                    break;
                }
            }
        })
    });
    let r = wait::wait(&s.client, &w, |p| {
        let _ = tx.send(p.clone());
    })
    .await;
    drop(tx);
    if let Some(f) = forwarder {
        let _ = f.await;
    }
    match r {
        Ok(rs) => results(rs),
        Err(e) => tool_error(e),
    }
}
