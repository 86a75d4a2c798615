//! `resources/read`: a process as JSON, or a log's last lines as text.

use super::uri::{Target, parse_uri};
use crate::supervisor::Client;
use crate::supervisor::ops::logs::{self, LogSource, TailOptions};
use crate::supervisor::ops::names;
use crate::supervisor::ops::status::ProcessStatus;
use rmcp::model::ResourceContents;

/// Lines in a log resource.
const LOG_LINES: usize = 50;

/// Reads a resource: the process as JSON (`getProcessInfo`), or a log's last 50
/// lines as text (`tailProcessStdoutLog`/`tailProcessStderrLog`, bounded windows).
/// Errors: [`crate::supervisor::Error::Invalid`] for a URI that names nothing; the
/// daemon's errors, an unknown name explained with the closest known one.
pub async fn read(client: &Client, uri: &str) -> crate::supervisor::Result<ResourceContents> {
    match parse_uri(uri) {
        Some(Target::Process(name)) => {
            let info = match client.get_process_info(&name).await {
                Ok(info) => info,
                Err(e) => return Err(names::explain(client, &name, e).await),
            };
            let text = crate::supervisor::text::json_string(&ProcessStatus::from(&info));
            Ok(ResourceContents::TextResourceContents {
                uri: uri.to_owned(),
                mime_type: Some("application/json".into()),
                text,
                meta: None,
            })
        }
        Some(Target::Log(name, ch)) => {
            let opts = TailOptions {
                lines: LOG_LINES,
                ..TailOptions::default()
            };
            let t = match logs::tail(client, &LogSource::process(&name, ch), &opts).await {
                Ok(t) => t,
                Err(e) => return Err(names::explain(client, &name, e).await),
            };
            Ok(ResourceContents::text(t.lines.join("\n"), uri))
        }
        None => Err(crate::supervisor::Error::Invalid(
            super::RouteError::Unknown {
                uri: uri.to_owned(),
                targets: false,
            }
            .to_string(),
        )),
    }
}
