//! Arguments of `serve`: one long-running server for agents (`/mcp`), browsers (the
//! dashboard at `/`) and Prometheus (`/metrics`), with the HTTP server's token and
//! limits of `mcp --http` ([`ServerOpts`]).

use super::mcp::ServerOpts;
use super::values::{positive_seconds, refresh_seconds};
use crate::supervisor::bounds::{Count, Seconds};
use clap::Args;
use std::path::PathBuf;

/// `serve [--http ADDR:PORT] [--tokens-file FILE] ...`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to serve at: the dashboard at /, /mcp, /metrics and /health
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8765")]
    pub http: std::net::SocketAddr,
    /// Change nothing, whatever the token (every action and changing tool refused)
    #[arg(long)]
    pub read_only: bool,
    /// Let tokens control only processes whose namespec or group matches this glob
    /// (repeatable); a token's own allow narrows it further
    #[arg(long, value_name = "PATTERN")]
    pub allow: Vec<String>,
    /// Named tokens (TOML, 0600): [tokens.NAME] with token, scope (read or operate)
    /// and optional allow patterns; instead of the single token of --token-file
    #[arg(long, value_name = "FILE", conflicts_with = "token_file")]
    pub tokens_file: Option<PathBuf>,
    /// The audit log of changes made through serve (JSON Lines; default
    /// $XDG_STATE_HOME/supervisord-mcp/audit.jsonl, ~/.local/state/... without it)
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Size of the audit log before it is rotated, bytes
    #[arg(long, value_name = "BYTES", default_value = "10485760")]
    pub audit_max_bytes: Count<65536, { 1 << 30 }>,
    /// Rotated audit logs kept (FILE.1 ... FILE.N)
    #[arg(long, value_name = "N", default_value = "5")]
    pub audit_backups: Count<0, 100>,
    /// A reverse proxy's address whose X-Forwarded-For (the client in the audit log)
    /// and X-Forwarded-Proto (https: Secure cookies) are believed (repeatable)
    #[arg(long, value_name = "IP")]
    pub trusted_proxy: Vec<std::net::IpAddr>,
    /// The dashboard is reached over https (a TLS proxy in front): Secure cookies,
    /// https origins, whatever the proxy says
    #[arg(long)]
    pub behind_https: bool,
    /// Seconds a dashboard login lasts
    #[arg(long, value_name = "SECS", default_value = "28800", value_parser = positive_seconds)]
    pub login_ttl: Seconds,
    /// Once /metrics is scraped, ask the targets in the background every SECS (at
    /// least 1) and answer scrapes from the last answers, at most two periods plus the
    /// longest deadline old; 0: every scrape asks the targets
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = refresh_seconds)]
    pub metrics_refresh: Seconds,
    #[command(flatten)]
    pub server: ServerOpts,
}
