//! One function per command: resolve settings, call `supervisor::ops`, render.

use super::exit;
use super::output::Printer;
use super::{Cli, Command, LogsArgs, WaitArgs};
use crate::config;
use crate::supervisor::local;
use crate::supervisor::ops::control::{self, ProcessResult, WaitOptions};
use crate::supervisor::ops::diagnose;
use crate::supervisor::ops::logfilter::LogFilter;
use crate::supervisor::ops::logs::{self, FollowEvent, FollowOptions, LogSource, TailOptions};
use crate::supervisor::ops::status::{StatusFilter, select_status, status};
use crate::supervisor::ops::{info, programs, ready, update};
use crate::supervisor::{Channel, Client, ProcessState};
use anyhow::Result;
use clap::CommandFactory;
use serde::Serialize;
use std::io::Write;
use std::time::Duration;

/// Runs the parsed command line; returns the exit code (errors are mapped by the
/// caller with [`exit::for_error`]).
pub async fn run(cli: Cli) -> Result<u8> {
    let p = Printer { json: cli.global.json };
    // Commands that need no daemon.
    match &cli.command {
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "supervisord-mcp", &mut buf);
            std::io::stdout().lock().write_all(&buf)?;
            return Ok(exit::SUCCESS);
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
            std::io::stdout().lock().write_all(&buf)?;
            return Ok(exit::SUCCESS);
        }
        _ => {}
    }
    let client = connect(&cli.global)?;
    let c = &client;
    match cli.command {
        Command::Status {
            names,
            states,
            metrics,
            port,
        } => cmd_status(c, p, &names, &states, metrics, port).await,
        Command::ListProcesses { states } => cmd_status(c, p, &[], &states, false, None).await,
        Command::Diagnose { name, lines } => {
            let d = diagnose::diagnose(c, &name, lines.clamp(1, 1000)).await?;
            if p.json {
                p.json(&d)?;
            } else {
                p.line(d.summary().trim_end())?;
            }
            Ok(exit::SUCCESS)
        }
        Command::Start { names, wait } => {
            let opts = wait_options(&wait);
            let r = with_spinner(p, "starting", control::start(c, &names, &opts)).await?;
            results(p, &r)
        }
        Command::Stop { names, wait } => {
            let opts = wait_options(&wait);
            let r = with_spinner(p, "stopping", control::stop(c, &names, &opts)).await?;
            results(p, &r)
        }
        Command::Restart { names, wait } => {
            let opts = wait_options(&wait);
            let r = with_spinner(p, "restarting", control::restart(c, &names, &opts)).await?;
            results(p, &r)
        }
        Command::Signal { signal, names, tree } => {
            let r = if tree {
                control::signal_tree(c, &signal, &names).await?
            } else {
                control::signal(c, &signal, &names).await?
            };
            results(p, &r)
        }
        Command::Pid { names } => cmd_pid(c, p, &names).await,
        Command::Wait(args) => cmd_wait(c, p, &args).await,
        Command::Program(cmd) => cmd_program(c, p, &cli.global, cmd).await,
        Command::Run(args) => cmd_run(c, p, &cli.global, &args).await,
        Command::Logs(args) => cmd_logs(c, p, &args).await,
        Command::Maintail { lines, follow, raw } => cmd_maintail(c, p, lines, follow, raw).await,
        Command::Clear { names } => cmd_clear(c, p, &names).await,
        Command::Info => {
            let i = info::info(c).await?;
            if p.json {
                p.json(&i)?;
            } else {
                p.pairs(&[
                    ("server", i.server_url.clone()),
                    ("state", i.state.clone()),
                    ("supervisor", i.supervisor_version.clone()),
                    ("api", i.api_version.clone()),
                    ("identification", i.identification.clone()),
                    ("pid", i.pid.to_string()),
                    ("client", format!("supervisord-mcp {}", env!("CARGO_PKG_VERSION"))),
                ])?;
            }
            Ok(exit::SUCCESS)
        }
        Command::Version => {
            let v = c.get_supervisor_version().await?;
            if p.json {
                p.json(&serde_json::json!({"supervisor": v, "supervisord_mcp": env!("CARGO_PKG_VERSION")}))?;
            } else {
                p.line(&v)?;
            }
            Ok(exit::SUCCESS)
        }
        Command::Reread => {
            let diff = update::reread(c).await?;
            if p.json {
                p.json(&diff)?;
            } else if diff.is_empty() {
                p.line("No config updates to processes")?;
            } else {
                let mut lines = Vec::new();
                lines.extend(diff.added.iter().map(|g| format!("{g}: available")));
                lines.extend(diff.changed.iter().map(|g| format!("{g}: changed")));
                lines.extend(diff.removed.iter().map(|g| format!("{g}: disappeared")));
                p.lines(&lines)?;
            }
            Ok(exit::SUCCESS)
        }
        Command::Update { groups } => cmd_update(c, p, &groups, false).await,
        Command::Reload { dry_run } => cmd_update(c, p, &[], dry_run).await,
        Command::Avail => {
            let a = update::avail(c).await?;
            if p.json {
                #[derive(Serialize)]
                struct Avail<'a> {
                    processes: &'a [update::Available],
                }
                p.json(&Avail { processes: &a })?;
            } else {
                let rows = a
                    .iter()
                    .map(|x| {
                        vec![
                            x.name.clone(),
                            if x.in_use { "in use" } else { "avail" }.to_owned(),
                            if x.autostart { "auto" } else { "manual" }.to_owned(),
                            format!("{}:{}", x.group_prio, x.process_prio),
                        ]
                    })
                    .collect();
                p.table(&["NAME", "IN USE", "START", "PRIORITY"], rows)?;
            }
            Ok(exit::SUCCESS)
        }
        Command::Add { groups } => group_results(p, &update::add_groups(c, &groups).await?),
        Command::Remove { groups } => group_results(p, &update::remove_groups(c, &groups).await?),
        // Served by main.rs (the MCP front end is not the CLI's to start).
        Command::Completions { .. } | Command::Man | Command::Mcp(_) => Ok(exit::SUCCESS),
    }
}

