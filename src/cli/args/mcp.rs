//! Arguments of `mcp`: the MCP server's policy and its Streamable HTTP transport,
//! whose token and limits `serve` shares ([`ServerOpts`]).

use super::values::positive_seconds;
use crate::supervisor::bounds::{Count, Seconds};
use clap::Args;
use std::path::PathBuf;

/// `mcp [--read-only] [--allow PATTERN]...`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Offer only the tools that change nothing
    #[arg(long)]
    pub read_only: bool,
    /// Let the agent control only processes whose namespec or group matches this
    /// glob (repeatable: --allow 'web:*' --allow api); reload then needs --allow '*'
    #[arg(long, value_name = "PATTERN")]
    pub allow: Vec<String>,
    /// Serve MCP over Streamable HTTP at http://ADDR/mcp instead of stdio (default
    /// address 127.0.0.1:8765). Clients must send a bearer token: see --token-file
    #[arg(long, value_name = "ADDR:PORT", num_args = 0..=1, default_missing_value = "127.0.0.1:8765")]
    pub http: Option<std::net::SocketAddr>,
    #[command(flatten)]
    pub server: ServerOpts,
}

/// The HTTP server's token and limits, shared by `mcp --http` and `serve`.
#[derive(Debug, Args)]
pub struct ServerOpts {
    /// File holding the bearer token clients must send (or set SUPERVISORD_MCP_TOKEN).
    /// With neither, a random token is generated and kept (0600) in
    /// $XDG_CONFIG_HOME/supervisord-mcp/token (default ~/.config/supervisord-mcp/token)
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Also accept this Host header (DNS-rebinding protection accepts loopback names)
    #[arg(long, value_name = "HOST")]
    pub allow_host: Vec<String>,
    /// Also accept this browser Origin, e.g. https://app.example:443
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// Most MCP sessions at once over HTTP; when full, the least recently used
    /// session with no call in flight is closed to make room
    #[arg(long, value_name = "N", default_value = "32")]
    pub max_sessions: Count<1, 100_000>,
    /// Largest request body over HTTP, bytes (1 KiB to 64 MiB)
    #[arg(long, value_name = "BYTES", default_value = "4194304")]
    pub max_body_bytes: Count<1024, { 64 * 1024 * 1024 }>,
    /// Close HTTP sessions idle this many seconds
    #[arg(long, value_name = "SECS", default_value = "600", value_parser = positive_seconds)]
    pub idle_timeout: Seconds,
    /// Most HTTP connections open at once (default and ceiling: the open-file limit
    /// minus a reserve); when full, the oldest idle connection is closed
    #[arg(long, value_name = "N")]
    pub max_connections: Option<Count<1, 1_000_000>>,
    /// Seconds a client may take to send a request's headers or its body; also how
    /// long an idle keep-alive connection stays open
    #[arg(long, value_name = "SECS", default_value = "15", value_parser = positive_seconds)]
    pub read_timeout: Seconds,
    /// On SIGTERM/SIGINT, seconds to let calls in flight finish before cancelling them
    #[arg(long, value_name = "SECS", default_value = "30")]
    pub shutdown_grace: Seconds,
    /// Serve without a bearer token (loopback included): anyone who reaches the
    /// address, any local user on loopback, can control your processes
    #[arg(long)]
    pub dangerously_serve_without_token: bool,
}
