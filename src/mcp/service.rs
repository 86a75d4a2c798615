//! [`Served`]: the server as an rmcp service, doing before its handler what a
//! `ServerHandler` cannot do alone. `serve_stdio` serves it; the HTTP bridge, whose
//! rmcp service takes a `ServerHandler`, does the same check on the request body
//! ([`super::http`]).
//!
//! - A `subscriptions/listen` is acknowledged without URIs of processes the daemon
//!   does not know: rmcp asks the handler for the accepted filter synchronously and
//!   sends the acknowledgment before the handler's `listen` runs, so the look at the
//!   daemon happens here first ([`resources::drop_unknown`]).
//! - Once the server stops ([`SupervisorMcp::with_stop`]: stdin closed), every other
//!   request in flight ends within [`STOP_GRACE`] (answered if it is quick; else
//!   cancelled, undoing what it started through `supervisor::cleanup`); listens end
//!   gracefully by themselves.

use super::resources;
use super::server::SupervisorMcp;
use rmcp::model::{ClientNotification, ClientRequest, ProtocolVersion, ServerConfig, ServerResult};
use rmcp::service::{NotificationContext, RequestContext, Service};
use rmcp::{ErrorData as McpError, RoleServer};
use std::borrow::Cow;

/// How long a request in flight may still take once the server stops: a quick one
/// (`tools/list`, `status`) from a client that wrote it and closed stdin is still
/// answered; a long one (`wait`) is cancelled, well within the second the server has
/// to exit.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// A [`SupervisorMcp`] to serve over any rmcp transport (see the module doc).
#[derive(Clone)]
pub struct Served(pub SupervisorMcp);

impl Service<RoleServer> for Served {
    async fn handle_request(
        &self,
        request: ClientRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<ServerResult, McpError> {
        let stopping = || Err(McpError::internal_error("the server is stopping", None));
        match request {
            ClientRequest::SubscriptionsListenRequest(mut r) => {
                tokio::select! {
                    () = resources::drop_unknown(&self.0.watchers, &mut r.params.notifications) => {}
                    () = self.0.stop.cancelled() => return stopping(),
                }
                let request = ClientRequest::SubscriptionsListenRequest(r);
                Service::handle_request(&self.0, request, context).await
            }
            other => {
                let call = Service::handle_request(&self.0, other, context);
                tokio::pin!(call);
                tokio::select! {
                    r = &mut call => r,
                    () = self.0.stop.cancelled() => {
                        tokio::time::timeout(STOP_GRACE, call).await.unwrap_or_else(|_| stopping())
                    }
                }
            }
        }
    }

    async fn handle_notification(
        &self,
        notification: ClientNotification,
        context: NotificationContext<RoleServer>,
    ) -> Result<(), McpError> {
        Service::handle_notification(&self.0, notification, context).await
    }

    fn get_info(&self) -> ServerConfig {
        Service::get_info(&self.0)
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Service::supported_protocol_versions(&self.0)
    }
}
