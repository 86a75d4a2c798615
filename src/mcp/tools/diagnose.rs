//! `diagnose`: why a process does not run, in one call.

use super::{ToolDef, reads};
use crate::mcp::server::{SupervisorMcp, answer, failure};
use crate::supervisor::bounds::Count;
use crate::supervisor::ops::diagnose;
use rmcp::ErrorData as McpError;
use rmcp::model::CallToolResult;
use schemars::JsonSchema;
use serde::Deserialize;

/// The tool: its name, description, schemas and annotations, and its handler.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<DiagnoseArgs, crate::supervisor::ops::diagnose::Diagnosis>(
        "diagnose",
        "Why a process is not running: state, timing, exit status, spawnerr, stderr/stdout tails, config, port owners.",
        reads(),
        |s, a, ctx| Box::pin(call(s, a, ctx)),
    )
}

/// `diagnose` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DiagnoseArgs {
    /// Namespec
    pub name: String,
    /// stderr lines (default 10; stdout gets half)
    pub lines: Option<Count<1, 200>>,
}

async fn call(
    s: &SupervisorMcp,
    a: DiagnoseArgs,
    _ctx: &rmcp::service::RequestContext<rmcp::RoleServer>,
) -> Result<CallToolResult, McpError> {
    let lines = a.lines.map_or(10, Count::get);
    match diagnose::diagnose(&s.client, &a.name, lines).await {
        Ok(d) => answer(d.summary(), &d, false),
        Err(e) => Ok(failure(&e)),
    }
}
