//! One-shot runs: a command run to completion as a transient program, its exit
//! status and output returned, the program removed.

use super::manage::{remove, write_file};
use super::spec::{ProgramSpec, clean_value, invalid};
use crate::supervisor::Client;
use crate::supervisor::error::{Error, Result};
use crate::supervisor::host::include::IncludeDir;
use crate::supervisor::ops::control::{self, WaitOptions};
use crate::supervisor::ops::logs::{self, LogSource, TailOptions};
use crate::supervisor::types::{Channel, ProcessState};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What a one-shot run gave.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RunResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exitstatus: Option<i64>,
    /// Stopped (with its whole process tree) after the timeout.
    pub timed_out: bool,
    pub seconds: f64,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
    /// The start failed (command not found...): why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Runs `command` to completion as a transient program (no autorestart,
/// `startsecs=0`, `stopasgroup`/`killasgroup`), returns its exit status and the last
/// `lines` lines of stdout and stderr, and removes it. After `timeout` the whole
/// process tree is stopped.
pub async fn run(
    client: &Client,
    dir: &IncludeDir,
    command: &str,
    directory: Option<&str>,
    environment: &BTreeMap<String, String>,
    timeout: Duration,
    lines: usize,
) -> Result<RunResult> {
    let id = format!("{:08x}", rand_id());
    let name = format!("run-{id}");
    let out_log = dir.dir.join(format!(".{name}.out.log"));
    let err_log = dir.dir.join(format!(".{name}.err.log"));
    let mut text = ProgramSpec {
        name: name.clone(),
        command: command.to_owned(),
        directory: directory.map(str::to_owned),
        environment: environment.clone(),
        autostart: Some(false),
        autorestart: Some("false".into()),
        startsecs: Some(0),
        startretries: Some(0),
        ..ProgramSpec::default()
    }
    .render()?;
    text.push_str(&format!(
        "stopasgroup=true\nkillasgroup=true\nstopwaitsecs=2\nstdout_logfile={}\nstderr_logfile={}\n",
        clean_value("log", &out_log.to_string_lossy())?,
        clean_value("log", &err_log.to_string_lossy())?
    ));
    let path = dir.file_for(&name);
    write_file(&path, &text)?;
    let started = Instant::now();
    let outcome = run_added(client, &name, timeout, lines).await;
    let seconds = started.elapsed().as_secs_f64();
    let cleanup = remove(client, dir, &name, Duration::from_secs(10)).await;
    let _ = std::fs::remove_file(&out_log);
    let _ = std::fs::remove_file(&err_log);
    let mut r = outcome?;
    cleanup?;
    r.seconds = (seconds * 10.0).round() / 10.0;
    Ok(r)
}

async fn run_added(client: &Client, name: &str, timeout: Duration, lines: usize) -> Result<RunResult> {
    let diff = client.reload_config().await?;
    if !diff.added.iter().any(|g| g == name) {
        return Err(invalid(format!(
            "supervisord did not pick up the program file for {name}: is the include directory read by its [include]?"
        )));
    }
    client.add_process_group(name).await?;
    let mut error = None;
    if let Err(e) = client.start_process(name, false, client.transport().timeout()).await {
        match e {
            Error::Fault(f) => error = Some(f.text),
            other => return Err(other),
        }
    }
    let (infos, settled) = control::wait_until(client, &[name.to_owned()], timeout, Duration::from_millis(100), |p| {
        matches!(
            p.state(),
            ProcessState::Exited | ProcessState::Fatal | ProcessState::Stopped | ProcessState::Backoff
        )
    })
    .await?;
    let timed_out = !settled;
    if timed_out {
        // killasgroup: the whole tree.
        let opts = WaitOptions {
            timeout: Duration::from_secs(10),
            ..WaitOptions::default()
        };
        control::stop(client, &[name.to_owned()], &opts).await?;
    }
    let info = infos.get(name);
    let exitstatus = info.filter(|p| p.state() == ProcessState::Exited).map(|p| p.exitstatus);
    // An exit is not a failure to start, even when supervisord notes "Bad exit code".
    if error.is_none()
        && exitstatus.is_none()
        && let Some(p) = info.filter(|p| !p.spawnerr.is_empty())
    {
        error = Some(p.spawnerr.clone());
    }
    let opts = TailOptions {
        lines,
        ..TailOptions::default()
    };
    let opts = &opts;
    let tail = |ch| async move {
        logs::tail(client, &LogSource::process(name, ch), opts)
            .await
            .map(|t| t.lines)
            .unwrap_or_default()
    };
    Ok(RunResult {
        exitstatus,
        timed_out,
        seconds: 0.0,
        stdout: tail(Channel::Stdout).await,
        stderr: tail(Channel::Stderr).await,
        error,
    })
}

/// A random id for transient program names (no extra dependency: time and pid).
fn rand_id() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    nanos ^ std::process::id().rotate_left(16)
}

/// A one-line summary of a run, for people and agents.
pub fn run_summary(r: &RunResult) -> String {
    let status = match (r.exitstatus, r.timed_out, &r.error) {
        (_, true, _) => "timed out; stopped with its process tree".to_owned(),
        (_, _, Some(e)) => format!("failed to start: {e}"),
        (Some(code), _, _) => format!("exit {code}"),
        (None, _, _) => "ended without an exit status".to_owned(),
    };
    format!("{status} after {:.1} s", r.seconds)
}
