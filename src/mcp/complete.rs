//! `completion/complete`: the values of the resource templates' arguments, so that a
//! client (the Inspector, an IDE) offers process names, streams and targets as they
//! are typed. There are no prompts, so a prompt reference completes to nothing.

use super::resources::PREFIX;
use super::server::SupervisorMcp;
use crate::supervisor::{Client, ProcessInfo};
use rmcp::ErrorData as McpError;
use rmcp::model::{CompleteRequestParams, CompleteResult, CompletionInfo, Reference};

/// The values of `request.argument` that start with what was typed, sorted, at most
/// 100 (`total` and `hasMore` say how many matched): `name` (processes, of the
/// target given in the context's `target` when there is one: `getAllProcessInfo`),
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
        "name" => {
            let client = target_client(server, request).unwrap_or(&server.client);
            names(client).await?
        }
        _ => Vec::new(),
    };
    let mut hits: Vec<String> = values.into_iter().filter(|v| v.starts_with(typed)).collect();
    hits.sort();
    hits.dedup();
    done(hits)
}

/// The client of the target named in the completion's context (`{target}/{name}`).
fn target_client<'a>(server: &'a SupervisorMcp, request: &CompleteRequestParams) -> Option<&'a Client> {
    let target = request.context.as_ref()?.arguments.as_ref()?.get("target")?;
    let fleet = server.fleet.as_ref()?;
    fleet
        .targets
        .iter()
        .find(|t| &t.name == target && t.unusable.is_none())
        .map(|t| &t.client)
}

async fn names(client: &Client) -> Result<Vec<String>, McpError> {
    let all = client
        .get_all_process_info()
        .await
        .map_err(|e| McpError::internal_error(e.to_string(), None))?;
    Ok(all.iter().map(ProcessInfo::namespec).collect())
}

fn done(mut values: Vec<String>) -> Result<CompleteResult, McpError> {
    let total = u32::try_from(values.len()).unwrap_or(u32::MAX);
    let more = values.len() > CompletionInfo::MAX_VALUES;
    values.truncate(CompletionInfo::MAX_VALUES);
    let info =
        CompletionInfo::with_pagination(values, Some(total), more).map_err(|e| McpError::internal_error(e, None))?;
    Ok(CompleteResult::new(info))
}
