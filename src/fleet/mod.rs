//! The fleet: many supervisords, one call across them. Targets come from a targets
//! file ([`file`]), are chosen with one selection grammar ([`select`]), names may be
//! qualified by target ([`names`]), and an operation runs on each selected target in
//! parallel, each within its own deadline ([`fanout`]). Without a targets file nothing
//! changes: the `-s`/`-c`/environment chain is the one implicit target. The front ends
//! resolve a [`Scope`] first, then run the core's operations per target through
//! [`fan_out`].

mod error;
pub mod exec;
pub mod fanout;
pub mod file;
pub(crate) mod names;
pub mod report;
pub mod select;
pub mod target;
pub mod watch;

pub use error::{FleetError, TargetError};
pub use fanout::{Limits, TargetOutcome, fan_out};
pub use file::valid_name;
pub use report::Summary;
pub use select::Selector;
pub use target::{Common, Target};

use crate::supervisor::Client;
use std::path::PathBuf;

/// What the caller said about targets (`--fleet`, `-t`).
#[derive(Debug, Clone, Default)]
pub struct FleetArgs {
    /// `--fleet FILE`.
    pub file: Option<PathBuf>,
    /// `-t SEL` (or `SUPERVISORD_MCP_TARGET`).
    pub target: Option<String>,
}

/// Where a call goes.
#[derive(Debug)]
pub enum Scope {
    /// One daemon, from `-s`/`-c`/the environment: answers exactly as without a fleet.
    One(Client),
    /// Targets of a targets file.
    Fleet(Fleet),
}

/// A targets file's targets, and the selection of this call.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// Every target of the file, sorted by name.
    pub targets: Vec<Target>,
    /// The selection, from `-t` (explicit) or the file's default.
    pub selector: Selector,
    /// The selection as written (`all` when none was).
    pub selection: String,
    /// True when the selection was given (`-t`), not the file's default: required for
    /// a change on more than one target.
    pub explicit: bool,
    /// Most targets asked at once.
    pub concurrency: usize,
    /// Bytes of replies held at once across one call's targets
    /// (`--fleet-memory`, `[defaults] fleet_memory_mib`).
    pub memory: usize,
    /// The file read.
    pub path: PathBuf,
}

impl Fleet {
    /// The one implicit target (no targets file) as a fleet, for the commands that
    /// speak of targets (`targets`, `status --unhealthy`).
    pub fn implicit(client: Client, deadline: std::time::Duration) -> Fleet {
        Fleet {
            targets: vec![Target::implicit(client, deadline)],
            selector: Selector {
                include: vec![select::Term::All],
                exclude: Vec::new(),
            },
            selection: "all".into(),
            explicit: true,
            concurrency: 1,
            memory: file::DEFAULT_FLEET_MEMORY_MIB << 20,
            path: PathBuf::new(),
        }
    }

    /// What one call across the targets may take at once.
    pub fn limits(&self) -> Limits {
        Limits {
            concurrency: self.concurrency,
            memory: self.memory,
        }
    }

    /// The selected targets. Errors: a selection that names nothing.
    pub fn selected(&self) -> Result<Vec<Target>, FleetError> {
        Ok(self.selector.select(&self.targets)?.into_iter().cloned().collect())
    }

    /// The targets a call with `names` acts on, each with its names: the selection
    /// (or, when none was given and names are qualified, the targets they name), and
    /// for each its unqualified names plus the names qualified by it. Errors: a name
    /// qualified by a target outside the selection; a change (`changes`) on more
    /// than one target without an explicit selection (a read-only target is the
    /// policy gate's: [`exec`]).
    pub fn plan(&self, names: &[String], changes: bool) -> Result<Vec<(Target, Vec<String>)>, FleetError> {
        let explicit = self.explicit || names::any_qualified(names);
        let selector = if !self.explicit && names::any_qualified(names) {
            let mut terms = names::target_terms(names);
            if names.iter().any(|n| !n.contains('/')) {
                return Err(FleetError::MixedNames);
            }
            terms.dedup();
            Selector::parse(&terms.join(","))?
        } else {
            self.selector.clone()
        };
        let selected: Vec<Target> = selector.select(&self.targets)?.into_iter().cloned().collect();
        let planned: Vec<(Target, Vec<String>)> = names::distribute(names, &selected)?
            .into_iter()
            .map(|(t, n)| (t.clone(), n))
            .collect();
        if changes {
            let targets: Vec<&Target> = planned.iter().map(|(t, _)| t).collect();
            guard_change(&targets, explicit)?;
        }
        Ok(planned)
    }

