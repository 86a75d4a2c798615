//! Dynamic programs on a stock Supervisord: a `[program:x]` file written into a
//! directory that the daemon's `[include]` reads, then `reloadConfig` and
//! `addProcessGroup` (supervisord-api.md §2.7). Processes so added outlive the agent
//! and this bridge. One-shot runs are transient programs of the same kind.
//!
//! Safety: names are `[A-Za-z0-9_.-]`, values may not hold newlines or NUL (no INI
//! injection), `%` is escaped (no `%(...)s` expansion), and only files this module
//! wrote (they start with [`MARKER`]) are ever changed or deleted.

use super::control::{self, ProcessResult, WaitOptions};
use super::logs::{self, LogSource, TailOptions};
use crate::supervisor::Client;
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::types::{Channel, ProcessState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// First line of every file this module writes.
pub const MARKER: &str = "; managed by supervisord-mcp: changes here may be overwritten";

/// A program to add. `None` leaves supervisord's default.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
pub struct ProgramSpec {
    /// Program name: letters, digits, `_`, `.`, `-`
    pub name: String,
    /// Command line to run
    pub command: String,
    /// Working directory
    pub directory: Option<String>,
    /// Environment variables
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Start with supervisord (default false)
    pub autostart: Option<bool>,
    /// true, false or unexpected
    pub autorestart: Option<String>,
    /// Seconds it must stay up to count as started
    pub startsecs: Option<u32>,
    pub startretries: Option<u32>,
    /// Number of processes (name_00, name_01...)
    pub numprocs: Option<u32>,
    /// Send stderr to the stdout log
    pub redirect_stderr: Option<bool>,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

/// Checks a program name.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        && !name.starts_with(['.', '-']);
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "program name {name:?}: use 1 to 64 letters, digits, '_', '.' or '-' (not first)"
        )))
    }
}

fn clean_value(what: &str, v: &str) -> Result<String> {
    if v.contains(['\n', '\r', '\0']) {
        return Err(invalid(format!(
            "{what}: newlines and NUL are not allowed (they would inject configuration)"
        )));
    }
    Ok(v.replace('%', "%%"))
}

impl ProgramSpec {
    /// The `[program:x]` section, validated. Errors: a bad name or value.
    pub fn render(&self) -> Result<String> {
        validate_name(&self.name)?;
        if self.command.trim().is_empty() {
            return Err(invalid("command: empty"));
        }
        let mut out = format!(
            "{MARKER}\n[program:{}]\ncommand={}\n",
            self.name,
            clean_value("command", &self.command)?
        );
        if let Some(d) = &self.directory {
            out.push_str(&format!("directory={}\n", clean_value("directory", d)?));
        }
        if !self.environment.is_empty() {
            let mut pairs = Vec::new();
            for (k, v) in &self.environment {
                if k.is_empty()
                    || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    || k.starts_with(|c: char| c.is_ascii_digit())
                {
                    return Err(invalid(format!("environment: {k:?} is not a variable name")));
                }
                let v = clean_value(&format!("environment {k}"), v)?
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"");
                pairs.push(format!("{k}=\"{v}\""));
            }
            out.push_str(&format!("environment={}\n", pairs.join(",")));
        }
        out.push_str(&format!("autostart={}\n", self.autostart.unwrap_or(false)));
        if let Some(a) = &self.autorestart {
            if !["true", "false", "unexpected"].contains(&a.as_str()) {
                return Err(invalid(format!("autorestart {a:?}: use true, false or unexpected")));
            }
            out.push_str(&format!("autorestart={a}\n"));
        }
        if let Some(n) = self.startsecs {
            out.push_str(&format!("startsecs={n}\n"));
        }
        if let Some(n) = self.startretries {
            out.push_str(&format!("startretries={n}\n"));
        }
        if let Some(n) = self.numprocs.filter(|n| *n > 1) {
            out.push_str(&format!(
                "numprocs={n}\nprocess_name=%(program_name)s_%(process_num)02d\n"
            ));
        }
        if let Some(r) = self.redirect_stderr {
            out.push_str(&format!("redirect_stderr={r}\n"));
        }
        Ok(out)
    }
}

/// Where program files go: a directory the daemon's `[include]` reads.
#[derive(Debug, Clone, Serialize)]
pub struct IncludeDir {
    pub dir: PathBuf,
    /// File extension the include glob wants (`conf`, `ini`).
    pub extension: String,
}

