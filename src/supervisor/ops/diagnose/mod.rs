//! One-call diagnosis: what the Python peer's README needs five calls for when a
//! program "quits quickly". State and timing, exit status and spawnerr, the last
//! stderr and stdout lines, the program's configuration, and (when the daemon is on
//! this host) who holds the ports the program mentions, with CPU and memory; and,
//! from the daemon's event journal, how often it started and crashed lately.

use super::logs::{self, LogSource, TailOptions};
use super::status::HISTORY_WINDOW;
use crate::supervisor::Client;
use crate::supervisor::client::methods::{GetPid, GetProcessInfo};
use crate::supervisor::client::multicall::Batch;
use crate::supervisor::config_cache;
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::host::{self, Listener, LocalHost, Metrics};
use crate::supervisor::journal::{self, ProcessHistory};
use crate::supervisor::types::{Channel, ConfigInfo, ProcessInfo, ProcessState};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

mod text;

/// A program's configuration, as the daemon runs it (`getAllConfigInfo`).
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct ProgramConfig {
    pub command: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    pub autostart: bool,
    /// Missing before supervisor 4.4.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autorestart: Option<String>,
    pub startsecs: i64,
    pub startretries: i64,
    pub stopwaitsecs: i64,
    pub redirect_stderr: bool,
}

impl From<ConfigInfo> for ProgramConfig {
    fn from(c: ConfigInfo) -> Self {
        ProgramConfig {
            command: c.command,
            directory: c.directory.filter(|d| !d.is_empty() && d != "none"),
            autostart: c.autostart,
            autorestart: c.autorestart,
            startsecs: c.startsecs,
            startretries: c.startretries,
            stopwaitsecs: c.stopwaitsecs,
            redirect_stderr: c.redirect_stderr,
        }
    }
}

/// Everything about one process, for finding out why it does not run.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Diagnosis {
    /// Full namespec.
    pub name: String,
    pub state: ProcessState,
    pub description: String,
    pub pid: i64,
    /// Seconds since the last start; `None` if never started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_ago_s: Option<i64>,
    /// How long the last run lasted, seconds, when it has stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ran_s: Option<i64>,
    /// The exit status, when the daemon knows it, or logged it for a process that
    /// exited before `startsecs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exitstatus: Option<i64>,
    /// The signal that ended it, as supervisord logged it (`terminated by SIGSEGV`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<String>,
    pub spawnerr: String,
    pub stderr: Vec<String>,
    pub stdout: Vec<String>,
    pub stdout_logfile: String,
    pub stderr_logfile: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<ProgramConfig>,
    /// Ports named in the command or the logs, and who listens on them (local only).
    pub ports: Vec<Listener>,
    /// The process tree's CPU and memory, when running (local only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    /// Starts and crashes in the last hour, from the event journal (as `status`'s).
    /// Left out of the MCP output schema (tools/list's 2,000-token budget); the text
    /// says it in one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub history: Option<ProcessHistory>,
    /// Why ports and metrics are missing (a remote daemon).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Port numbers in a command line: those [`mentioned_ports`] finds, and any bare
/// argument from 1024 to 65535 (`http.server 8000`). Only ports something listens
/// on are ever reported, so a number that is no port costs nothing.
pub fn command_ports(command: &str) -> Vec<u16> {
    let mut out = mentioned_ports(&[command]);
    for word in command.split_whitespace() {
        if let Ok(p) = word.trim_matches(|c| c == '\'' || c == '"').parse::<u16>()
            && p >= 1024
            && !out.contains(&p)
        {
            out.push(p);
        }
    }
    out
}

/// Port numbers a program mentions: `--port 8000`, `port=8000`, `-p 8000`,
/// `host:8000`, "address already in use ... 8000".
pub fn mentioned_ports(texts: &[&str]) -> Vec<u16> {
    // ASCII classes and word boundaries, compiled once (compiling the Unicode ones,
    // twice a call, was a seventh of a CLI `diagnose`'s time in perf).
    static PORTS: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)(?:(?-u:\b)port(?-u:\b)[^a-z0-9_]{0,3}|--port[= ]|[ \t]-p[ \t]*|[a-z0-9\]:]:)([0-9]{2,5})(?-u:\b)",
        )
        .ok()
    });
    let Some(re) = PORTS.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for t in texts {
        for c in re.captures_iter(t) {
            if let Some(p) = c.get(1).and_then(|m| m.as_str().parse::<u16>().ok())
                && p >= 80
                && !out.contains(&p)
            {
                out.push(p);
            }
        }
    }
    out
}

