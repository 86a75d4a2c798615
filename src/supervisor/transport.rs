//! The one way bytes reach the daemon: HTTP/1.1 over TCP, over TLS (`https://`),
//! over its unix socket, or over an SSH tunnel to its unix socket on another host
//! (`ssh://`), through one reqwest client, with basic auth, a connect timeout and a
//! per-call timeout. Knows XML-RPC only as "POST a body, decode the reply", and
//! streams as bytes read with a bound on each wait. Never follows a redirect: a 3xx
//! answer is an error ([`Error::Redirect`]) and nothing is sent to its `Location`.
//! Replies are bounded: [`MAX_REPLY_BYTES`] each, and across a fan-out by its
//! [`ReplyBudget`].

pub mod budget;
mod classify;
mod endpoint;
mod reply;
mod ssh;
mod stream;
pub mod tls;

pub use budget::ReplyBudget;
pub use endpoint::{Endpoint, ParsedServerUrl, Secret, redact_url};
pub use stream::{Stream, StreamRead};
pub use tls::{TlsOptions, install_default_provider};

use super::error::{Error, Fault, FaultCode, Result};
use crate::xmlrpc::{Value, decode_response, encode_call};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Why a request was not sent: it holds a character XML-RPC cannot carry
/// ([`crate::xmlrpc::carries`]); in practice, a program's name.
pub const UNCARRIED: &str = "the request holds a control character that XML-RPC cannot carry \
    (a program whose name holds one cannot be acted on: rename the program)";

/// How to talk to the daemon: resolved once from flags, environment and config.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub endpoint: Endpoint,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Bound on establishing a connection.
    pub connect_timeout: Duration,
    /// Bound on one XML-RPC call (request sent to reply read). The first call to an
    /// `ssh://` daemon first makes the tunnel, bounded by `connect_timeout` + 2 s.
    pub timeout: Duration,
    /// Trust and client certificate for `https://` (ignored for other URLs).
    pub tls: TlsOptions,
}

impl ServerSettings {
    /// What the user should know about these settings before any call, one sentence
    /// each (the CLI prints them on stderr, the MCP server logs them at start):
    /// basic auth sent in clear text over `http://` to a host that is not loopback,
    /// and TLS options given for a URL that is not `https://`.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let display = self.endpoint.display();
        if let Endpoint::Http(url) = &self.endpoint
            && !endpoint::is_loopback(url)
            && (self.username.is_some() || self.password.is_some())
        {
            out.push(format!(
                "the username and password go in clear text over http:// to {display}: \
                 anyone on the network path can read them; use https:// or ssh://"
            ));
        }
        if self.tls.is_set() && !matches!(self.endpoint, Endpoint::Https(_)) {
            out.push(format!(
                "the TLS options (CA file, client certificate) apply to https:// URLs only; ignored for {display}"
            ));
        }
        out
    }
}

/// Replies larger than this are refused rather than buffered (a runaway reply must
/// not exhaust memory). Our largest replies stay far below it: a log window is at
/// most 4 MiB, and getAllProcessInfo for 3,000 processes is about 4 MB.
pub const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;

/// The HTTP client bound to one daemon.
#[derive(Debug, Clone)]
pub struct Transport {
    http: reqwest::Client,
    local: bool,
    rpc_url: Url,
    base_url: Url,
    display: String,
    auth: Option<(String, Secret)>,
    timeout: Duration,
    /// Bound on connecting, for its errors.
    connect_timeout: Duration,
    /// The reply memory shared with the other targets of a fan-out, when in one.
    budget: Option<Arc<ReplyBudget>>,
    /// The SSH tunnel of an `ssh://` daemon (made on first use).
    tunnel: Option<Arc<ssh::Tunnel>>,
    /// The TLS options of an `https://` daemon, for its errors.
    tls: Option<Arc<TlsOptions>>,
}

