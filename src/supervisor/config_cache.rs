//! What each process of a daemon is configured with, kept between calls: the one
//! source of a process's configuration is `getAllConfigInfo`, which costs the daemon's
//! single thread about 0.5 ms per configured process (150 ms at 310), so `diagnose`
//! of one process reads it once and then from here.
//!
//! An entry is used only while it provably describes what the daemon runs: the
//! process was started (its `start`, daemon clock) before the entry was fetched
//! (`now` of the same daemon), and not since. Whatever replaces a process's
//! configuration (`update`, `reloadConfig` + `addProcessGroup`, `supervisor.restart`,
//! a new daemon on the same address) makes a new process object that either never
//! started (`start` 0) or started later, so such a process is never answered from
//! here. Our own configuration calls drop the daemon's entry at once
//! ([`forget`]); every entry expires after [`MAX_AGE_S`].
//!
//! Kept in memory (the MCP server) and in a file per daemon, 0600 in a 0700
//! directory (`$XDG_CACHE_HOME/supervisord-mcp/config/`, else
//! `~/.cache/supervisord-mcp/config/`), so that each CLI run benefits too. A file
//! that is too big, not a regular file (a FIFO...), not ours, or not valid is
//! ignored, and so is a cache directory that is not safe (one of it or its parents
//! up to the cache base belongs to another user or can be written by others);
//! nothing fails because of the cache. File I/O runs on blocking threads, never on
//! the async runtime's. `SUPERVISORD_MCP_NO_CACHE=1` turns the file off.

use super::files::{self, FileKind, Rule};
use super::types::ConfigInfo;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

/// An entry older than this (seconds, daemon clock) is fetched again.
pub const MAX_AGE_S: i64 = 600;

/// One daemon's configuration as fetched: `fetched_at` is the daemon's clock
/// (`now` of a `getProcessInfo` made before the `getAllConfigInfo`), seconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    url: String,
    fetched_at: i64,
    configs: HashMap<String, ConfigInfo>,
}

static MEMORY: LazyLock<Mutex<HashMap<String, Entry>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The configuration of process `namespec` of the daemon at `url` (display URL, no
/// credentials), if a valid entry holds it: the process started at `start` (0: never)
/// and the daemon's clock reads `now` (both from `getProcessInfo`). The file is read
/// on a blocking thread, never on the runtime's.
pub async fn lookup(url: &str, namespec: &str, start: i64, now: i64) -> Option<ConfigInfo> {
    let valid = |e: &Entry| e.url == url && start > 0 && start < e.fetched_at && now - e.fetched_at < MAX_AGE_S;
    if let Ok(mem) = MEMORY.lock()
        && let Some(e) = mem.get(url).filter(|e| valid(e))
    {
        return e.configs.get(namespec).cloned();
    }
    let owned = url.to_owned();
    let entry = tokio::task::spawn_blocking(move || read_file(&owned))
        .await
        .ok()
        .flatten()
        .filter(valid)?;
    let found = entry.configs.get(namespec).cloned();
    if let Ok(mut mem) = MEMORY.lock() {
        mem.insert(url.to_string(), entry);
    }
    found
}

/// Keeps what `getAllConfigInfo` answered, fetched after the daemon's clock read
/// `fetched_at` (seconds). The file is written on a blocking thread.
pub async fn store(url: &str, fetched_at: i64, configs: &[ConfigInfo]) {
    let entry = Entry {
        url: url.to_string(),
        fetched_at,
        configs: configs.iter().map(|c| (c.namespec(), c.clone())).collect(),
    };
    if let Ok(mut mem) = MEMORY.lock() {
        mem.insert(url.to_string(), entry.clone());
    }
    let _ = tokio::task::spawn_blocking(move || write_file(&entry)).await;
}

/// Drops what is kept for the daemon at `url`: called by the client before every
/// call that changes what the daemon runs (`reloadConfig`, `addProcessGroup`,
/// `removeProcessGroup`, `restart`). The file is removed on a blocking thread.
pub async fn forget(url: &str) {
    if let Ok(mut mem) = MEMORY.lock() {
        mem.remove(url);
    }
    let owned = url.to_owned();
    let _ = tokio::task::spawn_blocking(move || {
        if let Some(path) = file_for(&owned) {
            let _ = std::fs::remove_file(path);
        }
    })
    .await;
}

/// The cache directory, made private ([`files::private_dir`]: every directory from
/// the cache base down checked), when the environment names one, the file is wanted
/// and the directories are safe; `None` otherwise (no file, nothing fails).
fn dir() -> Option<PathBuf> {
    if cfg!(test) {
        return None;
    }
    if std::env::var_os("SUPERVISORD_MCP_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0") {
        return None;
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })
        .filter(|b| b.is_absolute())?;
    match files::private_dir("cache directory", &base, Path::new("supervisord-mcp/config")) {
        Ok(dir) => Some(dir),
        Err(e) => {
            tracing::debug!(error = %e, "diagnose's configuration cache is not kept in a file");
            None
        }
    }
}

fn file_for(url: &str) -> Option<PathBuf> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    url.hash(&mut h);
    Some(dir()?.join(format!("{:016x}.json", h.finish())))
}

/// The entry kept for `url`, when its file is a valid one of ours ([`Rule::Ours`]:
/// a regular file, not a symlink, at most 32 MiB).
fn read_file(url: &str) -> Option<Entry> {
    let contents = files::read(&file_for(url)?, FileKind::Cache, Rule::Ours).ok()?;
    serde_json::from_slice::<Entry>(&contents.bytes)
        .ok()
        .filter(|e| e.url == url)
}

/// Writes the entry to a temporary file and renames it over the old one, so a reader
/// never sees half a file.
fn write_file(entry: &Entry) {
    use std::os::unix::fs::OpenOptionsExt;
    let Some(path) = file_for(&entry.url) else {
        return;
    };
    let Ok(bytes) = serde_json::to_vec(entry) else { return };
    let name = path
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{}.{name}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(&tmp)
        .and_then(|mut f| f.write_all(&bytes));
    if written.is_err() || std::fs::rename(&tmp, &path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(ns: &str) -> ConfigInfo {
        ConfigInfo {
            name: ns.into(),
            group: ns.into(),
            command: format!("run {ns}"),
            directory: None,
            autostart: true,
            autorestart: None,
            inuse: true,
            group_prio: 999,
            process_prio: 999,
            startsecs: 1,
            startretries: 3,
            stopwaitsecs: 10,
            redirect_stderr: false,
            stdout_logfile: String::new(),
            stderr_logfile: String::new(),
        }
    }

    #[tokio::test]
    async fn a_process_started_after_the_fetch_or_never_is_not_answered_from_the_cache() {
        let url = "unix:///cache-test-1.sock";
        store(url, 1000, &[config("web")]).await;
        assert_eq!(
            lookup(url, "web", 900, 1010).await.map(|c| c.command),
            Some("run web".into())
        );
        // Replaced by an update and started again: a new process, started later.
        assert_eq!(lookup(url, "web", 1005, 1010).await, None);
        // Started in the same second as the fetch: cannot tell, fetch again.
        assert_eq!(lookup(url, "web", 1000, 1010).await, None);
        // Re-added by an update and not started.
        assert_eq!(lookup(url, "web", 0, 1010).await, None);
        // Too old.
        assert_eq!(lookup(url, "web", 900, 1000 + MAX_AGE_S).await, None);
        // Not configured when fetched.
        assert_eq!(lookup(url, "api", 900, 1010).await, None);
        forget(url).await;
        assert_eq!(lookup(url, "web", 900, 1010).await, None);
    }
}
