//! The files we read, against the real binary: the ownership rule (`owner`), reads
//! that can neither hang nor grow without bound and errors that name the right file
//! without quoting it (`reads`), and weak tokens (`tokens`). The binary runs as root
//! (the tests' user, here and in CI) and as `nobody` through `setpriv`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;
mod owner;
mod reads;
mod tokens;

use common::*;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::mpsc;
use std::time::Duration;

/// A strong token (48 random hex digits) for the bridges these tests start.
const TOKEN: &str = "39992694893402c323fc7777d5e51a12acca21832320e450";
/// `nobody`: the unprivileged user the binary also runs as.
const NOBODY: u32 = 65534;
/// A third user, neither root nor `nobody`.
const STRANGER: u32 = 4242;

/// Who runs the binary.
#[derive(Debug, Clone, Copy, PartialEq)]
enum User {
    Root,
    Nobody,
}

const USERS: [User; 2] = [User::Root, User::Nobody];

impl User {
    /// A uid that is neither this user nor root.
    fn other(self) -> u32 {
        match self {
            User::Root => NOBODY,
            User::Nobody => STRANGER,
        }
    }

    /// The binary run as this user with `args`, in a clean environment (no cache file,
    /// no `SUPERVISOR_*`), at most 60 s.
    fn run(self, args: &[&str], env: &[(&str, &str)]) -> Output {
        assert!(
            nix::unistd::geteuid().is_root(),
            "these tests run as root (as here and in CI): they give files to other users"
        );
        let bin = assert_cmd::cargo::cargo_bin("supervisord-mcp");
        let mut cmd = match self {
            User::Root => assert_cmd::Command::new(&bin),
            User::Nobody => {
                let found = std::process::Command::new("setpriv").arg("--version").output();
                assert!(
                    found.is_ok_and(|o| o.status.success()),
                    "setpriv is missing: install util-linux (apt-get install util-linux)"
                );
                let mut c = assert_cmd::Command::new("setpriv");
                c.args([
                    &format!("--reuid={NOBODY}"),
                    &format!("--regid={NOBODY}"),
                    "--clear-groups",
                ])
                .arg(&bin);
                c
            }
        };
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", "/nonexistent")
            .env("SUPERVISORD_MCP_NO_CACHE", "1")
            .envs(env.iter().copied())
            .current_dir("/")
            .timeout(Duration::from_secs(60));
        cmd.output().unwrap()
    }
}

/// stdout and stderr together.
fn all(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// A temp dir `nobody` can enter (root's, 0755).
fn open_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o755);
    dir
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(uid)).unwrap();
}

/// Writes `text` to `dir/name` (root's, 0644) and returns its path.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    chmod(&path, 0o644);
    path
}

/// A loopback port that records whether anyone connected: a connection waits in the
/// listen queue, even once closed, until accepted.
struct Recorder(TcpListener);

impl Recorder {
    fn new() -> Recorder {
        Recorder(TcpListener::bind("127.0.0.1:0").unwrap())
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.0.local_addr().unwrap().port())
    }

    fn connected(&self) -> bool {
        self.0.set_nonblocking(true).unwrap();
        self.0.accept().is_ok()
    }
}

/// A FIFO that records whether anyone opened it for reading (its writer, blocked in
/// `open` on a thread, gets through only then).
struct Fifo {
    path: PathBuf,
    opened: mpsc::Receiver<()>,
}

impl Fifo {
    fn new(dir: &Path, name: &str) -> Fifo {
        let path = dir.join(name);
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        chmod(&path, 0o644);
        let (tx, opened) = mpsc::channel();
        let writer = path.clone();
        std::thread::spawn(move || {
            if std::fs::OpenOptions::new().write(true).open(&writer).is_ok() {
                let _ = tx.send(());
            }
        });
        // Let the writer block in `open` before anyone may read.
        std::thread::sleep(Duration::from_millis(200));
        Fifo { path, opened }
    }

    /// True when it was opened; then releases the writer either way.
    fn was_opened(&self) -> bool {
        let opened = self.opened.recv_timeout(Duration::from_secs(2)).is_ok();
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(&self.path);
        opened
    }
}
