//! The single bearer token of `mcp --http` and `serve` (without a tokens file:
//! [`super::auth`]): where it comes from (`--token-file`,
//! `SUPERVISORD_MCP_TOKEN`, or one generated at start and kept in a user-private
//! file), and the constant-time check of a request's `Authorization` header. The
//! token itself is never printed, logged or echoed; only the file's path is. A
//! configured token must look strong ([`super::strength`]); a token file must be
//! yours ([`Rule::Yours`]).

use super::HttpError;
use super::strength;
use crate::supervisor::Secret;
use crate::supervisor::files::{self, FileError, FileKind, Rule};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use subtle::ConstantTimeEq;

/// Bytes of randomness in a generated token (256 bits), written as 64 hex digits.
const TOKEN_BYTES: usize = 32;

/// Where the token in use came from; said on stderr at start (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// `--token-file FILE`.
    File(PathBuf),
    /// The `SUPERVISORD_MCP_TOKEN` environment variable.
    Env,
    /// Generated at this start and written to this file (0600).
    Generated(PathBuf),
    /// Generated at an earlier start; the file was still private and ours.
    Reused(PathBuf),
    /// `--dangerously-serve-without-token`: no token at all.
    None,
}

/// Resolves the token: `--token-file` first, then `env` (the value of
/// `SUPERVISORD_MCP_TOKEN`), then none if `without_token`, else a generated one kept
/// in `store` (see [`default_store`]). Errors: an unreadable, empty or foreign token
/// file, a weak configured token ([`strength::weakness`]), no place to keep a
/// generated token, or an unsafe one (exit 2).
pub fn resolve(
    addr: std::net::SocketAddr,
    token_file: Option<&Path>,
    env: Option<String>,
    without_token: bool,
    store: Option<PathBuf>,
) -> Result<(Option<Secret>, TokenSource), HttpError> {
    if let Some(path) = token_file {
        return Ok((Some(from_file(path)?), TokenSource::File(path.to_owned())));
    }
    if let Some(t) = env.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
        strong(&t, "in SUPERVISORD_MCP_TOKEN")?;
        return Ok((Some(Secret::new(t)), TokenSource::Env));
    }
    if without_token {
        return Ok((None, TokenSource::None));
    }
    let dir = store.ok_or(HttpError::NoToken { addr })?;
    let (secret, reused) = load_or_generate(&dir)?;
    let path = dir.join("token");
    Ok((
        Some(secret),
        if reused {
            TokenSource::Reused(path)
        } else {
            TokenSource::Generated(path)
        },
    ))
}

/// The directory for a generated token: `$XDG_CONFIG_HOME/supervisord-mcp`, else
/// `$HOME/.config/supervisord-mcp`; `None` when neither is set (or not absolute).
pub fn default_store() -> Option<PathBuf> {
    let abs = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    std::env::var_os("XDG_CONFIG_HOME")
        .and_then(abs)
        .or_else(|| std::env::var_os("HOME").and_then(abs).map(|h| h.join(".config")))
        .map(|c| c.join("supervisord-mcp"))
}

/// Reads the token from a file (first line, trimmed) through [`files::read`]: a
/// regular file of at most 64 KiB, yours. Errors: unreadable, not a regular file,
/// too large, not yours, empty, or weak.
pub fn from_file(path: &Path) -> Result<Secret, HttpError> {
    let text = files::read_text(path, FileKind::Token, Rule::Yours)?;
    let t = text.lines().next().unwrap_or("").trim().to_owned();
    if t.is_empty() {
        return Err(HttpError::TokenFile {
            what: FileKind::Token.name(),
            path: path.to_owned(),
            detail: "it is empty".into(),
        });
    }
    strong(&t, &format!("in the token file {}", path.display()))?;
    Ok(Secret::new(t))
}

/// Refuses a weak configured token, saying why and how to make one (never the token).
fn strong(token: &str, from: &str) -> Result<(), HttpError> {
    match strength::weakness(token) {
        None => Ok(()),
        Some(why) => Err(HttpError::WeakToken {
            from: from.to_owned(),
            detail: format!("{why}; {}", strength::ADVICE),
        }),
    }
}

impl From<FileError> for HttpError {
    fn from(e: FileError) -> Self {
        HttpError::TokenFile {
            what: e.what,
            path: e.path,
            detail: e.detail,
        }
    }
}

