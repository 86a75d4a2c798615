//! `wait`: until processes reach a state, or one is ready (URL, port, log pattern).

use super::ResultsOut;
use super::{ToolDef, reads};
use crate::mcp::server::{SupervisorMcp, failure, results, secs};
use crate::supervisor::ProcessState;
use crate::supervisor::ops::control;
use crate::supervisor::ops::ready::{self, ReadyCheck};
use rmcp::ErrorData as McpError;
use rmcp::model::CallToolResult;
use rmcp::model::ProgressNotificationParam;
use schemars::JsonSchema;
use serde::Deserialize;
use std::time::Duration;

/// Poll interval while waiting.
const POLL: Duration = Duration::from_millis(100);

/// The tool: its name, description, schemas and annotations, and its handler.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<WaitArgs, ResultsOut>(
        "wait",
        "Wait until processes reach a state, or one is ready (url, port or log pattern), with progress; fails fast, with stderr, if it dies.",
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
    pub timeout_s: Option<f64>,
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
    if a.names.is_empty() {
        return Err(McpError::invalid_params(
            "names is empty: name the processes, or give [\"all\"] to wait for every one",
            None,
        ));
    }
    let target: ProcessState = a.state.map_or(ProcessState::Running, Into::into);
    let timeout = secs(a.timeout_s, 30.0);
    let check = ReadyCheck {
        url: a.url,
        expect_status: None,
        port: a.port,
        pattern: a
            .pattern
            .as_deref()
            .map(regex::Regex::new)
            .transpose()
            .map_err(|e| McpError::invalid_params(format!("pattern is not a valid regex: {e}"), None))?,
    };
    let single = match (check.is_empty(), a.names.as_slice()) {
        (true, _) => None,
        (false, [one]) => Some(one.clone()),
        (false, _) => {
            return Err(McpError::invalid_params(
                "url, port and pattern check one process: give one name",
                None,
            ));
        }
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
    let r = match single {
        Some(name) => ready::wait_ready(&s.client, &name, &check, timeout, |p| {
            let _ = tx.send(p.clone());
        })
        .await
        .map(|r| vec![r]),
        None => {
            crate::supervisor::ops::wait::wait_for_state(&s.client, &a.names, target, timeout, POLL, |p| {
                let _ = tx.send(p.clone());
            })
            .await
        }
    };
    drop(tx);
    if let Some(f) = forwarder {
        let _ = f.await;
    }
    match r {
        Ok(rs) => results(rs),
        Err(e) => Ok(failure(&e)),
    }
}
