//! The MCP server's own settings: over HTTP (`mcp --http`), the bearer token and the
//! transport's limits.

use super::{FrontEnd, SettingsError, Warning};
use crate::cli::McpArgs;
use crate::mcp::http::{self, HttpSettings, TokenSource};

/// Environment variable: the bearer token of `mcp --http` (never printed).
pub const ENV_TOKEN: &str = "SUPERVISORD_MCP_TOKEN";

/// The front end of `mcp`: stdio, or HTTP with its token (`--token-file`, then
/// [`ENV_TOKEN`], else none with `--dangerously-serve-without-token`, else one
/// generated and kept) and limits. Warns when serving without a token or with a
/// token file others can read. Errors ([`SettingsError::Usage`]): the token cannot be
/// used (see [`crate::server::token::resolve`]).
pub(super) fn front_end(
    args: &McpArgs,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Warning>,
) -> Result<FrontEnd, SettingsError> {
    let Some(addr) = args.http else {
        return Ok(FrontEnd::Stdio);
    };
    let (token, source) = crate::server::token::resolve(
        addr,
        args.token_file.as_deref(),
        env(ENV_TOKEN),
        args.dangerously_serve_without_token,
        crate::server::token::default_store(),
    )
    .map_err(|e| SettingsError::Usage(e.to_string()))?;
    let loud = match &source {
        TokenSource::None => Some(format!(
            "serving {addr} WITHOUT A TOKEN: anyone who reaches it, any local user included, controls your processes"
        )),
        TokenSource::File(p) if !crate::server::token::is_private(p) => Some(format!(
            "the token file {} is open to group or others; run `chmod 600` on it",
            p.display()
        )),
        _ => None,
    };
    warnings.extend(loud.map(|text| Warning { text, loud: true }));
    let server = HttpSettings {
        addr,
        token,
        allowed_hosts: args.allow_host.clone(),
        allowed_origins: args.allow_origin.clone(),
        max_body_bytes: args.max_body_bytes.get(),
        max_sessions: args.max_sessions.get(),
        idle_timeout: args.idle_timeout.duration(),
        max_connections: http::max_connections(args.max_connections.map(|n| n.get())),
        read_timeout: args.read_timeout.duration(),
        shutdown_grace: args.shutdown_grace.duration(),
    };
    Ok(FrontEnd::Http {
        server: Box::new(server),
        token: source,
    })
}