/// Resolves the settings (flags, file, environment) into a client; no I/O yet.
pub fn connect(global: &super::GlobalOpts) -> Result<Client> {
    let resolved = config::resolve(&global.server_args(), &|k| std::env::var(k).ok())?;
    tracing::debug!(url = %resolved.server.endpoint.display(), source = %resolved.url_source, "resolved server");
    Ok(Client::new(&resolved.server)?)
}

fn wait_options(w: &WaitArgs) -> WaitOptions {
    WaitOptions {
        wait: !w.no_wait,
        timeout: Duration::from_secs_f64(w.wait_timeout.max(0.0)),
        ..WaitOptions::default()
    }
}

/// Shows a spinner on stderr while `fut` runs (only on a terminal, never with --json).
async fn with_spinner<T>(p: Printer, what: &str, fut: impl std::future::Future<Output = T>) -> T {
    if p.json {
        return fut.await;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    let out = fut.await;
    bar.finish_and_clear();
    out
}

fn results(p: Printer, r: &[ProcessResult]) -> Result<u8> {
    p.results(r)?;
    Ok(exit::for_results(r))
}

async fn cmd_status(
    c: &Client,
    p: Printer,
    names: &[String],
    states: &[String],
    metrics: bool,
    port: Option<u16>,
) -> Result<u8> {
    let states = states.iter().map(|s| parse_state(s)).collect::<Result<Vec<_>>>()?;
    let filter = StatusFilter { states, group: None };
    let all = c.get_all_process_info().await?;
    let mut names = names.to_vec();
    if let Some(port) = port {
        let Some(found) = local::port_listeners(c, &all, port).await? else {
            return Err(usage(format!("--port: {}", local::NOT_LOCAL)));
        };
        for l in &found.listeners {
            let owner = l.supervised.as_deref().unwrap_or("not supervised");
            eprintln!("port {}: pid {} ({owner}) {}", l.port, l.pid, l.command);
        }
        names = found.supervised;
        if names.is_empty() {
            if found.listeners.is_empty() {
                eprintln!("nothing listens on port {port}");
            }
            return Ok(exit::STATUS_UNKNOWN);
        }
    }
    let mut report = select_status(&all, &names, &filter);
    if metrics {
        let pids: Vec<i64> = report.processes.iter().map(|s| s.pid).collect();
        let Some(mut m) = local::process_metrics(c, &pids).await? else {
            return Err(usage(format!("--metrics: {}", local::NOT_LOCAL)));
        };
        report.processes.iter_mut().for_each(|s| s.metrics = m.remove(&s.pid));
    }
    p.status(&report)?;
    Ok(if !report.unknown.is_empty() {
        exit::STATUS_UNKNOWN
    } else if report.any_stopped() {
        exit::STATUS_NOT_RUNNING
    } else {
        exit::SUCCESS
    })
}

/// `KEY=VALUE` pairs from `--env`.
fn env_pairs(pairs: &[String]) -> Result<std::collections::BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| usage(format!("--env {kv:?}: use KEY=VALUE")))
        })
        .collect()
}

