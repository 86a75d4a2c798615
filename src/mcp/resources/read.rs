//! `resources/read`: a process as JSON, or a log's last lines as text.

use crate::supervisor::Client;
use crate::supervisor::ops::logs::{self, LogSource, TailOptions};
use crate::supervisor::ops::names;
use crate::supervisor::ops::status::ProcessStatus;
use crate::supervisor::watch::Key;
use rmcp::model::ResourceContents;

/// Lines in a log resource.
const LOG_LINES: usize = 50;

/// Reads what `key` names, as the resource `uri` (the URI asked): the process as
/// JSON (`getProcessInfo`), or a log's last 50 lines as text
/// (`tailProcessStdoutLog`/`tailProcessStderrLog`, bounded windows). Errors: the
/// daemon's, an unknown name explained with the closest known one;
/// [`crate::supervisor::Error::Invalid`] for the process list (no resource).
pub async fn read(client: &Client, key: &Key, uri: &str) -> crate::supervisor::Result<ResourceContents> {
    match key {
        Key::Process(name) => {
            let info = match client.get_process_info(name).await {
                Ok(info) => info,
                Err(e) => return Err(names::explain(client, name, e).await),
            };
            let text = crate::supervisor::text::json_string(&ProcessStatus::from(&info));
            Ok(ResourceContents::TextResourceContents {
                uri: uri.to_owned(),
                mime_type: Some("application/json".into()),
                text,
                meta: None,
            })
        }
        Key::Log(name, ch) => {
            let opts = TailOptions {
                lines: LOG_LINES,
                ..TailOptions::default()
            };
            let t = match logs::tail(client, &LogSource::process(name, *ch), &opts).await {
                Ok(t) => t,
                Err(e) => return Err(names::explain(client, name, e).await),
            };
            Ok(ResourceContents::text(t.lines.join("\n"), uri))
        }
        Key::Processes => Err(crate::supervisor::Error::Invalid(format!("unknown resource {uri:?}"))),
    }
}
