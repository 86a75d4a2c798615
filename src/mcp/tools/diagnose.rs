//! `diagnose`: why a process does not run, in one call.

use super::{Cx, Planned, ToolDef, reads};
use crate::fleet::exec::{Call, Op, Output};
use crate::mcp::answer::Answer;
use crate::supervisor::bounds::Count;
use rmcp::ErrorData as McpError;
use schemars::JsonSchema;
use serde::Deserialize;

/// The tool: its name, description, schemas and annotations, its operation and rendering.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<DiagnoseArgs, crate::supervisor::ops::diagnose::Diagnosis>(
        "diagnose",
        "Why a process is not running: state, timing, exit status, spawnerr, stderr/stdout tails, config, port owners.",
        reads(),
        plan,
        render,
    )
}

/// `diagnose` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DiagnoseArgs {
    /// Namespec
    pub name: String,
    /// stderr lines (default 10; stdout gets half)
    pub lines: Option<Count<1, 200>>,
    /// Sample CPU (default: average since start)
    pub cpu_sample_ms: Option<Count<1, 10000>>,
}

fn plan(a: &DiagnoseArgs, _: &Cx<'_>) -> Result<Planned, McpError> {
    let lines = a.lines.map_or(10, Count::get);
    let cpu_sample = a
        .cpu_sample_ms
        .map(|ms| std::time::Duration::from_millis(ms.get() as u64));
    Ok(Call::new(Op::Diagnose { lines, cpu_sample }, vec![a.name.clone()]).into())
}

fn render(_: &DiagnoseArgs, out: Output) -> Answer {
    match out {
        Output::Diagnosis(d) => Answer::new(d.summary(), &*d, false),
        _ => Answer::unexpected(),
    }
}
