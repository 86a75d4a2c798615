//! The MCP handler: the server's state (a Supervisord client, the agent's
//! permissions, subscriptions), tool listing and dispatch through the one table in
//! [`super::tools`], and resources. Tools answer through [`super::answer`].

use super::render;
use super::resources;
use super::tools;
use crate::fleet::Fleet;
use crate::fleet::watch::Watchers;
use crate::supervisor::text::shown;
use crate::supervisor::watch::Watcher;
use crate::supervisor::{Client, Error, Policy};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult, Implementation,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource, ResourceTemplate,
    ServerCapabilities, ServerConfig, SubscribeRequestParams, SubscriptionFilter, Tool, UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

const INSTRUCTIONS: &str = "Controls processes of a Supervisord daemon. Names are namespecs: name, group:name, group:*, all; every name returned can be passed back.";

/// The server: a Supervisord client, the agent's permissions and subscriptions,
/// shared by all the session's requests. Its resource [`Watchers`] (one
/// per daemon) may be shared with other sessions ([`Self::with_watchers`]).
#[derive(Clone)]
pub struct SupervisorMcp {
    pub(crate) client: Client,
    pub(crate) policy: Arc<Policy>,
    pub(crate) include_dir: Option<Arc<std::path::PathBuf>>,
    /// The targets file's targets, when one is configured.
    pub(crate) fleet: Option<Arc<Fleet>>,
    pub(crate) watchers: Watchers,
    /// The watchers were given ([`Self::with_watchers`]): [`Self::with_fleet`] keeps them.
    shared_watchers: bool,
    legacy: resources::LegacySubscriptions,
    /// Cancelled when the server stops (stdin closed): what is in flight ends at once.
    pub(crate) stop: CancellationToken,
    /// Under `serve`: where changes are recorded, and whose they are.
    pub(crate) audit: Option<Arc<super::http::Audited>>,
}

impl SupervisorMcp {
    /// A server with every tool and no limits.
    pub fn new(client: Client) -> SupervisorMcp {
        Self::with_policy(client, Policy::default())
    }

    /// A server limited by `policy`: with `read_only`, only the tools that change
    /// nothing are offered.
    pub fn with_policy(client: Client, policy: Policy) -> SupervisorMcp {
        SupervisorMcp {
            watchers: Watcher::new(client.clone()).into(),
            shared_watchers: false,
            client,
            policy: Arc::new(policy),
            include_dir: None,
            fleet: None,
            legacy: resources::LegacySubscriptions::default(),
            stop: CancellationToken::new(),
            audit: None,
        }
    }

    /// Uses `watcher` (of the same daemon, no targets file) for resource
    /// notifications, so that sessions share one.
    pub fn with_watcher(self, watcher: Watcher) -> SupervisorMcp {
        self.with_watchers(watcher.into())
    }

    /// Uses `watchers` (of the same daemon and targets) for resources and their
    /// notifications, so that sessions share them: the HTTP server gives every
    /// session the same. [`Self::with_fleet`] keeps them, before or after.
    pub fn with_watchers(mut self, watchers: Watchers) -> SupervisorMcp {
        self.watchers = watchers;
        self.shared_watchers = true;
        self
    }

    /// A server across the targets of a targets file: its tools take `targets`;
    /// resources qualified by a target (`supervisor://process/TARGET/NAME`) are read
    /// and watched on that target; unqualified ones, `resources/list` and its list
    /// changes are those of the first selected target (this server's client).
    /// Builds the watchers of its targets, unless some were given
    /// ([`Self::with_watchers`], built with the same fleet).
    pub fn with_fleet(mut self, fleet: Option<Arc<Fleet>>) -> SupervisorMcp {
        if !self.shared_watchers {
            self.watchers = Watchers::new(self.client.clone(), fleet.as_deref());
        }
        self.fleet = fleet;
        self
    }

    /// Where `program` writes program files (default: found from a local daemon's
    /// own `[include]`).
    pub fn with_include_dir(mut self, dir: Option<std::path::PathBuf>) -> SupervisorMcp {
        self.include_dir = dir.map(Arc::new);
        self
    }

