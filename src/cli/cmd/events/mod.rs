//! `events`: the journal's history and new events ([`show`]), `events
//! install|uninstall|status` ([`setup`]) and the relay. One daemon is the fleet of
//! one implicit target, so every subcommand runs the same way on one daemon and
//! across targets (`-t`): each target within its own deadline, a failed target
//! saying why, a target column (`TARGET/name`) only for a targets file. This is the
//! command's only fleet glue (the current `fleet::fan_out` API).

mod polled;
mod setup;
mod show;

use crate::cli::exit::ExitStatus;
use crate::cli::output::Printer;
use crate::cli::{EventsArgs, EventsCmd};
use crate::fleet::{Fleet, Scope, Summary, Target, TargetOutcome, fan_out};
use crate::settings::Settings;
use crate::supervisor::Error;
use anyhow::Result;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

/// What every subcommand needs.
pub(super) struct Ctx {
    pub fleet: Fleet,
    /// A targets file: show targets.
    pub many: bool,
    pub p: Printer,
    pub include_dir: Option<PathBuf>,
}

impl Ctx {
    /// Runs `op` on each planned target, each within its deadline plus `extra`. For
    /// one daemon, its error is the command's (with its exit code).
    pub async fn each<A, T, F, Fut>(
        &self,
        mut planned: Vec<(Target, A)>,
        extra: Duration,
        op: F,
    ) -> Result<Vec<TargetOutcome<T>>>
    where
        T: Send + 'static,
        F: Fn(Target, A) -> Fut,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
    {
        if !self.many
            && let Some((t, a)) = planned.pop()
        {
            let target = t.name.clone();
            let start = std::time::Instant::now();
            let result = Ok(op(t, a).await?);
            return Ok(vec![TargetOutcome {
                target,
                elapsed: start.elapsed(),
                result,
            }]);
        }
        Ok(fan_out(planned, self.fleet.limits(), |t| t.deadline + extra, op).await)
    }

    /// The end of a fleet's output: a line per failed target and the summary (exit 1
    /// when one failed, unless `ok` says worse).
    pub fn finish<T>(&self, outcomes: &[TargetOutcome<T>], ok: ExitStatus) -> Result<ExitStatus> {
        if !self.many {
            return Ok(ok);
        }
        if !self.p.json {
            let mut lines = crate::cli::fleet::failed_lines(outcomes);
            lines.push(Summary::of(outcomes).line());
            self.p.lines(&lines)?;
        }
        Ok(crate::cli::fleet::or_failed(outcomes, ok))
    }
}

/// Runs `events` (any subcommand but `relay`, which `main` runs before settings).
pub async fn run(settings: &Settings, p: Printer, a: EventsArgs) -> Result<ExitStatus> {
    let (fleet, many) = match &settings.scope {
        Scope::Fleet(f) => (f.clone(), true),
        Scope::One(c) => (Fleet::implicit(c.clone(), settings.rpc_timeout), false),
    };
    let ctx = Ctx {
        fleet,
        many,
        p,
        include_dir: settings.include_dir.clone(),
    };
    match &a.cmd {
        Some(EventsCmd::Install(i)) => setup::install(&ctx, i).await,
        Some(EventsCmd::Uninstall) => setup::uninstall(&ctx).await,
        Some(EventsCmd::Status) => setup::status(&ctx).await,
        Some(EventsCmd::Relay) => Ok(relay().await),
        None => show::show(&ctx, &a).await,
    }
}

/// `events relay`, run by supervisord: the listener until its stdin closes. Exit 1
/// when stdout or stderr went away (nothing is printed: stdout is the protocol's).
pub async fn relay() -> ExitStatus {
    match crate::supervisor::journal::relay::run().await {
        Ok(()) => ExitStatus::Success,
        Err(_) => ExitStatus::Failure,
    }
}

/// `target/name` across a fleet, `name` for one daemon.
pub(super) fn who(many: bool, target: &str, name: &str) -> String {
    if many {
        format!("{target}/{name}")
    } else {
        name.to_owned()
    }
}
