//! `reload`: re-read the configuration and apply it.

use super::{ToolDef, changes};
use crate::mcp::render;
use crate::mcp::server::{SupervisorMcp, answer, failure};
use crate::supervisor::ops::update;
use rmcp::ErrorData as McpError;
use rmcp::model::CallToolResult;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The tool: its name, description, schemas and annotations, and its handler.
pub(super) fn def() -> ToolDef {
    ToolDef::new::<ReloadArgs, ReloadOut>(
        "reload",
        "Re-read the config and apply it, like supervisorctl update; dry_run only reports.",
        changes(),
        |s, a, ctx| Box::pin(call(s, a, ctx)),
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

async fn call(
    s: &SupervisorMcp,
    a: ReloadArgs,
    _ctx: &rmcp::service::RequestContext<rmcp::RoleServer>,
) -> Result<CallToolResult, McpError> {
    // A dry run re-reads the configuration too (reloadConfig): a change all the same.
    if let Err(e) = s.policy.check_global("reload") {
        return Ok(failure(&e));
    }
    match update::update(&s.client, &[], a.dry_run, update::STOP_TIMEOUT).await {
        Ok(r) => {
            let failed = !r.all_applied();
            let text = render::update(&r);
            answer(
                text,
                &ReloadOut {
                    changes: r.changes,
                    dry_run: r.dry_run,
                },
                failed,
            )
        }
        Err(e) => Ok(failure(&e)),
    }
}
