//! The `supervisord-mcp` binary: parse, run, map errors to exit codes.
//! Diagnostics go to stderr (RUST_LOG), never to stdout.

use clap::Parser;
use std::process::ExitCode;
use supervisord_mcp::cli::{self, Cli, Command, exit, output::Printer};

fn main() -> ExitCode {
    let cli = Cli::parse();
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
            return ExitCode::from(exit::GENERIC);
        }
    };
    let outcome = if matches!(cli.command, Command::Mcp(_)) {
        runtime.block_on(serve_mcp(&cli))
    } else {
        runtime.block_on(cli::commands::run(cli))
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
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
            ExitCode::from(exit::for_error(&err, is_status))
        }
    }
}

/// `supervisord-mcp mcp`: the MCP server on stdio, with the daemon settings resolved
/// the same way as for every command.
async fn serve_mcp(cli: &Cli) -> anyhow::Result<u8> {
    let Command::Mcp(args) = &cli.command else {
        return Ok(exit::INVALID_ARGS);
    };
    let policy = supervisord_mcp::supervisor::Policy::new(args.read_only, &args.allow)?;
    let client = cli::commands::connect(&cli.global)?;
    supervisord_mcp::mcp::serve_stdio(client, policy, cli.global.include_dir.clone()).await?;
    Ok(exit::SUCCESS)
}
