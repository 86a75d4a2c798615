//! Every file we read, read one way: the files the user names (the `-c`
//! configuration, the targets file, password, CA, client certificate and key, and
//! token files), the daemon's own supervisord.conf, and our own cache and token
//! files. One reader ([`read`]): opened without blocking (a FIFO or a device is
//! refused at once, never waited on or read dry), checked on the opened file (no
//! swap between check and read), bounded in size; one ownership rule
//! ([`trust`]), and one way to make the private directories we keep files in
//! ([`private_dir`]). Blocking calls: callers in async code run them on
//! `tokio::task::spawn_blocking`.

mod trust;
mod upg;

pub use trust::private_dir;

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// What a file is: the name its errors use, its size cap and what it should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `-c FILE` or the first file of supervisorctl's search path.
    Configuration,
    /// The daemon's own supervisord.conf, read for facts about it (include
    /// directory, main log).
    DaemonConfiguration,
    /// The targets file (TOML).
    Targets,
    /// A target's `password_file`.
    Password,
    /// A CA file (PEM).
    CaFile,
    /// A client certificate file (PEM).
    ClientCert,
    /// A client key file (PEM).
    ClientKey,
    /// `--token-file`, or the generated token kept between starts.
    Token,
    /// `serve --tokens-file`: named tokens with their scopes (TOML).
    Tokens,
    /// A file of diagnose's configuration cache.
    Cache,
}

impl FileKind {
    /// The name in messages: "targets file", "password file", ...
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Configuration => "configuration file",
            FileKind::DaemonConfiguration => "supervisord's configuration file",
            FileKind::Targets => "targets file",
            FileKind::Password => "password file",
            FileKind::CaFile => "CA file",
            FileKind::ClientCert => "client certificate file",
            FileKind::ClientKey => "client key file",
            FileKind::Token => "token file",
            FileKind::Tokens => "tokens file",
            FileKind::Cache => "cache file",
        }
    }

    /// Largest file read (bytes).
    pub const fn max_bytes(self) -> u64 {
        match self {
            FileKind::Password | FileKind::Token | FileKind::Tokens => 64 * 1024,
            FileKind::Cache => 32 * 1024 * 1024,
            _ => 1024 * 1024,
        }
    }

    /// What the file should be, said when it is not a regular file.
    fn should_be(self) -> &'static str {
        match self {
            FileKind::Configuration | FileKind::DaemonConfiguration => "name a supervisord.conf",
            FileKind::Targets => "name a TOML targets file",
            FileKind::Password => "name a file holding the password",
            FileKind::CaFile | FileKind::ClientCert | FileKind::ClientKey => "name a PEM file",
            FileKind::Token => "name a file holding the token",
            FileKind::Tokens => "name a TOML file of [tokens.NAME] tables",
            FileKind::Cache => "it is ignored",
        }
    }
}

/// Which ownership rule a read applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A file the user named: symlinks are followed; the file, the directory it is
    /// in (and the directory of the name given, when that is a symlink) must belong
    /// to you (effective uid) or root and not be writable by group or others.
    Yours,
    /// A file we wrote ourselves in a private directory: a symlink is not followed
    /// (refused), and the file must belong to you.
    Ours,
    /// No rule at read time: the caller applies [`Contents::check_owner`] when what
    /// it takes from the file matters (the `-c` configuration), or none (the
    /// daemon's own supervisord.conf).
    Unchecked,
}

/// Why a file (or a directory we keep files in) cannot be used: what it is, where,
/// and what to do. Never quotes the file's contents.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{what} {}: {detail}", path.display())]
pub struct FileError {
    /// "targets file", "password file", "cache directory", ...
    pub what: &'static str,
    pub path: PathBuf,
    pub detail: String,
}

/// A file read by [`read`]: its bytes, and what its ownership rule says.
#[derive(Debug)]
pub struct Contents {
    pub bytes: Vec<u8>,
    kind: FileKind,
    path: PathBuf,
    /// Permission bits of the opened file.
    mode: u32,
    /// The ownership rule on the opened file and its directories.
    owner: Result<(), String>,
}

impl Contents {
    /// The permission bits of the file read (e.g. 0o600).
    pub fn mode(&self) -> u32 {
        self.mode & 0o7777
    }

    /// The ownership rule ([`Rule::Yours`]) on the file read, for a caller that read
    /// it [`Rule::Unchecked`]. Errors: the file or its directory belongs to another
    /// user, or group or others can write it.
    pub fn check_owner(&self) -> Result<(), FileError> {
        self.owner.clone().map_err(|detail| self.error(detail))
    }