/// False when `path` is readable or writable by group or others (then anyone in
/// them can read the token).
pub fn is_private(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.mode() & 0o077 == 0)
}

/// True when `header` (an `Authorization` value) is `Bearer <token>`; compared in
/// constant time.
pub fn matches(header: Option<&str>, token: &Secret) -> bool {
    let given = header.and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
    given.as_bytes().ct_eq(token.expose().as_bytes()).into()
}

/// Makes `dir` (0700, ours), then reuses `dir/token` when it is a private regular
/// file of ours holding a generated token, or writes a new one. Returns the token
/// and whether it was reused.
fn load_or_generate(dir: &Path) -> Result<(Secret, bool), HttpError> {
    let base = dir.parent().unwrap_or(Path::new("/"));
    files::private_dir("token directory", base, Path::new(dir.file_name().unwrap_or_default()))?;
    let path = dir.join("token");
    if let Some(t) = read_private(&path) {
        return Ok((Secret::new(t), true));
    }
    let err = |detail: String| HttpError::TokenFile {
        what: FileKind::Token.name(),
        path: path.clone(),
        detail,
    };
    let mut raw = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut raw).map_err(|e| err(format!("no randomness from the system: {e}")))?;
    let token: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    // Write a new file (0600, never through a symlink), then rename it into place:
    // a reader sees the old token or the whole new one.
    let tmp = dir.join(format!(".token.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(&tmp)
        .map_err(|e| err(format!("cannot create it: {e}")))?;
    let written = f
        .write_all(format!("{token}\n").as_bytes())
        .and_then(|()| f.sync_all())
        .and_then(|()| std::fs::rename(&tmp, &path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(format!("cannot write it: {e}")));
    }
    Ok((Secret::new(token), false))
}

/// The token in `path` if it is a regular file (not a symlink) of ours, mode 0600 or
/// stricter, holding exactly a generated token (64 hex digits); else `None`.
fn read_private(path: &Path) -> Option<String> {
    let contents = files::read(path, FileKind::Token, Rule::Ours).ok()?;
    if contents.mode() & 0o077 != 0 {
        return None;
    }
    let text = contents.into_text().ok()?;
    let t = text.trim();
    (t.len() == 2 * TOKEN_BYTES && t.bytes().all(|b| b.is_ascii_hexdigit())).then(|| t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn bearer_must_match_exactly() {
        let t = Secret::new("abc");
        assert!(matches(Some("Bearer abc"), &t));
        assert!(!matches(Some("Bearer abcd"), &t));
        assert!(!matches(Some("abc"), &t));
        assert!(!matches(Some("bearer abc"), &t));
        assert!(!matches(None, &t));
    }

    #[test]
    fn a_generated_token_is_private_and_reused_while_it_stays_so() {
        let tmp = tempfile::tempdir().unwrap_or_else(|_| unreachable!());
        let dir = tmp.path().join("a/supervisord-mcp");
        let (t1, reused) = load_or_generate(&dir).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(!reused);
        assert_eq!(t1.expose().len(), 64);
        let meta = std::fs::metadata(dir.join("token")).unwrap_or_else(|_| unreachable!());
        assert_eq!(meta.mode() & 0o777, 0o600);
        let dmeta = std::fs::metadata(&dir).unwrap_or_else(|_| unreachable!());
        assert_eq!(dmeta.mode() & 0o777, 0o700);
        let (t2, reused) = load_or_generate(&dir).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(reused);
        assert_eq!(t1.expose(), t2.expose());
        // Readable by others: replaced by a new one.
        std::fs::set_permissions(dir.join("token"), std::fs::Permissions::from_mode(0o644))
            .unwrap_or_else(|_| unreachable!());
        let (t3, reused) = load_or_generate(&dir).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(!reused);
        assert_ne!(t1.expose(), t3.expose());
    }

    #[test]
    fn an_open_directory_is_refused() {
        let tmp = tempfile::tempdir().unwrap_or_else(|_| unreachable!());
        let dir = tmp.path().join("open");
        std::fs::create_dir(&dir).unwrap_or_else(|_| unreachable!());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap_or_else(|_| unreachable!());
        let e = load_or_generate(&dir).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("chmod 700"), "{e}");
    }
}
