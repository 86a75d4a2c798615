//! Adding (or changing) a program: its file written, the daemon told
//! (`reloadConfig`, `addProcessGroup`), what it read back checked, the program
//! started. A failed start is rolled back by default, and an interrupted add always
//! is: "failed" means "not there" (or "as it was before", for a change).

use super::guard::{Guard, Undo};
use super::owned::{check_ours_or_free, check_room, delete_file, unload, write_file};
use super::spec::ProgramSpec;
use super::value::invalid;
use crate::supervisor::Client;
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::host::include::IncludeDir;
use crate::supervisor::ops::control::{self, ProcessResult, WaitOptions};
use crate::supervisor::types::ProcessState;
use serde::Serialize;
use std::time::Duration;

/// What [`add`] did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Added {
    /// The program (and group) name.
    pub name: String,
    /// `added`, `changed` (it existed: stopped, removed and added again) or
    /// `unchanged`.
    pub action: String,
    /// The program file in the include directory.
    pub file: String,
    /// Start results, when started.
    pub processes: Vec<ProcessResult>,
    /// The start failed and the add was undone: the program is gone (or, for a
    /// change, back as it was).
    pub rolled_back: bool,
}

/// How [`add`] proceeds.
#[derive(Debug, Clone, Copy)]
pub struct AddOptions {
    /// Start it and wait for RUNNING.
    pub start: bool,
    /// Keep it, in whatever state, when the start fails (default: roll back).
    pub keep_on_failure: bool,
    /// Bound on the start wait (and on stopping a changed program).
    pub wait: WaitOptions,
}

/// Puts things back as they were before an add: takes the new group out, restores
/// the previous file (or deletes ours), re-applies it and restarts what ran.
struct Rollback {
    client: Client,
    dir: IncludeDir,
    name: String,
    previous: Option<String>,
    was_running: bool,
}

impl Undo for Rollback {
    async fn undo(self) -> Result<()> {
        let path = self.dir.file_for(&self.name);
        unload(&self.client, &self.name, Duration::from_secs(30)).await?;
        match &self.previous {
            Some(old) => write_file(&path, old)?,
            None => delete_file(&path)?,
        }
        self.client.reload_config().await?;
        if self.previous.is_some() {
            match self.client.add_process_group(&self.name).await {
                Ok(_) => {}
                Err(Error::Fault(f)) if f.code == FaultCode::AlreadyAdded => {}
                Err(e) => return Err(e),
            }
            if self.was_running {
                control::start(&self.client, &[format!("{}:*", self.name)], &WaitOptions::default()).await?;
            }
        }
        Ok(())
    }
}

/// Adds (or changes) a program and, with `opts.start`, starts it and waits for
/// RUNNING. Refused (nothing written): a name the daemon knows from its own
/// configuration or whose file is not ours ([`Error::Refused`]); past the limits
/// ([`super::MAX_PROGRAMS`], [`super::MAX_PROCESSES`]). When the daemon does not
/// read back the command and directory as written, or anything fails on the way,
/// everything is undone. When the start fails, it is undone unless
/// `opts.keep_on_failure` (see [`Added::rolled_back`]). Cancel-safe: dropped
/// midway, the add is undone by a cleanup task.
pub async fn add(client: &Client, dir: &IncludeDir, spec: &ProgramSpec, opts: &AddOptions) -> Result<Added> {
    let text = spec.render()?;
    let path = dir.file_for(&spec.name);
    check_ours_or_free(client, dir, &spec.name).await?;
    check_room(dir, &spec.name, spec.numprocs())?;
    let previous = path
        .exists()
        .then(|| std::fs::read_to_string(&path).unwrap_or_default());
    let was_running = previous.is_some() && group_is_running(client, &spec.name).await?;
    let guard = Guard::new(Rollback {
        client: client.clone(),
        dir: dir.clone(),
        name: spec.name.clone(),
        previous: previous.clone(),
        was_running,
    });
    let same_text = previous.as_deref() == Some(text.as_str());
    let applied = async {
        write_file(&path, &text)?;
        let action = apply(client, dir, spec, same_text, &opts.wait).await?;
        verify_loaded(client, spec).await?;
        let processes = if opts.start {
            control::start(client, &[format!("{}:*", spec.name)], &opts.wait).await?
        } else {
            Vec::new()
        };
        Ok::<_, Error>((action, processes))
    }
    .await;
    let (action, processes) = match applied {
        Ok(done) => done,
        Err(e) => return Err(undone(guard, e, &path).await),
    };
    let failed = processes.iter().any(|r| !r.outcome.is_success());
    let rolled_back = failed && !opts.keep_on_failure;
    if rolled_back {
        if let Err(u) = guard.undo_now().await {
            return Err(invalid(format!(
                "the start of {} failed, and rolling it back failed too ({u}): check {} and `status`",
                spec.name,
                path.display()
            )));
        }
    } else {
        guard.disarm();
    }
    Ok(Added {
        name: spec.name.clone(),
        action: action.into(),
        file: path.display().to_string(),
        processes,
        rolled_back,
    })
}

