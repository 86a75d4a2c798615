//! The command line: clap definitions in [`args`], one module per command family in
//! [`cmd`], rendering in [`output`], exit codes in [`exit`]. It parses, calls
//! `supervisor::ops`, renders; no Supervisord behaviour lives here.

mod args;
pub mod cmd;
pub mod exit;
mod fleet;
pub(crate) mod hint;
pub mod output;
pub mod version;

pub use args::*;

use crate::fleet::Scope;
use crate::settings::Settings;
use crate::supervisor::Client;
use anyhow::Result;
use clap::CommandFactory;
use cmd::{config, control, info, logs, program, status};
use exit::ExitStatus;
use output::Printer;

/// The command line's definition, with the exit-code table of [`exit::TABLE`] in
/// `--help` (and so in the man page).
pub fn command() -> clap::Command {
    Cli::command().after_help(exit::help())
}

/// Parses the process's arguments against `command` (from [`command`]); help is
/// printed from `described` (the same, with more said in its help). On a bad one,
/// exits with code 2 after clap's message on stderr or, when `--json` is on the line
/// (before any `--`), one JSON error document of kind `usage` on stdout. `--help` and
/// `--version` print as always.
pub fn parse(command: clap::Command, described: impl Fn() -> clap::Command) -> Cli {
    use clap::FromArgMatches;
    use clap::error::ErrorKind;
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let json = argv.iter().skip(1).take_while(|a| *a != "--").any(|a| a == "--json");
    let parsed = |c: clap::Command| c.try_get_matches_from(&argv).and_then(|m| Cli::from_arg_matches(&m));
    match parsed(command) {
        Ok(cli) => cli,
        Err(e) if json && e.use_stderr() => {
            let _ = Printer { json: true }.json(&usage_error(&e));
            std::process::exit(i32::from(ExitStatus::Usage.code()));
        }
        // Help is written from the fully described command (`described` may cost a
        // little: the MCP tool table), which nothing else needs.
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            match parsed(described()) {
                Err(e) => e.exit(),
                Ok(_) => e.exit(),
            }
        }
        Err(e) => e.exit(),
    }
}

/// clap's error as the `--json` error document: its message, kind `usage`, and its
/// tips and usage line as the hint.
fn usage_error(e: &clap::Error) -> serde_json::Value {
    let text = e.render().to_string();
    let lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let (mut message, mut hint) = (Vec::new(), Vec::new());
    for line in lines {
        let said = ["Usage:", "tip:", "For more information"]
            .iter()
            .any(|p| line.starts_with(p));
        match (said, hint.is_empty()) {
            (true, _) => hint.push(line),
            (false, true) => message.push(line.strip_prefix("error: ").unwrap_or(line)),
            (false, false) => {}
        }
    }
    if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // clap's text is the help: say what is missing.
        message = vec!["a command is required"];
        hint.retain(|l| l.starts_with("Usage:"));
        hint.push("see --help");
    }
    serde_json::json!({
        "error": {
            "message": message.join(" "),
            "kind": "usage",
            "hint": (!hint.is_empty()).then(|| hint.join("; ")),
        }
    })
}

/// Runs a command of the command line (every one but `mcp`, which `main` serves)
/// with the settings `main` resolved; returns the exit code (errors are mapped by
/// the caller with [`exit::for_error`]).
pub async fn run(command: Command, settings: &Settings) -> Result<ExitStatus> {
    let p = Printer { json: settings.json };
    if let Command::Events(a) = command {
        return cmd::events::run(settings, p, a).await;
    }
    let client = match &settings.scope {
        Scope::Fleet(f) => return fleet::run(f, settings, p, command).await,
        Scope::One(client) => client,
    };
    if let Some(name) = qualified_name(&command) {
        return Err(crate::fleet::FleetError::QualifiedWithoutFile { name }.into());
    }
    run_one(client, settings, p, command).await
}

/// What needs no daemon nor settings: the shell completion script or the man page of
/// `command`, when that is what `cmd` asks for.
pub fn generated(cmd: &Command, command: &impl Fn() -> clap::Command) -> Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    match cmd {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut command(), "supervisord-mcp", &mut buf);
        }
        Command::Man => clap_mangen::Man::new(command()).render(&mut buf)?,
        _ => return Ok(None),
    }
    Ok(Some(buf))
}

/// Runs a command against one daemon: each to its module in [`cmd`]; `status
/// --unhealthy` and `targets` through the fleet code, as a fleet of one.
async fn run_one(c: &Client, settings: &Settings, p: Printer, command: Command) -> Result<ExitStatus> {
    match command {
        Command::Status { unhealthy: true, .. } | Command::Targets { .. } => {
            let one = crate::fleet::Fleet::implicit(c.clone(), settings.rpc_timeout);
            fleet::run(&one, settings, p, command).await
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
        Command::Diagnose {
            name,
            lines,
            cpu_sample,
        } => info::cmd_diagnose(c, p, &name, lines.get(), cpu_sample.map(|s| s.get())).await,
        Command::Start { names, wait } => control::cmd_start(c, p, &names, &wait).await,
        Command::Stop { names, wait } => control::cmd_stop(c, p, &names, &wait).await,
        Command::Restart { names, wait } => control::cmd_restart(c, p, &names, &wait).await,
        Command::Signal { signal, names, tree } => control::cmd_signal(c, p, &signal, &names, tree).await,
        Command::Wait(args) => control::cmd_wait(c, p, &args).await,
        Command::Program(cmd) => program::cmd_program(c, p, settings, cmd).await,
        Command::Run(args) => program::cmd_run(c, p, settings, &args).await,
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
        Command::Completions { .. } | Command::Man | Command::Mcp(_) | Command::Serve(_) | Command::Events(_) => {
            Ok(ExitStatus::Success)
        }
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
