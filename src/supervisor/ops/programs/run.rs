//! One-shot runs: a command run to completion as a transient program, its exit
//! status and output returned, the program removed.

use super::guard::{Guard, Undo};
use super::owned::{check_room, delete_file, unregister, write_file};
use super::spec::{ProgramSettings, ProgramSpec};
use super::value::{ini_value, invalid};
use crate::supervisor::Client;
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::host::include::IncludeDir;
use crate::supervisor::ops::control::{self, WaitOptions};
use crate::supervisor::ops::logs::{self, LogSource, TailOptions};
use crate::supervisor::types::{Channel, ProcessState};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
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

/// A one-shot run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The command line (see [`super::command_from_argv`] to build one from arguments).
    pub command: String,
    /// Working directory (default: supervisord's).
    pub directory: Option<String>,
    /// Environment variables added to supervisord's.
    pub environment: BTreeMap<String, String>,
    /// After this, the whole process tree is stopped.
    pub timeout: Duration,
    /// Lines of stdout and of stderr to return.
    pub lines: usize,
}

/// The transient program of a run, removed in every case: stopped with its process
/// tree (`killasgroup`), its group removed, its file and logs deleted.
struct Transient {
    client: Client,
    dir: IncludeDir,
    name: String,
    logs: [PathBuf; 2],
}

impl Undo for Transient {
    async fn undo(self) -> Result<()> {
        let removed = unregister(&self.client, &self.dir, &self.name, Duration::from_secs(10)).await;
        for log in &self.logs {
            delete_file(log)?;
        }
        removed
    }
}

/// Runs a command to completion as a transient program `run-XXXXXXXX` (no
/// autorestart, `startsecs=0`, `stopasgroup`/`killasgroup`), returns its exit status
/// and the last `lines` lines of stdout and stderr, and removes it with its file and
/// logs. After `timeout` the whole process tree is stopped. Cancel-safe: dropped at
/// any point, the transient program is removed all the same, by a cleanup task.
/// Errors: a value that cannot be written ([`Error::Invalid`]), past
/// [`super::MAX_PROGRAMS`], daemon errors.
pub async fn run(client: &Client, dir: &IncludeDir, req: &RunRequest) -> Result<RunResult> {
    let name = free_name(dir)?;
    let [out_log, err_log] = [".out.log", ".err.log"].map(|ext| dir.dir.join(format!(".{name}{ext}")));
    let spec = ProgramSpec::new(
        name.clone(),
        req.command.clone(),
        ProgramSettings {
            directory: req.directory.clone(),
            environment: req.environment.clone(),
            autostart: Some(false),
            autorestart: Some("false".into()),
            startsecs: Some(0),
            startretries: Some(0),
            ..ProgramSettings::default()
        },
    )?;
    let mut text = spec.render()?;
    text.push_str(&format!(
        "stopasgroup=true\nkillasgroup=true\nstopwaitsecs=2\n\
         stdout_logfile={}\nstdout_logfile_maxbytes=10MB\nstdout_logfile_backups=0\n\
         stderr_logfile={}\nstderr_logfile_maxbytes=10MB\nstderr_logfile_backups=0\n",
        ini_value("log file", &out_log.to_string_lossy())?,
        ini_value("log file", &err_log.to_string_lossy())?
    ));
    check_room(dir, &name, 1)?;
    let guard = Guard::new(Transient {
        client: client.clone(),
        dir: dir.clone(),
        name: name.clone(),
        logs: [out_log, err_log],
    });
    let started = Instant::now();
    let outcome = match write_file(&dir.file_for(&name), &text) {
        Ok(()) => run_added(client, &name, req.timeout, req.lines).await,
        Err(e) => Err(e),
    };
    let seconds = started.elapsed().as_secs_f64();
    let cleanup = guard.undo_now().await;
    let mut r = outcome?;
    cleanup?;
    r.seconds = (seconds * 10.0).round() / 10.0;
    Ok(r)
}

/// A `run-XXXXXXXX` name with no file yet. The name is random, so that no other
/// local user can guess it and plant its program file or log files first.
fn free_name(dir: &IncludeDir) -> Result<String> {
    let mut name = String::new();
    for _ in 0..8 {
        name = format!("run-{:08x}", random_id()?);
        if !dir.file_for(&name).exists() {
            break;
        }
    }
    Ok(name)
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
    let mut spawn_error = false;
    if let Err(e) = client.start_process(name, false, client.transport().timeout()).await {
        match e {
            Error::Fault(f) => {
                spawn_error = f.code == FaultCode::SpawnError;
                error = Some(f.text);
            }
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
    // A program that exited with a code it was not expected to before supervisord
    // looked (a fast one on a loaded host) is answered SPAWN_ERROR ("Bad exit code"):
    // it did start, and its exit status says the rest.
    if spawn_error && exitstatus.is_some() {
        error = None;
    }
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

/// 32 bits from the system's random source (`getrandom`). Errors: no randomness
/// ([`Error::Invalid`]).
fn random_id() -> Result<u32> {
    getrandom::u32().map_err(|e| invalid(format!("no randomness from the system: {e}")))
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
