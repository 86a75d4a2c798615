//! Processes and their logs as MCP resources, and change notifications.
//!
//! - `supervisor://process/NAME`: the process's state, pid, exit status, spawnerr
//!   (JSON); `supervisor://process/NAME/stdout` and `.../stderr`: its last 50 lines.
//! - `resources/subscribe` to any of them: a watcher polls `getAllProcessInfo` once a
//!   second (only while something is subscribed) and sends
//!   `notifications/resources/updated` when a subscribed process changes state, pid or
//!   exit status, or a subscribed log grows; `notifications/resources/list_changed`
//!   when processes appear or vanish.
//!
//! Why polling rather than an event listener installed in the daemon: it needs no
//! write access to the daemon's configuration, works with a remote daemon, costs one
//! `getAllProcessInfo` a second (about 1 ms at 10 processes), and a second of latency
//! is well within what an agent notices.

use crate::supervisor::ops::logs::{self, LogSource, TailOptions};
use crate::supervisor::ops::names;
use crate::supervisor::ops::status::ProcessStatus;
use crate::supervisor::{Channel, Client, ProcessInfo};
use rmcp::RoleServer;
use rmcp::model::{ResourceContents, ResourceUpdatedNotificationParam};
use rmcp::service::Peer;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const PREFIX: &str = "supervisor://process/";
/// How often the watcher polls while something is subscribed.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(1);
/// Lines in a log resource.
const LOG_LINES: usize = 50;

/// What a resource URI names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Process(String),
    Log(String, Channel),
}

/// Parses `supervisor://process/NAME[/stdout|/stderr]`.
pub fn parse_uri(uri: &str) -> Option<Target> {
    let rest = uri.strip_prefix(PREFIX)?;
    if let Some(name) = rest.strip_suffix("/stdout") {
        return Some(Target::Log(name.to_owned(), Channel::Stdout));
    }
    if let Some(name) = rest.strip_suffix("/stderr") {
        return Some(Target::Log(name.to_owned(), Channel::Stderr));
    }
    (!rest.is_empty() && !rest.contains('/')).then(|| Target::Process(rest.to_owned()))
}

pub fn process_uri(namespec: &str) -> String {
    format!("{PREFIX}{namespec}")
}

/// Reads a resource: the process as JSON, or a log's last lines as text.
pub async fn read(client: &Client, uri: &str) -> crate::supervisor::Result<ResourceContents> {
    match parse_uri(uri) {
        Some(Target::Process(name)) => {
            let info = match client.get_process_info(&name).await {
                Ok(info) => info,
                Err(e) => return Err(names::explain(client, &name, e).await),
            };
            let text = serde_json::to_string(&ProcessStatus::from(&info)).unwrap_or_default();
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
        None => Err(crate::supervisor::Error::Invalid(format!(
            "unknown resource {uri:?}: use {PREFIX}NAME, {PREFIX}NAME/stdout or {PREFIX}NAME/stderr"
        ))),
    }
}

/// What the watcher compares between polls: state, pid, exit status, start, stop.
type Fingerprint = (i64, i64, i64, i64, i64);

fn fingerprint(p: &ProcessInfo) -> Fingerprint {
    (p.state, p.pid, p.exitstatus, p.start, p.stop)
}

/// Subscriptions of one session, and its watcher.
#[derive(Debug, Clone, Default)]
pub struct Subscriptions {
    uris: Arc<Mutex<HashSet<String>>>,
    watching: Arc<Mutex<bool>>,
}

impl Subscriptions {
    pub fn add(&self, uri: &str) {
        if let Ok(mut s) = self.uris.lock() {
            s.insert(uri.to_owned());
        }
    }

    pub fn remove(&self, uri: &str) {
        if let Ok(mut s) = self.uris.lock() {
            s.remove(uri);
        }
    }

    fn snapshot(&self) -> HashSet<String> {
        self.uris.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Starts the watcher for this session unless it runs already. It stops when
    /// the client is gone.
    pub fn watch(&self, client: Client, peer: Peer<RoleServer>) {
        {
            let Ok(mut w) = self.watching.lock() else { return };
            if *w {
                return;
            }
            *w = true;
        }
        let subs = self.clone();
        tokio::spawn(async move {
            let mut last: Option<HashMap<String, Fingerprint>> = None;
            let mut log_sizes: HashMap<String, u64> = HashMap::new();
            loop {
                tokio::time::sleep(WATCH_INTERVAL).await;
                let uris = subs.snapshot();
                if uris.is_empty() {
                    continue;
                }
                let Ok(all) = client.get_all_process_info().await else {
                    continue;
                };
                let now: HashMap<String, _> = all.iter().map(|p| (p.namespec(), fingerprint(p))).collect();
                let mut changed = Vec::new();
                if let Some(prev) = &last {
                    let list_changed = prev.len() != now.len() || prev.keys().any(|k| !now.contains_key(k));
                    if list_changed && peer.notify_resource_list_changed().await.is_err() {
                        break;
                    }
                    for (name, fp) in &now {
                        let uri = process_uri(name);
                        if prev.get(name) != Some(fp) && uris.contains(&uri) {
                            changed.push(uri);
                        }
                    }
                }
                for uri in uris.iter() {
                    if let Some(Target::Log(name, ch)) = parse_uri(uri)
                        && let Ok(size) = logs::size(&client, &LogSource::process(&name, ch)).await
                        && log_sizes.insert(uri.clone(), size).is_some_and(|old| old != size)
                    {
                        changed.push(uri.clone());
                    }
                }
                last = Some(now);
                for uri in changed {
                    if peer
                        .notify_resource_updated(ResourceUpdatedNotificationParam::new(uri))
                        .await
                        .is_err()
                    {
                        if let Ok(mut w) = subs.watching.lock() {
                            *w = false;
                        }
                        return;
                    }
                }
            }
            if let Ok(mut w) = subs.watching.lock() {
                *w = false;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_name_processes_and_logs() {
        assert_eq!(
            parse_uri("supervisor://process/web:web_a"),
            Some(Target::Process("web:web_a".into()))
        );
        assert_eq!(
            parse_uri("supervisor://process/api/stderr"),
            Some(Target::Log("api".into(), Channel::Stderr))
        );
        assert_eq!(parse_uri("supervisor://process/"), None);
        assert_eq!(parse_uri("file:///etc/passwd"), None);
        assert_eq!(process_uri("web:web_a"), "supervisor://process/web:web_a");
    }
}
