//! The tunnel to an `ssh://` daemon: the system's `ssh` forwards a private local unix
//! socket to the daemon's socket on the remote host (`ssh -N -L LOCAL:REMOTE`), made
//! on first use, remade after it dies, and torn down with its socket when the
//! transport is dropped or the process ends, however it ends.
//!
//! `ssh` runs under a small `/bin/sh` guard, in a process group of its own (a Ctrl-C
//! on the terminal does not reach it). The guard holds the read end of a pipe whose
//! only write end is ours: when this process closes it (drop) or dies (exit, SIGTERM,
//! SIGKILL), the guard stops ssh and removes the socket and its directory.

mod tail;

use super::super::error::{Error, Result};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};
use tail::Tail;
use tokio::process::{Child, ChildStdin, Command};

/// The guard: `$1` the private directory, `$2` the local socket, the rest ssh's
/// command line. Exits with ssh's status. Only ssh keeps the stderr pipe: the shell
/// itself writes on it ("Terminated" when ssh is stopped), and would die of SIGPIPE
/// before cleaning up once this process is gone. When the pipe closes, ssh gets
/// SIGTERM, then SIGKILL if it still runs 3 s later ([`STOP_GRACE`], as [`Running::stop`]
/// does): an ssh that ignores SIGTERM cannot outlive a killed client.
const GUARD: &str = r#"dir=$1 sock=$2; shift 2
exec 3<&0 0</dev/null
"$@" 3<&- &
ssh=$!
exec 2>/dev/null
( read -r _ <&3; kill -TERM "$ssh" 2>/dev/null
  n=0; while [ $n -lt 30 ] && kill -0 "$ssh" 2>/dev/null; do sleep 0.1; n=$((n+1)); done
  kill -KILL "$ssh" 2>/dev/null ) &
watch=$!
exec 3<&-
wait "$ssh"; status=$?
kill "$watch" 2>/dev/null
rm -f -- "$sock"; rmdir -- "$dir" 2>/dev/null
exit "$status""#;

/// Longest local socket path (`sun_path` holds 108 bytes with its NUL).
const MAX_SOCKET_PATH: usize = 100;
/// How long a torn-down tunnel may take to stop before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// Where the tunnel goes: the remote end of an `ssh://` URL.
#[derive(Debug, Clone)]
pub(super) struct Remote {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub socket: PathBuf,
}

/// One daemon's tunnel, shared by the clones of its transport.
#[derive(Debug)]
pub(super) struct Tunnel {
    target: Remote,
    /// The URL shown in errors (no user).
    display: String,
    connect_timeout: Duration,
    /// The `ssh` program; `None`: found on PATH at each start.
    program: Option<PathBuf>,
    dir: PathBuf,
    local: PathBuf,
    running: tokio::sync::Mutex<Option<Running>>,
}

#[derive(Debug)]
struct Running {
    guard: Child,
    /// Closing it stops the tunnel.
    stdin: Option<ChildStdin>,
    stderr: Arc<StdMutex<Tail>>,
}

