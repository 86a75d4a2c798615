//! Insight that only works when the daemon runs on this host, read from /proc:
//! process trees, CPU and memory, who listens on a port, signals to a whole tree.
//! [`LocalHost::detect`] decides, and never guesses: a remote daemon gets
//! [`NOT_LOCAL`] instead of numbers about some other machine's pids.

use super::Client;
use super::error::{Error, Result};
use procfs::process::{FDTarget, Process};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// What local-only features say for a remote daemon.
pub const NOT_LOCAL: &str = "not available for a remote supervisord";

/// Proof that the daemon runs on this host (its pid, seen in our /proc).
#[derive(Debug, Clone, Copy)]
pub struct LocalHost {
    pub daemon_pid: i32,
}

impl LocalHost {
    /// Local when the server URL is a unix socket or loopback, and the daemon's pid
    /// (`getPID`) is a supervisord process in this host's /proc.
    pub async fn detect(client: &Client) -> Result<Option<LocalHost>> {
        if !client.transport().is_local() {
            return Ok(None);
        }
        let pid = i32::try_from(client.get_pid().await?).unwrap_or(0);
        let is_supervisord = Process::new(pid)
            .and_then(|p| p.cmdline())
            .is_ok_and(|args| args.iter().take(3).any(|a| a.contains("supervisord")));
        Ok(is_supervisord.then_some(LocalHost { daemon_pid: pid }))
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
    let m = metrics(&pids32, METRICS_INTERVAL).await;
    Ok(Some(m.into_iter().map(|(k, v)| (i64::from(k), v)).collect()))
}

/// CPU is measured over this interval.
pub const METRICS_INTERVAL: Duration = Duration::from_millis(200);

/// One process in a /proc snapshot.
#[derive(Debug, Clone)]
struct Proc {
    ppid: i32,
    ticks: u64,
    rss_pages: u64,
}

/// Every process on the host at one instant.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    procs: HashMap<i32, Proc>,
    children: HashMap<i32, Vec<i32>>,
    at: Option<Instant>,
}

impl Snapshot {
    /// Reads /proc. Processes that vanish while reading are skipped.
    pub fn take() -> Snapshot {
        let mut procs = HashMap::new();
        if let Ok(all) = procfs::process::all_processes() {
            for p in all.flatten() {
                if let Ok(st) = p.stat() {
                    procs.insert(
                        st.pid,
                        Proc {
                            ppid: st.ppid,
                            ticks: st.utime + st.stime,
                            rss_pages: st.rss,
                        },
                    );
                }
            }
        }
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        for (pid, p) in &procs {
            children.entry(p.ppid).or_default().push(*pid);
        }
        Snapshot {
            procs,
            children,
            at: Some(Instant::now()),
        }
    }

    /// `pid` and all its descendants.
    pub fn tree(&self, pid: i32) -> Vec<i32> {
        let mut out = vec![pid];
        let mut i = 0;
        while i < out.len() {
            if let Some(kids) = self.children.get(&out[i]) {
                out.extend(kids);
            }
            i += 1;
        }
        out.retain(|p| self.procs.contains_key(p));
        out
    }

    /// The nearest of `candidates` among `pid` and its ancestors.
    pub fn ancestor_in(&self, pid: i32, candidates: &HashSet<i32>) -> Option<i32> {
        let mut cur = pid;
        for _ in 0..64 {
            if candidates.contains(&cur) {
                return Some(cur);
            }
            cur = self.procs.get(&cur)?.ppid;
            if cur <= 1 {
                return None;
            }
        }
        None
    }
}

/// CPU and memory of a process tree.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Metrics {
    /// CPU over the sampling interval, in % of one core, for the whole tree.
    pub cpu_percent: f64,
    /// Resident memory of the whole tree, bytes.
    pub rss_bytes: u64,
    /// Descendants of the process (its children, their children...).
    pub children: usize,
}

