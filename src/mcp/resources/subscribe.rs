//! How change notifications reach a client, by protocol version:
//!
//! - 2026-07-28 (`server/discover`, no sessions over HTTP): each
//!   `subscriptions/listen` is one [`Subscriber`] of the shared [`Watchers`] for as long
//!   as its request lives; its notifications go through the request's
//!   [`SubscriptionSink`](rmcp::service::SubscriptionSink), which tags them with the
//!   subscription id. It ends when the client cancels it or closes its stream, or
//!   gracefully (a final result) when the server shuts down.
//! - 2025-11-25 and older (`initialize`): a session is one subscriber from its
//!   `notifications/initialized` on, told of list changes unasked (the
//!   `listChanged` capability), and of changes to what it `resources/subscribe`d.
//!   Its forwarder sends to the session's peer and unsubscribes everything when the
//!   session is gone.
//!
//! Either way, URIs qualified by a target (`supervisor://process/TARGET/NAME`) are
//! watched on that target's daemon and notified under the URI subscribed to.

use super::subscriber::{SubscribeError, Subscriber};
use super::watcher::Event;
use super::watchers::{RouteError, Watchers};
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
    slot: Arc<Mutex<Option<Arc<Subscriber>>>>,
}

impl LegacySubscriptions {
    /// The session's subscriber, made on first use with its forwarder to `peer`.
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
        for e in events {
            let sent = match e {
                Event::Updated(uri) => {
                    peer.notify_resource_updated(ResourceUpdatedNotificationParam::new(uri))
                        .await
                }
                Event::ListChanged => peer.notify_resource_list_changed().await,
            };
            if sent.is_err() {
                sub.close();
                return;
            }
        }
    }
    sub.close();
}

/// What a `subscriptions/listen` gets of what it asks: list changes, and the
/// resource URIs the watchers admit (see [`Watchers::admit`]); nothing else exists
/// here (the tool list never changes, there are no prompts).
pub fn accepted_filter(watchers: &Watchers, requested: &SubscriptionFilter) -> SubscriptionFilter {
    let mut b = SubscriptionFilter::builder();
    if requested.resources_list_changed == Some(true) {
        b = b.resources_list_changed();
    }
    let admitted = watchers.admit(requested.resource_subscriptions.as_deref().unwrap_or_default());
    if !admitted.is_empty() {
        b = b.resource_subscriptions(admitted);
    }
    b.build()
}

/// Serves one `subscriptions/listen` until the client cancels it or goes, or the
/// server closes the watchers (then gracefully). Errors: the accepted URIs no longer
/// fit the watchers' caps (another listen took the room meanwhile).
pub async fn listen(watchers: &Watchers, ctx: SubscriptionContext) -> Result<(), McpError> {
    let accepted = ctx.accepted().clone();
    let uris = accepted.resource_subscriptions.unwrap_or_default();
    let list = accepted.resources_list_changed == Some(true);
    if uris.is_empty() && !list {
        tokio::select! {
            () = ctx.cancelled() => {}
            () = watchers.closed() => {}
        }
        return Ok(());
    }
    let sub = Subscriber::new(watchers, list);
    sub.add(&uris).await.map_err(|e| subscribe_error(&e))?;
    let sink = ctx.sink();
    loop {
        let events = tokio::select! {
            e = sub.next() => match e {
                Some(e) => e,
                None => return Ok(()),
            },
            () = ctx.cancelled() => return Ok(()),
            () = watchers.closed() => return Ok(()),
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

/// A refused subscription as the client sees it: a URI that names nothing is
/// "resource not found", anything else invalid parameters.
pub fn subscribe_error(e: &SubscribeError) -> McpError {
    match e {
        SubscribeError::Route(RouteError::Unknown { .. }) => McpError::resource_not_found(e.to_string(), None),
        _ => McpError::invalid_params(e.to_string(), None),
    }
}