/// Errors that are the user's input (a bad name or value): exit 2.
fn invalid_as_usage(e: crate::supervisor::Error) -> anyhow::Error {
    match e {
        crate::supervisor::Error::Invalid(m) => usage(m),
        other => other.into(),
    }
}

async fn cmd_program(c: &Client, p: Printer, g: &super::GlobalOpts, cmd: super::ProgramCmd) -> Result<u8> {
    let dir = programs::include_dir(c, g.include_dir.as_deref())
        .await
        .map_err(invalid_as_usage)?;
    match cmd {
        super::ProgramCmd::Add(a) => {
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
        super::ProgramCmd::Remove { name } => {
            let msg = programs::remove(c, &dir, &name, Duration::from_secs(60))
                .await
                .map_err(invalid_as_usage)?;
            if p.json {
                p.json(&serde_json::json!({ "name": name, "outcome": "removed", "message": msg }))?;
            } else {
                p.line(&msg)?;
            }
            Ok(exit::SUCCESS)
        }
    }
}

async fn cmd_run(c: &Client, p: Printer, g: &super::GlobalOpts, a: &super::RunArgs) -> Result<u8> {
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
        (true, _) => 124,
        (false, Some(code)) => u8::try_from(code).unwrap_or(exit::GENERIC),
        (false, None) => exit::GENERIC,
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

/// An argument error (exit 2).
fn usage(msg: impl Into<String>) -> anyhow::Error {
    crate::config::ConfigError::Usage(msg.into()).into()
}

fn parse_state(s: &str) -> Result<ProcessState> {
    ProcessState::from_name(s).ok_or_else(|| {
        usage(format!(
            "unknown state {s:?}; use RUNNING, STARTING, BACKOFF, STOPPING, STOPPED, EXITED, FATAL or UNKNOWN"
        ))
    })
}

async fn cmd_wait(c: &Client, p: Printer, a: &super::WaitCmdArgs) -> Result<u8> {
    let state = parse_state(&a.state)?;
    let check = ready::ReadyCheck {
        url: a.url.clone(),
        expect_status: a.expect_status,
        port: a.port.clone(),
        pattern: a
            .pattern
            .as_deref()
            .map(regex::Regex::new)
            .transpose()
            .map_err(|e| usage(format!("--pattern is not a valid regex: {e}")))?,
    };
    let timeout = Duration::from_secs_f64(a.timeout.max(0.0));
    let r = if check.is_empty() {
        with_spinner(
            p,
            "waiting",
            control::wait_for_state(c, &a.names, state, timeout, Duration::from_millis(100), |_| {}),
        )
        .await?
    } else {
        let [name] = a.names.as_slice() else {
            return Err(usage("--url, --port and --pattern check one process: give one NAME"));
        };
        vec![
            with_spinner(
                p,
                "waiting until ready",
                ready::wait_ready(c, name, &check, timeout, |_| {}),
            )
            .await?,
        ]
    };
    results(p, &r)
}

async fn cmd_pid(c: &Client, p: Printer, names: &[String]) -> Result<u8> {
    if names.is_empty() {
        let pid = c.get_pid().await?;
        if p.json {
            p.json(&serde_json::json!({ "pid": pid }))?;
        } else {
            p.line(&pid.to_string())?;
        }
        return Ok(exit::SUCCESS);
    }
    let report = status(c, names, &StatusFilter::default()).await?;
    #[derive(Serialize)]
    struct Pid<'a> {
        name: &'a str,
        pid: i64,
    }
    let pids: Vec<Pid> = report
        .processes
        .iter()
        .map(|s| Pid {
            name: &s.name,
            pid: s.pid,
        })
        .collect();
    if p.json {
        p.json(&serde_json::json!({ "processes": pids, "unknown": report.unknown }))?;
    } else {
        for n in &report.unknown {
            eprintln!("{n}: ERROR (no such process)");
        }
        let lines: Vec<String> = pids.iter().map(|x| x.pid.to_string()).collect();
        p.lines(&lines)?;
    }
    Ok(if !report.unknown.is_empty() {
        exit::GENERIC
    } else if pids.iter().any(|x| x.pid == 0) {
        exit::NOT_RUNNING
    } else {
        exit::SUCCESS
    })
}

#[derive(Serialize)]
struct LogsJson<'a> {
    name: &'a str,
    channel: Channel,
    #[serde(flatten)]
    tail: &'a logs::LogTail,
}