/// Diagnoses one process (`name` or `group:name`), with the last `lines` lines of
/// stderr (and half as many of stdout). Costs the daemon one `system.multicall`
/// (getProcessInfo, getPID when the daemon may be on this host, and the journal
/// relay's getProcessInfo), then `getAllConfigInfo` only when what was kept of it may
/// be stale ([`config_cache`]); the logs and the event journal are read from disk
/// when the daemon is on this host, else through it (two log reads, and the
/// journal's end when it has one). Every process's info only when a port it names is
/// held (to say by which program), and the main log's end only for an exit before
/// `startsecs`. CPU (local daemon, running process) is the tree's average since it
/// started, read from /proc at once, unless `cpu_sample` asks for a sample over
/// that long (the call then takes at least that long). Errors: BAD_NAME (with the
/// closest name), transport errors.
pub async fn diagnose(client: &Client, name: &str, lines: usize, cpu_sample: Option<Duration>) -> Result<Diagnosis> {
    let first = fetch(client, name).await?;
    let (info, config, config_timed_out) = (&first.info, first.config, first.config_timed_out);
    let ns = info.namespec();
    let pid = i32::try_from(info.pid).unwrap_or(0);
    // The daemon on this host: for metrics and ports, a supervisord with its pid
    // here; for its logs, also proven to hold the socket `client` talks to.
    let daemon = first
        .daemon_pid
        .filter(|_| client.transport().is_local())
        .and_then(LocalHost::from_pid);
    let here = daemon.and_then(|d| logs::Located::serving(client, d));
    let local = daemon.is_some();
    // The process's metrics, while the logs are read.
    let metrics = async {
        match local && pid > 0 {
            true => host::metrics(&[pid], cpu_sample).await.remove(&pid),
            false => None,
        }
    };
    // The journal is extra: a diagnosis without it is still whole.
    let history = async {
        let files = journal::Files::located(here.as_ref(), first.relay.as_ref()?);
        let h = journal::process_history_in(client, &ns, HISTORY_WINDOW, files).await;
        h.ok().filter(ProcessHistory::is_notable)
    };
    let (tails, metrics, logged, history) = tokio::join!(
        tails(client, &ns, lines, here.as_ref(), info),
        metrics,
        super::exits::logged_exit(client, info),
        history
    );
    let (stderr, stdout) = tails?;
    let (ports, mut note) = if local {
        (held_ports(client, &stderr, &stdout, config.as_ref()).await?, None)
    } else {
        (Vec::new(), Some(format!("ports and metrics: {}", host::NOT_LOCAL)))
    };
    if config_timed_out {
        let missing = "configuration: the daemon did not list it in time (getAllConfigInfo; raise --rpc-timeout)";
        note = Some(note.map_or(missing.to_owned(), |n| format!("{n}; {missing}")));
    }
    let state = info.state();
    let started = info.start > 0;
    let exitstatus = match &logged {
        Some(e) => e.status,
        None => (info.exitstatus != 0 || matches!(state, ProcessState::Exited | ProcessState::Stopped) && started)
            .then_some(info.exitstatus),
    };
    Ok(Diagnosis {
        name: ns,
        state,
        description: info.description.clone(),
        pid: info.pid,
        started_ago_s: started.then(|| (info.now - info.start).max(0)),
        ran_s: (started && info.stop >= info.start && state.is_stopped()).then(|| info.stop - info.start),
        exitstatus,
        ended_by: logged.filter(|e| e.status.is_none()).map(|e| e.how),
        spawnerr: info.spawnerr.clone(),
        stderr,
        stdout,
        stdout_logfile: info.stdout_logfile.clone(),
        stderr_logfile: info.stderr_logfile.clone(),
        config,
        ports,
        metrics,
        history,
        note,
    })
}

/// What diagnose's first round trip and the configuration cache tell.
struct First {
    info: ProcessInfo,
    /// The daemon's getPID (asked only when it may be on this host).
    daemon_pid: Option<i64>,
    /// The journal relay's info, when the daemon has one.
    relay: Option<ProcessInfo>,
    config: Option<ProgramConfig>,
    config_timed_out: bool,
}