/// Samples the trees of `pids` twice, `interval` apart.
pub async fn metrics(pids: &[i32], interval: Duration) -> HashMap<i32, Metrics> {
    let first = Snapshot::take();
    tokio::time::sleep(interval).await;
    let second = Snapshot::take();
    let secs = match (first.at, second.at) {
        (Some(a), Some(b)) => b.duration_since(a).as_secs_f64().max(0.001),
        _ => interval.as_secs_f64(),
    };
    let hz = procfs::ticks_per_second() as f64;
    let page = procfs::page_size();
    pids.iter()
        .filter(|p| **p > 0 && second.procs.contains_key(p))
        .map(|&pid| {
            let tree = second.tree(pid);
            let ticks_now: u64 = tree.iter().filter_map(|p| second.procs.get(p)).map(|p| p.ticks).sum();
            let ticks_before: u64 = tree.iter().filter_map(|p| first.procs.get(p)).map(|p| p.ticks).sum();
            let rss: u64 = tree
                .iter()
                .filter_map(|p| second.procs.get(p))
                .map(|p| p.rss_pages * page)
                .sum();
            let cpu = ticks_now.saturating_sub(ticks_before) as f64 / hz / secs * 100.0;
            let m = Metrics {
                cpu_percent: (cpu * 10.0).round() / 10.0,
                rss_bytes: rss,
                children: tree.len() - 1,
            };
            (pid, m)
        })
        .collect()
}

/// A process listening on a TCP port.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Listener {
    pub port: u16,
    pub pid: i32,
    /// Its command line.
    pub command: String,
    /// The supervised process it belongs to (itself or an ancestor), as a namespec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supervised: Option<String>,
}

/// Who listens on `ports` (TCP, IPv4 and IPv6). `supervised` maps supervised pids to
/// namespecs, to say which program a listener belongs to.
pub fn listeners(ports: &[u16], supervised: &HashMap<i32, String>) -> Vec<Listener> {
    let wanted: HashSet<u16> = ports.iter().copied().collect();
    let mut inodes: HashMap<u64, u16> = HashMap::new();
    for table in [procfs::net::tcp(), procfs::net::tcp6()].into_iter().flatten() {
        for e in table {
            if e.state == procfs::net::TcpState::Listen && wanted.contains(&e.local_address.port()) {
                inodes.insert(e.inode, e.local_address.port());
            }
        }
    }
    if inodes.is_empty() {
        return Vec::new();
    }
    let snap = Snapshot::take();
    let candidates: HashSet<i32> = supervised.keys().copied().collect();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for p in procfs::process::all_processes().into_iter().flatten().flatten() {
        let Ok(fds) = p.fd() else { continue };
        for fd in fds.flatten() {
            if let FDTarget::Socket(inode) = fd.target
                && let Some(&port) = inodes.get(&inode)
                && seen.insert((port, p.pid))
            {
                out.push(Listener {
                    port,
                    pid: p.pid,
                    command: p.cmdline().map(|a| a.join(" ")).unwrap_or_default(),
                    supervised: snap
                        .ancestor_in(p.pid, &candidates)
                        .and_then(|a| supervised.get(&a).cloned()),
                });
            }
        }
    }
    out.sort_by_key(|l| (l.port, l.pid));
    out
}

/// Sends `signal` (a name such as `HUP`/`SIGHUP`, or a number) to `pid` and every
/// descendant, children first. Returns the pids signalled.
/// Errors: an unknown signal name.
pub fn signal_tree(pid: i32, signal: &str) -> Result<Vec<i32>> {
    use nix::sys::signal::{Signal, kill};
    let upper = signal.to_ascii_uppercase();
    let sig = match upper.parse::<i32>() {
        Ok(n) => Signal::try_from(n),
        Err(_) => {
            let name = if upper.starts_with("SIG") {
                upper.clone()
            } else {
                format!("SIG{upper}")
            };
            name.parse::<Signal>()
        }
    }
    .map_err(|_| {
        Error::Invalid(format!(
            "unknown signal {signal:?}: use a name such as HUP, TERM, USR1, or a number"
        ))
    })?;
    let mut tree = Snapshot::take().tree(pid);
    tree.reverse();
    let mut sent = Vec::new();
    for p in tree {
        if kill(nix::unistd::Pid::from_raw(p), sig).is_ok() {
            sent.push(p);
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_this_process_and_its_tree() {
        let me = std::process::id() as i32;
        let snap = Snapshot::take();
        assert!(snap.tree(me).contains(&me));
        let parent = snap.procs.get(&me).map(|p| p.ppid).unwrap_or(0);
        assert_eq!(snap.ancestor_in(me, &HashSet::from([parent])), Some(parent));
    }

    #[test]
    fn finds_the_listener_of_a_port() -> std::io::Result<()> {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = l.local_addr()?.port();
        let me = std::process::id() as i32;
        let found = listeners(&[port], &HashMap::from([(me, "tests".to_owned())]));
        assert!(
            found
                .iter()
                .any(|f| f.pid == me && f.port == port && f.supervised.as_deref() == Some("tests")),
            "{found:?}"
        );
        Ok(())
    }

    #[test]
    fn unknown_signals_are_refused() {
        assert!(signal_tree(1, "NOPE").is_err());
    }
}
