//! Configuration changes: `reread` (the diff), `update` (apply it the way
//! `supervisorctl update` does), `avail`, and adding/removing process groups.

use crate::supervisor::client::Client;
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::types::ConfigDiff;
use serde::Serialize;
use std::time::Duration;

/// How long an update waits for a changed or removed group to stop.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(120);

/// How a group differs between the configuration on disk and what the daemon runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Changed,
    Removed,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Changed => "changed",
            Change::Removed => "removed",
        }
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What happened to one group during an update.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct GroupChange {
    pub group: String,
    /// How the configuration on disk differs for it.
    pub change: Change,
    /// True when applied; false with `error` when it failed (or in a dry run).
    pub applied: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of [`update`].
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct UpdateReport {
    pub diff: ConfigDiff,
    pub dry_run: bool,
    pub changes: Vec<GroupChange>,
}

impl UpdateReport {
    pub fn all_applied(&self) -> bool {
        self.dry_run || self.changes.iter().all(|c| c.applied)
    }
}

/// `supervisor.reloadConfig`: the group diff between the configuration on disk and
/// what the daemon runs. Starts and stops nothing, but it is a change all the same:
/// the daemon replaces the configuration it acts on (a later `addProcessGroup`, by
/// anyone, takes the new one), so read-only policies (`--read-only`, a target's
/// `read_only`, `--allow` without `*`) refuse it, and [`update`] with `dry_run`.
/// Errors: CANT_REREAD (with the file).
pub async fn reread(client: &Client) -> Result<ConfigDiff> {
    client.reload_config().await
}

/// Re-reads the configuration and applies the diff, group by group, as
/// `supervisorctl update` does: removed groups are stopped and removed; changed
/// groups are stopped, removed and added again; added groups are added (and start
/// by themselves when `autostart`). `groups` limits the update to those groups
/// (empty: all). With `dry_run`, only the diff is returned.
pub async fn update(client: &Client, groups: &[String], dry_run: bool, stop_timeout: Duration) -> Result<UpdateReport> {
    let mut diff = client.reload_config().await?;
    if !groups.is_empty() && !groups.iter().any(|g| g == "all") {
        let keep = |v: &mut Vec<String>| v.retain(|g| groups.contains(g));
        keep(&mut diff.added);
        keep(&mut diff.changed);
        keep(&mut diff.removed);
    }
    let mut changes = Vec::new();
    let plan = diff
        .removed
        .iter()
        .map(|g| (g, Change::Removed))
        .chain(diff.changed.iter().map(|g| (g, Change::Changed)))
        .chain(diff.added.iter().map(|g| (g, Change::Added)));
    for (group, change) in plan {
        let outcome = if dry_run {
            Ok(false)
        } else {
            apply(client, group, change, stop_timeout).await.map(|()| true)
        };
        changes.push(match outcome {
            Ok(applied) => GroupChange {
                group: group.clone(),
                change,
                applied,
                error: None,
            },
            Err(e) if !e.is_unreachable() => GroupChange {
                group: group.clone(),
                change,
                applied: false,
                error: Some(e.to_string()),
            },
            Err(e) => return Err(e),
        });
    }
    Ok(UpdateReport { diff, dry_run, changes })
}

async fn apply(client: &Client, group: &str, change: Change, stop_timeout: Duration) -> Result<()> {
    if change != Change::Added {
        let results = client.stop_process_group(group, true, stop_timeout).await?;
        if let Some(f) = results
            .iter()
            .find(|r| FaultCode::from_code(r.status) == FaultCode::Failed)
        {
            return Err(Error::Invalid(format!(
                "could not stop {}:{}: {}",
                f.group, f.name, f.description
            )));
        }
        client.remove_process_group(group).await?;
    }
    if change != Change::Removed {
        client.add_process_group(group).await?;
    }
    Ok(())
}

/// One configured process, from `getAllConfigInfo`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Available {
    /// Full namespec.
    pub name: String,
    pub group: String,
    /// True when the daemon runs it (false: in the configuration, not yet added).
    pub in_use: bool,
    pub autostart: bool,
    pub group_prio: i64,
    pub process_prio: i64,
    pub command: String,
}

