//! Log files read from this host's disk when the daemon runs here: the exact bytes
//! of a process's log or of the main log, read on the daemon's behalf. Only regular
//! files that the daemon's own user may read (a hostile daemon cannot make this
//! process read what the daemon could not), and never more than the window asked.

use super::LocalHost;
use super::daemonconf::in_daemon_root;
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The user and groups a daemon runs as.
#[derive(Debug, Clone)]
struct Creds {
    uid: u32,
    gid: u32,
    groups: Vec<u32>,
}

impl Creds {
    /// The effective user and group of `pid` and its supplementary groups: the
    /// `Uid:`, `Gid:` and `Groups:` lines of /proc/PID/status (proc(5)), nothing else
    /// parsed. `None` when it has gone or a line is missing.
    fn of(pid: i32) -> Option<Creds> {
        Self::parse(&String::from_utf8_lossy(
            &std::fs::read(format!("/proc/{pid}/status")).ok()?,
        ))
    }

    fn parse(status: &str) -> Option<Creds> {
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .map(|v| v.split_ascii_whitespace().map(str::parse::<u32>))
        };
        // Real, effective, saved, filesystem: the second is the effective one.
        let uid = field("Uid")?.nth(1)?.ok()?;
        let gid = field("Gid")?.nth(1)?.ok()?;
        let groups = field("Groups")?.collect::<Result<Vec<u32>, _>>().ok()?;
        Some(Creds { uid, gid, groups })
    }

    /// Whether the file's mode lets this user read it (root reads everything).
    fn may_read(&self, meta: &std::fs::Metadata) -> bool {
        let mode = meta.mode();
        if self.uid == 0 {
            true
        } else if meta.uid() == self.uid {
            mode & 0o400 != 0
        } else if meta.gid() == self.gid || self.groups.contains(&meta.gid()) {
            mode & 0o040 != 0
        } else {
            mode & 0o004 != 0
        }
    }
}

/// A log file of a daemon on this host, open for reading.
#[derive(Debug)]
pub struct HostLog {
    /// The path, as the daemon names it.
    pub path: PathBuf,
    /// Where it is opened from (through `/proc/PID/root` when this process may).
    open_path: PathBuf,
    file: File,
    /// (device, inode) of the open file.
    id: (u64, u64),
    creds: Creds,
}

impl HostLog {
    /// Opens the daemon's log at `path` (absolute, as the daemon names it). `None`
    /// when it cannot be read from here: not absolute, under /dev or /proc (a
    /// terminal, `/dev/stdout`), missing, not a regular file, not readable by the
    /// daemon's user or by this process.
    pub fn open(local: &LocalHost, path: &Path) -> Option<HostLog> {
        if !path.is_absolute() || path.starts_with("/dev") || path.starts_with("/proc") {
            return None;
        }
        let creds = Creds::of(local.daemon_pid)?;
        let open_path = in_daemon_root(local.daemon_pid, path);
        let (file, id) = open_regular(&open_path, &creds)?;
        Some(HostLog {
            path: path.to_owned(),
            open_path,
            file,
            id,
            creds,
        })
    }

    /// The open file's size in bytes.
    pub fn len(&self) -> std::io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    /// True when the open file is empty.
    pub fn is_empty(&self) -> std::io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Reads at most `len` bytes at `offset` (fewer at the end of the file).
    pub fn read_at(&self, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let mut buf = vec![0u8; len.min(self.len()?.saturating_sub(offset) as usize)];
        let mut got = 0;
        while got < buf.len() {
            match self.file.read_at(&mut buf[got..], offset + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buf.truncate(got);
        Ok(buf)
    }

    /// The file now at the path when it is another file than the one open (the log
    /// was rotated or cleared); `None` when it is the same, or cannot be opened yet.
    pub fn replaced(&self) -> Option<HostLog> {
        let meta = std::fs::metadata(&self.open_path).ok()?;
        if (meta.dev(), meta.ino()) == self.id {
            return None;
        }
        let (file, id) = open_regular(&self.open_path, &self.creds)?;
        Some(HostLog {
            path: self.path.clone(),
            open_path: self.open_path.clone(),
            file,
            id,
            creds: self.creds.clone(),
        })
    }

    /// True when the daemon holds this very file open (as it does its main log).
    pub fn held_by(&self, local: &LocalHost) -> bool {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{}/fd", local.daemon_pid)) else {
            return false;
        };
        fds.flatten()
            .filter_map(|fd| std::fs::metadata(fd.path()).ok())
            .any(|m| (m.dev(), m.ino()) == self.id)
    }
}

/// Opens a regular file without blocking (a FIFO would block an open for reading)
/// and checks that the daemon's user may read it.
fn open_regular(path: &Path, creds: &Creds) -> Option<(File, (u64, u64))> {
    let flags = nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_NOCTTY;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    (meta.is_file() && creds.may_read(&meta)).then(|| (file, (meta.dev(), meta.ino())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The effective ids and the groups, as procfs reads them of this process; a
    /// status without them is not read as root's.
    #[test]
    fn creds_are_the_effective_ids_and_groups() {
        let me = std::process::id() as i32;
        let ours = Creds::of(me).unwrap_or_else(|| panic!("no creds"));
        let st = procfs::process::Process::new(me)
            .and_then(|p| p.status())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((ours.uid, ours.gid, ours.groups), (st.euid, st.egid, st.groups));
        let line = "Name:\tx\nUid:\t1000\t33\t1000\t1000\nGid:\t100\t44\t100\t100\nGroups:\t5 6 \n";
        let c = Creds::parse(line).unwrap_or_else(|| panic!("not parsed"));
        assert_eq!((c.uid, c.gid, c.groups), (33, 44, vec![5, 6]));
        assert!(Creds::parse("Name:\tx\nGid:\t0\t0\t0\t0\nGroups:\n").is_none());
        assert!(Creds::parse("Uid:\t1\tx\nGid:\t0\t0\nGroups:\n").is_none());
    }

    #[test]
    fn reads_only_what_the_daemons_user_may_read() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let f = dir.path().join("x.log");
        std::fs::write(&f, b"abc")?;
        let meta = std::fs::metadata(&f)?;
        let me = Creds {
            uid: meta.uid(),
            gid: meta.gid(),
            groups: Vec::new(),
        };
        assert!(me.may_read(&meta));
        let other = Creds {
            uid: meta.uid() + 1,
            gid: meta.gid() + 1,
            groups: Vec::new(),
        };
        std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o640))?;
        assert!(!other.may_read(&std::fs::metadata(&f)?));
        std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
        assert!(other.may_read(&std::fs::metadata(&f)?));
        let root = Creds {
            uid: 0,
            gid: 0,
            groups: Vec::new(),
        };
        std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o000))?;
        assert!(root.may_read(&std::fs::metadata(&f)?));
        Ok(())
    }
}
