//! Polling the daemon until processes settle: the one wait engine behind start, stop,
//! restart, state waits and one-shot runs. Each poll is one short look
//! ([`super::look`]: a multicall of `getProcessInfo` for up to 50 processes waited
//! on, one `getAllProcessInfo` for more), so a frozen daemon gives a timeout error,
//! never a hang, while the whole wait is bounded by its own timeout.

use super::look::{self, Ask, List, Listed};
use crate::supervisor::Client;
use crate::supervisor::error::Result;
use crate::supervisor::types::ProcessInfo;
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub(crate) fn info_map(all: Vec<ProcessInfo>) -> HashMap<String, ProcessInfo> {
    all.into_iter().map(|p| (p.namespec(), p)).collect()
}

/// While waiting, poll this often during [`FAST_PHASE`]...
const FAST_POLL: Duration = Duration::from_millis(25);

/// ...and at [`WaitOptions::poll`] after it.
const FAST_PHASE: Duration = Duration::from_secs(3);

/// The current info of `names` (names that no longer exist are left out), so that a
/// poll costs the daemon what the targets cost, not what all its processes cost,
/// unless they are many ([`look::ONE_BY_ONE_MAX`]).
pub(crate) async fn fetch_infos(client: &Client, names: &[String]) -> Result<HashMap<String, ProcessInfo>> {
    let ask = Ask {
        processes: names,
        list: List::IfMany,
        ..Ask::default()
    };
    let sight = look::look(client, &ask).await;
    if let Some(Listed { processes: Ok(all), .. }) = sight.list {
        return Ok(info_map(all));
    }
    Ok(info_map(sight.looks?.processes.into_values().flatten().collect()))
}

/// Polls until `settled` holds for every name, or `timeout` passes.
/// Returns the last info seen for each name (names that vanished are left out).
pub async fn wait_until(
    client: &Client,
    names: &[String],
    timeout: Duration,
    poll: Duration,
    settled: impl Fn(&ProcessInfo) -> bool,
) -> Result<(HashMap<String, ProcessInfo>, bool)> {
    wait_until_with_progress(client, names, timeout, poll, settled, |_| {}).await
}

/// What a wait reports after each poll.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitProgress {
    pub elapsed: Duration,
    pub timeout: Duration,
    /// How many of the processes have settled.
    pub settled: usize,
    pub total: usize,
}

/// [`wait_until`], calling `progress` after every poll.
pub async fn wait_until_with_progress(
    client: &Client,
    names: &[String],
    timeout: Duration,
    poll: Duration,
    settled: impl Fn(&ProcessInfo) -> bool,
    mut progress: impl FnMut(&WaitProgress),
) -> Result<(HashMap<String, ProcessInfo>, bool)> {
    let started = Instant::now();
    let deadline = started + timeout;
    loop {
        let infos = fetch_infos(client, names).await?;
        let count = names.iter().filter(|n| infos.get(*n).is_none_or(&settled)).count();
        progress(&WaitProgress {
            elapsed: started.elapsed(),
            timeout,
            settled: count,
            total: names.len(),
        });
        if count == names.len() {
            return Ok((infos, true));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok((infos, false));
        }
        // Fast at first, so a state change is seen within ~25 ms; then at `poll`.
        let interval = if started.elapsed() < FAST_PHASE {
            FAST_POLL.min(poll)
        } else {
            poll
        };
        tokio::time::sleep(interval.min(deadline - now)).await;
    }
}
