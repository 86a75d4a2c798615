//! The bridge's listen check, after the guard (the body is read whole and bounded
//! by then): what [`crate::mcp::Served`] does over stdio, done on the request body
//! because rmcp's HTTP service takes a `ServerHandler`, which acknowledges a
//! `subscriptions/listen` before any of our code may look at the daemon. A listen
//! request has the URIs of processes the daemon does not know taken out of its
//! filter ([`resources::drop_unknown`]); every other request passes untouched.

use crate::fleet::watch::Watchers;
use crate::mcp::resources;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use rmcp::model::SubscriptionFilter;

const LISTEN: &str = "subscriptions/listen";

/// The `/mcp` middleware: see the module doc.
pub async fn drop_unknown(State(w): State<Watchers>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    // Whole and bounded already: the guard read it.
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let bytes = match rewritten(&w, &bytes).await {
        Some(b) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            b
        }
        None => bytes,
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The body with its listen filter checked; `None` when it is no listen request.
async fn rewritten(w: &Watchers, bytes: &Bytes) -> Option<Bytes> {
    if !bytes.windows(LISTEN.len()).any(|win| win == LISTEN.as_bytes()) {
        return None;
    }
    let mut v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if v.get("method")?.as_str()? != LISTEN {
        return None;
    }
    let slot = v.get_mut("params")?.get_mut("notifications")?;
    let mut filter: SubscriptionFilter = serde_json::from_value(slot.clone()).ok()?;
    resources::drop_unknown(w, &mut filter).await;
    *slot = serde_json::to_value(&filter).ok()?;
    serde_json::to_vec(&v).ok().map(Bytes::from)
}
