//! Installing the relay: its `[eventlistener:supervisord-mcp-journal]` section
//! written into the include directory (ours only, as `program add` writes: the
//! file starts with [`MARKER`], and a name of the daemon's own configuration is never
//! taken over), applied (`reloadConfig`, `addProcessGroup`) and checked to run;
//! removed again; and what a daemon has ([`status`]).

use super::LISTENER;
use super::event::JournalEvent;
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::host::include::{IncludeDir, include_dir};
use crate::supervisor::host::{LocalHost, daemonconf};
use crate::supervisor::ops::logs::{self, LogSource};
use crate::supervisor::ops::programs::MARKER;
use crate::supervisor::ops::programs::owned::{daemon_knows, delete_file, is_managed, unload, write_file};
use crate::supervisor::{Channel, Client, ProcessState};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Events the relay subscribes to.
pub const EVENTS: &str = "PROCESS_STATE,SUPERVISOR_STATE_CHANGE,PROCESS_GROUP";
/// Events supervisord keeps for the relay while it is busy or restarting.
pub const BUFFER_SIZE: u32 = 1024;
/// Default size of one journal file before supervisord rotates it.
pub const DEFAULT_MAX_BYTES: &str = "5MB";
/// Default number of rotated journal files kept.
pub const DEFAULT_BACKUPS: u32 = 4;
/// How long [`install`] waits for the relay to run.
const RUN_TIMEOUT: Duration = Duration::from_secs(15);

/// What goes into the section.
#[derive(Debug, Clone, Default)]
pub struct SectionOptions {
    /// The relay's command, as the daemon's host runs it (default: this binary's
    /// path for a daemon on this host, `supervisord-mcp` on the PATH otherwise).
    pub bin: Option<String>,
    /// The journal file (default: beside the daemon's own log, else in the include
    /// directory; `/var/log/supervisor/` for a remote daemon).
    pub journal_file: Option<String>,
    /// Size of one file before rotation, as supervisord reads it (`5MB`, `500KB`).
    pub max_bytes: Option<String>,
    /// Rotated files kept (0 to 100).
    pub backups: Option<u32>,
    /// Write nothing: only give the section.
    pub print_only: bool,
}

/// What [`install`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Installed {
    /// `installed`, `changed`, `unchanged`, or `printed` (asked so, or the daemon is
    /// remote and no include directory was given: the section is to be pasted by hand).
    pub action: String,
    /// The include file written (not for `printed`).
    pub file: Option<String>,
    /// The section.
    pub section: String,
    /// The journal file it names.
    pub journal_file: String,
}

/// The section's text (with its [`MARKER`] line first).
pub fn section(bin: &str, journal_file: &str, max_bytes: &str, backups: u32) -> String {
    format!(
        "{MARKER}\n[eventlistener:{LISTENER}]\ncommand={bin} events relay\nevents={EVENTS}\n\
         buffer_size={BUFFER_SIZE}\npriority=1\nautostart=true\nautorestart=true\nstartsecs=1\n\
         stdout_logfile=NONE\nstderr_logfile={journal_file}\nstderr_logfile_maxbytes={max_bytes}\n\
         stderr_logfile_backups={backups}\n"
    )
}

/// Checks a `max_bytes` value as supervisord reads it: digits and `KB`/`MB`/`GB`, at
/// least 64 KB (0 would mean no rotation: the journal unbounded). Errors:
/// [`Error::Invalid`].
pub fn check_max_bytes(v: &str) -> Result<u64> {
    let t = v.trim().to_ascii_uppercase();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t.as_str(), ""),
    };
    let mult = match unit {
        "" => 1,
        "KB" => 1024,
        "MB" => 1024 * 1024,
        "GB" => 1024 * 1024 * 1024,
        _ => 0,
    };
    let n = digits.parse::<u64>().unwrap_or(0).saturating_mul(mult);
    if n < 64 * 1024 {
        return Err(Error::Invalid(format!(
            "journal file size {v:?}: use a size of at least 64KB such as 500KB or 5MB (0 would never rotate)"
        )));
    }
    Ok(n)
}

