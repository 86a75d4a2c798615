//! What only works when the daemon runs on this host, read from /proc and the local
//! disk: process trees, CPU and memory, who listens on a port, signals to a whole
//! tree, log files, the daemon's configuration and include directory. [`LocalHost::detect`]
//! decides, and never guesses: a remote daemon gets [`NOT_LOCAL`] instead of numbers
//! about some other machine's pids.

pub mod daemonconf;
pub mod include;
pub mod logfile;
pub mod owner;
mod ports;
mod procs;
mod signal;
mod sockname;

pub use ports::{Listener, listeners};
pub use procs::{METRICS_INTERVAL, Metrics, Snapshot, metrics};
pub use signal::signal_tree;

use super::Client;
use super::error::{Error, Result};
use std::collections::HashMap;

/// What local-only features say for a remote daemon.
pub const NOT_LOCAL: &str = "not available for a remote supervisord";

/// Proof that the daemon runs on this host (its pid, seen in our /proc).
#[derive(Debug, Clone, Copy)]
pub struct LocalHost {
    pub daemon_pid: i32,
}

impl LocalHost {
    /// Local when the server URL is a unix socket or loopback (and host access is not
    /// turned off: `--no-host-access`), and the daemon's pid (`getPID`) is a
    /// supervisord process in this host's /proc.
    pub async fn detect(client: &Client) -> Result<Option<LocalHost>> {
        if !client.transport().is_local() {
            return Ok(None);
        }
        Ok(Self::from_pid(client.get_pid().await?))
    }

    /// The daemon on this host whose `getPID` is `pid`: `None` unless that pid is a
    /// supervisord process in our /proc. Only for a client whose transport
    /// [`is_local`](crate::supervisor::transport::Transport::is_local).
    pub fn from_pid(pid: i64) -> Option<LocalHost> {
        let pid = i32::try_from(pid).ok().filter(|p| *p > 0)?;
        // The first three arguments (interpreter, script, ...), NUL-separated.
        let is_supervisord = std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|args| {
            args.split(|b| *b == 0)
                .take(3)
                .any(|a| a.windows(11).any(|w| w == b"supervisord"))
        });
        is_supervisord.then_some(LocalHost { daemon_pid: pid })
    }

    /// Like [`LocalHost::detect`], as an error for a remote daemon.
    pub async fn require(client: &Client) -> Result<LocalHost> {
        Self::detect(client)
            .await?
            .ok_or_else(|| Error::Invalid(format!("{NOT_LOCAL} ({})", client.display_url())))
    }
}

/// Who listens on a port: every listener, and the supervised programs among them.
#[derive(Debug, Clone, Default)]
pub struct PortOwners {
    pub listeners: Vec<Listener>,
    /// Namespecs of the supervised processes that own a listener.
    pub supervised: Vec<String>,
}

/// Who listens on `port`, each with the supervised process it belongs to.
/// `None` for a remote daemon. `all` is every process's info (for the pid map).
pub async fn port_listeners(client: &Client, all: &[super::ProcessInfo], port: u16) -> Result<Option<PortOwners>> {
    if LocalHost::detect(client).await?.is_none() {
        return Ok(None);
    }
    let supervised = all
        .iter()
        .filter(|p| p.pid > 0)
        .map(|p| (i32::try_from(p.pid).unwrap_or(0), p.namespec()))
        .collect();
    let listeners = listeners(&[port], &supervised);
    let mut names: Vec<String> = Vec::new();
    for l in &listeners {
        if let Some(n) = &l.supervised
            && !names.contains(n)
        {
            names.push(n.clone());
        }
    }
    Ok(Some(PortOwners {
        listeners,
        supervised: names,
    }))
}

/// CPU (sampled over [`METRICS_INTERVAL`]), memory and children of each pid's tree.
/// `None` for a remote daemon.
pub async fn process_metrics(client: &Client, pids: &[i64]) -> Result<Option<HashMap<i64, Metrics>>> {
    if LocalHost::detect(client).await?.is_none() {
        return Ok(None);
    }
    let pids32: Vec<i32> = pids.iter().filter_map(|p| i32::try_from(*p).ok()).collect();
    let m = metrics(&pids32, Some(METRICS_INTERVAL)).await;
    Ok(Some(m.into_iter().map(|(k, v)| (i64::from(k), v)).collect()))
}