    /// Stops with `stop`: when it is cancelled, listens end (gracefully), and when
    /// served as [`super::Served`] the other requests in flight are cancelled.
    pub(crate) fn with_stop(mut self, stop: CancellationToken) -> SupervisorMcp {
        self.stop = stop;
        self
    }
}

impl SupervisorMcp {
    /// `supervisor://events[?...]` ([`resources::events`]) from the target it names,
    /// else the server's own daemon.
    async fn read_events(
        &self,
        q: Result<resources::events::EventsQuery, Error>,
        uri: &str,
    ) -> Result<ReadResourceResponse, McpError> {
        let q = q.map_err(|e| McpError::invalid_params(shown(&e.to_string()).to_string(), None))?;
        let client = match self.watchers.watcher(q.target.as_deref()) {
            Ok(w) => w.client(),
            Err(e) => return Err(McpError::invalid_params(shown(&e.to_string()).to_string(), None)),
        };
        match resources::events::read(client, &q, uri).await {
            Ok(c) => Ok(ReadResourceResult::new(vec![c]).into()),
            Err(e) => Err(resource_error(&e, uri)),
        }
    }
}

/// A resource read's error by its kind: a name or URI that names nothing is "not
/// found"; a daemon that cannot be asked (timeout, unreachable, ...) is an internal
/// error that says so, never "not found".
pub(crate) fn resource_error(e: &Error, uri: &str) -> McpError {
    let mut text = format!("{}: {}", e.label(), shown(&e.to_string()));
    if let Some(step) = e.next_step() {
        text.push_str("; next: ");
        text.push_str(&render::next_step(&step));
    }
    let data = Some(serde_json::json!({ "uri": uri, "kind": e.kind() }));
    match e {
        Error::NoSuchProcess { .. } | Error::Invalid(_) => McpError::resource_not_found(text, data),
        Error::Fault(f)
            if matches!(
                f.code,
                crate::supervisor::FaultCode::BadName | crate::supervisor::FaultCode::NoFile
            ) =>
        {
            McpError::resource_not_found(text, data)
        }
        _ => McpError::internal_error(text, data),
    }
}

