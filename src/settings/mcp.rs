//! The HTTP servers' own settings: `mcp --http` (the bearer token and the
//! transport's limits) and `serve` (the same, plus named tokens, the audit log and
//! what the dashboard needs).

use super::{FrontEnd, SettingsError, Warning};
use crate::cli::{McpArgs, ServeArgs, ServerOpts};
use crate::mcp::http::{self, HttpSettings, TokenSource};
use crate::server::audit::AuditLog;
use crate::server::auth::Tokens;
use crate::server::token;
use std::net::SocketAddr;
use std::sync::Arc;

/// Environment variable: the bearer token of `mcp --http` and `serve` (never printed).
pub const ENV_TOKEN: &str = "SUPERVISORD_MCP_TOKEN";

/// The front end of `mcp`: stdio, or HTTP with its token and limits ([`server`]).
pub(super) fn front_end(
    args: &McpArgs,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Warning>,
) -> Result<FrontEnd, SettingsError> {
    let Some(addr) = args.http else {
        return Ok(FrontEnd::Stdio);
    };
    let (server, token) = server(addr, &args.server, env, warnings)?;
    Ok(FrontEnd::Http {
        server: Box::new(server),
        token,
    })
}

/// An HTTP server's settings at `addr`: its token (`--token-file`, then
/// [`ENV_TOKEN`], else none with `--dangerously-serve-without-token`, else one
/// generated and kept) and limits. Warns when serving without a token or with a
/// token file others can read. Errors ([`SettingsError::Usage`]): the token cannot
/// be used (see [`token::resolve`]).
fn server(
    addr: SocketAddr,
    o: &ServerOpts,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Warning>,
) -> Result<(HttpSettings, TokenSource), SettingsError> {
    let (token, source) = token::resolve(
        addr,
        o.token_file.as_deref(),
        env(ENV_TOKEN),
        o.dangerously_serve_without_token,
        token::default_store(),
    )
    .map_err(|e| SettingsError::Usage(e.to_string()))?;
    warn_about(addr, &source, warnings);
    let server = HttpSettings {
        addr,
        token,
        allowed_hosts: o.allow_host.clone(),
        allowed_origins: o.allow_origin.clone(),
        max_body_bytes: o.max_body_bytes.get(),
        max_sessions: o.max_sessions.get(),
        idle_timeout: o.idle_timeout.duration(),
        max_connections: http::max_connections(o.max_connections.map(|n| n.get())),
        read_timeout: o.read_timeout.duration(),
        shutdown_grace: o.shutdown_grace.duration(),
    };
    Ok((server, source))
}

fn warn_about(addr: SocketAddr, source: &TokenSource, warnings: &mut Vec<Warning>) {
    let loud = match source {
        TokenSource::None => Some(format!(
            "serving {addr} WITHOUT A TOKEN: anyone who reaches it, any local user included, controls your processes"
        )),
        TokenSource::File(p) if !token::is_private(p) => Some(format!(
            "the token file {} is open to group or others; run `chmod 600` on it",
            p.display()
        )),
        _ => None,
    };
    warnings.extend(loud.map(|text| Warning { text, loud: true }));
}

/// The front end of `serve`: the HTTP server of [`server`] (its single token unless
/// `--tokens-file` names tokens), the audit log opened, the dashboard's settings.
/// Errors ([`SettingsError::Usage`]): a token or tokens file that cannot be used,
/// an audit log that cannot be opened or has no default place.
pub(super) fn serve(
    args: &ServeArgs,
    deadline: std::time::Duration,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Warning>,
) -> Result<FrontEnd, SettingsError> {
    let usage = |e: crate::server::HttpError| SettingsError::Usage(e.to_string());
    let (http, token, tokens) = match &args.tokens_file {
        Some(path) => {
            let tokens = Tokens::load(path).map_err(usage)?;
            let (mut http, _) = server(args.http, &no_token(&args.server), env, &mut Vec::new())?;
            http.token = None;
            (http, TokenSource::File(path.clone()), tokens)
        }
        None => {
            let (http, source) = server(args.http, &args.server, env, warnings)?;
            let tokens = Tokens::single(http.token.clone());
            (http, source, tokens)
        }
    };
    let path = args.audit_log.clone().or_else(AuditLog::default_path).ok_or_else(|| {
        SettingsError::Usage(
            "no place for the audit log (neither XDG_STATE_HOME nor HOME is set): give --audit-log FILE".into(),
        )
    })?;
    let audit = AuditLog::open(
        &path,
        args.audit_max_bytes.get() as u64,
        args.audit_backups.get() as u32,
    )
    .map_err(usage)?;
    let settings = crate::web::ServeSettings {
        http,
        tokens: Arc::new(tokens),
        audit: Arc::new(audit),
        trusted_proxies: args.trusted_proxy.clone(),
        behind_https: args.behind_https,
        login_ttl: args.login_ttl.duration(),
        deadline,
        metrics_refresh: Some(args.metrics_refresh.duration()).filter(|d| !d.is_zero()),
    };
    Ok(FrontEnd::Serve {
        server: Box::new(settings),
        token,
    })
}

/// `o` without a token of its own (the tokens file names them): nothing generated.
fn no_token(o: &ServerOpts) -> ServerOpts {
    ServerOpts {
        token_file: None,
        allow_host: o.allow_host.clone(),
        allow_origin: o.allow_origin.clone(),
        max_sessions: o.max_sessions,
        max_body_bytes: o.max_body_bytes,
        idle_timeout: o.idle_timeout,
        max_connections: o.max_connections,
        read_timeout: o.read_timeout,
        shutdown_grace: o.shutdown_grace,
        dangerously_serve_without_token: true,
    }
}
