//! `program add|remove` and `run`. Ctrl-C or SIGTERM during either drops the
//! operation, whose cleanup (the transient program removed, a half-done add undone)
//! finishes before the process exits.

use super::{env_pairs, invalid_as_usage, wait_options, with_spinner};
use crate::cli::exit::{self, ExitStatus};
use crate::cli::output::Printer;
use crate::supervisor::Client;
use crate::supervisor::ops::programs::{self, AddOptions, ProgramSettings, ProgramSpec, RunRequest};
use crate::supervisor::text::shown;
use anyhow::Result;
use std::future::Future;

pub async fn cmd_program(
    c: &Client,
    p: Printer,
    g: &crate::settings::Settings,
    cmd: crate::cli::ProgramCmd,
) -> Result<ExitStatus> {
    let dir = programs::include_dir(c, g.include_dir.as_deref())
        .await
        .map_err(invalid_as_usage)?;
    match cmd {
        crate::cli::ProgramCmd::Add(a) => {
            let settings = ProgramSettings {
                directory: a.directory.clone(),
                environment: env_pairs(&a.env)?,
                autostart: Some(a.autostart),
                autorestart: a.autorestart.clone(),
                startsecs: a.startsecs,
                startretries: a.startretries,
                numprocs: a.numprocs.and_then(|n| u32::try_from(n.get()).ok()),
                redirect_stderr: a.redirect_stderr.then_some(true),
            };
            let spec = ProgramSpec::new(a.name.clone(), a.command.clone(), settings).map_err(invalid_as_usage)?;
            let opts = AddOptions {
                start: !a.no_start,
                keep_on_failure: a.keep_on_failure,
                wait: wait_options(&a.wait),
            };
            let added = match interruptible(with_spinner(p, "adding", programs::add(c, &dir, &spec, &opts))).await {
                Ok(added) => added?,
                Err(code) => {
                    eprintln!("interrupted: undoing the add");
                    return Ok(code);
                }
            };
            if p.json {
                p.json(&added)?;
            } else {
                p.line(&format!(
                    "{}: {} ({})",
                    shown(&added.name),
                    added.action,
                    shown(&added.file)
                ))?;
                if !added.processes.is_empty() {
                    p.results(&added.processes)?;
                }
                if let Some(note) = added.failure_note("--keep-on-failure") {
                    p.line(&note)?;
                }
            }
            Ok(exit::for_results(&added.processes))
        }
        crate::cli::ProgramCmd::Remove { name } => {
            let removed = programs::remove(c, &dir, &name, programs::REMOVE_TIMEOUT)
                .await
                .map_err(invalid_as_usage)?;
            if p.json {
                p.json(&removed)?;
            } else {
                p.line(&removed.message)?;
            }
            Ok(ExitStatus::Success)
        }
    }
}

pub async fn cmd_run(
    c: &Client,
    p: Printer,
    g: &crate::settings::Settings,
    a: &crate::cli::RunArgs,
) -> Result<ExitStatus> {
    let dir = programs::include_dir(c, g.include_dir.as_deref())
        .await
        .map_err(invalid_as_usage)?;
    let req = RunRequest {
        command: programs::command_from_argv(&a.command).map_err(invalid_as_usage)?,
        directory: a.directory.clone(),
        environment: env_pairs(&a.env)?,
        timeout: a.timeout.duration(),
        lines: a.lines.get(),
    };
    let r = match interruptible(with_spinner(p, "running", programs::run(c, &dir, &req))).await {
        Ok(r) => r.map_err(invalid_as_usage)?,
        Err(code) => {
            eprintln!("interrupted: removing the transient program, its file and its logs");
            return Ok(code);
        }
    };
    if p.json {
        p.json(&r)?;
    } else {
        p.log_lines(&r.stdout)?;
        for l in &r.stderr {
            eprintln!("{l}");
        }
        crate::cli::output::warn(&format!("({})", shown(&programs::run_summary(&r))));
    }
    Ok(match (r.timed_out, r.exitstatus, &r.error) {
        (true, _, _) => ExitStatus::TimedOut,
        (false, Some(code), _) => u8::try_from(code).map_or(ExitStatus::Failure, ExitStatus::Command),
        // It never ran: a program that failed to start.
        (false, None, Some(_)) => ExitStatus::Dead,
        (false, None, None) => ExitStatus::Failure,
    })
}

/// Runs `fut` unless SIGINT or SIGTERM comes first; then `fut` is dropped (its
/// cleanup goes on as a cleanup task, which `main` waits for before exiting) and the
/// exit code for the signal is returned as the error.
async fn interruptible<T>(fut: impl Future<Output = T>) -> std::result::Result<T, ExitStatus> {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        // Without signal handlers the default (dying) applies; run it all the same.
        return Ok(fut.await);
    };
    tokio::select! {
        out = fut => Ok(out),
        _ = int.recv() => Err(ExitStatus::Interrupted),
        _ = term.recv() => Err(ExitStatus::Terminated),
    }
}
