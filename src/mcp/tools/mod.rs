//! The tools, in one table: each entry holds the tool's name, description, input and
//! output schemas, annotations, and, defined in the tool's own module, how its
//! arguments become one typed operation ([`crate::fleet::exec::Op`]) and how what the
//! operation gave on a daemon is rendered. The operation runs through the policy
//! gate, on one daemon or across targets, the same for every tool.
//! Few tools, each capable: an agent needs few round trips and little context.

mod control;
mod diagnose;
mod logs;
mod program;
mod reload;
mod status;
mod wait;

use super::answer::{Answer, tool_error};
use super::schema::{lean_schema, output_schema};
use super::server::SupervisorMcp;
use crate::fleet::exec::{self, Call, Output};
use crate::supervisor::ops::control::ProcessResult;
use rmcp::model::{CallToolResult, JsonObject, Tool, ToolAnnotations};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};

pub use logs::LogsOut;
pub use program::ProgramOut;
pub use status::{DaemonView, ProcView, StatusOut};

/// What a handler returns.
pub type Reply<'a> = Pin<Box<dyn Future<Output = Result<CallToolResult, McpError>> + Send + 'a>>;

type Handler = Box<
    dyn for<'a> Fn(&'a SupervisorMcp, JsonObject, Option<String>, &'a RequestContext<RoleServer>) -> Reply<'a>
        + Send
        + Sync,
>;

/// What a tool's call needs beside its arguments.
pub struct Cx<'a> {
    /// Where `program` writes program files (`--include-dir`; across targets, found
    /// from each daemon).
    pub include_dir: Option<std::path::PathBuf>,
    pub ctx: &'a RequestContext<RoleServer>,
}

/// The operation a tool call stands for, and what to finish once it has run (a
/// progress forwarder that ends with the operation).
pub struct Planned {
    pub call: Call,
    pub after: Option<tokio::task::JoinHandle<()>>,
}

impl From<Call> for Planned {
    fn from(call: Call) -> Planned {
        Planned { call, after: None }
    }
}

/// Builds a tool's operation from its arguments; `invalid_params` when they cannot work.
type Plan<A> = fn(&A, &Cx<'_>) -> Result<Planned, McpError>;
/// Renders what the operation gave on one daemon.
type Render<A> = fn(&A, Output) -> Answer;

/// One tool: what `tools/list` shows, and what `tools/call` runs: the arguments
/// become one typed operation ([`crate::fleet::exec`]), run on the daemon or across
/// targets through the policy gate, and each daemon's output is rendered.
pub struct ToolDef {
    pub tool: Tool,
    handler: Handler,
}

impl ToolDef {
    /// A tool taking arguments `A` (parsed from the call, with `invalid_params` when
    /// they do not fit) and answering `O` as structured content.
    fn new<A, O>(
        name: &'static str,
        description: &'static str,
        annotations: ToolAnnotations,
        plan: Plan<A>,
        render: Render<A>,
    ) -> ToolDef
    where
        A: DeserializeOwned + JsonSchema + Send + Sync + 'static,
        O: JsonSchema,
    {
        let tool = Tool::new(name, description, Arc::new(lean_schema::<A>()))
            .with_raw_output_schema(Arc::new(output_schema::<O>()))
            .with_annotations(annotations);
        let handler: Handler =
            Box::new(move |s, args, targets, ctx| Box::pin(handle(s, args, targets, ctx, plan, render)));
        ToolDef { tool, handler }
    }

    /// True for tools that change nothing (offered under `--read-only`).
    pub fn is_read_only(&self) -> bool {
        self.tool.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true)
    }
}