async fn cmd_logs(c: &Client, p: Printer, a: &LogsArgs) -> Result<u8> {
    let opts = TailOptions {
        lines: a.lines,
        max_bytes: a.max_bytes,
        raw: a.raw,
    };
    let channel = if a.stderr { Channel::Stderr } else { Channel::Stdout };
    let filter = LogFilter::from_args(
        a.grep.as_deref(),
        a.context,
        a.level.as_deref(),
        a.min_level.as_deref(),
        &a.wheres,
        a.since.as_deref(),
    )
    .map_err(invalid_as_usage)?;
    if a.follow {
        let fopts = FollowOptions {
            tail: opts,
            poll: Duration::from_millis(200),
            filter,
        };
        let follow = logs::follow(c, &a.name, channel, &fopts, |ev| emit(p, ev));
        return follow_until_interrupted(follow).await;
    }
    let channels: &[Channel] = if a.both {
        &[Channel::Stdout, Channel::Stderr]
    } else {
        std::slice::from_ref(&channel)
    };
    let mut docs = Vec::new();
    for ch in channels {
        let src = LogSource::process(&a.name, *ch);
        let t = if filter.is_empty() {
            logs::tail(c, &src, &opts).await?
        } else {
            logs::tail_filtered(c, &src, &opts, &filter).await?
        };
        if !p.json {
            if a.both {
                p.line(&format!("==> {} {} <==", a.name, ch.name()))?;
            }
            p.lines(&t.lines)?;
            if t.truncated {
                eprintln!(
                    "(stopped at {} bytes before finding {} lines; raise --max-bytes for more)",
                    t.window_bytes, a.lines
                );
            }
        }
        docs.push((*ch, t));
    }
    if p.json {
        let docs: Vec<LogsJson> = docs
            .iter()
            .map(|(ch, t)| LogsJson {
                name: &a.name,
                channel: *ch,
                tail: t,
            })
            .collect();
        match docs.as_slice() {
            [one] => p.json(one)?,
            many => p.json(&serde_json::json!({ "logs": many }))?,
        }
    }
    Ok(exit::SUCCESS)
}

