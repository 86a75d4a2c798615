//! Generic HTTP server hardening, for every endpoint this program serves (`mcp
//! --http`'s `/mcp`, and `serve`'s `/mcp`, `/metrics`, the dashboard and `/health`):
//! accepting connections under a cap below the descriptor limit, with header and idle
//! timeouts and the oldest idle connections shed ([`conn`]); the `Host`/`Origin`
//! checks and bounded request bodies ([`guard`]); who a request comes from (bearer
//! tokens with names and scopes: [`auth`], the single token's source: [`token`],
//! how strong a configured one must be: [`strength`]); the audit log of changes
//! ([`audit`]); `/health` ([`health`]); running until SIGTERM and draining
//! ([`run`]); giving memory back after bursts ([`memory`]). Knows nothing of MCP or
//! of the dashboard.

pub mod audit;
pub mod auth;
pub(crate) mod conn;
pub mod guard;
pub mod health;
pub(crate) mod memory;
pub mod run;
pub mod strength;
pub mod token;

pub use conn::{Peer, client_of, max_connections};

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why an HTTP server refuses to start or stops. `NoToken`, `TokenFile` and
/// `WeakToken` are bad configuration (exit 2); `Bind` and `Serve` are faults (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(
        "refusing to serve {addr} without a bearer token: there is no place to keep a generated one \
         (neither XDG_CONFIG_HOME nor HOME is set). Set SUPERVISORD_MCP_TOKEN or --token-file FILE"
    )]
    NoToken { addr: SocketAddr },
    /// The token file, the tokens file, the directory of a generated token or the
    /// audit log cannot be used (`what`: "token file", "token directory", ...).
    #[error("{what} {}: {detail}", path.display())]
    TokenFile {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },
    /// A configured token is too weak (see [`strength`]); `from` says where it is.
    #[error("the token {from} is too weak: {detail}")]
    WeakToken { from: String, detail: String },
    #[error("cannot listen on {addr}: {detail}")]
    Bind { addr: SocketAddr, detail: String },
    #[error("the HTTP server failed: {0}")]
    Serve(String),
}
