//! `program add|remove` and `run`.

use super::{env_pairs, invalid_as_usage, wait_options, with_spinner};
use crate::cli::exit::{self, ExitStatus};
use crate::cli::output::Printer;
use crate::supervisor::Client;
use crate::supervisor::ops::programs;
use anyhow::Result;
use std::time::Duration;

pub async fn cmd_program(
    c: &Client,
    p: Printer,
    g: &crate::cli::GlobalOpts,
    cmd: crate::cli::ProgramCmd,
) -> Result<ExitStatus> {
    let dir = programs::include_dir(c, g.include_dir.as_deref())
        .await
        .map_err(invalid_as_usage)?;
    match cmd {
        crate::cli::ProgramCmd::Add(a) => {
            let spec = programs::ProgramSpec {
                name: a.name.clone(),
                command: a.command.clone(),
                directory: a.directory.clone(),
                environment: env_pairs(&a.env)?,
                autostart: Some(a.autostart),
                autorestart: a.autorestart.clone(),
                startsecs: a.startsecs,
                startretries: a.startretries,
                numprocs: a.numprocs,
                redirect_stderr: a.redirect_stderr.then_some(true),
            };
            spec.render().map_err(invalid_as_usage)?;
            let added = with_spinner(
                p,
                "adding",
                programs::add(c, &dir, &spec, !a.no_start, &wait_options(&a.wait)),
            )
            .await?;
            if p.json {
                p.json(&added)?;
            } else {
                p.line(&format!("{}: {} ({})", added.name, added.action, added.file))?;
                if !added.processes.is_empty() {
                    p.results(&added.processes)?;
                }
            }
            Ok(exit::for_results(&added.processes))
        }
        crate::cli::ProgramCmd::Remove { name } => {
            let msg = programs::remove(c, &dir, &name, Duration::from_secs(60))
                .await
                .map_err(invalid_as_usage)?;
            if p.json {
                p.json(&serde_json::json!({ "name": name, "outcome": "removed", "message": msg }))?;
            } else {
                p.line(&msg)?;
            }
            Ok(ExitStatus::Success)
        }
    }
}

pub async fn cmd_run(
    c: &Client,
    p: Printer,
    g: &crate::cli::GlobalOpts,
    a: &crate::cli::RunArgs,
) -> Result<ExitStatus> {
    let dir = programs::include_dir(c, g.include_dir.as_deref())
        .await
        .map_err(invalid_as_usage)?;
    let command = shell_join(&a.command);
    let env = env_pairs(&a.env)?;
    let timeout = Duration::from_secs_f64(a.timeout.max(0.0));
    let r = with_spinner(
        p,
        "running",
        programs::run(c, &dir, &command, a.directory.as_deref(), &env, timeout, a.lines),
    )
    .await
    .map_err(invalid_as_usage)?;
    if p.json {
        p.json(&r)?;
    } else {
        p.lines(&r.stdout)?;
        for l in &r.stderr {
            eprintln!("{l}");
        }
        eprintln!("({})", programs::run_summary(&r));
    }
    Ok(match (r.timed_out, r.exitstatus) {
        (true, _) => ExitStatus::TimedOut,
        (false, Some(code)) => u8::try_from(code).map_or(ExitStatus::Failure, ExitStatus::Command),
        (false, None) => ExitStatus::Failure,
    })
}

/// Joins arguments into one command line for supervisord (which splits it with
/// shell rules), quoting what needs it.
fn shell_join(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\"'\"'"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