/// Writes follow output; false (stop) when stdout is gone (e.g. `| head`).
fn emit(p: Printer, ev: FollowEvent) -> bool {
    match ev {
        FollowEvent::Lines(lines) => {
            if p.json {
                lines.iter().all(|l| p.json(&serde_json::json!({ "line": l })).is_ok())
            } else {
                p.lines(&lines).is_ok()
            }
        }
        FollowEvent::Truncated => {
            eprintln!("(log truncated or rotated; reading from its start)");
            true
        }
    }
}

async fn follow_until_interrupted(
    follow: impl std::future::Future<Output = crate::supervisor::Result<()>>,
) -> Result<u8> {
    tokio::select! {
        r = follow => { r?; Ok(exit::SUCCESS) }
        _ = tokio::signal::ctrl_c() => Ok(exit::SUCCESS),
    }
}

async fn cmd_maintail(c: &Client, p: Printer, lines: usize, follow: bool, raw: bool) -> Result<u8> {
    if follow {
        let f = logs::follow_stream(c, "/mainlogtail", raw, |ev| emit(p, ev));
        return follow_until_interrupted(f).await;
    }
    let opts = TailOptions {
        lines,
        raw,
        ..TailOptions::default()
    };
    let t = logs::tail(c, &LogSource::Main, &opts).await?;
    if p.json {
        p.json(&t)?;
    } else {
        p.lines(&t.lines)?;
    }
    Ok(exit::SUCCESS)
}

async fn cmd_clear(c: &Client, p: Printer, names: &[String]) -> Result<u8> {
    let r = logs::clear(c, names).await?;
    if p.json {
        p.json(&serde_json::json!({ "results": r }))?;
    } else {
        let lines: Vec<String> = r
            .iter()
            .map(|x| match &x.error {
                Some(e) => format!("{}: ERROR {e}", x.name),
                None => format!("{}: cleared", x.name),
            })
            .collect();
        p.lines(&lines)?;
    }
    Ok(if r.iter().all(|x| x.cleared) {
        exit::SUCCESS
    } else {
        exit::GENERIC
    })
}

async fn cmd_update(c: &Client, p: Printer, groups: &[String], dry_run: bool) -> Result<u8> {
    let report = update::update(c, groups, dry_run, Duration::from_secs(120)).await?;
    if p.json {
        p.json(&report)?;
    } else if report.changes.is_empty() {
        p.line("No config updates to processes")?;
    } else {
        let lines: Vec<String> = report
            .changes
            .iter()
            .map(|ch| match (&ch.error, dry_run) {
                (Some(e), _) => format!("{}: {} — ERROR {e}", ch.group, ch.change),
                (None, true) => format!("{}: {} (dry run: not applied)", ch.group, ch.change),
                (None, false) => format!(
                    "{}: {}",
                    ch.group,
                    match ch.change {
                        "added" => "added process group",
                        "changed" => "updated process group",
                        _ => "removed process group",
                    }
                ),
            })
            .collect();
        p.lines(&lines)?;
    }
    Ok(if report.all_applied() {
        exit::SUCCESS
    } else {
        exit::GENERIC
    })
}

fn group_results(p: Printer, r: &[update::GroupResult]) -> Result<u8> {
    if p.json {
        p.json(&serde_json::json!({ "results": r }))?;
    } else {
        let lines: Vec<String> = r
            .iter()
            .map(|g| match &g.error {
                Some(e) => format!("{}: ERROR {e}", g.group),
                None => format!("{}: {}", g.group, g.outcome.replace('_', " ")),
            })
            .collect();
        p.lines(&lines)?;
    }
    Ok(if r.iter().any(|g| g.error.is_some()) {
        exit::GENERIC
    } else {
        exit::SUCCESS
    })
}
