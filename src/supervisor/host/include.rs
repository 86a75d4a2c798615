//! Where program files go: a directory the daemon's `[include]` reads, configured,
//! or found from a daemon on this host (its configuration file, see
//! [`super::daemonconf`] -> `[include] files`).

use crate::supervisor::Client;
use crate::supervisor::error::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

/// Where program files go: a directory the daemon's `[include]` reads.
#[derive(Debug, Clone, Serialize)]
pub struct IncludeDir {
    pub dir: PathBuf,
    /// File extension the include glob wants (`conf`, `ini`).
    pub extension: String,
}

impl IncludeDir {
    pub fn file_for(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.{}", self.extension))
    }
}

const NO_INCLUDE: &str = "no writable include directory: add `[include] files = conf.d/*.conf` to supervisord.conf \
     (and create conf.d), then `supervisord-mcp update`; or pass --include-dir DIR (SUPERVISORD_MCP_INCLUDE_DIR) \
     naming a directory that [include] reads";

/// Finds the include directory: `configured` when given; otherwise, for a daemon on
/// this host, from its own configuration (`getPID` → `/proc/PID/cmdline` → `-c FILE`
/// → `[include] files`): the first glob of the form `DIR/*.EXT` whose DIR is writable.
pub async fn include_dir(client: &Client, configured: Option<&Path>) -> Result<IncludeDir> {
    if let Some(dir) = configured {
        if !dir.is_dir() {
            return Err(invalid(format!("include directory {} does not exist", dir.display())));
        }
        return Ok(IncludeDir {
            dir: dir.to_owned(),
            extension: "conf".into(),
        });
    }
    let Some(local) = crate::supervisor::host::LocalHost::detect(client).await? else {
        return Err(invalid(format!(
            "{NO_INCLUDE} (the daemon is remote, so its configuration cannot be read)"
        )));
    };
    let super::daemonconf::DaemonConfig { path: conf, here, ini } = super::daemonconf::read(&local)?;
    let files = ini
        .get("include", "files")
        .unwrap_or_default()
        .replace("%(here)s", &here.to_string_lossy());
    for glob in files.split_whitespace() {
        let path = if Path::new(glob).is_relative() {
            here.join(glob)
        } else {
            PathBuf::from(glob)
        };
        let (Some(dir), Some(file)) = (path.parent(), path.file_name().and_then(|f| f.to_str())) else {
            continue;
        };
        let Some(ext) = file.strip_prefix("*.") else { continue };
        let dir_ok = !dir.to_string_lossy().contains(['*', '?', '['])
            && dir.is_dir()
            && std::fs::metadata(dir).is_ok_and(|m| !m.permissions().readonly());
        if dir_ok && ext.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(IncludeDir {
                dir: dir.to_owned(),
                extension: ext.to_owned(),
            });
        }
    }
    Err(invalid(format!("{NO_INCLUDE} (read {})", conf.display())))
}
