//! `control`: start, stop, restart, signal, stdin, clear_logs.

use super::ResultsOut;
use super::{Cx, Planned, ToolDef, changes};
use crate::fleet::exec::{Call, Op, Output};
use crate::mcp::answer::{Answer, results};
use crate::supervisor::bounds::Seconds;
use crate::supervisor::ops::control::{self, WaitOptions};
use rmcp::ErrorData as McpError;
use schemars::JsonSchema;
use serde::Deserialize;

/// The tool: its name, description, schemas and annotations, its operation and rendering.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<ControlArgs, ResultsOut>(
        "control",
        "start/stop/restart (idempotent, any state, waits), signal, stdin, clear_logs. Failed starts give spawnerr, exit status, stderr tail.",
        changes(),
        plan,
        render,
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

/// The operation: the action on the names; `signal` needs a signal, `stdin` a text.
fn plan(a: &ControlArgs, _: &Cx<'_>) -> Result<Planned, McpError> {
    let opts = WaitOptions {
        wait: a.wait.unwrap_or(true),
        timeout: a.timeout_s.map_or(control::DEFAULT_TIMEOUT, Seconds::duration),
        ..WaitOptions::default()
    };
    let op = match a.action {
        Action::Start => Op::Start(opts),
        Action::Stop => Op::Stop(opts),
        Action::Restart => Op::Restart(opts),
        Action::Signal => {
            let Some(signal) = a.signal.clone() else {
                return Err(McpError::invalid_params(
                    "action signal needs `signal` (e.g. HUP, TERM, USR1)",
                    None,
                ));
            };
            Op::Signal {
                signal,
                tree: a.tree.unwrap_or(false),
            }
        }
        Action::Stdin => {
            let Some(text) = a.text.clone() else {
                return Err(McpError::invalid_params("action stdin needs `text`", None));
            };
            Op::Stdin { text }
        }
        Action::ClearLogs => Op::Clear,
    };
    Ok(Call::new(op, a.names.clone()).into())
}

fn render(_: &ControlArgs, out: Output) -> Answer {
    match out {
        Output::Results(rs) => results(rs),
        _ => Answer::unexpected(),
    }
}