impl IncludeDir {
    pub fn file_for(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.{}", self.extension))
    }
}

const NO_INCLUDE: &str = "no writable include directory: add `[include] files = conf.d/*.conf` to supervisord.conf \
     (and create conf.d), then `supervisord-mcp update`; or pass --include-dir DIR (SUPERVISORD_MCP_INCLUDE_DIR) \
     naming a directory that [include] reads";

/// Finds the include directory: `configured` when given; otherwise, for a daemon on
/// this host, from its own configuration (`getPID` → `/proc/PID/cmdline` → `-c FILE`
/// → `[include] files`): the first glob of the form `DIR/*.EXT` whose DIR is writable.
pub async fn include_dir(client: &Client, configured: Option<&Path>) -> Result<IncludeDir> {
    if let Some(dir) = configured {
        if !dir.is_dir() {
            return Err(invalid(format!("include directory {} does not exist", dir.display())));
        }
        return Ok(IncludeDir {
            dir: dir.to_owned(),
            extension: "conf".into(),
        });
    }
    let Some(local) = crate::supervisor::local::LocalHost::detect(client).await? else {
        return Err(invalid(format!(
            "{NO_INCLUDE} (the daemon is remote, so its configuration cannot be read)"
        )));
    };
    let args = procfs::process::Process::new(local.daemon_pid)
        .and_then(|p| p.cmdline())
        .map_err(|e| invalid(format!("cannot read supervisord's command line: {e}")))?;
    let mut conf = None;
    for (i, a) in args.iter().enumerate() {
        if a == "-c" || a == "--configuration" {
            conf = args.get(i + 1).cloned();
        } else if let Some(v) = a.strip_prefix("--configuration=") {
            conf = Some(v.to_owned());
        }
    }
    let conf = conf
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/supervisord.conf"));
    // A relative -c is relative to the daemon's working directory.
    let conf = if conf.is_relative() {
        std::fs::read_link(format!("/proc/{}/cwd", local.daemon_pid))
            .map(|cwd| cwd.join(&conf))
            .unwrap_or(conf)
    } else {
        conf
    };
    let text = std::fs::read_to_string(&conf).map_err(|e| invalid(format!("cannot read {}: {e}", conf.display())))?;
    let mut defaults = configparser::ini::Ini::new().defaults();
    defaults.enable_inline_comments = false;
    defaults.multiline = true;
    let mut ini = configparser::ini::Ini::new_from_defaults(defaults);
    ini.read(text)
        .map_err(|e| invalid(format!("{}: {e}", conf.display())))?;
    let here = conf.parent().map(Path::to_path_buf).unwrap_or_default();
    let files = ini
        .get("include", "files")
        .unwrap_or_default()
        .replace("%(here)s", &here.to_string_lossy());
    for glob in files.split_whitespace() {
        let path = if Path::new(glob).is_relative() {
            here.join(glob)
        } else {
            PathBuf::from(glob)
        };
        let (Some(dir), Some(file)) = (path.parent(), path.file_name().and_then(|f| f.to_str())) else {
            continue;
        };
        let Some(ext) = file.strip_prefix("*.") else { continue };
        let dir_ok = !dir.to_string_lossy().contains(['*', '?', '['])
            && dir.is_dir()
            && std::fs::metadata(dir).is_ok_and(|m| !m.permissions().readonly());
        if dir_ok && ext.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(IncludeDir {
                dir: dir.to_owned(),
                extension: ext.to_owned(),
            });
        }
    }
    Err(invalid(format!("{NO_INCLUDE} (read {})", conf.display())))
}

fn is_managed(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.starts_with(MARKER))
}

/// Writes atomically (temp file, then rename).
fn write_file(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("tmp-supervisord-mcp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| invalid(format!("cannot write {}: {e}", path.display())))
}

/// What [`add`] did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Added {
    pub name: String,
    /// `added` or `changed` (it existed: stopped, removed and added again).
    pub action: String,
    pub file: String,
    /// Start results, when started.
    pub processes: Vec<ProcessResult>,
}

