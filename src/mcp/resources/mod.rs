//! Processes and their logs as MCP resources, and their change notifications.
//!
//! - `supervisor://process/NAME`: the process's state, pid, exit status, spawnerr
//!   (JSON); `supervisor://process/NAME/stdout` and `.../stderr`: its last 50 lines
//!   ([`uri`], [`read`]).
//! - Notifications reach a client the way its protocol version says
//!   ([`subscribe`]): `subscriptions/listen` (2026-07-28) or `resources/subscribe`
//!   plus unsolicited `notifications/resources/list_changed` (2025-11-25 and older).
//! - One [`Watcher`] per daemon serves every session and listener ([`watcher`]): it
//!   polls only what is subscribed, once a second, and the process list every 10 s
//!   or more (at once after this server's own `program`/`reload` calls).
//! - With a targets file, `supervisor://process/TARGET/NAME[/stream]` names a
//!   process of one target: read from, and watched on, that daemon ([`watchers`]),
//!   one [`Subscriber`] per client across all of them ([`subscriber`]).
//!
//! Why polling rather than an event listener installed in the daemon: it needs no
//! write access to the daemon's configuration, works with a remote daemon, costs one
//! small `system.multicall` a second whatever the number of processes, and a second
//! of latency is well within what an agent notices.

mod mailbox;
mod poll;
mod probe;
pub mod read;
mod registration;
pub mod subscribe;
pub mod subscriber;
#[cfg(test)]
mod test_support;
pub mod uri;
pub mod watcher;
pub mod watchers;

pub use read::read;
pub use subscribe::{LegacySubscriptions, accepted_filter, listen, subscribe_error};
pub use subscriber::{SubscribeError, Subscriber};
pub use uri::{PREFIX, Target, parse_uri, process_uri};
pub use watcher::{Event, Registration, WatchError, WatchStats, Watcher};
pub use watchers::{Route, RouteError, Watchers};