/// Every configured process, in use or not (`supervisorctl avail`).
pub async fn avail(client: &Client) -> Result<Vec<Available>> {
    Ok(client
        .get_all_config_info()
        .await?
        .into_iter()
        .map(|c| Available {
            name: c.namespec(),
            group: c.group.clone(),
            in_use: c.inuse,
            autostart: c.autostart,
            group_prio: c.group_prio,
            process_prio: c.process_prio,
            command: c.command,
        })
        .collect())
}

/// What adding or removing a group did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupOutcome {
    Added,
    AlreadyAdded,
    Removed,
    Failed,
}

impl GroupOutcome {
    /// As people read it: `added`, `already added`, `removed`, `failed`.
    pub fn describe(self) -> &'static str {
        match self {
            GroupOutcome::Added => "added",
            GroupOutcome::AlreadyAdded => "already added",
            GroupOutcome::Removed => "removed",
            GroupOutcome::Failed => "failed",
        }
    }
}

/// The result of adding or removing one group.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupResult {
    pub group: String,
    pub outcome: GroupOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    pub fault: Option<FaultCode>,
}

/// Adds configured groups to the daemon (`addProcessGroup`); ALREADY_ADDED is success.
pub async fn add_groups(client: &Client, groups: &[String]) -> Result<Vec<GroupResult>> {
    let mut out = Vec::new();
    for g in groups {
        out.push(match client.add_process_group(g).await {
            Ok(_) => group_ok(g, GroupOutcome::Added),
            Err(Error::Fault(f)) if f.code == FaultCode::AlreadyAdded => group_ok(g, GroupOutcome::AlreadyAdded),
            Err(Error::Fault(f)) => group_failed(g, f.code, f.text),
            Err(e) => return Err(e),
        });
    }
    Ok(out)
}

/// Removes stopped groups from the daemon (`removeProcessGroup`).
pub async fn remove_groups(client: &Client, groups: &[String]) -> Result<Vec<GroupResult>> {
    let mut out = Vec::new();
    for g in groups {
        out.push(match client.remove_process_group(g).await {
            Ok(_) => group_ok(g, GroupOutcome::Removed),
            Err(Error::Fault(f)) => group_failed(g, f.code, f.text),
            Err(e) => return Err(e),
        });
    }
    Ok(out)
}

fn group_ok(g: &str, outcome: GroupOutcome) -> GroupResult {
    GroupResult {
        group: g.to_owned(),
        outcome,
        error: None,
        fault: None,
    }
}

fn group_failed(g: &str, code: FaultCode, text: String) -> GroupResult {
    GroupResult {
        group: g.to_owned(),
        outcome: GroupOutcome::Failed,
        error: Some(text),
        fault: Some(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::fake::{FakeDaemon, Model};

    #[tokio::test]
    async fn update_applies_the_diff_as_supervisorctl_does() {
        let mut m = Model::recorded();
        m.diff = ConfigDiff {
            added: vec!["new".into()],
            changed: vec!["web".into()],
            removed: vec!["old".into()],
        };
        let d = FakeDaemon::start(m).await;
        let r = update(&d.client(), &[], false, STOP_TIMEOUT).await;
        let r = r.unwrap_or_else(|e| panic!("{e}"));
        assert!(r.all_applied());
        let changes: Vec<(&str, Change)> = r.changes.iter().map(|c| (c.group.as_str(), c.change)).collect();
        assert_eq!(
            changes,
            [
                ("old", Change::Removed),
                ("web", Change::Changed),
                ("new", Change::Added)
            ]
        );
        assert_eq!(
            d.model().trace(),
            [
                "reloadConfig()",
                "stopProcessGroup(old)",
                "removeProcessGroup(old)",
                "stopProcessGroup(web)",
                "removeProcessGroup(web)",
                "addProcessGroup(web)",
                "addProcessGroup(new)",
            ]
        );
    }

    #[tokio::test]
    async fn a_dry_run_or_a_filtered_update_changes_nothing_else() {
        let mut m = Model::recorded();
        m.diff = ConfigDiff {
            added: vec!["new".into(), "other".into()],
            ..ConfigDiff::default()
        };
        let d = FakeDaemon::start(m).await;
        let r = update(&d.client(), &[], true, STOP_TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(r.dry_run && r.changes.iter().all(|c| !c.applied));
        let r = update(&d.client(), &["other".into()], false, STOP_TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.changes.len(), 1);
        assert_eq!(d.model().calls_of("supervisor.addProcessGroup"), ["other"]);
    }
}
