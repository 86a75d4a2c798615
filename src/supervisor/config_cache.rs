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
//! that is too big, not ours, or not valid is ignored; nothing fails because of the
//! cache. `SUPERVISORD_MCP_NO_CACHE=1` turns the file off.

use super::types::ConfigInfo;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

/// An entry older than this (seconds, daemon clock) is fetched again.
pub const MAX_AGE_S: i64 = 600;

/// A cache file bigger than this (bytes) is ignored: 3,000 processes take ~1 MiB.
const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

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
/// and the daemon's clock reads `now` (both from `getProcessInfo`).
pub fn lookup(url: &str, namespec: &str, start: i64, now: i64) -> Option<ConfigInfo> {
    let valid = |e: &Entry| e.url == url && start > 0 && start < e.fetched_at && now - e.fetched_at < MAX_AGE_S;
    if let Ok(mem) = MEMORY.lock()
        && let Some(e) = mem.get(url).filter(|e| valid(e))
    {
        return e.configs.get(namespec).cloned();
    }
    let entry = read_file(url).filter(valid)?;
    let found = entry.configs.get(namespec).cloned();
    if let Ok(mut mem) = MEMORY.lock() {
        mem.insert(url.to_string(), entry);
    }
    found
}

/// Keeps what `getAllConfigInfo` answered, fetched after the daemon's clock read
/// `fetched_at` (seconds).
pub fn store(url: &str, fetched_at: i64, configs: &[ConfigInfo]) {
    let entry = Entry {
        url: url.to_string(),
        fetched_at,
        configs: configs.iter().map(|c| (c.namespec(), c.clone())).collect(),
    };
    write_file(&entry);
    if let Ok(mut mem) = MEMORY.lock() {
        mem.insert(url.to_string(), entry);
    }
}

/// Drops what is kept for the daemon at `url`: called by the client before every
/// call that changes what the daemon runs (`reloadConfig`, `addProcessGroup`,
/// `removeProcessGroup`, `restart`).
pub fn forget(url: &str) {
    if let Ok(mut mem) = MEMORY.lock() {
        mem.remove(url);
    }
    if let Some(path) = file_for(url) {
        let _ = std::fs::remove_file(path);
    }
}

/// The cache directory, when the environment names one and the file is wanted.
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
        })?;
    base.is_absolute().then(|| base.join("supervisord-mcp").join("config"))
}

fn file_for(url: &str) -> Option<PathBuf> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    url.hash(&mut h);
    Some(dir()?.join(format!("{:016x}.json", h.finish())))
}

/// A directory that only this user can write and read (created 0700 if missing).
fn private_dir() -> Option<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let dir = dir()?;
    let _ = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir);
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    let ours = meta.is_dir() && meta.uid() == nix::unistd::geteuid().as_raw();
    (ours && meta.permissions().mode() & 0o077 == 0).then_some(dir)
}

fn read_file(url: &str) -> Option<Entry> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    private_dir()?;
    let path = file_for(url)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.uid() != nix::unistd::geteuid().as_raw() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES).read_to_end(&mut bytes).ok()?;
    serde_json::from_slice::<Entry>(&bytes).ok().filter(|e| e.url == url)
}

/// Writes the entry to a temporary file and renames it over the old one, so a reader
/// never sees half a file.
fn write_file(entry: &Entry) {
    use std::os::unix::fs::OpenOptionsExt;
    let (Some(dir), Some(path)) = (private_dir(), file_for(&entry.url)) else {
        return;
    };
    let Ok(bytes) = serde_json::to_vec(entry) else { return };
    let tmp = dir.join(format!(
        ".{}.{}",
        std::process::id(),
        path.file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned())
    ));
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

    #[test]
    fn a_process_started_after_the_fetch_or_never_is_not_answered_from_the_cache() {
        let url = "unix:///cache-test-1.sock";
        store(url, 1000, &[config("web")]);
        assert_eq!(lookup(url, "web", 900, 1010).map(|c| c.command), Some("run web".into()));
        // Replaced by an update and started again: a new process, started later.
        assert_eq!(lookup(url, "web", 1005, 1010), None);
        // Started in the same second as the fetch: cannot tell, fetch again.
        assert_eq!(lookup(url, "web", 1000, 1010), None);
        // Re-added by an update and not started.
        assert_eq!(lookup(url, "web", 0, 1010), None);
        // Too old.
        assert_eq!(lookup(url, "web", 900, 1000 + MAX_AGE_S), None);
        // Not configured when fetched.
        assert_eq!(lookup(url, "api", 900, 1010), None);
        forget(url);
        assert_eq!(lookup(url, "web", 900, 1010), None);
    }
}
