//! The ownership rule, in one place: a file or directory we take settings or
//! secrets from belongs to you (the effective uid) or root and cannot be written by
//! group or others; the directories we keep our own files in are private.

use super::FileError;
use std::fs::{DirBuilder, File, Metadata};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

fn me() -> u32 {
    nix::unistd::geteuid().as_raw()
}

/// The rule on one file or directory (`what`: "it", "its directory D"), with the
/// command that fixes it.
fn rule(what: &str, path: &Path, uid: u32, gid: u32, mode: u32) -> Result<(), String> {
    let me = me();
    if uid != me && uid != 0 {
        return Err(format!(
            "{what} belongs to uid {uid}, not to you (uid {me}) or root: use one of your own, \
             or run `chown {me} {}` if you trust it",
            path.display()
        ));
    }
    let writable = if super::upg::private_group_of(uid, gid) {
        mode & 0o002
    } else {
        mode & 0o022
    };
    if writable != 0 {
        let or_move = if what == "it" {
            ""
        } else {
            ", or move the file to a directory of yours"
        };
        return Err(format!(
            "{what} can be written by group or others (mode {:o}): run `chmod go-w {}`{or_move}",
            mode & 0o7777,
            path.display()
        ));
    }
    Ok(())
}

/// The directory holding `path` ("." for a bare name).
fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// [`super::Rule::Yours`] on an opened file (`meta` from its descriptor): the file,
/// the directory it really is in (from the descriptor, so a symlink on the way
/// changes nothing), and the directory of the name given when that is a symlink.
pub(super) fn yours(path: &Path, file: &File, meta: &Metadata) -> Result<(), String> {
    rule("it", path, meta.uid(), meta.gid(), meta.mode())?;
    let real = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .or_else(|_| std::fs::canonicalize(path))
        .map_err(|e| format!("cannot tell which directory it is in: {e}"))?;
    let mut dirs = vec![parent(&real)];
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        dirs.push(parent(path));
    }
    for dir in dirs {
        let m = std::fs::metadata(&dir).map_err(|e| format!("its directory {}: {e}", dir.display()))?;
        rule(
            &format!("its directory {}", dir.display()),
            &dir,
            m.uid(),
            m.gid(),
            m.mode(),
        )?;
    }
    Ok(())
}

/// [`super::Rule::Ours`]: the file belongs to us.
pub(super) fn ours(meta: &Metadata) -> Result<(), String> {
    let me = me();
    if meta.uid() != me {
        return Err(format!("it belongs to uid {}, not to you (uid {me})", meta.uid()));
    }
    Ok(())
}

/// Makes `base/rel` a directory only we can use and returns it. `base` (e.g.
/// `$XDG_CACHE_HOME`) is created 0700 with its missing parents when missing, then
/// must pass the ownership rule (it may be a symlink); each directory of `rel` below
/// it is created 0700 when missing, must be a directory (not a symlink) and pass the
/// rule, and the last one must be ours and private (no access for group or others).
/// Errors (`what`: "cache directory", "token directory"): a directory that cannot
/// be created or breaks the rule, with the command that fixes it.
pub fn private_dir(what: &'static str, base: &Path, rel: &Path) -> Result<PathBuf, FileError> {
    let fail = |path: &Path, detail: String| FileError {
        what,
        path: path.to_owned(),
        detail,
    };
    if std::fs::symlink_metadata(base).is_err() {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(base)
            .map_err(|e| fail(base, format!("cannot create it: {e}")))?;
    }
    let m = std::fs::metadata(base).map_err(|e| fail(base, e.to_string()))?;
    if !m.is_dir() {
        return Err(fail(base, "it is not a directory".into()));
    }
    rule("it", base, m.uid(), m.gid(), m.mode()).map_err(|d| fail(base, d))?;
    let parts: Vec<_> = rel.components().collect();
    let mut dir = base.to_owned();
    for (i, part) in parts.iter().enumerate() {
        dir.push(part);
        match DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(fail(&dir, format!("cannot create it: {e}"))),
        }
        let m = std::fs::symlink_metadata(&dir).map_err(|e| fail(&dir, e.to_string()))?;
        if !m.is_dir() {
            return Err(fail(&dir, "it is not a directory (a symlink is refused)".into()));
        }
        let last = i + 1 == parts.len();
        let checked = if last {
            private(&dir, &m)
        } else {
            rule("it", &dir, m.uid(), m.gid(), m.mode())
        };
        checked.map_err(|d| fail(&dir, d))?;
    }
    Ok(dir)
}

/// The last directory of [`private_dir`]: ours, 0700 or stricter.
fn private(dir: &Path, m: &Metadata) -> Result<(), String> {
    ours(m)?;
    if m.mode() & 0o077 != 0 {
        return Err(format!(
            "it is open to group or others (mode {:o}); run `chmod 700 {}`",
            m.mode() & 0o7777,
            dir.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chmod(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn private_dirs_are_made_0700_and_open_parents_refused() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let base = tmp.path().join("new/cache");
        let dir = private_dir("cache directory", &base, Path::new("app/config"))?;
        for d in [tmp.path().join("new"), base.clone(), base.join("app"), dir.clone()] {
            assert_eq!(std::fs::metadata(&d)?.mode() & 0o777, 0o700, "{}", d.display());
        }
        chmod(&base.join("app"), 0o777);
        let e = private_dir("cache directory", &base, Path::new("app/config")).unwrap_err();
        assert!(
            e.to_string().contains("chmod go-w") && e.path == base.join("app"),
            "{e}"
        );
        chmod(&base.join("app"), 0o755);
        chmod(&dir, 0o750);
        let e = private_dir("cache directory", &base, Path::new("app/config")).unwrap_err();
        assert!(e.to_string().contains("chmod 700"), "{e}");
        chmod(&base, 0o777);
        assert!(private_dir("cache directory", &base, Path::new("app/config")).is_err());
        Ok(())
    }

    #[test]
    fn files_and_directories_others_can_write_break_the_rule() {
        let root_dir = Path::new("/etc");
        assert!(rule("it", root_dir, 0, 0, 0o40755).is_ok());
        let e = rule("it", Path::new("/x"), 0, 4_000_000, 0o100664).unwrap_err();
        assert!(e.contains("chmod go-w /x") && e.contains("664"), "{e}");
        // Writable by the owner's private group (root's group: root alone) is not
        // writable by anyone else; writable by others still is.
        assert!(rule("it", Path::new("/x"), 0, 0, 0o100664).is_ok());
        assert!(rule("it", Path::new("/x"), 0, 0, 0o100666).is_err());
        if me() != 4242 {
            let e = rule("it", Path::new("/x"), 4242, 0, 0o100644).unwrap_err();
            assert!(e.contains("belongs to uid 4242") && e.contains("chown"), "{e}");
        }
    }
}