impl Transport {
    /// Builds the client. Over TCP every call uses a fresh connection: the daemon's
    /// medusa server writes replies in 4 KiB pieces without TCP_NODELAY, and on a
    /// reused connection the client's delayed ACK stalls every reply over 4 KiB by
    /// about 40 ms (docs/supervisord-api.md, "Transport"; `bench/transport.rs` measures it).
    /// A loopback connect costs ~0.1 ms. Unix sockets have no Nagle: they are pooled,
    /// and so are an ssh tunnel's socket and `https://` connections (a TLS handshake
    /// costs round trips that a remote daemon makes dearer than the stall).
    ///
    /// Redirects are never followed (`Policy::none`): see [`Error::Redirect`].
    ///
    /// Errors: [`Error::Tls`] for an `https://` daemon whose CA or client certificate
    /// file cannot be used (or no system roots), [`Error::Ssh`] when no private
    /// directory can hold an ssh tunnel's socket.
    pub fn new(settings: &ServerSettings) -> Result<Transport> {
        Self::with_pooling(settings, !matches!(settings.endpoint, Endpoint::Http(_)))
    }

    /// Like [`Transport::new`], choosing connection reuse explicitly (for benchmarks).
    pub fn with_pooling(settings: &ServerSettings, reuse_connections: bool) -> Result<Transport> {
        install_default_provider();
        let display = settings.endpoint.display();
        let https = matches!(settings.endpoint, Endpoint::Https(_));
        let tls_config = if https {
            tls::client_config(&settings.tls)
        } else {
            tls::unused_config()
        }
        .map_err(|detail| Error::Tls {
            url: display.clone(),
            detail,
        })?;
        let builder = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .http1_only()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(if reuse_connections { 8 } else { 0 })
            .tls_backend_preconfigured(tls_config);
        let (builder, base_url, tunnel) = Self::route(builder, settings, &display)?;
        let http = builder.build().map_err(|e| Error::Transport {
            url: display.clone(),
            detail: e.to_string(),
        })?;
        let mut rpc_url = base_url.clone();
        if matches!(rpc_url.path(), "" | "/") {
            rpc_url.set_path("/RPC2");
        }
        let mut base_url = base_url;
        base_url.set_path("/");
        let auth = match (&settings.username, &settings.password) {
            (Some(u), p) => Some((u.clone(), p.clone().unwrap_or_else(|| Secret::new("")))),
            (None, Some(p)) => Some((String::new(), p.clone())),
            (None, None) => None,
        };
        Ok(Transport {
            http,
            local: settings.endpoint.is_local(),
            rpc_url,
            base_url,
            display,
            auth,
            timeout: settings.timeout,
            connect_timeout: settings.connect_timeout,
            budget: None,
            tunnel,
            tls: https.then(|| Arc::new(settings.tls.clone())),
        })
    }

    /// Where the client's connections go: the unix socket, the URL's host, or an ssh
    /// tunnel's local socket (the tunnel itself made on first use); and the base URL
    /// requests are made against.
    fn route(
        builder: reqwest::ClientBuilder,
        settings: &ServerSettings,
        display: &str,
    ) -> Result<(reqwest::ClientBuilder, Url, Option<Arc<ssh::Tunnel>>)> {
        let localhost = || Url::parse("http://localhost/").map_err(|e| Error::Invalid(e.to_string()));
        Ok(match &settings.endpoint {
            Endpoint::Unix(path) => (builder.unix_socket(path.as_path()), localhost()?, None),
            Endpoint::Http(url) | Endpoint::Https(url) => (builder, url.clone(), None),
            Endpoint::Ssh {
                user,
                host,
                port,
                socket,
            } => {
                let target = ssh::Remote {
                    user: user.clone(),
                    host: host.clone(),
                    port: *port,
                    socket: socket.clone(),
                };
                let tunnel = ssh::Tunnel::new(target, display.to_owned(), settings.connect_timeout, None)?;
                let builder = builder.unix_socket(tunnel.local_socket());
                (builder, localhost()?, Some(Arc::new(tunnel)))
            }
        })
    }

    /// The server URL as shown to people (no credentials).
    pub fn display_url(&self) -> &str {
        &self.display
    }

    /// True when the daemon runs on this host (see [`Endpoint::is_local`]), unless
    /// host access was turned off ([`Transport::without_host_access`]).
    pub fn is_local(&self) -> bool {
        self.local
    }

    /// Treats the daemon as remote whatever its URL (`--no-host-access`): nothing is
    /// read from this host's /proc or disk on its behalf, everything goes through
    /// its API. For a daemon in another container that shares this pid namespace.
    pub fn without_host_access(mut self) -> Transport {
        self.local = false;
        self
    }