    /// The bytes as UTF-8 text. Errors: not UTF-8 (the offset only, no content).
    pub fn into_text(self) -> Result<String, FileError> {
        let (kind, path) = (self.kind, self.path);
        String::from_utf8(self.bytes).map_err(|e| FileError {
            what: kind.name(),
            path,
            detail: format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        })
    }

    fn error(&self, detail: String) -> FileError {
        FileError {
            what: self.kind.name(),
            path: self.path.clone(),
            detail,
        }
    }
}

/// Reads the file at `path` of `kind` under `rule`: opened `O_NONBLOCK` (and
/// `O_NOFOLLOW` for [`Rule::Ours`]), then checked on the opened file: a regular file
/// of at most [`FileKind::max_bytes`], the ownership rule. Blocking (a slow disk);
/// never waits on a FIFO or a device. Errors ([`FileError`], naming the kind and
/// the path): cannot open; not a regular file (which kind it is); too large; the
/// ownership rule.
pub fn read(path: &Path, kind: FileKind, rule: Rule) -> Result<Contents, FileError> {
    let fail = |detail: String| FileError {
        what: kind.name(),
        path: path.to_owned(),
        detail,
    };
    let mut flags = nix::libc::O_NONBLOCK;
    if rule == Rule::Ours {
        flags |= nix::libc::O_NOFOLLOW;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| fail(format!("cannot open it: {e}")))?;
    let meta = file.metadata().map_err(|e| fail(format!("cannot stat it: {e}")))?;
    if !meta.is_file() {
        return Err(fail(format!(
            "not a regular file ({}); {}",
            file_type(&meta),
            kind.should_be()
        )));
    }
    let max = kind.max_bytes();
    if meta.len() > max {
        return Err(fail(format!(
            "larger than {} ({} bytes); is this the right file?",
            size(max),
            meta.len()
        )));
    }
    let owner = match rule {
        Rule::Ours => trust::ours(&meta),
        Rule::Yours | Rule::Unchecked => trust::yours(path, &file, &meta),
    };
    if rule != Rule::Unchecked {
        owner.clone().map_err(&fail)?;
    }
    let mut bytes = Vec::new();
    (&file)
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read it: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(fail(format!("larger than {}; is this the right file?", size(max))));
    }
    Ok(Contents {
        bytes,
        kind,
        path: path.to_owned(),
        mode: meta.mode(),
        owner,
    })
}

/// [`read`] as UTF-8 text.
pub fn read_text(path: &Path, kind: FileKind, rule: Rule) -> Result<String, FileError> {
    read(path, kind, rule)?.into_text()
}

/// "a FIFO", "a character device", ... for a file that is not regular.
fn file_type(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "an unknown kind of file"
    }
}

/// A size cap in words: "1 MiB", "64 KiB".
fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(path: &Path, kind: FileKind) -> String {
        read(path, kind, Rule::Yours)
            .map(|_| String::new())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn only_regular_files_up_to_the_cap_are_read() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU)?;
        let big = dir.path().join("big.conf");
        std::fs::File::create(&big)?.set_len(2 << 30)?;
        let at_cap = dir.path().join("at_cap.conf");
        std::fs::write(&at_cap, vec![b'#'; FileKind::Configuration.max_bytes() as usize])?;
        for (path, why) in [
            (
                Path::new("/dev/zero"),
                "not a regular file (a character device); name a supervisord.conf",
            ),
            (fifo.as_path(), "not a regular file (a FIFO)"),
            (dir.path(), "not a regular file (a directory)"),
            (big.as_path(), "larger than 1 MiB"),
        ] {
            let e = detail(path, FileKind::Configuration);
            assert!(
                e.starts_with("configuration file ") && e.contains(why),
                "{}: {e}",
                path.display()
            );
        }
        assert_eq!(read_text(&at_cap, FileKind::Configuration, Rule::Yours)?.len(), 1 << 20);
        let e = detail(Path::new("/dev/zero"), FileKind::Password);
        assert!(
            e.starts_with("password file /dev/zero: ") && !e.contains("supervisord.conf"),
            "{e}"
        );
        Ok(())
    }

    #[test]
    fn our_own_files_are_never_read_through_a_symlink() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let real = dir.path().join("real");
        std::fs::write(&real, "x")?;
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link)?;
        assert!(read(&link, FileKind::Cache, Rule::Ours).is_err());
        assert_eq!(read(&link, FileKind::Configuration, Rule::Yours)?.bytes, b"x");
        Ok(())
    }
}