impl Tunnel {
    /// A tunnel, not yet made: only its local socket's path is chosen, in a private
    /// directory (created at start, mode 0700) under `$XDG_RUNTIME_DIR` or the
    /// temporary directory.
    pub fn new(target: Remote, display: String, connect_timeout: Duration, program: Option<PathBuf>) -> Result<Tunnel> {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(|e| Error::Ssh {
            url: display.clone(),
            detail: format!("no randomness for the tunnel's directory name: {e}"),
        })?;
        let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let name = format!("supervisord-mcp-ssh-{name}");
        let bases = [
            std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from),
            Some(std::env::temp_dir()),
            Some(PathBuf::from("/tmp")),
        ];
        let dir = bases
            .into_iter()
            .flatten()
            .filter(|b| b.is_absolute() && b.is_dir())
            .map(|b| b.join(&name))
            .find(|d| {
                let s = d.join("tunnel.sock").to_string_lossy().into_owned();
                s.len() <= MAX_SOCKET_PATH && super::endpoint::ssh_path_problem(&s).is_none()
            })
            .ok_or_else(|| Error::Ssh {
                url: display.clone(),
                detail: "no directory for the tunnel's socket (XDG_RUNTIME_DIR, TMPDIR and /tmp too long or missing)"
                    .into(),
            })?;
        Ok(Tunnel {
            target,
            display,
            connect_timeout,
            program,
            local: dir.join("tunnel.sock"),
            dir,
            running: tokio::sync::Mutex::new(None),
        })
    }

    /// The local end: the unix socket the transport talks HTTP to.
    pub fn local_socket(&self) -> &Path {
        &self.local
    }

    /// Makes the tunnel if it is not up (first use, or it died since): starts ssh and
    /// waits, at most the connect timeout plus 2 s, for the local socket to accept.
    /// Errors ([`Error::Ssh`]): ssh not found, ssh exited (its stderr, bounded, in
    /// the error), or no tunnel in time; nothing is left behind.
    pub async fn ensure(&self) -> Result<()> {
        let mut running = self.running.lock().await;
        if let Some(r) = running.as_mut() {
            if matches!(r.guard.try_wait(), Ok(None)) {
                return Ok(());
            }
            if let Some(dead) = running.take() {
                dead.stop(&self.dir, &self.local).await;
            }
        }
        *running = Some(self.start().await?);
        Ok(())
    }

    /// Turns a connection failure through the tunnel into [`Error::Ssh`], with what
    /// ssh said since (e.g. `open failed: connect failed: No such file or directory`
    /// when the remote socket is missing) or that it exited. Other errors (HTTP
    /// statuses, timeouts, faults) come back unchanged.
    pub async fn attribute(&self, err: Error) -> Error {
        if !matches!(
            err,
            Error::ConnectionRefused { .. }
                | Error::SocketMissing { .. }
                | Error::PermissionDenied { .. }
                | Error::Transport { .. }
                | Error::NotHttp { .. }
        ) {
            return err;
        }
        let mut running = self.running.lock().await;
        let Some(r) = running.as_mut() else {
            return self.error(format!("the tunnel is down ({err})"));
        };
        // ssh reports a failed channel as it closes it: give its line a moment.
        let deadline = Instant::now() + Duration::from_millis(200);
        loop {
            let exited = r.guard.try_wait().ok().flatten();
            let said = lock(&r.stderr).take_new();
            if let Some(status) = exited {
                return self.error(format!("ssh exited ({}){}", exit_text(status), colon(&said)));
            }
            if !said.is_empty() {
                return self.error(said);
            }
            if Instant::now() >= deadline {
                return self.error(format!("a connection through the tunnel failed ({err})"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn error(&self, detail: String) -> Error {
        Error::Ssh {
            url: self.display.clone(),
            detail: super::redact_url(&detail),
        }
    }

    /// ssh's command line (after the program).
    fn ssh_args(&self) -> Vec<String> {
        let secs = self.connect_timeout.as_secs_f64().ceil().max(1.0) as u64;
        let mut args: Vec<String> = [
            "BatchMode=yes".to_owned(),
            format!("ConnectTimeout={secs}"),
            "ExitOnForwardFailure=yes".into(),
            "StreamLocalBindUnlink=yes".into(),
            "ControlMaster=no".into(),
            "ControlPath=none".into(),
            "ServerAliveInterval=15".into(),
            "ServerAliveCountMax=3".into(),
        ]
        .into_iter()
        .flat_map(|o| ["-o".to_owned(), o])
        .collect();
        args.extend(["-N".into(), "-T".into(), "-L".into()]);
        args.push(format!("{}:{}", self.local.display(), self.target.socket.display()));
        if let Some(port) = self.target.port {
            args.extend(["-p".into(), port.to_string()]);
        }
        args.push("--".into());
        args.push(match &self.target.user {
            Some(u) => format!("{u}@{}", self.target.host),
            None => self.target.host.clone(),
        });
        args
    }

    async fn start(&self) -> Result<Running> {
        let program = match &self.program {
            Some(p) => p.clone(),
            None => {
                find_on_path("ssh").ok_or_else(|| self.error("no `ssh` on PATH; install an OpenSSH client".into()))?
            }
        };
        std::fs::DirBuilder::new().mode(0o700).create(&self.dir).map_err(|e| {
            self.error(format!(
                "cannot create the tunnel's directory {}: {e}",
                self.dir.display()
            ))
        })?;
        let spawned = Command::new("/bin/sh")
            .arg("-c")
            .arg(GUARD)
            .arg("sh")
            .arg(&self.dir)
            .arg(&self.local)
            .arg(&program)
            .args(self.ssh_args())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(false)
            .spawn();
        let mut guard = match spawned {
            Ok(g) => g,
            Err(e) => {
                remove(&self.dir, &self.local);
                return Err(self.error(format!("cannot run {}: {e}", program.display())));
            }
        };
        let stderr = Arc::new(StdMutex::new(Tail::default()));
        if let Some(pipe) = guard.stderr.take() {
            tokio::spawn(tail::read(pipe, stderr.clone()));
        } else {
            lock(&stderr).done = true;
        }
        let running = Running {
            stdin: guard.stdin.take(),
            guard,
            stderr,
        };
        self.wait_up(running).await
    }

    /// Waits until the local socket accepts, ssh exits, or the bound passes.
    async fn wait_up(&self, mut r: Running) -> Result<Running> {
        let bound = self.connect_timeout + Duration::from_secs(2);
        let deadline = Instant::now() + bound;
        loop {
            if let Ok(Some(status)) = r.guard.try_wait() {
                let said = wait_said(&r.stderr).await;
                r.stop(&self.dir, &self.local).await;
                return Err(self.error(format!("ssh exited ({}){}", exit_text(status), colon(&said))));
            }
            if tokio::net::UnixStream::connect(&self.local).await.is_ok() {
                lock(&r.stderr).take_new();
                return Ok(r);
            }
            if Instant::now() >= deadline {
                let said = lock(&r.stderr).take_new();
                r.stop(&self.dir, &self.local).await;
                return Err(self.error(format!("no tunnel within {:.1} s{}", bound.as_secs_f64(), colon(&said))));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Running {
    /// Stops the tunnel and waits (bounded) for the guard to finish; then makes sure
    /// the socket and its directory are gone.
    async fn stop(mut self, dir: &Path, local: &Path) {
        drop(self.stdin.take());
        if tokio::time::timeout(STOP_GRACE, self.guard.wait()).await.is_err() {
            kill_group(&self.guard);
            let _ = tokio::time::timeout(STOP_GRACE, self.guard.wait()).await;
        }
        remove(dir, local);
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        let Some(mut r) = self.running.get_mut().take() else {
            return;
        };
        let (dir, local) = (self.dir.clone(), self.local.clone());
        if tokio::runtime::Handle::try_current().is_ok() {
            // The process waits for this at exit (cleanup::drain).
            crate::supervisor::cleanup::spawn(async move { r.stop(&dir, &local).await });
        } else {
            drop(r.stdin.take());
            kill_group(&r.guard);
            remove(&dir, &local);
        }
    }
}

fn kill_group(guard: &Child) {
    if let Some(pid) = guard.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
}

fn remove(dir: &Path, local: &Path) {
    let _ = std::fs::remove_file(local);
    let _ = std::fs::remove_dir(dir);
}

fn lock(t: &StdMutex<Tail>) -> std::sync::MutexGuard<'_, Tail> {
    t.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What ssh said, once its stderr has closed (at most 1 s after it exited).
async fn wait_said(t: &StdMutex<Tail>) -> String {
    let deadline = Instant::now() + Duration::from_secs(1);
    while !lock(t).done && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    lock(t).take_new()
}

fn colon(said: &str) -> String {
    if said.is_empty() {
        String::new()
    } else {
        format!(": {said}")
    }
}

fn exit_text(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("status {code}"),
        (None, Some(sig)) => format!("signal {sig}"),
        _ => status.to_string(),
    }
}

/// The first executable file named `name` in PATH's directories.
fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .filter(|d| d.is_absolute())
        .map(|d| d.join(name))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

#[cfg(test)]
mod tests;
