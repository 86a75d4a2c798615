//! Typed operations on one daemon or across targets, for every front end: an
//! operation ([`Op`]) and its names ([`Call`]) go through the one policy gate
//! ([`crate::supervisor::Policy`]: `--read-only`, `--allow`, a target's `read_only`),
//! then run as the core's `ops::*` function, per target through the fan-out, each
//! target within its read deadline plus the operation's own wait. The answer is
//! typed: per target an [`Output`] or an error of a stable kind, sorted by target
//! name, and one summary ([`Report`]). Front ends only build the call and render
//! the answer.
//!
//! Across targets, a change is refused as a whole before anything runs when any
//! target refuses it without asking its daemon (a read-only target or server, a
//! change of every group under `--allow`); a name `--allow` does not match is known
//! only by asking, so that target alone refuses (kind `refused`).

mod op;
mod run;
#[cfg(test)]
mod tests;

pub use op::{LogsRead, Op, ProgramAdd, Progress, Reach};
pub use run::{Output, Pids, Version};

use super::fanout::{TargetOutcome, fan_out};
use super::report::Summary;
use super::{Fleet, FleetError, Target};
use crate::supervisor::{Client, Error, Policy};
use std::sync::Arc;

/// An operation and the names it acts on (each maybe qualified by a target,
/// `web-1/api`, across targets).
#[derive(Clone)]
pub struct Call {
    pub op: Op,
    pub names: Vec<String>,
}

impl Call {
    pub fn new(op: Op, names: Vec<String>) -> Call {
        Call { op, names }
    }
}

/// What a call across targets gave: one outcome per target, sorted by name, and
/// the summary.
#[derive(Debug)]
pub struct Report {
    pub outcomes: Vec<TargetOutcome<Output>>,
    pub summary: Summary,
}

/// Runs `op` on one daemon, through the gate (`policy`).
/// Errors: the gate's refusal ([`Error::Refused`]), the operation's errors.
pub async fn run_one(client: &Client, policy: &Policy, op: &Op, names: Vec<String>) -> Result<Output, Error> {
    if let Some(change) = op.changes(&names) {
        policy.check(client, op.what(), &change).await?;
    }
    op.run(client, names).await
}

/// The permissions on target `t`: `base`'s for it ([`Policy::for_target`]), and
/// none when it is read-only.
pub fn policy_for(fleet: &Fleet, base: &Policy, t: &Target) -> Policy {
    let p = base.for_target(&t.name, &t.tags);
    match fleet.read_only_reason(t) {
        Some(why) => p.read_only_target(why),
        None => p,
    }
}

/// The targets `call` goes to, each with its names (qualifiers removed): for an
/// operation on one daemon, that one ([`Fleet::one_target`]); else every selected
/// target without names, or the targets the names go to ([`Fleet::plan`]).
/// Errors: the selection's and the names', a change on several targets without an
/// explicit selection, not one target, an unusable one target.
pub fn plan(fleet: &Fleet, call: &Call) -> Result<Vec<(Target, Vec<String>)>, FleetError> {
    let changes = call.op.changes(&call.names).is_some();
    if call.op.reach() == Reach::One {
        let (t, bare) = fleet.one_target(call.names.first().map(String::as_str))?;
        return Ok(vec![(t, bare.into_iter().collect())]);
    }
    if call.names.is_empty() {
        let targets = if changes {
            fleet.for_change()?
        } else {
            fleet.selected()?
        };
        return Ok(targets.into_iter().map(|t| (t, Vec::new())).collect());
    }
    let planned = fleet.plan(&call.names, changes)?;
    if planned.is_empty() {
        return Err(FleetError::NothingSelected);
    }
    Ok(planned)
}

/// The gate on every planned target, before anything runs: what it refuses without
/// asking a daemon refuses the whole call.
pub fn gate(fleet: &Fleet, policy: &Policy, op: &Op, planned: &[(Target, Vec<String>)]) -> Result<(), FleetError> {
    for (t, names) in planned {
        if let Some(change) = op.changes(names) {
            policy_for(fleet, policy, t).check_change(op.what(), &change)?;
        }
    }
    Ok(())
}

/// Runs `call` across the fleet's targets ([`plan`]), through the gate ([`gate`],
/// then per target [`run_one`]), each target bounded by its deadline plus the
/// operation's [`Op::extra_time`]. Errors: those of [`plan`] and [`gate`]; a
/// target's own failure is its outcome.
pub async fn run(fleet: &Fleet, policy: &Policy, call: Call) -> Result<Report, FleetError> {
    let planned = plan(fleet, &call)?;
    gate(fleet, policy, &call.op, &planned)?;
    Ok(fan(fleet, policy, planned, call.op).await)
}

/// Runs `op` on the `planned` targets (gated already as a whole), each through its
/// own gate.
pub async fn fan(fleet: &Fleet, policy: &Policy, planned: Vec<(Target, Vec<String>)>, op: Op) -> Report {
    let extra = op.extra_time();
    let op = Arc::new(op);
    let items = planned
        .into_iter()
        .map(|(t, names)| {
            let p = policy_for(fleet, policy, &t);
            (t, (names, p))
        })
        .collect();
    let outcomes = fan_out(
        items,
        fleet.limits(),
        |t| t.deadline + extra,
        |t, (names, p)| {
            let op = op.clone();
            async move { run_one(&t.client, &p, &op, names).await }
        },
    )
    .await;
    Report {
        summary: Summary::of(&outcomes),
        outcomes,
    }
}