/// Runs a tool call: its arguments parsed, its operation run on the one daemon
/// (through the gate: [`exec::run_one`]) or across the fleet ([`super::fleet`]),
/// its output rendered.
async fn handle<A: DeserializeOwned + Send + Sync>(
    s: &SupervisorMcp,
    args: JsonObject,
    targets: Option<String>,
    ctx: &RequestContext<RoleServer>,
    plan: Plan<A>,
    render: Render<A>,
) -> Result<CallToolResult, McpError> {
    let a: A = parse(args)?;
    let cx = Cx {
        include_dir: s.include_dir.as_deref().filter(|_| s.fleet.is_none()).cloned(),
        ctx,
    };
    let Planned { call, after } = plan(&a, &cx)?;
    let r = match &s.fleet {
        None => {
            let Call { op, names } = call;
            let r = exec::run_one(&s.client, &s.policy, &op, names).await;
            // The operation (and a progress sender in it) ends here, then `after`.
            drop(op);
            match r {
                Ok(out) => Ok(render(&a, out).into_result()),
                Err(e) => tool_error(e),
            }
        }
        Some(f) => super::fleet::call(s, f, call, targets, &|out| render(&a, out)).await,
    };
    if let Some(after) = after {
        let _ = after.await;
    }
    r
}

fn parse<T: DeserializeOwned>(args: JsonObject) -> Result<T, McpError> {
    serde_json::from_value(serde_json::Value::Object(args))
        .map_err(|e| McpError::invalid_params(format!("invalid arguments: {e}"), None))
}

/// Every tool this server offers, built once.
pub static TOOLS: LazyLock<Vec<ToolDef>> = LazyLock::new(|| {
    vec![
        status::def(),
        control::def(),
        logs::def(),
        wait::def(),
        diagnose::def(),
        program::def(),
        reload::def(),
    ]
});

/// The tools offered under `policy` (read-only servers offer only those that change
/// nothing).
pub fn offered(read_only: bool) -> impl Iterator<Item = &'static ToolDef> {
    TOOLS.iter().filter(move |t| !read_only || t.is_read_only())
}

/// The names of the tools offered under `read_only`, for help texts.
pub fn names(read_only: bool) -> Vec<&'static str> {
    offered(read_only).map(|t| t.tool.name.as_ref()).collect()
}

/// Runs one tool call; an unknown tool is `invalid_params`. A tool that is not
/// offered (a change on a read-only server) still runs, and the policy gate refuses
/// it with a `REFUSED` result the agent can read. With a targets file, the call
/// goes across the fleet ([`super::fleet`]); without one, a `targets` argument is
/// `invalid_params`.
pub async fn call(
    s: &SupervisorMcp,
    name: &str,
    args: Option<JsonObject>,
    ctx: &RequestContext<RoleServer>,
) -> Result<CallToolResult, McpError> {
    let Some(def) = TOOLS.iter().find(|t| t.tool.name == name) else {
        return Err(McpError::invalid_params(
            format!("unknown tool {name:?}; the tools are {}", names(false).join(", ")),
            None,
        ));
    };
    let mut args = args.unwrap_or_default();
    let targets = super::fleet::take_targets(&mut args)?;
    if s.fleet.is_none() && targets.is_some() {
        return Err(McpError::invalid_params(
            "targets: this server reaches one supervisord (no targets file); leave targets out",
            None,
        ));
    }
    (def.handler)(s, args, targets, ctx).await
}

/// The tools as listed: with a targets file, each takes `targets`.
pub fn listed(read_only: bool, fleet: Option<&crate::fleet::Fleet>) -> Vec<Tool> {
    offered(read_only)
        .map(|t| match fleet {
            Some(f) => super::fleet::with_targets(&t.tool, &f.selection),
            None => t.tool.clone(),
        })
        .collect()
}

/// Per-process results (`control`, `wait`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ResultsOut {
    pub results: Vec<ProcessResult>,
}

/// Reads only: destructive and idempotent hints mean nothing then (MCP spec), so
/// they are left out.
fn reads() -> ToolAnnotations {
    ToolAnnotations::new().read_only(true).open_world(false)
}

/// Changes processes or configuration. readOnlyHint false and idempotentHint false
/// are the spec's defaults; destructiveHint is said outright.
fn changes() -> ToolAnnotations {
    ToolAnnotations::new().destructive(true).open_world(false)
}
