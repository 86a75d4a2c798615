//! Processes and their logs as MCP resources, and their change notifications, on
//! top of the core's watch engine ([`crate::supervisor::watch`], one per daemon) and
//! its many-daemon part ([`crate::fleet::watch`]).
//!
//! - `supervisor://process/NAME`: the process's state, pid, exit status, spawnerr
//!   (JSON); `supervisor://process/NAME/stdout` and `.../stderr`: its last 50 lines
//!   ([`mod@read`]). With a targets file, `supervisor://process/TARGET/NAME[/stream]`
//!   names a process of one target. Each URI is a watch key on a daemon ([`uri`]).
//! - Notifications reach a client the way its protocol version says: one
//!   `subscriptions/listen` (2026-07-28, [`mod@listen`]) or a session's
//!   `resources/subscribe` plus unsolicited `notifications/resources/list_changed`
//!   (2025-11-25 and older, [`mod@subscribe`]); either is one [`crate::fleet::watch::Subscriber`] of the
//!   shared watchers, whose events come back here as the URIs subscribed to.
//! - A URI naming a process the daemon does not know is refused (a listen's
//!   acknowledgment leaves it out), found by the first look the engine takes anyway.

pub mod events;
pub mod listen;
pub mod read;
pub mod subscribe;
pub mod uri;

pub use listen::{accepted_filter, drop_unknown, listen};
pub use read::read;
pub use subscribe::{LegacySubscriptions, subscribe, unsubscribe};
pub use uri::{PREFIX, RouteError, parse_uri, process_uri, route, uri_of};

use crate::fleet::watch::{SubscribeError, TargetKey};
use crate::supervisor::watch::{Event, MAX_KEYS_PER_SUBSCRIBER, MAX_WATCHED_KEYS, WatchError};
use rmcp::ErrorData as McpError;

/// A notification for a client.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Note {
    /// `notifications/resources/updated` for this URI.
    Updated(String),
    /// `notifications/resources/list_changed`.
    ListChanged,
}

/// What `e`, from `target` as subscribed, tells a client: the resource at the URI it
/// subscribed to changed, or processes came or went.
fn note(target: &TargetKey, e: &Event) -> Option<Note> {
    match e {
        Event::Processes { .. } => Some(Note::ListChanged),
        _ => uri_of(target.as_deref(), &e.key()).map(Note::Updated),
    }
}

/// A refused subscription as the client sees it: a URI that names nothing, or a
/// process the daemon does not know (with the closest name), is "resource not
/// found"; anything else invalid parameters.
fn subscribe_error(e: &SubscribeError, uri: &str) -> McpError {
    match e {
        SubscribeError::NoSuchProcess { name, suggestion, .. } => {
            let e = crate::supervisor::Error::NoSuchProcess {
                name: name.clone(),
                suggestion: suggestion.clone(),
            };
            crate::mcp::server::resource_error(&e, uri)
        }
        SubscribeError::Watch(WatchError::TooMany) => McpError::invalid_params(
            format!("at most {MAX_KEYS_PER_SUBSCRIBER} subscriptions per session or listen"),
            None,
        ),
        SubscribeError::Watch(WatchError::Full) => McpError::invalid_params(
            format!("this server watches at most {MAX_WATCHED_KEYS} resources at once; retry later"),
            None,
        ),
        _ => McpError::invalid_params(e.to_string(), None),
    }
}

/// A URI that leads nowhere as the client sees it: "resource not found" for one
/// that names nothing, invalid parameters for a target that cannot be asked.
fn route_error(e: &RouteError) -> McpError {
    match e {
        RouteError::Unknown { .. } => McpError::resource_not_found(e.to_string(), None),
        RouteError::Unusable { .. } => McpError::invalid_params(e.to_string(), None),
    }
}