impl ServerHandler for SupervisorMcp {
    fn get_info(&self) -> ServerConfig {
        // What is served, and only that: prompts/list answers an empty list (there are
        // no prompts); completion/complete completes the resource templates' arguments.
        let caps = ServerCapabilities::builder()
            .enable_tools()
            .enable_prompts()
            .enable_completions()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_resources_list_changed()
            .build();
        ServerConfig::new(caps)
            .with_server_info(Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let list = tools::listed(self.policy.read_only, self.fleet.as_deref());
        Ok(ListToolsResult::with_all_items(list))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let names = self
            .watchers
            .first()
            .processes()
            .await
            .map_err(|e| McpError::internal_error(shown(&e.to_string()).to_string(), None))?;
        let mut list: Vec<Resource> = names
            .into_iter()
            .map(|ns| {
                let about = format!("{}: state, pid, exit status (JSON); subscribe for changes", shown(&ns));
                Resource::new(resources::process_uri(&ns), ns.clone())
                    .with_description(about)
                    .with_mime_type("application/json")
            })
            .collect();
        if list.iter().any(|r| r.name == crate::supervisor::journal::LISTENER) {
            list.insert(
                0,
                Resource::new(resources::events::EVENTS_URI, "events")
                    .with_description(format!(
                        "The event journal: every state change, oldest first (JSON); filter with {}",
                        resources::events::EVENTS_TEMPLATE
                    ))
                    .with_mime_type("application/json"),
            );
        }
        if self.fleet.is_some() {
            list.insert(
                0,
                Resource::new(super::fleet::TARGETS_URI, "targets")
                    .with_description("The targets: name, URL, tags, auth kind (JSON)")
                    .with_mime_type("application/json"),
            );
        }
        Ok(ListResourcesResult::with_all_items(list))
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        super::complete::complete(self, &request).await
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        let mut list = vec![
            ResourceTemplate::new(format!("{}{{name}}", resources::PREFIX), "process")
                .with_description("A process's state, pid and exit status (JSON)"),
            ResourceTemplate::new(format!("{}{{name}}/{{stream}}", resources::PREFIX), "process log")
                .with_description("Last 50 lines of a process's stdout or stderr"),
            ResourceTemplate::new(resources::events::EVENTS_TEMPLATE, "events")
                .with_description("The event journal (when installed): state changes, filtered; oldest first"),
        ];
        if self.fleet.is_some() {
            list.push(
                ResourceTemplate::new(
                    format!("{}{{target}}/{{name}}", resources::PREFIX),
                    "process on a target",
                )
                .with_description(
                    "A process of one target (also {target}/{name}/{stream}); a target's name wins over a process's",
                ),
            );
        }
        Ok(ListResourceTemplatesResult::with_all_items(list))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        if let Some(fleet) = &self.fleet
            && request.uri == super::fleet::TARGETS_URI
        {
            return Ok(ReadResourceResult::new(vec![super::fleet::targets_resource(fleet)]).into());
        }
        if let Some(q) = resources::events::parse(&request.uri) {
            return self.read_events(q, &request.uri).await;
        }
        let (target, key) = match resources::route(&self.watchers, &request.uri) {
            Ok(r) => r,
            Err(e @ resources::RouteError::Unusable { .. }) => {
                return Err(McpError::internal_error(shown(&e.to_string()).to_string(), None));
            }
            Err(e) => return Err(resource_error(&Error::Invalid(e.to_string()), &request.uri)),
        };
        let client = match self.watchers.watcher(target.as_deref()) {
            Ok(w) => w.client(),
            Err(e) => return Err(McpError::internal_error(e.to_string(), None)),
        };
        match resources::read(client, &key, &request.uri).await {
            Ok(c) => Ok(ReadResourceResult::new(vec![c]).into()),
            Err(e) => Err(resource_error(&e, &request.uri)),
        }
    }

    /// `resources/subscribe` (2025-11-25 and older): the session watches `uri` too.
    /// Errors: a URI that names no resource; over the caps (100 per session, 1000 per
    /// daemon).
    #[allow(deprecated)]
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        resources::subscribe(&self.legacy, &self.watchers, &context.peer, &request.uri).await
    }

    /// `resources/unsubscribe` (2025-11-25 and older).
    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        resources::unsubscribe(&self.legacy, &self.watchers, &request.uri);
        Ok(())
    }

    /// A 2025-11-25 session starts: it is told of list changes from now on (the
    /// `listChanged` capability needs no subscription there).
    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.legacy.session(&self.watchers, &context.peer);
    }

    /// `subscriptions/listen` (2026-07-28): list changes and resource URIs only.
    fn accepted_subscription_filter(&self, requested: &SubscriptionFilter) -> Option<SubscriptionFilter> {
        Some(resources::accepted_filter(&self.watchers, requested))
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), McpError> {
        resources::listen(&self.watchers, &self.stop, context).await
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools::listed(self.policy.read_only, self.fleet.as_deref())
            .into_iter()
            .find(|t| t.name == name)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let name = request.name.to_string();
        tracing::debug!(tool = %name, "call");
        // A cancelled request (notifications/cancelled, the HTTP bridge's shutdown
        // grace) drops the call here, so what it started is undone by its own cleanup.
        let audited = self.audit.as_ref().map(|a| (a, request.arguments.clone()));
        let r = tokio::select! {
            r = tools::call(self, &name, request.arguments, &context) => r,
            () = context.ct.cancelled() => Err(McpError::internal_error("the call was cancelled", None)),
        };
        if let Some((a, args)) = audited {
            super::http::record(a, &name, args.as_ref(), &r);
        }
        // Processes may have come or gone: resource subscribers learn it now, not
        // at the watcher's next list poll.
        if matches!(name.as_str(), "program" | "reload") {
            self.watchers.refresh_lists();
        }
        r.map(Into::into)
    }
}