/// Adds (or changes) a program and, with `start`, starts it and waits for RUNNING.
/// A file of the same name not written by us is never overwritten.
pub async fn add(
    client: &Client,
    dir: &IncludeDir,
    spec: &ProgramSpec,
    start: bool,
    wait: &WaitOptions,
) -> Result<Added> {
    let text = spec.render()?;
    let path = dir.file_for(&spec.name);
    let existed = path.exists();
    if existed && !is_managed(&path) {
        return Err(invalid(format!(
            "{} exists and was not written by supervisord-mcp: not touching it",
            path.display()
        )));
    }
    let previous = existed.then(|| std::fs::read_to_string(&path).unwrap_or_default());
    write_file(&path, &text)?;
    let undo = || match &previous {
        Some(old) => drop(write_file(&path, old)),
        None => drop(std::fs::remove_file(&path)),
    };
    let diff = match client.reload_config().await {
        Ok(d) => d,
        Err(e) => {
            undo();
            return Err(e);
        }
    };
    let action = if diff.added.contains(&spec.name) {
        client.add_process_group(&spec.name).await?;
        "added"
    } else if diff.changed.contains(&spec.name) {
        client.stop_process_group(&spec.name, true, wait.timeout).await?;
        client.remove_process_group(&spec.name).await?;
        client.add_process_group(&spec.name).await?;
        "changed"
    } else if existed && previous.as_deref() == Some(text.as_str()) {
        "unchanged"
    } else {
        undo();
        return Err(invalid(format!(
            "supervisord did not pick up {}: is {} read by its [include] files?",
            path.display(),
            dir.dir.display()
        )));
    };
    let processes = if start {
        control::start(client, &[format!("{}:*", spec.name)], wait).await?
    } else {
        Vec::new()
    };
    Ok(Added {
        name: spec.name.clone(),
        action: action.into(),
        file: path.display().to_string(),
        processes,
    })
}

/// Removes a program this module added: stops it (bounded by `stop_timeout`),
/// removes its group, deletes its file.
pub async fn remove(client: &Client, dir: &IncludeDir, name: &str, stop_timeout: Duration) -> Result<String> {
    validate_name(name)?;
    let path = dir.file_for(name);
    if !path.exists() {
        return Err(invalid(format!(
            "no program file {} (only programs added by supervisord-mcp can be removed)",
            path.display()
        )));
    }
    if !is_managed(&path) {
        return Err(invalid(format!(
            "{} was not written by supervisord-mcp: not removing it",
            path.display()
        )));
    }
    match client.stop_process_group(name, true, stop_timeout).await {
        Ok(_) => {}
        Err(Error::Fault(f)) if f.code == FaultCode::BadName => {}
        Err(e) => return Err(e),
    }
    match client.remove_process_group(name).await {
        Ok(_) => {}
        Err(Error::Fault(f)) if f.code == FaultCode::BadName => {}
        Err(e) => return Err(e),
    }
    std::fs::remove_file(&path).map_err(|e| invalid(format!("cannot delete {}: {e}", path.display())))?;
    // Let the daemon forget the section too.
    let _ = client.reload_config().await;
    Ok(format!("removed {name} and {}", path.display()))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_section_and_refuses_injection() -> Result<()> {
        let spec = ProgramSpec {
            name: "api".into(),
            command: "python3 -m http.server 8000 --msg 100%".into(),
            environment: BTreeMap::from([("MODE".into(), "dev \"x\", y".into())]),
            startsecs: Some(2),
            ..ProgramSpec::default()
        };
        let text = spec.render()?;
        assert!(text.starts_with(MARKER));
        assert!(text.contains("[program:api]\ncommand=python3 -m http.server 8000 --msg 100%%\n"));
        assert!(text.contains("environment=MODE=\"dev \\\"x\\\", y\"\n"));
        assert!(text.contains("startsecs=2\n"));
        for bad in ["a\nb", "x]\n[program:evil", "[evil]", "", "-x", "a b"] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        let inject = ProgramSpec {
            name: "ok".into(),
            command: "true\n[program:evil]\ncommand=rm -rf /".into(),
            ..ProgramSpec::default()
        };
        assert!(inject.render().is_err());
        let env = ProgramSpec {
            name: "ok".into(),
            command: "true".into(),
            environment: BTreeMap::from([("A=B".into(), "x".into())]),
            ..ProgramSpec::default()
        };
        assert!(env.render().is_err());
        Ok(())
    }
}