    /// Counts this daemon's replies against `budget`, shared with the other targets
    /// of one fan-out (each reply still at most [`MAX_REPLY_BYTES`]). Streams are not
    /// counted: their bytes are handed on as they come.
    pub fn with_reply_budget(mut self, budget: Arc<ReplyBudget>) -> Transport {
        self.budget = Some(budget);
        self
    }

    /// The default per-call timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Calls one XML-RPC method with the default timeout.
    /// Errors: unreachable daemon, 401, other HTTP statuses, a reply that is not
    /// XML-RPC, or the daemon's fault as [`Error::Fault`].
    pub async fn call(&self, method: &str, params: &[Value]) -> Result<Value> {
        self.call_with_timeout(method, params, self.timeout).await
    }

    /// Calls one XML-RPC method, bounded by `timeout`.
    pub async fn call_with_timeout(&self, method: &str, params: &[Value], timeout: Duration) -> Result<Value> {
        if !params.iter().all(crate::xmlrpc::carries_value) {
            return Err(Error::Invalid(UNCARRIED.into()));
        }
        if let Some(tunnel) = &self.tunnel {
            tunnel.ensure().await?;
        }
        match self.post(method, params, timeout).await {
            Err(e) => Err(self.through_tunnel(e).await),
            ok => ok,
        }
    }

    /// A connection failure through an ssh tunnel is the tunnel's ([`Error::Ssh`],
    /// with what ssh said); other errors, and every error without a tunnel, are
    /// returned as they are.
    pub(super) async fn through_tunnel(&self, err: Error) -> Error {
        match &self.tunnel {
            Some(t) => t.attribute(err).await,
            None => err,
        }
    }

    async fn post(&self, method: &str, params: &[Value], timeout: Duration) -> Result<Value> {
        // Held until the reply is decoded (or this call is dropped).
        let mut lease = match &self.budget {
            Some(b) => Some(b.lease().await),
            None => None,
        };
        let body = encode_call(method, params);
        let mut req = self
            .http
            .post(self.rpc_url.clone())
            .header(reqwest::header::CONTENT_TYPE, "text/xml")
            .body(body)
            .timeout(timeout);
        if let Some((user, pass)) = &self.auth {
            req = req.basic_auth(user, Some(pass.expose()));
        }
        let mut resp = req.send().await.map_err(|e| self.classify(e, method, timeout))?;
        self.check_status(resp.status(), method)?;
        let buf = self.read_body(&mut resp, method, timeout, lease.as_mut()).await?;
        match decode_response(&buf) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(fault)) => Err(Error::Fault(Fault {
                code: FaultCode::from_code(fault.code),
                text: fault.text,
                method: method.to_owned(),
            })),
            Err(source) => Err(Error::Decode {
                url: self.display.clone(),
                method: method.to_owned(),
                source,
            }),
        }
    }

    /// Opens a streaming GET (for `/logtail/...` and `/mainlogtail`). HTTP/1.1, so the
    /// daemon sends chunks as they come (HTTP/1.0 would buffer 64 KiB first).
    /// Connecting and the response headers are bounded by the call timeout
    /// ([`Error::Timeout`] past it, e.g. a frozen daemon); the body has no overall
    /// bound: [`Stream::next`] bounds each wait for more bytes.
    pub async fn get_stream(&self, path: &str) -> Result<Stream> {
        if let Some(tunnel) = &self.tunnel {
            tunnel.ensure().await?;
        }
        match self.open_stream(path).await {
            Err(e) => Err(self.through_tunnel(e).await),
            ok => ok,
        }
    }

    async fn open_stream(&self, path: &str) -> Result<Stream> {
        let mut url = self.base_url.clone();
        url.set_path(path);
        let mut req = self.http.get(url);
        if let Some((user, pass)) = &self.auth {
            req = req.basic_auth(user, Some(pass.expose()));
        }
        let what = format!("GET {path}");
        let resp = match tokio::time::timeout(self.timeout, req.send()).await {
            Ok(sent) => sent.map_err(|e| self.classify(e, &what, self.timeout))?,
            Err(_) => {
                return Err(Error::Timeout {
                    url: self.display.clone(),
                    method: what,
                    secs: self.timeout.as_secs_f64(),
                });
            }
        };
        self.check_status(resp.status(), &what)?;
        Ok(Stream {
            resp,
            what,
            transport: self.clone(),
        })
    }
}
