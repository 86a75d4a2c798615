//! Adding (or changing) and removing programs: files this tool wrote, and only those.

use super::MARKER;
use super::spec::{ProgramSpec, invalid, validate_name};
use crate::supervisor::Client;
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::host::include::IncludeDir;
use crate::supervisor::ops::control::{self, ProcessResult, WaitOptions};
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

fn is_managed(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.starts_with(MARKER))
}

/// Writes atomically (temp file, then rename).
pub(super) fn write_file(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("tmp-supervisord-mcp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| invalid(format!("cannot write {}: {e}", path.display())))
}

/// What [`add`] did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Added {
    pub name: String,
    /// `added` or `changed` (it existed: stopped, removed and added again).
    pub action: String,
    pub file: String,
    /// Start results, when started.
    pub processes: Vec<ProcessResult>,
}

/// Adds (or changes) a program and, with `start`, starts it and waits for RUNNING.
/// A file of the same name not written by us is never overwritten.
pub async fn add(
    client: &Client,
    dir: &IncludeDir,
    spec: &ProgramSpec,
    start: bool,
    wait: &WaitOptions,
) -> Result<Added> {
    let text = spec.render()?;
    let path = dir.file_for(&spec.name);
    let existed = path.exists();
    if existed && !is_managed(&path) {
        return Err(invalid(format!(
            "{} exists and was not written by supervisord-mcp: not touching it",
            path.display()
        )));
    }
    let previous = existed.then(|| std::fs::read_to_string(&path).unwrap_or_default());
    write_file(&path, &text)?;
    let undo = || match &previous {
        Some(old) => drop(write_file(&path, old)),
        None => drop(std::fs::remove_file(&path)),
    };
    let diff = match client.reload_config().await {
        Ok(d) => d,
        Err(e) => {
            undo();
            return Err(e);
        }
    };
    let action = if diff.added.contains(&spec.name) {
        client.add_process_group(&spec.name).await?;
        "added"
    } else if diff.changed.contains(&spec.name) {
        client.stop_process_group(&spec.name, true, wait.timeout).await?;
        client.remove_process_group(&spec.name).await?;
        client.add_process_group(&spec.name).await?;
        "changed"
    } else if existed && previous.as_deref() == Some(text.as_str()) {
        "unchanged"
    } else {
        undo();
        return Err(invalid(format!(
            "supervisord did not pick up {}: is {} read by its [include] files?",
            path.display(),
            dir.dir.display()
        )));
    };
    let processes = if start {
        control::start(client, &[format!("{}:*", spec.name)], wait).await?
    } else {
        Vec::new()
    };
    Ok(Added {
        name: spec.name.clone(),
        action: action.into(),
        file: path.display().to_string(),
        processes,
    })
}

/// Removes a program this module added: stops it (bounded by `stop_timeout`),
/// removes its group, deletes its file.
pub async fn remove(client: &Client, dir: &IncludeDir, name: &str, stop_timeout: Duration) -> Result<String> {
    validate_name(name)?;
    let path = dir.file_for(name);
    if !path.exists() {
        return Err(invalid(format!(
            "no program file {} (only programs added by supervisord-mcp can be removed)",
            path.display()
        )));
    }
    if !is_managed(&path) {
        return Err(invalid(format!(
            "{} was not written by supervisord-mcp: not removing it",
            path.display()
        )));
    }
    match client.stop_process_group(name, true, stop_timeout).await {
        Ok(_) => {}
        Err(Error::Fault(f)) if f.code == FaultCode::BadName => {}
        Err(e) => return Err(e),
    }
    match client.remove_process_group(name).await {
        Ok(_) => {}
        Err(Error::Fault(f)) if f.code == FaultCode::BadName => {}
        Err(e) => return Err(e),
    }
    std::fs::remove_file(&path).map_err(|e| invalid(format!("cannot delete {}: {e}", path.display())))?;
    // Let the daemon forget the section too.
    let _ = client.reload_config().await;
    Ok(format!("removed {name} and {}", path.display()))
}
