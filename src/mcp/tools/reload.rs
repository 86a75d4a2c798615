//! `reload`: re-read the configuration and apply it.

use super::{Cx, Planned, ToolDef, changes};
use crate::fleet::exec::{Call, Op, Output};
use crate::mcp::answer::Answer;
use crate::mcp::render;
use rmcp::ErrorData as McpError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The tool: its name, description, schemas and annotations, its operation and rendering.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<ReloadArgs, ReloadOut>(
        "reload",
        "Re-read the config and apply it, like supervisorctl update; dry_run only reports.",
        changes(),
        plan,
        render,
    )
}

/// `reload` arguments.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ReloadArgs {
    /// Only report what would change
    #[serde(default)]
    pub dry_run: bool,
}

/// `reload` result: one entry per group added, changed or removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReloadOut {
    pub changes: Vec<crate::supervisor::ops::update::GroupChange>,
    pub dry_run: bool,
}

/// Every group's configuration applied; a dry run re-reads the configuration too
/// (`reloadConfig`): a change all the same, for the policy gate.
fn plan(a: &ReloadArgs, _: &Cx<'_>) -> Result<Planned, McpError> {
    let op = Op::Update {
        groups: Vec::new(),
        dry_run: a.dry_run,
    };
    Ok(Call::new(op, Vec::new()).into())
}

fn render(_: &ReloadArgs, out: Output) -> Answer {
    let Output::Update(r) = out else {
        return Answer::unexpected();
    };
    let failed = !r.all_applied();
    let text = render::update(&r);
    let out = ReloadOut {
        changes: r.changes,
        dry_run: r.dry_run,
    };
    Answer::new(text, &out, failed)
}
