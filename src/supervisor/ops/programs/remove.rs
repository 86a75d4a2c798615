//! Removing a program this tool added: idempotent, like `stop`, and never one it did
//! not add.

use super::owned::{daemon_knows, is_managed, unregister};
use super::spec::validate_name;
use crate::supervisor::Client;
use crate::supervisor::error::{Error, Result};
use crate::supervisor::host::include::IncludeDir;
use serde::Serialize;
use std::time::Duration;

/// What [`remove`] did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Removed {
    /// The program (and group) name.
    pub name: String,
    /// `removed`, or `already_absent` (no file of ours and the daemon does not know
    /// the name: nothing to do, as a second `remove` finds).
    pub outcome: String,
    /// Its program file (deleted, or never there).
    pub file: String,
    /// One sentence for people.
    pub message: String,
}

/// Removes a program this tool added: stops it (bounded by `stop_timeout`), removes
/// its group, deletes its file, `reloadConfig`. A name with no file and unknown to
/// the daemon is `already_absent` (success). Errors: a bad name
/// ([`Error::Invalid`]); a program this tool did not add ([`Error::Refused`]).
pub async fn remove(client: &Client, dir: &IncludeDir, name: &str, stop_timeout: Duration) -> Result<Removed> {
    validate_name(name)?;
    let path = dir.file_for(name);
    let file = path.display().to_string();
    let done = |outcome: &str, message: String| {
        Ok(Removed {
            name: name.to_owned(),
            outcome: outcome.into(),
            file: file.clone(),
            message,
        })
    };
    if !path.exists() {
        if daemon_knows(client, name).await? {
            return Err(Error::Refused(format!(
                "{name} was not added by supervisord-mcp (no file {file}): not removing it; \
                 it is part of supervisord's own configuration"
            )));
        }
        return done("already_absent", format!("{name}: already absent"));
    }
    if !is_managed(&path) {
        return Err(Error::Refused(format!(
            "{file} was not written by supervisord-mcp: not removing it"
        )));
    }
    unregister(client, dir, name, stop_timeout).await?;
    done("removed", format!("removed {name} and {file}"))
}