/// The process, the daemon's pid and the journal relay in one multicall, then the
/// process's configuration: kept from an earlier `getAllConfigInfo` when that
/// provably still holds ([`config_cache`]), else fetched (and kept).
async fn fetch(client: &Client, name: &str) -> Result<First> {
    let mut batch = Batch::new();
    let info = batch.add(GetProcessInfo { name: name.into() });
    let pid = client.transport().is_local().then(|| batch.add(GetPid {}));
    let relay = batch.add(GetProcessInfo {
        name: journal::LISTENER.into(),
    });
    let mut replies = client.multicall(batch).await?;
    let info = match replies.take(info) {
        Ok(info) => info,
        Err(e) => return Err(super::names::explain(client, name, e).await),
    };
    let daemon_pid = match pid {
        Some(slot) => Some(replies.take(slot)?),
        None => None,
    };
    // The journal is extra: a relay's odd answer only leaves the history out.
    let relay = replies.take_each(relay).ok().and_then(Result::ok);
    let ns = info.namespec();
    let url = client.display_url();
    let mut config_timed_out = false;
    let config = match config_cache::lookup(url, &ns, info.start, info.now).await {
        Some(c) => Some(c),
        None => match client.get_all_config_info().await {
            Ok(configs) => {
                config_cache::store(url, info.now, &configs).await;
                configs.into_iter().find(|c| c.namespec() == ns)
            }
            // Too big to answer in time (thousands of processes): the rest of the
            // diagnosis is still worth having.
            Err(e @ Error::Timeout { .. }) => {
                tracing::debug!(error = %e, "no configuration");
                config_timed_out = true;
                None
            }
            Err(e) => return Err(e),
        },
    };
    Ok(First {
        info,
        daemon_pid,
        relay,
        config: config.map(ProgramConfig::from),
        config_timed_out,
    })
}

/// The last `lines` lines of stderr and half as many of stdout (a missing log is
/// empty), from disk when the daemon is `here`.
async fn tails(
    client: &Client,
    ns: &str,
    lines: usize,
    here: Option<&LocalHost>,
    info: &ProcessInfo,
) -> Result<(Vec<String>, Vec<String>)> {
    let read = |ch: Channel, n: usize| {
        let src = LogSource::process(ns, ch);
        let at = logs::Located::process(here, info, ch);
        let opts = TailOptions {
            lines: n,
            max_bytes: 256 * 1024,
            raw: false,
        };
        async move {
            match logs::tail_located(client, &src, &opts, at).await {
                Ok(t) => Ok(t.lines),
                Err(Error::Fault(f)) if f.code == FaultCode::NoFile => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        }
    };
    let (stderr, stdout) = tokio::join!(read(Channel::Stderr, lines), read(Channel::Stdout, lines.div_ceil(2)));
    Ok((stderr?, stdout?))
}

/// Who holds the ports the program names in its command or its logs (daemon on this
/// host); every process's info is asked for only when one is held, to say by which
/// supervised program.
async fn held_ports(
    client: &Client,
    stderr: &[String],
    stdout: &[String],
    config: Option<&ProgramConfig>,
) -> Result<Vec<Listener>> {
    let texts: Vec<&str> = stderr.iter().chain(stdout).map(String::as_str).collect();
    let mut wanted = mentioned_ports(&texts);
    if let Some(c) = config {
        for p in command_ports(&c.command) {
            if !wanted.contains(&p) {
                wanted.push(p);
            }
        }
    }
    if wanted.is_empty() || host::listeners(&wanted, &HashMap::new()).is_empty() {
        return Ok(Vec::new());
    }
    let supervised: HashMap<i32, String> = client
        .get_all_process_info()
        .await?
        .iter()
        .filter(|p| p.pid > 0)
        .map(|p| (i32::try_from(p.pid).unwrap_or(0), p.namespec()))
        .collect();
    Ok(host::listeners(&wanted, &supervised))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ports_in_commands_and_errors() {
        let ports = mentioned_ports(&[
            "python3 -m http.server 8000 --port 8001",
            "Error: listen EADDRINUSE: address already in use :::3000",
            "gunicorn -b 127.0.0.1:5000 app",
            "OSError: [Errno 98] Address already in use (port=9000)",
            "at 06:12:01 tick 1",
            "redis -p 6380",
        ]);
        assert_eq!(ports, [8001, 3000, 5000, 9000, 6380]);
        assert_eq!(command_ports("python3 -m http.server --bind 127.0.0.1 36857"), [36857]);
        assert_eq!(command_ports("sleep 100000"), Vec::<u16>::new());
    }

    /// At thousands of processes the daemon cannot list every configuration within
    /// the reply timeout: the diagnosis still comes, without the configuration and
    /// saying why, instead of failing.
    #[tokio::test]
    async fn a_configuration_listed_too_late_is_left_out_with_a_note() {
        use crate::supervisor::fake::{FakeDaemon, Model};
        let d = FakeDaemon::start(Model::recorded()).await;
        d.model().stalled.insert("supervisor.getAllConfigInfo".into());
        let c = d.client_with_timeout(Duration::from_millis(300));
        let diag = diagnose(&c, "colors", 5, None).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(diag.name, "colors");
        assert_eq!(diag.config, None);
        assert!(
            diag.note.as_deref().is_some_and(|n| n.contains("getAllConfigInfo")),
            "{:?}",
            diag.note
        );
    }
}
