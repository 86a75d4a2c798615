//! The paths another process's unix sockets are bound to, as the kernel names them:
//! each of its sockets duplicated into this process (`pidfd_getfd`, Linux 5.6) and
//! asked its own name (`getsockname`). /proc/net/unix cannot be trusted for this: it
//! prints a socket's path as it is, and a path may hold a newline, so any local user
//! can bind a socket whose name is a whole line of its own, pairing any inode with
//! any path.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

/// The paths that the sockets among `fds` (descriptor numbers of `pid`) are bound
/// to; abstract and unnamed sockets have none. `None` when this process may not take
/// `pid`'s descriptors (that needs the right to ptrace it: root, or its own user
/// where Yama allows) or the kernel is older than 5.6. A descriptor closed meanwhile
/// is skipped. Each duplicate is closed before this returns.
pub fn bound_paths(pid: i32, fds: &[RawFd]) -> Option<Vec<PathBuf>> {
    // SAFETY: pidfd_open(2) takes a pid and flags, and returns a new descriptor or -1.
    let pidfd = owned(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) }).ok()?;
    let mut out = Vec::new();
    for &fd in fds {
        // SAFETY: pidfd_getfd(2) takes a pidfd, a descriptor number of that process
        // and flags, and returns a new descriptor (close-on-exec) or -1.
        let got = owned(unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0) });
        match got {
            Ok(dup) => out.extend(unix_path(&dup)),
            Err(e) if e.raw_os_error() == Some(libc::EBADF) => {}
            Err(_) => return None,
        }
    }
    Some(out)
}

/// A descriptor a system call just returned, owned (closed when dropped).
fn owned(ret: libc::c_long) -> std::io::Result<OwnedFd> {
    let fd = RawFd::try_from(ret).map_err(|_| std::io::Error::from_raw_os_error(libc::EBADF))?;
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a descriptor just created by the kernel for this process, owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The path a unix socket is bound to (`getsockname`); `None` for any other
/// descriptor, or an abstract or unnamed socket.
fn unix_path(fd: &OwnedFd) -> Option<PathBuf> {
    use nix::sys::socket::{UnixAddr, getsockname};
    let addr = getsockname::<UnixAddr>(fd.as_raw_fd()).ok()?;
    addr.path().map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This process's own listening socket is named by the kernel, whatever its path
    /// holds (here a newline and what looks like a /proc/net/unix line).
    #[test]
    fn names_a_socket_by_the_kernels_own_account() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let odd = dir.path().join("a\n0000: 00000002 0 0 0001 01 12345 x.sock");
        let plain = dir.path().join("s.sock");
        let a = std::os::unix::net::UnixListener::bind(&odd)?;
        let b = std::os::unix::net::UnixListener::bind(&plain)?;
        let me = std::process::id() as i32;
        let fds = [a.as_raw_fd(), b.as_raw_fd(), 0, 1_000_000];
        let paths = bound_paths(me, &fds).ok_or("pidfd_getfd refused for this very process")?;
        assert_eq!(paths, [odd, plain]);
        assert!(bound_paths(i32::MAX, &fds).is_none());
        Ok(())
    }
}
