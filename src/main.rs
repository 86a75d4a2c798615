//! The `supervisord-mcp` binary: parse, resolve the settings once, print their
//! warnings, run the chosen front end, map errors to exit codes. Diagnostics go to
//! stderr (RUST_LOG), never to stdout.

use std::io::Write;
use std::process::ExitCode;
use supervisord_mcp::cli::exit::{self, ExitStatus};
use supervisord_mcp::cli::{self, Command, output::Printer};
use supervisord_mcp::mcp::http::{self, TokenSource};
use supervisord_mcp::settings::{FrontEnd, Settings};
use supervisord_mcp::supervisor::text::shown;

/// How long the process waits, at exit, for cleanups of interrupted operations.
const CLEANUP_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

fn main() -> ExitCode {
    let described = || supervisord_mcp::mcp::help::describe(cli::command());
    let cli = cli::parse(cli::command(), described);
    // Colours only for a person at a terminal, never into a client's log file.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let printer = Printer { json: cli.global.json };
    let is_status = matches!(cli.command, Command::Status { .. } | Command::ListProcesses { .. });
    // A command across a fleet spreads its targets' connections and replies over the
    // cores (across 100 targets: 15% faster than on one thread, for more CPU); every
    // other front end needs one thread.
    let fans_out = cli.global.fleet.is_some() || cli.global.target.is_some();
    let multi_thread = fans_out && !matches!(cli.command, Command::Mcp(_) | Command::Serve(_));
    let mut builder = match multi_thread {
        true => tokio::runtime::Builder::new_multi_thread(),
        false => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("supervisord-mcp: error: cannot start the async runtime: {e}");
            return ExitStatus::Failure.into();
        }
    };
    let outcome = match cli::generated(&cli.command, &described) {
        Ok(Some(doc)) => std::io::stdout()
            .lock()
            .write_all(&doc)
            .map(|()| ExitStatus::Success)
            .map_err(Into::into),
        Ok(None) if multi_thread => runtime.block_on(on_a_worker(run(cli))),
        Ok(None) => runtime.block_on(run(cli)),
        Err(e) => Err(e),
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

/// Runs `work` on one of the runtime's workers rather than on the thread that waits
/// for it: the tasks it spawns (a fan-out's, one a target) then queue on that worker
/// instead of each waking another thread. Across 1,000 targets: about 8% less time
/// and 18% less system CPU (docs/performance.md, "The fan-out at scale"). A panic in
/// `work` is resumed here.
async fn on_a_worker<F>(work: F) -> anyhow::Result<ExitStatus>
where
    F: std::future::Future<Output = anyhow::Result<ExitStatus>> + Send + 'static,
{
    match tokio::spawn(work).await {
        Ok(outcome) => outcome,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(anyhow::anyhow!("the command was cancelled: {e}")),
    }
}

/// Resolves the settings, prints their warnings once, and runs the front end they
/// name: a command, or the MCP server on stdio or over HTTP.
async fn run(cli: cli::Cli) -> anyhow::Result<ExitStatus> {
    // The journal's relay runs under supervisord: it needs no settings, only its environment.
    if let Command::Events(cli::EventsArgs {
        cmd: Some(cli::EventsCmd::Relay),
        ..
    }) = &cli.command
    {
        return Ok(cli::cmd::events::relay().await);
    }
    let settings = Settings::resolve(&cli, &|k| std::env::var(k).ok())?;
    for w in &settings.warnings {
        cli::output::warn(&w.to_string());
    }
    if matches!(settings.front_end, FrontEnd::Cli) {
        return cli::run(cli.command, &settings).await;
    }
    let Settings {
        scope,
        policy,
        include_dir,
        front_end,
        ..
    } = settings;
    let backend = supervisord_mcp::mcp::Backend::new(scope, policy, include_dir)?;
    match front_end {
        FrontEnd::Http { server, token } => {
            announce_token(&token);
            http::serve(backend, *server).await?;
        }
        FrontEnd::Serve { server, token } => {
            announce_token(&token);
            supervisord_mcp::web::serve(backend, *server).await?;
        }
        _ => supervisord_mcp::mcp::serve_stdio(backend).await?,
    }
    Ok(ExitStatus::Success)
}

/// Tells the operator, on stderr, which file holds a generated token (its path,
/// never the token itself).
fn announce_token(source: &TokenSource) {
    if let TokenSource::Generated(p) | TokenSource::Reused(p) = source {
        eprintln!(
            "supervisord-mcp: clients must send `Authorization: Bearer TOKEN`, TOKEN being the contents of {} ({})",
            shown(&p.display().to_string()),
            if matches!(source, TokenSource::Generated(_)) {
                "generated now"
            } else {
                "kept from an earlier start"
            }
        );
    }
}
