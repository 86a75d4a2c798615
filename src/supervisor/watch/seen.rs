//! The last look at a watched key ([`Seen`]), and turning a look's answers into
//! last looks: what the engine compares between two looks.

use super::Key;
use crate::supervisor::ops::look::Looks;
use crate::supervisor::types::Channel;
use crate::supervisor::watch::Snapshot;
use std::collections::HashMap;
use std::time::Duration;

/// The last look at one key: `None` while the daemon does not know the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    Process(Option<Snapshot>),
    Log(Option<u64>),
}

/// How long a look taken before a subscription stands as its first look.
pub(super) const PRIMED_FOR: Duration = Duration::from_secs(10);

impl Seen {
    /// Whether the daemon did not know the process.
    pub(super) fn unknown(self) -> bool {
        matches!(self, Seen::Process(None) | Seen::Log(None))
    }
}

/// The processes and logs among `keys`, for a look.
pub(super) fn split(keys: &[Key]) -> (Vec<String>, Vec<(String, Channel)>) {
    let (mut processes, mut logs) = (Vec::new(), Vec::new());
    for k in keys {
        match k {
            Key::Process(n) => processes.push(n.clone()),
            Key::Log(n, ch) => logs.push((n.clone(), *ch)),
            Key::Processes => {}
        }
    }
    (processes, logs)
}

/// A look's answers as the last look at each key.
pub(super) fn seen_of(looks: Looks) -> HashMap<Key, Seen> {
    let processes = looks
        .processes
        .into_iter()
        .map(|(n, p)| (Key::Process(n), Seen::Process(p.as_ref().map(Snapshot::from))));
    let logs = looks
        .logs
        .into_iter()
        .map(|((n, ch), s)| (Key::Log(n, ch), Seen::Log(s)));
    processes.chain(logs).collect()
}
