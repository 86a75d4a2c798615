//! Whether a process on this host is the one that answers on an endpoint: it holds
//! the listening socket (the unix socket's path, or the loopback TCP port). A daemon
//! could name any pid in `getPID`; files are read on its behalf only when that pid
//! is provably the daemon this client talks to.

use super::sockname;
use crate::supervisor::transport::Endpoint;
use std::os::fd::RawFd;
use std::path::Path;

/// The sockets among `pid`'s open files: (descriptor number, inode); empty when
/// they cannot be read (another user's process, unless this one is root).
fn socket_fds(pid: i32) -> Vec<(RawFd, u64)> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    fds.flatten()
        .filter_map(|fd| {
            let n = fd.file_name().to_str()?.parse::<RawFd>().ok()?;
            let target = std::fs::read_link(fd.path()).ok()?;
            let t = target.to_string_lossy();
            Some((n, t.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()?))
        })
        .collect()
}

/// True when `pid` holds the socket listening at `endpoint`. False when that cannot
/// be proven: another user's process (unless this one is root), or, for a unix
/// socket, one whose sockets this process may not take ([`sockname::bound_paths`]).
pub fn serves(pid: i32, endpoint: &Endpoint) -> bool {
    let held = socket_fds(pid);
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
            let fds: Vec<RawFd> = held.iter().map(|(fd, _)| *fd).collect();
            sockname::bound_paths(pid, &fds).is_some_and(|paths| paths.iter().any(|p| same(p)))
        }
        Endpoint::Http(url) => url.port_or_known_default().is_some_and(|port| listens(port, &held)),
        // A daemon behind a TLS proxy or at the far end of an ssh tunnel is remote.
        Endpoint::Https(_) | Endpoint::Ssh { .. } => false,
    }
}

/// `PATH` of a socket bound as `PATH.PID` (any pid), else the name as it is.
fn without_pid_suffix(bound: &str) -> &str {
    match bound.rsplit_once('.') {
        Some((name, pid)) if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => bound,
    }
}

/// Whether one of the TCP sockets listening on `port` (IPv4, then IPv6) is one of
/// `held`. The kernel lists listening sockets first: reading stops at the first other
/// one, or at the first held one. /proc/net/tcp is read a line (150 bytes) at a time:
/// the kernel makes as many lines as a read asks for, and making the line after the
/// last listening socket walks its whole table of connections (sized by the host's
/// memory: 1.5 to 4 ms a file on this 24 GiB machine, for one 8 KiB read).
fn listens(port: u16, held: &[(RawFd, u64)]) -> bool {
    use std::io::BufRead;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(f) = std::fs::File::open(table) else { continue };
        let lines = std::io::BufReader::with_capacity(150, f).lines();
        for line in lines.skip(1).map_while(|l| l.ok()) {
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.get(3) != Some(&"0A") {
                break;
            }
            let local_port = cols
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            let inode = cols.get(9).and_then(|i| i.parse::<u64>().ok());
            if local_port == Some(port) && inode.is_some_and(|i| held.iter().any(|(_, h)| *h == i)) {
                return true;
            }
        }
    }
    false
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

    /// A socket whose path holds a newline prints a line of its own in
    /// /proc/net/unix: here one pairing this process's TCP listener with another
    /// path. That path is not served for it: names come from the kernel.
    #[test]
    fn a_line_forged_in_proc_net_unix_proves_nothing() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::fd::AsRawFd;
        let me = std::process::id() as i32;
        let tcp = std::net::TcpListener::bind("127.0.0.1:0")?;
        let link = std::fs::read_link(format!("/proc/self/fd/{}", tcp.as_raw_fd()))?;
        let inode = link
            .to_string_lossy()
            .trim_start_matches("socket:[")
            .trim_end_matches(']')
            .to_owned();
        let dir = tempfile::tempdir()?;
        // The path's own slashes are directories: `DIR/x\n... INODE ` + `/tmp/forged.sock`.
        let line = format!("x\n0000000000000000: 00000002 00000000 00010000 0001 01 {inode} ");
        let sub = dir.path().join(line).join("tmp");
        std::fs::create_dir_all(&sub)?;
        let _odd = std::os::unix::net::UnixListener::bind(sub.join("forged.sock"))?;
        let table = std::fs::read_to_string("/proc/net/unix")?;
        assert!(
            table.contains(&format!(" {inode} /tmp/forged.sock")),
            "the forged line is there"
        );
        assert!(!serves(me, &Endpoint::parse("unix:///tmp/forged.sock")?.endpoint));
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
