//! `supervisor://events`: the daemon's event journal (docs/journal.md) as a resource,
//! filtered by the URI's query, in one `resources/read`:
//! `supervisor://events?name=web&kind=crash&since=1h&limit=50`. `name` and `kind` may
//! be repeated or comma-separated; `until` as `since` (a duration back from now or a
//! UTC time); `limit` 1 to [`MAX_LIMIT`] (default [`DEFAULT_LIMIT`]); `target=NAME`
//! with a targets file. The answer is JSON, oldest first:
//! `{"events": [<journal lines>], "truncated": bool, "older_unread": bool}`, each
//! event as its journal line (docs/journal.md, "Format").

use crate::supervisor::journal::{self, Filter, Kind};
use crate::supervisor::{Client, Error, Result};
use rmcp::model::ResourceContents;

/// The resource, without a query: the last [`DEFAULT_LIMIT`] events.
pub const EVENTS_URI: &str = "supervisor://events";
/// Its template, for `resources/templates/list`.
pub const EVENTS_TEMPLATE: &str = "supervisor://events{?name,kind,since,until,limit,target}";
/// Events answered when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// Most events one read answers.
pub const MAX_LIMIT: usize = 1000;
/// Most bytes of the journal one read scans back (about 20,000 events).
const MAX_BYTES: u64 = 4 * 1024 * 1024;
/// The longest URI accepted, in bytes.
const MAX_URI: usize = 2048;

/// What a `supervisor://events` URI asks: the target (`None`: the server's own
/// daemon) and the filter.
#[derive(Debug, Clone)]
pub struct EventsQuery {
    pub target: Option<String>,
    pub filter: Filter,
}

/// `None` when `uri` is not an events URI; else the query, or why it is not one
/// ([`Error::Invalid`]: an unknown key, a bad kind, time or limit).
pub fn parse(uri: &str) -> Option<Result<EventsQuery>> {
    let rest = uri.strip_prefix(EVENTS_URI)?;
    if !(rest.is_empty() || rest.starts_with('?')) {
        return None;
    }
    Some(parse_query(uri))
}

fn parse_query(uri: &str) -> Result<EventsQuery> {
    let bad = |m: String| Error::Invalid(format!("{m}; use {EVENTS_TEMPLATE}"));
    if uri.len() > MAX_URI {
        return Err(bad(format!("the URI is over {MAX_URI} bytes")));
    }
    let url = url::Url::parse(uri).map_err(|e| bad(e.to_string()))?;
    let now = journal::time::now_ms();
    let mut q = EventsQuery {
        target: None,
        filter: Filter {
            limit: Some(DEFAULT_LIMIT),
            max_bytes: MAX_BYTES,
            ..Filter::default()
        },
    };
    for (k, v) in url.query_pairs() {
        let many = || v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        match k.as_ref() {
            "name" => q.filter.names.extend(many()),
            "kind" => {
                for k in many() {
                    let kind = Kind::from_name(&k).ok_or_else(|| bad(format!("kind {k:?} is not a kind of event")))?;
                    q.filter.kinds.push(kind);
                }
            }
            "since" => {
                q.filter.since_ms = Some(journal::time::parse_when(&v, now).map_err(|e| bad(format!("since: {e}")))?)
            }
            "until" => {
                q.filter.until_ms = Some(journal::time::parse_when(&v, now).map_err(|e| bad(format!("until: {e}")))?)
            }
            "limit" => {
                let n: usize = v.parse().map_err(|_| bad(format!("limit {v:?} is not a number")))?;
                if !(1..=MAX_LIMIT).contains(&n) {
                    return Err(bad(format!("limit {n}: give 1 to {MAX_LIMIT}")));
                }
                q.filter.limit = Some(n);
            }
            "target" => q.target = Some(v.into_owned()),
            other => return Err(bad(format!("{other:?} is not a filter of events"))),
        }
    }
    Ok(q)
}

/// The journal's events that pass `q`, under `uri` (the URI asked). Errors: no
/// journal (install one: the message says how), the daemon's.
pub async fn read(client: &Client, q: &EventsQuery, uri: &str) -> Result<ResourceContents> {
    let h = journal::history(client, &q.filter).await?;
    let events: Vec<serde_json::Value> = h.events.iter().map(journal::JournalEvent::to_value).collect();
    let doc = serde_json::json!({
        "events": events,
        "truncated": h.truncated,
        "older_unread": h.older_unread,
    });
    Ok(ResourceContents::TextResourceContents {
        uri: uri.to_owned(),
        mime_type: Some("application/json".into()),
        text: crate::supervisor::text::json_string(&doc),
        meta: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_parsed_strictly_and_bounded() {
        assert!(parse("supervisor://process/x").is_none());
        assert!(parse("supervisor://eventsx").is_none());
        let q = parse("supervisor://events")
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("plain"));
        assert_eq!(q.filter.limit, Some(DEFAULT_LIMIT));
        let q = parse("supervisor://events?name=web,worker:*&name=api&kind=crash&since=1h&limit=5&target=db-1")
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("full"));
        assert_eq!(q.filter.names, ["web", "worker:*", "api"]);
        assert_eq!(q.filter.kinds, [Kind::Crash]);
        assert_eq!(q.filter.limit, Some(5));
        assert_eq!(q.target.as_deref(), Some("db-1"));
        assert!(q.filter.since_ms.is_some_and(|t| t < journal::time::now_ms()));
        for bad in [
            "supervisor://events?kind=boom",
            "supervisor://events?limit=0",
            "supervisor://events?limit=100000",
            "supervisor://events?since=yesterdayish",
            "supervisor://events?password=x",
        ] {
            let e = parse(bad).map(|r| r.err().map(|e| e.to_string()));
            assert!(
                matches!(&e, Some(Some(m)) if m.contains(EVENTS_TEMPLATE)),
                "{bad}: {e:?}"
            );
        }
        let long = format!("supervisor://events?name={}", "a".repeat(MAX_URI));
        assert!(matches!(parse(&long), Some(Err(_))));
    }
}
