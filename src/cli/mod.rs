//! The command line: clap definitions in [`args`], one module per command family in
//! [`cmd`], rendering in [`output`], exit codes in [`exit`]. It parses, calls
//! `supervisor::ops`, renders; no Supervisord behaviour lives here.

mod args;
pub mod cmd;
pub mod exit;
mod fleet;
pub(crate) mod hint;
pub mod output;

pub use args::*;

use crate::fleet::Scope;
use crate::supervisor::Client;
use anyhow::Result;
use clap::CommandFactory;
use cmd::{config, control, info, logs, program, status};
use exit::ExitStatus;
use output::Printer;
use std::io::Write;

/// The command line's definition, with the exit-code table of [`exit::TABLE`] in
/// `--help` (and so in the man page).
pub fn command() -> clap::Command {
    Cli::command().after_help(exit::help())
}

/// Parses the process's arguments against `command` (from [`command`], perhaps with
/// more said in its help); exits with clap's message and code 2 on a bad one.
pub fn parse(command: clap::Command) -> Cli {
    use clap::FromArgMatches;
    Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit())
}

/// Runs the parsed command line (every command but `mcp`, which `main` serves);
/// returns the exit code (errors are mapped by the caller with [`exit::for_error`]).
/// `command` is the definition it was parsed with, for `man` and `completions`.
pub async fn run(cli: Cli, command: clap::Command) -> Result<ExitStatus> {
    let p = Printer { json: cli.global.json };
    if let Some(doc) = generated(&cli.command, &command)? {
        std::io::stdout().lock().write_all(&doc)?;
        return Ok(ExitStatus::Success);
    }
    let client = match cmd::scope(&cli.global)? {
        Scope::Fleet(f) => return fleet::run(&f, &cli.global, p, cli.command).await,
        Scope::One(client) => client,
    };
    if let Some(name) = qualified_name(&cli.command) {
        return Err(crate::fleet::FleetError::QualifiedWithoutFile { name }.into());
    }
    run_one(&client, &cli.global, p, cli.command).await
}

/// What needs no daemon: the shell completion script or the man page of `command`,
/// when that is what `cmd` asks for.
fn generated(cmd: &Command, command: &clap::Command) -> Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    match cmd {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut command.clone(), "supervisord-mcp", &mut buf);
        }
        Command::Man => clap_mangen::Man::new(command.clone()).render(&mut buf)?,
        _ => return Ok(None),
    }
    Ok(Some(buf))
}

/// Runs a command against one daemon: each to its module in [`cmd`]; `status
/// --unhealthy` and `targets` through the fleet code, as a fleet of one.
async fn run_one(c: &Client, global: &GlobalOpts, p: Printer, command: Command) -> Result<ExitStatus> {
    match command {
        Command::Status { unhealthy: true, .. } | Command::Targets { .. } => {
            let one = crate::fleet::Fleet::implicit(c.clone(), global.rpc_timeout.duration());
            fleet::run(&one, global, p, command).await
        }
        Command::Status {
            names,
            states,
            metrics,
            port,
            unhealthy: false,
        } => status::cmd_status(c, p, &names, &states, metrics, port).await,
        Command::ListProcesses { states } => status::cmd_status(c, p, &[], &states, false, None).await,
        Command::Pid { names } => status::cmd_pid(c, p, &names).await,
        Command::Diagnose { name, lines } => info::cmd_diagnose(c, p, &name, lines.get()).await,
        Command::Start { names, wait } => control::cmd_start(c, p, &names, &wait).await,
        Command::Stop { names, wait } => control::cmd_stop(c, p, &names, &wait).await,
        Command::Restart { names, wait } => control::cmd_restart(c, p, &names, &wait).await,
        Command::Signal { signal, names, tree } => control::cmd_signal(c, p, &signal, &names, tree).await,
        Command::Wait(args) => control::cmd_wait(c, p, &args).await,
        Command::Program(cmd) => program::cmd_program(c, p, global, cmd).await,
        Command::Run(args) => program::cmd_run(c, p, global, &args).await,
        Command::Logs(args) => logs::cmd_logs(c, p, &args).await,
        Command::Maintail { lines, follow, raw } => logs::cmd_maintail(c, p, lines.get(), follow, raw).await,
        Command::Clear { names } => logs::cmd_clear(c, p, &names).await,
        Command::Info => info::cmd_info(c, p).await,
        Command::Version => info::cmd_version(c, p).await,
        Command::Reread => config::cmd_reread(c, p).await,
        Command::Update { groups } => config::cmd_update(c, p, &groups, false).await,
        Command::Reload { dry_run } => config::cmd_update(c, p, &[], dry_run).await,
        Command::Avail => config::cmd_avail(c, p).await,
        Command::Add { groups } => config::cmd_add(c, p, &groups).await,
        Command::Remove { groups } => config::cmd_remove(c, p, &groups).await,
        // Served by main.rs (the MCP front end is not the CLI's to start).
        Command::Completions { .. } | Command::Man | Command::Mcp(_) => Ok(ExitStatus::Success),
    }
}

/// The first name qualified by a target (`TARGET/name`) among a command's names.
fn qualified_name(command: &Command) -> Option<String> {
    let names: Vec<&String> = match command {
        Command::Status { names, .. }
        | Command::Start { names, .. }
        | Command::Stop { names, .. }
        | Command::Restart { names, .. }
        | Command::Signal { names, .. }
        | Command::Pid { names }
        | Command::Clear { names } => names.iter().collect(),
        Command::Wait(a) => a.names.iter().collect(),
        Command::Diagnose { name, .. } => vec![name],
        Command::Logs(a) => vec![&a.name],
        _ => Vec::new(),
    };
    names.into_iter().find(|n| n.contains('/')).cloned()
}