    /// The selected targets of a change that names no process (reload, a program):
    /// errors as for [`Fleet::plan`].
    pub fn for_change(&self) -> Result<Vec<Target>, FleetError> {
        let targets = self.selected()?;
        guard_change(&targets.iter().collect::<Vec<_>>(), self.explicit)?;
        Ok(targets)
    }

    /// The one target of a change that acts on one daemon only (`program`, `run`):
    /// the target `name` is qualified by (`web-1/api`), else the selection, which must
    /// then be one target. Returns the target and `name` without its qualifier.
    /// Errors: no target or several; a target whose own settings are unusable.
    pub fn one_target(&self, name: Option<&str>) -> Result<(Target, Option<String>), FleetError> {
        let (term, bare) = match name.map(names::split) {
            Some((t, n)) => (t, Some(n.to_owned())),
            None => (None, None),
        };
        let planned: Vec<Target> = match term {
            Some(t) => self
                .plan(&[format!("{t}/{}", bare.as_deref().unwrap_or_default())], true)?
                .into_iter()
                .map(|(t, _)| t)
                .collect(),
            None => self.selected()?,
        };
        let [target] = planned.as_slice() else {
            return Err(FleetError::NotOneTarget {
                targets: planned.iter().map(|t| t.name.clone()).collect(),
            });
        };
        if let Err(error) = target.usable() {
            return Err(FleetError::Unusable {
                target: target.name.clone(),
                error,
            });
        }
        Ok((target.clone(), bare))
    }

    /// Why changes are refused on `t`, when it is read-only (`read_only = true`).
    pub fn read_only_reason(&self, t: &Target) -> Option<String> {
        t.read_only.then(|| {
            format!(
                "target {} is read-only (read_only = true in {}): changes are refused there",
                t.name,
                self.path.display()
            )
        })
    }
}

/// A change on more than one target needs an explicit selection (never the default
/// one).
fn guard_change(targets: &[&Target], explicit: bool) -> Result<(), FleetError> {
    if targets.len() > 1 && !explicit {
        return Err(FleetError::NotExplicit {
            targets: targets.iter().map(|t| t.name.clone()).collect(),
        });
    }
    Ok(())
}

/// How a fleet call is resolved (by [`crate::settings`]): the targets file and the
/// selection, or `None` for the one implicit target. `server_given` says
/// `-s`/`-c`/`SUPERVISOR_SERVER_URL` named a daemon, which wins over a targets file
/// found on its own (not over `--fleet`/`-t`). The file's warnings (a password file
/// others can read...) go to `warnings`, to be shown once. Errors: `-t` without a
/// targets file; an unreadable or invalid file; a bad target.
pub fn resolve(
    args: &FleetArgs,
    server_given: bool,
    common: &Common,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<Option<Fleet>, FleetError> {
    let target = args
        .target
        .clone()
        .or_else(|| env(file::ENV_TARGET).filter(|s| !s.is_empty()));
    let located = file::locate(args.file.as_deref(), env);
    let wanted = target.is_some()
        || args.file.is_some()
        || env(file::ENV_FLEET).is_some()
        || (!server_given && located.is_some());
    if !wanted {
        return Ok(None);
    }
    let Some(path) = located else {
        return Err(FleetError::NoTargetsFile);
    };
    let f = file::load(&path)?;
    let targets = target::targets(&f, common, env, warnings)?;
    if targets.is_empty() {
        return Err(FleetError::Invalid {
            path,
            detail: "no [targets.NAME] table".into(),
        });
    }
    let explicit = target.is_some();
    let selection = target.or(f.defaults.target.clone()).unwrap_or_else(|| "all".into());
    Ok(Some(Fleet {
        targets,
        selector: Selector::parse(&selection)?,
        selection,
        explicit,
        concurrency: f.defaults.concurrency,
        memory: common.fleet_memory_mib.unwrap_or(f.defaults.fleet_memory_mib) << 20,
        path,
    }))
}
