//! Who listens on a TCP port: socket inodes from /proc/net, mapped to processes and
//! to the supervised process they belong to.

use super::procs::Snapshot;
use procfs::process::FDTarget;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
