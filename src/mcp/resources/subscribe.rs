//! How change notifications reach a client, by protocol version:
//!
//! - 2026-07-28 (`server/discover`, no sessions over HTTP): each
//!   `subscriptions/listen` is one subscriber of the shared [`Watcher`] for as long
//!   as its request lives; its notifications go through the request's
//!   [`SubscriptionSink`](rmcp::service::SubscriptionSink), which tags them with the
//!   subscription id. It ends when the client cancels it or closes its stream, or
//!   gracefully (a final result) when the server shuts down.
//! - 2025-11-25 and older (`initialize`): a session is one subscriber from its
//!   `notifications/initialized` on, told of list changes unasked (the
//!   `listChanged` capability), and of changes to what it `resources/subscribe`d.
//!   Its forwarder sends to the session's peer and unsubscribes everything when the
//!   session is gone.

use super::watcher::{Event, Registration, Watcher};
use rmcp::ErrorData as McpError;
use rmcp::RoleServer;
use rmcp::model::{ResourceUpdatedNotificationParam, SubscriptionFilter};
use rmcp::service::{Peer, SubscriptionContext};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often a session's forwarder checks that its client is still connected.
const PEER_CHECK: Duration = Duration::from_secs(2);

/// The subscriber of one 2025-11-25 session (shared by the session's clones).
#[derive(Debug, Clone, Default)]
pub struct LegacySubscriptions {
    slot: Arc<Mutex<Option<Arc<Registration>>>>,
}

impl LegacySubscriptions {
    /// The session's subscriber, made on first use with its forwarder to `peer`.
    pub fn session(&self, watcher: &Watcher, peer: &Peer<RoleServer>) -> Arc<Registration> {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = slot.as_ref().filter(|r| !r.is_closed()) {
            return r.clone();
        }
        let reg = Arc::new(watcher.register(true));
        *slot = Some(reg.clone());
        tokio::spawn(forward(reg.clone(), peer.clone()));
        reg
    }

    /// The session's subscriber, if it has one.
    pub fn current(&self) -> Option<Arc<Registration>> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Sends a session's events to its client until the session is gone.
async fn forward(reg: Arc<Registration>, peer: Peer<RoleServer>) {
    loop {
        let events = tokio::select! {
            e = reg.next() => match e {
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
        for e in events {
            let sent = match e {
                Event::Updated(uri) => {
                    peer.notify_resource_updated(ResourceUpdatedNotificationParam::new(uri))
                        .await
                }
                Event::ListChanged => peer.notify_resource_list_changed().await,
            };
            if sent.is_err() {
                reg.close();
                return;
            }
        }
    }
    reg.close();
}

/// What a `subscriptions/listen` gets of what it asks: list changes, and the
/// resource URIs the watcher admits (see [`Watcher::admit`]); nothing else exists
/// here (the tool list never changes, there are no prompts).
pub fn accepted_filter(watcher: &Watcher, requested: &SubscriptionFilter) -> SubscriptionFilter {
    let mut b = SubscriptionFilter::builder();
    if requested.resources_list_changed == Some(true) {
        b = b.resources_list_changed();
    }
    let admitted = watcher.admit(requested.resource_subscriptions.as_deref().unwrap_or_default());
    if !admitted.is_empty() {
        b = b.resource_subscriptions(admitted);
    }
    b.build()
}

/// Serves one `subscriptions/listen` until the client cancels it or goes, or the
/// server closes the watcher (then gracefully). Errors: the accepted URIs no longer
/// fit the watcher's caps (another listen took the room meanwhile).
pub async fn listen(watcher: &Watcher, ctx: SubscriptionContext) -> Result<(), McpError> {
    let accepted = ctx.accepted().clone();
    let uris = accepted.resource_subscriptions.unwrap_or_default();
    let list = accepted.resources_list_changed == Some(true);
    if uris.is_empty() && !list {
        tokio::select! {
            () = ctx.cancelled() => {}
            () = watcher.closed() => {}
        }
        return Ok(());
    }
    let reg = watcher.register(list);
    reg.add(&uris)
        .await
        .map_err(|e| McpError::invalid_params(e.to_string(), None))?;
    let sink = ctx.sink();
    loop {
        let events = tokio::select! {
            e = reg.next() => match e {
                Some(e) => e,
                None => return Ok(()),
            },
            () = ctx.cancelled() => return Ok(()),
            () = watcher.closed() => return Ok(()),
        };
        for e in events {
            let sent = match e {
                Event::Updated(uri) => sink.notify_resource_updated(uri).await,
                Event::ListChanged => sink.notify_resource_list_changed().await,
            };
            if sent.is_err() {
                return Ok(());
            }
        }
    }
}
