//! 2025-11-25 and older (`initialize`): a session is one [`Subscriber`] from its
//! `notifications/initialized` on, told of list changes unasked (the `listChanged`
//! capability), and of changes to what it `resources/subscribe`d. Its forwarder
//! sends to the session's peer and unsubscribes everything when the session is gone.

use super::{Note, note, route, route_error, subscribe_error};
use crate::fleet::watch::{Subscriber, Watchers};
use rmcp::ErrorData as McpError;
use rmcp::RoleServer;
use rmcp::model::ResourceUpdatedNotificationParam;
use rmcp::service::Peer;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often a session's forwarder checks that its client is still connected.
const PEER_CHECK: Duration = Duration::from_secs(2);

/// The subscriber of one 2025-11-25 session (shared by the session's clones).
#[derive(Debug, Clone, Default)]
pub struct LegacySubscriptions {
    slot: Arc<Mutex<Option<Arc<Subscriber>>>>,
}

impl LegacySubscriptions {
    /// The session's subscriber, made on first use with its forwarder to `peer`; it
    /// watches the server's own process list from the start.
    pub fn session(&self, watchers: &Watchers, peer: &Peer<RoleServer>) -> Arc<Subscriber> {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = slot.as_ref().filter(|r| !r.is_closed()) {
            return r.clone();
        }
        let sub = Arc::new(Subscriber::new(watchers, true));
        *slot = Some(sub.clone());
        tokio::spawn(forward(sub.clone(), peer.clone()));
        sub
    }

    /// The session's subscriber, if it has one.
    pub fn current(&self) -> Option<Arc<Subscriber>> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// `resources/subscribe`: the session watches `uri` too, its first look taken
/// before this returns. Errors: a URI that names no resource, or a process the
/// daemon does not know (resource not found, with the closest name); a target that
/// cannot be asked; over the caps (100 per session, 1000 per daemon).
pub async fn subscribe(
    legacy: &LegacySubscriptions,
    watchers: &Watchers,
    peer: &Peer<RoleServer>,
    uri: &str,
) -> Result<(), McpError> {
    let watched = route(watchers, uri).map_err(|e| route_error(&e))?;
    let session = legacy.session(watchers, peer);
    session
        .add_known(&[watched])
        .await
        .map_err(|e| subscribe_error(&e, uri))
}

/// `resources/unsubscribe`: the session stops watching `uri` (nothing if it did not).
pub fn unsubscribe(legacy: &LegacySubscriptions, watchers: &Watchers, uri: &str) {
    if let (Ok((target, key)), Some(session)) = (route(watchers, uri), legacy.current()) {
        session.remove(&target, &key);
    }
}

/// Sends a session's events to its client until the session is gone.
async fn forward(sub: Arc<Subscriber>, peer: Peer<RoleServer>) {
    loop {
        let events = tokio::select! {
            e = sub.next() => match e {
                Some(e) => e,
                None => break,
            },
            () = tokio::time::sleep(PEER_CHECK) => {
                if peer.is_transport_closed() {
                    break;
                }
                continue;
            }
        };
        for (target, e) in events {
            let sent = match note(&target, &e) {
                Some(Note::Updated(uri)) => {
                    peer.notify_resource_updated(ResourceUpdatedNotificationParam::new(uri))
                        .await
                }
                Some(Note::ListChanged) => peer.notify_resource_list_changed().await,
                None => continue,
            };
            if sent.is_err() {
                sub.close();
                return;
            }
        }
    }
    sub.close();
}
