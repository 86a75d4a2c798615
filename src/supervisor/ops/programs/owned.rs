//! What belongs to this tool: program files that start with [`MARKER`], and only
//! those are written over, counted and deleted; names the daemon knows from anywhere
//! else are never taken over. Also the bounds on how many programs and processes this
//! tool may add.

use super::MARKER;
use super::value::invalid;
use crate::supervisor::Client;
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::host::include::IncludeDir;
use crate::supervisor::ops::control::{self, WaitOptions};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// Most programs this tool keeps in the include directory at once (one-shot runs
/// included).
pub const MAX_PROGRAMS: usize = 100;
/// Most processes, in all, of the programs this tool added.
pub const MAX_PROCESSES: u32 = 200;

/// True when `path` is a file this tool wrote (its first line is [`MARKER`]).
pub(crate) fn is_managed(path: &Path) -> bool {
    let mut head = vec![0u8; MARKER.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == MARKER.as_bytes())
}

/// Writes atomically (temp file, then rename).
pub(crate) fn write_file(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("tmp-supervisord-mcp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            invalid(format!("cannot write {}: {e}", path.display()))
        })
}

/// Deletes a file; a file already gone is fine.
pub(crate) fn delete_file(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(invalid(format!("cannot delete {}: {e}", path.display())))
        }
        _ => Ok(()),
    }
}

/// Refuses a name whose file exists but is not ours, or that the daemon knows from
/// its own configuration (a group or process of that name, and no file of ours): a
/// `[program:NAME]` of ours would replace or merge with it. `getAllConfigInfo`.
pub(super) async fn check_ours_or_free(client: &Client, dir: &IncludeDir, name: &str) -> Result<()> {
    let path = dir.file_for(name);
    if path.exists() {
        return if is_managed(&path) {
            Ok(())
        } else {
            Err(Error::Refused(format!(
                "{} exists and was not written by supervisord-mcp: not touching it; choose another name",
                path.display()
            )))
        };
    }
    if daemon_knows(client, name).await? {
        return Err(Error::Refused(format!(
            "{name} is defined in supervisord's own configuration, not by supervisord-mcp: \
             not replacing it; choose another name"
        )));
    }
    Ok(())
}

/// True when the daemon's configuration has a group or a process called `name`.
pub(crate) async fn daemon_knows(client: &Client, name: &str) -> Result<bool> {
    Ok(client
        .get_all_config_info()
        .await?
        .iter()
        .any(|c| c.group == name || c.name == name))
}

/// Refuses one more program (or a bigger one) past [`MAX_PROGRAMS`] or
/// [`MAX_PROCESSES`]. `replacing` is not counted (it is being changed).
pub(super) fn check_room(dir: &IncludeDir, replacing: &str, numprocs: u32) -> Result<()> {
    let (mut programs, mut processes) = (0usize, 0u32);
    let entries =
        std::fs::read_dir(&dir.dir).map_err(|e| invalid(format!("cannot list {}: {e}", dir.dir.display())))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let ext_ok = path.extension().and_then(|e| e.to_str()) == Some(dir.extension.as_str());
        if !ext_ok || stem == replacing || !is_managed(&path) {
            continue;
        }
        programs += 1;
        processes = processes.saturating_add(numprocs_in(&path));
    }
    if programs >= MAX_PROGRAMS {
        return Err(invalid(format!(
            "{programs} programs added by supervisord-mcp already (at most {MAX_PROGRAMS}): remove some first \
             (`program remove NAME`)"
        )));
    }
    if processes.saturating_add(numprocs) > MAX_PROCESSES {
        return Err(invalid(format!(
            "programs added by supervisord-mcp run {processes} processes; {numprocs} more would pass the \
             {MAX_PROCESSES} allowed: remove some first, or ask for fewer"
        )));
    }
    Ok(())
}

/// The `numprocs=` of a file we wrote (1 when absent or unreadable).
fn numprocs_in(path: &Path) -> u32 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("numprocs="))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(1)
}

/// Ignores BAD_NAME (the group is not there: nothing to do).
fn absent_ok<T>(r: Result<T>) -> Result<()> {
    match r {
        Ok(_) => Ok(()),
        Err(Error::Fault(f)) if f.code == FaultCode::BadName => Ok(()),
        Err(e) => Err(e),
    }
}

/// Takes a program out of the daemon: stops its group (polled, bounded by
/// `stop_timeout`; the process tree too when it was written with `killasgroup`),
/// removes the group. A group that is not there is fine. `removeProcessGroup`.
pub(crate) async fn unload(client: &Client, name: &str, stop_timeout: Duration) -> Result<()> {
    let opts = WaitOptions {
        timeout: stop_timeout,
        ..WaitOptions::default()
    };
    // Polled rather than `stopProcessGroup(wait=true)`, which the daemon answers only
    // on its next one-second tick.
    control::stop(client, &[format!("{name}:*")], &opts).await?;
    absent_ok(client.remove_process_group(name).await)
}

/// Takes a program out of the daemon ([`unload`]), deletes its file and lets the
/// daemon forget the section (`reloadConfig`). Idempotent.
pub(crate) async fn unregister(client: &Client, dir: &IncludeDir, name: &str, stop_timeout: Duration) -> Result<()> {
    unload(client, name, stop_timeout).await?;
    delete_file(&dir.file_for(name))?;
    client.reload_config().await.map(drop)
}
