//! The `supervisord-mcp` binary: parse, run, map errors to exit codes.
//! Diagnostics go to stderr (RUST_LOG), never to stdout.

use std::process::ExitCode;
use supervisord_mcp::cli::exit::{self, ExitStatus};
use supervisord_mcp::cli::{self, Cli, Command, output::Printer};
use supervisord_mcp::fleet::{Fleet, Scope};
use supervisord_mcp::mcp::http::{self, TokenSource};
use supervisord_mcp::supervisor::Client;
use supervisord_mcp::supervisor::text::shown;

/// How long the process waits, at exit, for cleanups of interrupted operations.
const CLEANUP_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

fn main() -> ExitCode {
    let command = supervisord_mcp::mcp::help::describe(cli::command());
    let cli = cli::parse(command.clone());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let printer = Printer { json: cli.global.json };
    let is_status = matches!(cli.command, Command::Status { .. } | Command::ListProcesses { .. });
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("supervisord-mcp: error: cannot start the async runtime: {e}");
            return ExitStatus::Failure.into();
        }
    };
    let outcome = if matches!(cli.command, Command::Mcp(_)) {
        runtime.block_on(serve_mcp(&cli))
    } else {
        runtime.block_on(cli::run(cli, command))
    };
    // Undo what an interrupted operation left half-done before exiting.
    runtime.block_on(supervisord_mcp::supervisor::cleanup::drain(CLEANUP_GRACE));
    match outcome {
        Ok(status) => status.into(),
        Err(err) => {
            // `supervisord-mcp status | head` must not be an error.
            let broken_pipe = err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            printer.error(&err);
            exit::for_error(&err, is_status).into()
        }
    }
}

/// `supervisord-mcp mcp`: the MCP server on stdio or, with `--http`, over HTTP, with
/// the daemon settings resolved the same way as for every command.
async fn serve_mcp(cli: &Cli) -> anyhow::Result<ExitStatus> {
    let Command::Mcp(args) = &cli.command else {
        return Ok(ExitStatus::Usage);
    };
    let policy = supervisord_mcp::supervisor::Policy::new(args.read_only, &args.allow)?;
    let (client, fleet) = daemon_and_fleet(cli)?;
    let Some(addr) = args.http else {
        supervisord_mcp::mcp::serve_stdio(client, policy, cli.global.include_dir.clone(), fleet).await?;
        return Ok(ExitStatus::Success);
    };
    let (token, source) = http::token::resolve(
        addr,
        args.token_file.as_deref(),
        std::env::var("SUPERVISORD_MCP_TOKEN").ok(),
        args.dangerously_serve_without_token,
        http::token::default_store(),
    )
    .map_err(http_error)?;
    announce_token(addr, &source);
    let settings = http::HttpSettings {
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
        policy,
        include_dir: cli.global.include_dir.clone(),
        fleet: fleet.map(std::sync::Arc::new),
    };
    http::serve(client, settings).await.map_err(http_error)?;
    Ok(ExitStatus::Success)
}

/// The daemon the server talks to, and the fleet when a targets file is configured:
/// the tools go across its targets; unqualified resources and `resources/list`
/// follow the first selected one (see `SupervisorMcp::with_fleet`). Prints the
/// file's warnings. Errors: no target selected.
fn daemon_and_fleet(cli: &Cli) -> anyhow::Result<(Client, Option<Fleet>)> {
    match cli::cmd::scope(&cli.global)? {
        Scope::One(c) => Ok((c, None)),
        Scope::Fleet(f) => {
            for w in &f.warnings {
                cli::output::warn(&format!("supervisord-mcp: warning: {w}"));
            }
            let first = f.selected()?.into_iter().next().map(|t| t.client);
            match first {
                Some(c) => Ok((c, Some(f))),
                None => Err(supervisord_mcp::fleet::FleetError::NothingSelected.into()),
            }
        }
    }
}

/// Tells the operator, on stderr, how clients authenticate (the path of the token,
/// never the token itself), and warns when serving without a token or with a token
/// file others can read.
fn announce_token(addr: std::net::SocketAddr, source: &TokenSource) {
    match source {
        TokenSource::Generated(p) | TokenSource::Reused(p) => eprintln!(
            "supervisord-mcp: clients must send `Authorization: Bearer TOKEN`, TOKEN being the contents of {} ({})",
            shown(&p.display().to_string()),
            if matches!(source, TokenSource::Generated(_)) {
                "generated now"
            } else {
                "kept from an earlier start"
            }
        ),
        TokenSource::None => eprintln!(
            "supervisord-mcp: WARNING: serving {addr} WITHOUT A TOKEN: anyone who reaches it, any local user included, controls your processes"
        ),
        TokenSource::File(p) if !http::token::is_private(p) => eprintln!(
            "supervisord-mcp: WARNING: the token file {} is open to group or others; run `chmod 600` on it",
            shown(&p.display().to_string())
        ),
        TokenSource::File(_) | TokenSource::Env => {}
    }
}

/// The HTTP server's startup errors, sorted for the exit status: a missing token or
/// an unreadable token file is the operator's configuration (exit 2).
fn http_error(e: supervisord_mcp::mcp::http::HttpError) -> anyhow::Error {
    use supervisord_mcp::mcp::http::HttpError;
    match e {
        HttpError::NoToken { .. } | HttpError::TokenFile { .. } | HttpError::WeakToken { .. } => {
            supervisord_mcp::supervisor::Error::Usage(e.to_string()).into()
        }
        other => other.into(),
    }
}
