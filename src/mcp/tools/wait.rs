//! `wait`: until processes reach a state, or one is ready (URL, port, log pattern).

use super::ResultsOut;
use super::{Cx, Planned, ToolDef, reads};
use crate::fleet::exec::{Call, Op, Output};
use crate::mcp::answer::{Answer, results};
use crate::supervisor::ProcessState;
use crate::supervisor::bounds::Seconds;
use crate::supervisor::ops::control;
use crate::supervisor::ops::ready::ReadyCheck;
use crate::supervisor::ops::wait::{self, WaitFor};
use rmcp::ErrorData as McpError;
use rmcp::RoleServer;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::Peer;
use schemars::JsonSchema;
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

/// At most one progress notification per this interval (the wait polls 10 times a
/// second).
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// The tool: its name, description, schemas and annotations, its operation and rendering.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<WaitArgs, ResultsOut>(
        "wait",
        "Wait for a state, or readiness (url, port, log pattern), with progress; fails fast with stderr if it dies.",
        reads(),
        plan,
        render,
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

/// The wait on the names; with a progress token, its progress goes to the client
/// from a task that ends with the wait ([`forward_progress`]). A bad check is
/// `invalid_params`.
fn plan(a: &WaitArgs, cx: &Cx<'_>) -> Result<Planned, McpError> {
    let check = ReadyCheck::new(a.url.clone(), None, a.port.clone(), a.pattern.as_deref())
        .map_err(|e| McpError::invalid_params(e.to_string(), None))?;
    let w = WaitFor {
        names: Vec::new(),
        state: a.state.map_or(ProcessState::Running, Into::into),
        check,
        timeout: a.timeout_s.map_or(wait::DEFAULT_TIMEOUT, Seconds::duration),
    };
    // Progress notifications go out from a task, so that polling never waits on the client.
    let (progress, after) = match cx.ctx.meta.get_progress_token() {
        Some(token) => {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<control::WaitProgress>();
            let after = tokio::spawn(forward_progress(cx.ctx.peer.clone(), token, rx));
            let send: crate::fleet::exec::Progress = std::sync::Arc::new(move |p: &control::WaitProgress| {
                let _ = tx.send(p.clone());
            });
            (Some(send), Some(after))
        }
        None => (None, None),
    };
    let call = Call::new(Op::Wait { wait: w, progress }, a.names.clone());
    Ok(Planned { call, after })
}

fn render(_: &WaitArgs, out: Output) -> Answer {
    match out {
        Output::Results(rs) => results(rs),
        _ => Answer::unexpected(),
    }
}

/// Sends the wait's progress to the client: the first report at once, then at most
/// one per [`PROGRESS_EVERY`] (the latest one held back meanwhile), and the last
/// report when the wait ends if it was held back. Stops when the client is gone.
async fn forward_progress(
    peer: Peer<RoleServer>,
    token: ProgressToken,
    mut rx: UnboundedReceiver<control::WaitProgress>,
) {
    let send = |p: control::WaitProgress| {
        let param = ProgressNotificationParam::new(token.clone(), p.elapsed.as_secs_f64())
            .with_total(p.timeout.as_secs_f64())
            .with_message(format!("{}/{} checks passed", p.settled, p.total));
        let peer = peer.clone();
        async move { peer.notify_progress(param).await.is_ok() }
    };
    let mut next_slot: Option<Instant> = None;
    let mut held: Option<control::WaitProgress> = None;
    loop {
        let slot = next_slot.unwrap_or_else(Instant::now);
        let due = tokio::select! {
            p = rx.recv() => match p {
                Some(p) if Instant::now() >= slot => Some(p),
                Some(p) => {
                    held = Some(p);
                    None
                }
                None => break,
            },
            () = tokio::time::sleep_until(slot), if held.is_some() => held.take(),
        };
        if let Some(p) = due {
            held = None;
            if !send(p).await {
                return;
            }
            next_slot = Some(Instant::now() + PROGRESS_EVERY);
        }
    }
    if let Some(p) = held {
        send(p).await;
    }
}
