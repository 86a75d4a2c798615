//! The audit log of `serve`: one JSON line per change asked through it (a
//! dashboard action, an MCP tool that changes something), written before the
//! answer goes out:
//!
//! ```json
//! {"time":"2026-01-02T03:04:05.678Z","token":"oncall","client":"10.0.0.7","via":"dashboard",
//!  "op":"restart","targets":["web-1","web-2"],"names":["web:*"],"result":"ok",
//!  "failed":[]}
//! ```
//!
//! `result` is `ok` (every target), `partial`, `failed` or `refused` (by the policy
//! gate or the token's scope); `failed` lists `{target, kind}` of the targets that
//! did not do it. Never a token, a password, a command line or an environment: the
//! token's name, the operation and the names it was asked for. The file (0600, in a
//! 0700 directory) is bounded: past `max_bytes` it is renamed `FILE.1` (`FILE.1` to
//! `FILE.2`, ...; `backups` kept) and a new one begun.

use super::HttpError;
use crate::supervisor::ErrorKind;
use serde::Serialize;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Default size of one audit file before it is rotated (bytes).
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// Default number of rotated files kept.
pub const DEFAULT_BACKUPS: u32 = 5;

/// How a change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    Partial,
    Failed,
    Refused,
}

/// A target that did not do it, and why (the error's kind).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failed {
    pub target: String,
    pub kind: ErrorKind,
}

/// One change, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// RFC 3339 UTC with milliseconds (filled in by [`AuditLog::record`]).
    pub time: String,
    /// The token's name (never the token).
    pub token: String,
    /// The client's address (the proxy's `X-Forwarded-For` when it is trusted).
    pub client: String,
    /// `dashboard` or `mcp`.
    pub via: &'static str,
    /// `start`, `stop`, `restart`, `program`, `reload`, ...
    pub op: String,
    /// The targets it went to (empty with one daemon).
    pub targets: Vec<String>,
    /// The names it was asked for (namespecs, groups, a program's name).
    pub names: Vec<String>,
    pub result: Outcome,
    pub failed: Vec<Failed>,
}

/// The audit log file and its rotation.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    max_bytes: u64,
    backups: u32,
    /// The open file and its size; `None` after a write failed (retried next time).
    file: Mutex<Option<(std::fs::File, u64)>>,
}

impl AuditLog {
    /// Opens (or creates, 0600, its directory 0700 when missing) the log at `path`.
    /// Errors: the directory cannot be made, or the file opened.
    pub fn open(path: &Path, max_bytes: u64, backups: u32) -> Result<AuditLog, HttpError> {
        let fail = |detail: String| HttpError::TokenFile {
            what: "audit log",
            path: path.to_owned(),
            detail,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| fail(format!("cannot create its directory: {e}")))?;
        }
        let log = AuditLog {
            path: path.to_owned(),
            max_bytes: max_bytes.max(1024),
            backups,
            file: Mutex::new(None),
        };
        let opened = log.reopen().map_err(|e| fail(format!("cannot open it: {e}")))?;
        *log.lock() = Some(opened);
        Ok(log)
    }

    /// The default place: `$XDG_STATE_HOME/supervisord-mcp/audit.jsonl`, else
    /// `$HOME/.local/state/supervisord-mcp/audit.jsonl`.
    pub fn default_path() -> Option<PathBuf> {
        let abs = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
        std::env::var_os("XDG_STATE_HOME")
            .and_then(abs)
            .or_else(|| std::env::var_os("HOME").and_then(abs).map(|h| h.join(".local/state")))
            .map(|s| s.join("supervisord-mcp/audit.jsonl"))
    }

    /// Where it is written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(std::fs::File, u64)>> {
        self.file.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn reopen(&self) -> std::io::Result<(std::fs::File, u64)> {
        let f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
            .open(&self.path)?;
        let len = f.metadata()?.len();
        Ok((f, len))
    }

    /// Appends `e` (its time set to now), rotating first when the file would pass
    /// `max_bytes`. A failure to write is logged (never the entry's secrets: it
    /// has none) and does not fail the change, which is done by then.
    pub fn record(&self, mut e: Entry) {
        e.time = crate::supervisor::journal::time::format_ms(crate::supervisor::journal::time::now_ms());
        let mut line = serde_json::to_vec(&e).unwrap_or_default();
        line.push(b'\n');
        let mut slot = self.lock();
        let written = (|| {
            let size = match slot.as_ref() {
                Some((_, size)) => *size,
                None => self.reopen()?.1,
            };
            if size > 0 && size + line.len() as u64 > self.max_bytes {
                *slot = None;
                self.rotate()?;
            }
            if slot.is_none() {
                *slot = Some(self.reopen()?);
            }
            let Some((f, size)) = slot.as_mut() else {
                return Err(std::io::Error::other("not open"));
            };
            f.write_all(&line)?;
            *size += line.len() as u64;
            Ok::<(), std::io::Error>(())
        })();
        if let Err(err) = written {
            *slot = None;
            tracing::error!(path = %self.path.display(), error = %err, "cannot write the audit log");
        }
    }

    /// `FILE.N-1` → `FILE.N`, ..., `FILE` → `FILE.1`; the oldest dropped.
    fn rotate(&self) -> std::io::Result<()> {
        let numbered = |n: u32| {
            let mut p = self.path.clone().into_os_string();
            p.push(format!(".{n}"));
            PathBuf::from(p)
        };
        if self.backups == 0 {
            return std::fs::remove_file(&self.path);
        }
        let _ = std::fs::remove_file(numbered(self.backups));
        for n in (1..self.backups).rev() {
            let _ = std::fs::rename(numbered(n), numbered(n + 1));
        }
        std::fs::rename(&self.path, numbered(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn entry(op: &str) -> Entry {
        Entry {
            time: String::new(),
            token: "oncall".into(),
            client: "127.0.0.1".into(),
            via: "dashboard",
            op: op.into(),
            targets: vec!["web-1".into()],
            names: vec!["web:*".into()],
            result: Outcome::Ok,
            failed: Vec::new(),
        }
    }

    #[test]
    fn entries_are_json_lines_in_a_private_file_rotated_when_full() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let path = dir.path().join("state/audit.jsonl");
        let log = AuditLog::open(&path, 1024, 2).unwrap_or_else(|e| unreachable!("{e}"));
        for i in 0..40 {
            log.record(entry(&format!("restart{i}")));
        }
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0)
        };
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap_or(&path)), 0o700);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(text.len() <= 1024, "{} bytes", text.len());
        let last: serde_json::Value =
            serde_json::from_str(text.lines().last().unwrap_or("")).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(last["op"], "restart39");
        assert_eq!(last["token"], "oncall");
        assert!(last["time"].as_str().is_some_and(|t| t.ends_with('Z')), "{last}");
        let rotated = |n: u32| dir.path().join(format!("state/audit.jsonl.{n}"));
        assert!(rotated(1).exists() && rotated(2).exists() && !rotated(3).exists());
    }
}
