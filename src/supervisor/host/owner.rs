//! Whether a process on this host is the one that answers on an endpoint: it holds
//! the listening socket (the unix socket's path, or the loopback TCP port). A daemon
//! could name any pid in `getPID`; files are read on its behalf only when that pid
//! is provably the daemon this client talks to.

use crate::supervisor::transport::Endpoint;
use std::collections::HashSet;
use std::path::Path;

/// Socket inodes among `pid`'s open files (empty when they cannot be read).
fn socket_inodes(pid: i32) -> HashSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return HashSet::new();
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            let t = target.to_string_lossy().into_owned();
            t.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        })
        .collect()
}

/// True when `pid` holds the socket listening at `endpoint`. False when that cannot
/// be seen (another user's process, unless this one is root).
pub fn serves(pid: i32, endpoint: &Endpoint) -> bool {
    let held = socket_inodes(pid);
    if held.is_empty() {
        return false;
    }
    match endpoint {
        Endpoint::Unix(path) => {
            let canonical = std::fs::canonicalize(path).ok();
            // supervisord binds `PATH.PID`, then hard-links it to PATH; the pid is
            // the one before it daemonized (a daemonized supervisord has another).
            let same = |bound: &Path| {
                let s = bound.to_string_lossy();
                [bound, Path::new(without_pid_suffix(&s))]
                    .iter()
                    .any(|name| name == path || canonical.is_some() && std::fs::canonicalize(name).ok() == canonical)
            };
            unix_bound(&held, same)
        }
        Endpoint::Http(url) => url
            .port_or_known_default()
            .is_some_and(|port| listening(port).iter().any(|i| held.contains(i))),
        // A daemon behind a TLS proxy or at the far end of an ssh tunnel is remote.
        Endpoint::Https(_) | Endpoint::Ssh { .. } => false,
    }
}

/// Whether one of the sockets `held` is bound at a path `same` accepts: the lines of
/// /proc/net/unix (`Num RefCount Protocol Flags Type St Inode Path`) read one at a
/// time as bytes, the path looked at only for a held inode.
fn unix_bound(held: &HashSet<u64>, same: impl Fn(&Path) -> bool) -> bool {
    use std::io::BufRead;
    use std::os::unix::ffi::OsStrExt;
    let Ok(f) = std::fs::File::open("/proc/net/unix") else {
        return false;
    };
    let mut lines = std::io::BufReader::new(f).split(b'\n').skip(1).map_while(Result::ok);
    lines.any(|line| {
        let mut cols = line.split(|b| *b == b' ').filter(|c| !c.is_empty());
        let inode = cols
            .nth(6)
            .and_then(|i| std::str::from_utf8(i).ok()?.parse::<u64>().ok());
        inode.is_some_and(|i| held.contains(&i))
            && cols
                .next()
                .is_some_and(|p| same(Path::new(std::ffi::OsStr::from_bytes(p))))
    })
}

/// `PATH` of a socket bound as `PATH.PID` (any pid), else the name as it is.
fn without_pid_suffix(bound: &str) -> &str {
    match bound.rsplit_once('.') {
        Some((name, pid)) if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => bound,
    }
}

/// Inodes of the TCP sockets listening on `port` (IPv4 and IPv6). The kernel lists
/// listening sockets first: reading stops at the first other one, so thousands of
/// connections (TIME_WAIT after many short calls) are never walked.
fn listening(port: u16) -> Vec<u64> {
    use std::io::BufRead;
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(f) = std::fs::File::open(table) else { continue };
        for line in std::io::BufReader::new(f).lines().skip(1).map_while(|l| l.ok()) {
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.get(3) != Some(&"0A") {
                break;
            }
            let local_port = cols
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port)
                && let Some(inode) = cols.get(9).and_then(|i| i.parse().ok())
            {
                out.push(inode);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_serves_its_own_listeners_only() -> Result<(), Box<dyn std::error::Error>> {
        let me = std::process::id() as i32;
        let tcp = std::net::TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://127.0.0.1:{}", tcp.local_addr()?.port());
        assert!(serves(me, &Endpoint::parse(&url)?.endpoint));
        let dir = tempfile::tempdir()?;
        let sock = dir.path().join("s.sock");
        let _unix = std::os::unix::net::UnixListener::bind(&sock)?;
        assert!(serves(
            me,
            &Endpoint::parse(&format!("unix://{}", sock.display()))?.endpoint
        ));
        let other = dir.path().join("other.sock");
        assert!(!serves(
            me,
            &Endpoint::parse(&format!("unix://{}", other.display()))?.endpoint
        ));
        drop(tcp);
        assert!(!serves(me, &Endpoint::parse(&url)?.endpoint));
        Ok(())
    }

    /// A daemonized supervisord binds `PATH.PID` with the pid it had before it
    /// forked, then links PATH: it still serves PATH.
    #[test]
    fn a_socket_bound_under_the_pid_before_daemonizing_is_served() -> Result<(), Box<dyn std::error::Error>> {
        let me = std::process::id() as i32;
        let dir = tempfile::tempdir()?;
        let sock = dir.path().join("s.sock");
        let bound = dir.path().join(format!("s.sock.{}", me + 1));
        let _unix = std::os::unix::net::UnixListener::bind(&bound)?;
        std::fs::hard_link(&bound, &sock)?;
        let endpoint = Endpoint::parse(&format!("unix://{}", sock.display()))?.endpoint;
        assert!(serves(me, &endpoint));
        assert_eq!(without_pid_suffix("/run/s.sock.12"), "/run/s.sock");
        assert_eq!(without_pid_suffix("/run/s.sock"), "/run/s.sock");
        assert_eq!(without_pid_suffix("/run/s.sock."), "/run/s.sock.");
        Ok(())
    }
}