/// `e`, once the add is undone; when the undo fails too, an error that says both and
/// where to look.
async fn undone(guard: Guard<Rollback>, e: Error, file: &std::path::Path) -> Error {
    match guard.undo_now().await {
        Ok(()) => e,
        Err(u) => invalid(format!(
            "{e}; undoing the add failed too ({u}): check {} and `status`",
            file.display()
        )),
    }
}

/// True when a process of group `name` is running or on its way (STARTING, BACKOFF).
async fn group_is_running(client: &Client, name: &str) -> Result<bool> {
    Ok(client.get_all_process_info().await?.iter().any(|p| {
        p.group == name
            && matches!(
                p.state(),
                ProcessState::Running | ProcessState::Starting | ProcessState::Backoff
            )
    }))
}

/// Tells the daemon about the written file: `reloadConfig`, then adds the group (or
/// replaces it when changed). Returns `added`, `changed` or `unchanged`.
async fn apply(
    client: &Client,
    dir: &IncludeDir,
    spec: &ProgramSpec,
    same_text: bool,
    wait: &WaitOptions,
) -> Result<&'static str> {
    let diff = client.reload_config().await?;
    if diff.added.contains(&spec.name) {
        client.add_process_group(&spec.name).await?;
        Ok("added")
    } else if diff.changed.contains(&spec.name) {
        unload(client, &spec.name, wait.timeout).await?;
        client.add_process_group(&spec.name).await?;
        Ok("changed")
    } else if same_text {
        Ok("unchanged")
    } else {
        Err(invalid(format!(
            "supervisord did not pick up {}: is {} read by its [include] files?",
            dir.file_for(&spec.name).display(),
            dir.dir.display()
        )))
    }
}

/// Checks that the daemon read back exactly what was written: as many processes as
/// asked, each with the command and directory given (`getAllConfigInfo`).
async fn verify_loaded(client: &Client, spec: &ProgramSpec) -> Result<()> {
    let loaded: Vec<_> = client
        .get_all_config_info()
        .await?
        .into_iter()
        .filter(|c| c.group == spec.name)
        .collect();
    let want_dir = spec.settings.directory.as_deref().unwrap_or("none");
    let mismatch = if loaded.len() != spec.numprocs() as usize {
        Some(format!("{} processes instead of {}", loaded.len(), spec.numprocs()))
    } else {
        loaded.iter().find_map(|c| {
            if c.command != spec.command {
                Some(format!("command {:?} instead of {:?}", c.command, spec.command))
            } else if c.directory.as_deref().unwrap_or("none") != want_dir {
                Some(format!("directory {:?} instead of {want_dir:?}", c.directory))
            } else {
                None
            }
        })
    };
    match mismatch {
        None => Ok(()),
        Some(m) => Err(invalid(format!(
            "supervisord read back {m} for {}: not added (is another [program:{}] section in its configuration?)",
            spec.name, spec.name
        ))),
    }
}

impl Added {
    /// One sentence on what a failed start left behind, naming the option that keeps
    /// the program (`keep` as the front end spells it); `None` when nothing failed.
    pub fn failure_note(&self, keep: &str) -> Option<String> {
        if self.processes.iter().all(|r| r.outcome.is_success()) {
            return None;
        }
        let name = &self.name;
        Some(if !self.rolled_back {
            format!(
                "{name}: the start failed; kept for inspection ({keep}): see `diagnose {name}`, then `program remove {name}`"
            )
        } else if self.action == "added" {
            format!("{name}: the start failed; rolled back, nothing was added ({keep} keeps it for inspection)")
        } else {
            format!(
                "{name}: the start failed; rolled back to its previous definition ({keep} keeps the new one for inspection)"
            )
        })
    }
}