/// Installs the relay on the daemon behind `client`: writes its section into the
/// include directory (`configured`, else found from a daemon on this host), applies
/// it and waits (15 s at most) until the relay runs. For a remote daemon and no
/// include directory, writes nothing and returns the section (`printed`). Errors: a
/// file of that name not ours, or a listener of that name in the daemon's own
/// configuration ([`Error::Refused`]); a bad size; the relay not running (the
/// section is then taken out again, with why: its spawn error).
pub async fn install(client: &Client, configured: Option<&Path>, opts: &SectionOptions) -> Result<Installed> {
    let local = LocalHost::detect(client).await?;
    let max_bytes = opts.max_bytes.clone().unwrap_or_else(|| DEFAULT_MAX_BYTES.into());
    check_max_bytes(&max_bytes)?;
    let backups = opts.backups.unwrap_or(DEFAULT_BACKUPS);
    if backups > 100 {
        return Err(Error::Invalid(format!(
            "{backups} backups: keep 0 to 100 rotated journal files"
        )));
    }
    let dir = match (configured, local) {
        _ if opts.print_only => include_dir(client, configured).await.ok(),
        (None, None) => None,
        _ => Some(include_dir(client, configured).await?),
    };
    let bin = match (&opts.bin, local) {
        (Some(b), _) => b.clone(),
        (None, Some(_)) => std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "supervisord-mcp".into()),
        (None, None) => "supervisord-mcp".into(),
    };
    let journal_file = match &opts.journal_file {
        Some(f) => f.clone(),
        None => default_journal(local.as_ref(), dir.as_ref()),
    };
    let text = section(&bin, &journal_file, &max_bytes, backups);
    let Some(dir) = dir.filter(|_| !opts.print_only) else {
        return Ok(Installed {
            action: "printed".into(),
            file: None,
            section: text,
            journal_file,
        });
    };
    let action = write_and_apply(client, &dir, &text).await?;
    if let Err(e) = wait_running(client).await {
        let _ = remove(client, &dir).await;
        return Err(e);
    }
    Ok(Installed {
        action: action.into(),
        file: Some(dir.file_for(LISTENER).display().to_string()),
        section: text,
        journal_file,
    })
}

/// Where the journal goes by default: beside the daemon's own log (local), in the
/// include directory, or `/var/log/supervisor/` (remote).
fn default_journal(local: Option<&LocalHost>, dir: Option<&IncludeDir>) -> String {
    let name = format!("{LISTENER}.log");
    let beside_main = local
        .and_then(daemonconf::main_log)
        .and_then(|l| l.parent().map(|d| d.join(&name)));
    let path = beside_main
        .or_else(|| dir.map(|d| d.dir.join(&name)))
        .unwrap_or_else(|| PathBuf::from("/var/log/supervisor").join(&name));
    path.display().to_string()
}

/// Writes the section (refusing what is not ours) and applies it: `installed`,
/// `changed` or `unchanged`.
async fn write_and_apply(client: &Client, dir: &IncludeDir, text: &str) -> Result<&'static str> {
    let path = dir.file_for(LISTENER);
    let previous = if path.exists() {
        if !is_managed(&path) {
            return Err(Error::Refused(format!(
                "{} exists and was not written by supervisord-mcp: not touching it",
                path.display()
            )));
        }
        std::fs::read_to_string(&path).ok()
    } else {
        if daemon_knows(client, LISTENER).await? {
            return Err(Error::Refused(format!(
                "{LISTENER} is defined in supervisord's own configuration: not replacing it"
            )));
        }
        None
    };
    write_file(&path, text)?;
    let diff = client.reload_config().await?;
    if diff.added.iter().any(|g| g == LISTENER) {
        added(client.add_process_group(LISTENER).await)?;
        Ok("installed")
    } else if diff.changed.iter().any(|g| g == LISTENER) {
        unload(client, LISTENER, Duration::from_secs(30)).await?;
        added(client.add_process_group(LISTENER).await)?;
        Ok("changed")
    } else if previous.as_deref() == Some(text) {
        Ok("unchanged")
    } else {
        let _ = delete_file(&path);
        Err(Error::Invalid(format!(
            "supervisord did not pick up {}: is {} read by its [include] files?",
            path.display(),
            dir.dir.display()
        )))
    }
}

/// ALREADY_ADDED is fine.
fn added(r: Result<bool>) -> Result<()> {
    match r {
        Err(Error::Fault(f)) if f.code == FaultCode::AlreadyAdded => Ok(()),
        other => other.map(drop),
    }
}

