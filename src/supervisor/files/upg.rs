//! User private groups (Debian's and Ubuntu's default: each user has a group of their
//! own, and a umask of 002 makes files and directories group-writable). Writable by
//! such a group is writable by its owner only, so the ownership rule accepts it, as
//! Debian's OpenSSH does for `~/.ssh` (its `user-group-modes` patch): the group must
//! have exactly one member, the owner, as a listed member or as primary group.

use nix::unistd::{Gid, Group, Uid, User};
use std::sync::Mutex;

/// Most password entries looked at (a huge directory service is not enumerated).
const MAX_USERS: usize = 100_000;

/// True when group `gid` has exactly one member and it is user `uid`.
pub(super) fn private_group_of(uid: u32, gid: u32) -> bool {
    let (Ok(Some(group)), Ok(Some(owner))) = (Group::from_gid(Gid::from_raw(gid)), User::from_uid(Uid::from_raw(uid)))
    else {
        return false;
    };
    if group.mem.iter().any(|m| *m != owner.name) {
        return false;
    }
    let Some(primary) = primary_members(gid) else {
        return false;
    };
    if primary.iter().any(|&u| u != uid) {
        return false;
    }
    !primary.is_empty() || !group.mem.is_empty()
}

/// The uids whose primary group is `gid` (`getpwent`; `None` past [`MAX_USERS`]).
fn primary_members(gid: u32) -> Option<Vec<u32>> {
    static ENUMERATION: Mutex<()> = Mutex::new(());
    let _one_at_a_time = ENUMERATION.lock().unwrap_or_else(|p| p.into_inner());
    let mut out = Vec::new();
    let mut seen = 0;
    // SAFETY: getpwent's static buffer is read before the next call, and the lock
    // keeps every enumeration of ours to one thread at a time.
    unsafe {
        nix::libc::setpwent();
        loop {
            let p = nix::libc::getpwent();
            if p.is_null() || seen >= MAX_USERS {
                break;
            }
            seen += 1;
            if (*p).pw_gid == gid {
                out.push((*p).pw_uid);
            }
        }
        nix::libc::endpwent();
    }
    (seen < MAX_USERS).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_s_group_is_root_s_alone_and_a_shared_group_is_not() {
        // Debian's root group has no listed members and root as its only primary member.
        assert!(private_group_of(0, 0));
        // A group no user has: never private.
        assert!(!private_group_of(0, 4_000_000));
        // Group `nogroup` (65534) is the primary group of `nobody` only, not of root.
        assert!(!private_group_of(0, 65534));
    }
}
