//! `control`: start, stop, restart, signal, stdin, clear_logs.

use super::ResultsOut;
use super::{ToolDef, changes};
use crate::mcp::server::{SupervisorMcp, failure, results, tool_error};
use crate::supervisor::bounds::Seconds;
use crate::supervisor::ops::control::{self, WaitOptions};
use crate::supervisor::ops::logs;
use rmcp::ErrorData as McpError;
use rmcp::model::CallToolResult;
use schemars::JsonSchema;
use serde::Deserialize;

/// The tool: its name, description, schemas and annotations, and its handler.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<ControlArgs, ResultsOut>(
        "control",
        "start/stop/restart (idempotent, any state, waits), signal, stdin, clear_logs. Failed starts give spawnerr, exit status, stderr tail.",
        changes(),
        |s, a, ctx| Box::pin(call(s, a, ctx)),
    )
}

/// What `control` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Start,
    Stop,
    Restart,
    Signal,
    Stdin,
    ClearLogs,
}

/// `control` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ControlArgs {
    pub action: Action,
    /// Namespecs: name, group:name, group:*, all (never empty)
    #[schemars(length(min = 1))]
    pub names: Vec<String>,
    /// e.g. HUP, TERM, USR1
    pub signal: Option<String>,
    /// For stdin (add \n)
    pub text: Option<String>,
    /// signal: whole process tree (local)
    pub tree: Option<bool>,
    /// Wait for the end state (default true)
    pub wait: Option<bool>,
    /// Max seconds (default 60)
    pub timeout_s: Option<Seconds>,
}

async fn call(
    s: &SupervisorMcp,
    a: ControlArgs,
    _ctx: &rmcp::service::RequestContext<rmcp::RoleServer>,
) -> Result<CallToolResult, McpError> {
    let opts = WaitOptions {
        wait: a.wait.unwrap_or(true),
        timeout: a.timeout_s.map_or(control::DEFAULT_TIMEOUT, Seconds::duration),
        ..WaitOptions::default()
    };
    let c = &s.client;
    let what = format!("{:?}", a.action).to_lowercase();
    if let Err(e) = s.policy.check_names(c, &what, &a.names).await {
        return Ok(failure(&e));
    }
    let r = match a.action {
        Action::Start => control::start(c, &a.names, &opts).await,
        Action::Stop => control::stop(c, &a.names, &opts).await,
        Action::Restart => control::restart(c, &a.names, &opts).await,
        Action::Signal => {
            let Some(sig) = a.signal.as_deref() else {
                return Err(McpError::invalid_params(
                    "action signal needs `signal` (e.g. HUP, TERM, USR1)",
                    None,
                ));
            };
            if a.tree.unwrap_or(false) {
                control::signal_tree(c, sig, &a.names).await
            } else {
                control::signal(c, sig, &a.names).await
            }
        }
        Action::Stdin => {
            let Some(text) = a.text.as_deref() else {
                return Err(McpError::invalid_params("action stdin needs `text`", None));
            };
            control::send_stdin_each(c, &a.names, text).await
        }
        Action::ClearLogs => logs::clear(c, &a.names).await,
    };
    match r {
        Ok(rs) => results(rs),
        Err(e) => tool_error(e),
    }
}
