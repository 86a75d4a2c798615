//! `completion/complete`: the values of the resource templates' arguments, so that a
//! client (the Inspector, an IDE) offers process names, streams and targets as they
//! are typed. There are no prompts, so a prompt reference completes to nothing.

use super::resources::PREFIX;
use super::server::SupervisorMcp;
use rmcp::ErrorData as McpError;
use rmcp::model::{CompleteRequestParams, CompleteResult, CompletionInfo, Reference};

/// The values of `request.argument` that start with what was typed, sorted, at most
/// 100 (`total` and `hasMore` say how many matched): `name` (processes, of the
/// target given in the context's `target` when there is one),
/// `stream` (`stdout`, `stderr`), `target` (the targets of the targets file).
/// Errors: the daemon's, when the names cannot be listed.
pub async fn complete(server: &SupervisorMcp, request: &CompleteRequestParams) -> Result<CompleteResult, McpError> {
    let Reference::Resource(r) = &request.r#ref else {
        return done(Vec::new());
    };
    if !r.uri.starts_with(PREFIX) {
        return done(Vec::new());
    }
    let typed = request.argument.value.as_str();
    let values: Vec<String> = match request.argument.name.as_str() {
        "stream" => vec!["stdout".into(), "stderr".into()],
        "target" => server
            .fleet
            .iter()
            .flat_map(|f| f.targets.iter().map(|t| t.name.clone()))
            .collect(),
        "name" => names(server, request).await?,
        _ => Vec::new(),
    };
    let mut hits: Vec<String> = values.into_iter().filter(|v| v.starts_with(typed)).collect();
    hits.sort();
    hits.dedup();
    done(hits)
}

/// The processes of the target named in the completion's context (`{target}/{name}`),
/// else of the server's own daemon: the watch engine's list (read at most every
/// 10 s, `getAllProcessInfo`), not a call per keystroke.
async fn names(server: &SupervisorMcp, request: &CompleteRequestParams) -> Result<Vec<String>, McpError> {
    let target = request
        .context
        .as_ref()
        .and_then(|c| c.arguments.as_ref())
        .and_then(|a| a.get("target"))
        .filter(|t| server.watchers.is_target(t));
    let watcher = server
        .watchers
        .watcher(target.map(String::as_str))
        .map_err(|e| McpError::invalid_params(e.to_string(), None))?;
    watcher
        .processes()
        .await
        .map_err(|e| McpError::internal_error(e.to_string(), None))
}

fn done(mut values: Vec<String>) -> Result<CompleteResult, McpError> {
    let total = u32::try_from(values.len()).unwrap_or(u32::MAX);
    let more = values.len() > CompletionInfo::MAX_VALUES;
    values.truncate(CompletionInfo::MAX_VALUES);
    let info =
        CompletionInfo::with_pagination(values, Some(total), more).map_err(|e| McpError::internal_error(e, None))?;
    Ok(CompleteResult::new(info))
}