/// Waits until the relay is RUNNING; errors with its spawn error when it is FATAL or
/// still not running after [`RUN_TIMEOUT`].
async fn wait_running(client: &Client) -> Result<()> {
    let deadline = tokio::time::Instant::now() + RUN_TIMEOUT;
    loop {
        let info = client.get_process_info(LISTENER).await?;
        let state = info.state();
        if state == ProcessState::Running {
            return Ok(());
        }
        if state == ProcessState::Fatal || tokio::time::Instant::now() >= deadline {
            return Err(Error::Invalid(format!(
                "the relay did not start ({state}{}): is the command in the section right for the daemon's host?",
                if info.spawnerr.is_empty() {
                    String::new()
                } else {
                    format!(": {}", info.spawnerr)
                }
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What [`uninstall`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Uninstalled {
    /// `removed`, or `already_absent`.
    pub action: String,
    pub file: String,
}

/// Removes the relay: stops it, removes its group, deletes its section, `reloadConfig`.
/// The journal files stay. Idempotent. Errors: a section not ours, or a listener of
/// the daemon's own configuration ([`Error::Refused`]).
pub async fn uninstall(client: &Client, configured: Option<&Path>) -> Result<Uninstalled> {
    let dir = include_dir(client, configured).await?;
    let file = dir.file_for(LISTENER);
    let shown = file.display().to_string();
    if !file.exists() {
        if daemon_knows(client, LISTENER).await? {
            return Err(Error::Refused(format!(
                "{LISTENER} is not in {shown}: it is part of supervisord's own configuration; not removing it"
            )));
        }
        return Ok(Uninstalled {
            action: "already_absent".into(),
            file: shown,
        });
    }
    if !is_managed(&file) {
        return Err(Error::Refused(format!(
            "{shown} was not written by supervisord-mcp: not removing it"
        )));
    }
    remove(client, &dir).await?;
    Ok(Uninstalled {
        action: "removed".into(),
        file: shown,
    })
}

async fn remove(client: &Client, dir: &IncludeDir) -> Result<()> {
    unload(client, LISTENER, Duration::from_secs(30)).await?;
    delete_file(&dir.file_for(LISTENER))?;
    client.reload_config().await.map(drop)
}

/// What a daemon's journal is.
#[derive(Debug, Clone, Serialize)]
pub struct JournalStatus {
    /// The relay's state (`RUNNING`...).
    pub state: String,
    /// The journal file, as the daemon names it.
    pub file: String,
    /// Bytes in the journal: the file, and its rotated files when the daemon is on
    /// this host (`rotated` says how many).
    pub size_bytes: u64,
    pub rotated: usize,
    /// The oldest and newest events' times (RFC 3339 UTC), as far as can be read.
    pub first: Option<String>,
    pub last: Option<String>,
}

/// The journal of the daemon behind `client`; `None` when it has none (no relay).
/// Reads at most 8 KiB of each end. Errors: the daemon's.
pub async fn status(client: &Client) -> Result<Option<JournalStatus>> {
    let info = match client.get_process_info(LISTENER).await {
        Ok(i) => i,
        Err(e) if e.fault_code() == Some(FaultCode::BadName) => return Ok(None),
        Err(e) => return Err(e),
    };
    let files = super::read::Files::open(client).await?;
    let src = LogSource::process(LISTENER, Channel::Stderr);
    let size = logs::size(client, &src).await.unwrap_or(0);
    let rotated: u64 = files.rotated.iter().filter_map(|f| f.len().ok()).sum();
    let head = files.oldest_head(client).await;
    let tail = logs::read_range(client, &src, size.saturating_sub(8192), 8192)
        .await
        .map(|r| r.bytes)
        .unwrap_or_default();
    let time_of = |bytes: &[u8], last: bool| {
        let text = String::from_utf8_lossy(bytes);
        let mut lines: Vec<&str> = text.lines().collect();
        if last {
            lines.reverse();
        }
        lines
            .into_iter()
            .find_map(JournalEvent::parse)
            .map(|e| super::time::format_ms(e.time_ms))
    };
    Ok(Some(JournalStatus {
        state: info.statename.clone(),
        file: info.stderr_logfile,
        size_bytes: size + rotated,
        rotated: files.rotated.len(),
        first: time_of(&head, false),
        last: time_of(&tail, true),
    }))
}
