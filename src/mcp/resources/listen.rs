//! 2026-07-28 (`server/discover`, no sessions over HTTP): each
//! `subscriptions/listen` is one [`Subscriber`] of the shared watchers for as long as
//! its request lives; its notifications go through the request's
//! [`SubscriptionSink`](rmcp::service::SubscriptionSink), which tags them with the
//! subscription id. It ends when the client cancels it or closes its stream, or
//! gracefully (a final result) when the server shuts down.
//!
//! What it is acknowledged: list changes if asked, and the URIs that name a
//! resource of a daemon that can be asked, within the caps, less those of processes
//! the daemon does not know ([`drop_unknown`], before the acknowledgment).

use super::{Note, note, route, subscribe_error};
use crate::fleet::watch::{Subscriber, TargetKey, Watchers};
use crate::supervisor::watch::Key;
use rmcp::ErrorData as McpError;
use rmcp::model::SubscriptionFilter;
use rmcp::service::SubscriptionContext;
use std::collections::HashSet;
use tokio_util::sync::CancellationToken;

/// Of `uris`, those a new subscriber may watch, in the order asked, with where
/// each leads: each once, leading to a daemon that can be asked, within the caps
/// (see [`Watchers::admit`]). Linear in `uris`.
fn admit(watchers: &Watchers, uris: &[String]) -> Vec<(String, (TargetKey, Key))> {
    let mut once: HashSet<&str> = HashSet::new();
    let mut asked: Vec<(String, (TargetKey, Key))> = Vec::new();
    for uri in uris {
        if once.insert(uri)
            && let Ok(r) = route(watchers, uri)
        {
            asked.push((uri.clone(), r));
        }
    }
    let routes: Vec<(TargetKey, Key)> = asked.iter().map(|(_, r)| r.clone()).collect();
    let mask = watchers.admit(&routes);
    asked
        .into_iter()
        .zip(mask)
        .filter(|(_, ok)| *ok)
        .map(|(a, _)| a)
        .collect()
}

/// What a `subscriptions/listen` gets of what it asks: list changes, and the
/// resource URIs the watchers admit; nothing else exists here (the tool list never
/// changes, there are no prompts).
pub fn accepted_filter(watchers: &Watchers, requested: &SubscriptionFilter) -> SubscriptionFilter {
    let mut b = SubscriptionFilter::builder();
    if requested.resources_list_changed == Some(true) {
        b = b.resources_list_changed();
    }
    let uris = requested.resource_subscriptions.as_deref().unwrap_or_default();
    let admitted: Vec<String> = admit(watchers, uris).into_iter().map(|(u, _)| u).collect();
    if !admitted.is_empty() {
        b = b.resource_subscriptions(admitted);
    }
    b.build()
}

/// Leaves out of a listen's request, before it is acknowledged, the URIs that
/// would not be admitted and those of processes their daemon does not know
/// (BAD_NAME), found by one look at what is not watched yet (within 2 s; kept when
/// the daemon cannot be asked). A process added later is watched only when asked
/// again.
pub async fn drop_unknown(watchers: &Watchers, requested: &mut SubscriptionFilter) {
    let Some(uris) = requested.resource_subscriptions.take() else {
        return;
    };
    let admitted = admit(watchers, &uris);
    let routes: Vec<(TargetKey, Key)> = admitted.iter().map(|(_, r)| r.clone()).collect();
    let unknown = watchers.unknown(&routes).await;
    let known: Vec<String> = admitted
        .into_iter()
        .filter(|(_, r)| !unknown.contains(r))
        .map(|(u, _)| u)
        .collect();
    requested.resource_subscriptions = (!known.is_empty()).then_some(known);
}

/// Serves one `subscriptions/listen` until the client cancels it or goes, or the
/// server closes the watchers or stops (`stop`; then gracefully). Errors: the
/// accepted URIs no longer fit the watchers' caps (another listen took the room
/// meanwhile).
pub async fn listen(watchers: &Watchers, stop: &CancellationToken, ctx: SubscriptionContext) -> Result<(), McpError> {
    let accepted = ctx.accepted().clone();
    let uris = accepted.resource_subscriptions.unwrap_or_default();
    let list = accepted.resources_list_changed == Some(true);
    if uris.is_empty() && !list {
        tokio::select! {
            () = ctx.cancelled() => {}
            () = watchers.closed() => {}
            () = stop.cancelled() => {}
        }
        return Ok(());
    }
    let routes: Vec<(TargetKey, Key)> = uris.iter().filter_map(|u| route(watchers, u).ok()).collect();
    let sub = Subscriber::new(watchers, list);
    // What was acknowledged is watched, even a process removed meanwhile.
    tokio::select! {
        r = sub.add(&routes) => r.map(drop).map_err(|e| subscribe_error(&e, ""))?,
        () = ctx.cancelled() => return Ok(()),
        () = stop.cancelled() => return Ok(()),
    }
    let sink = ctx.sink();
    loop {
        let events = tokio::select! {
            e = sub.next() => match e {
                Some(e) => e,
                None => return Ok(()),
            },
            () = ctx.cancelled() => return Ok(()),
            () = watchers.closed() => return Ok(()),
            () = stop.cancelled() => return Ok(()),
        };
        for (target, e) in events {
            let sent = match note(&target, &e) {
                Some(Note::Updated(uri)) => sink.notify_resource_updated(uri).await,
                Some(Note::ListChanged) => sink.notify_resource_list_changed().await,
                None => continue,
            };
            if sent.is_err() {
                return Ok(());
            }
        }
    }
}
