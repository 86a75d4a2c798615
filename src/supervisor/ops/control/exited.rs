//! A process that exited on its own (EXITED) is started again by supervisord on its
//! main loop's next turn when it autorestarts, and until then `stopProcess` refuses it
//! (NOT_RUNNING): a stop that called it "already stopped" would see it running a
//! second later. So a stop looks at EXITED targets for one turn first, and stops the
//! ones that came back. "One turn" is counted in the daemon's answers, not only in
//! time: each look is answered on a later turn of its loop than the one before, and
//! supervisord spawns an autorestarting process on the turn after it reaped it, so
//! [`MIN_LOOKS`] looks after the first see it come back however slowly a loaded
//! daemon turns.

use crate::supervisor::Client;
use crate::supervisor::client::methods::StopProcess;
use crate::supervisor::error::{Fault, FaultCode, Result};
use crate::supervisor::ops::poll::fetch_infos;
use crate::supervisor::types::{ProcessInfo, ProcessState};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Longer than one turn of supervisord's main loop (1 s).
const ONE_TURN: Duration = Duration::from_millis(1300);

/// Looks after the one that saw the target EXITED, each sent once the previous was
/// answered (so each is answered on a later turn of the daemon's loop).
const MIN_LOOKS: u32 = 2;

/// Between looks, at most this long.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// `infos` with the EXITED ones among `targets` looked at again for one turn (at least
/// [`ONE_TURN`] and [`MIN_LOOKS`] looks): those supervisord restarted meanwhile carry
/// their new state (to be stopped); the others are left as they were. Asks nothing
/// when no target is EXITED.
pub(super) async fn recheck(
    client: &Client,
    targets: &[String],
    infos: &HashMap<String, ProcessInfo>,
    poll: Duration,
) -> Result<HashMap<String, ProcessInfo>> {
    let exited: Vec<String> = targets
        .iter()
        .filter(|n| infos.get(*n).is_some_and(|p| p.state() == ProcessState::Exited))
        .cloned()
        .collect();
    let mut out = infos.clone();
    if exited.is_empty() {
        return Ok(out);
    }
    let started = Instant::now();
    let mut pending = exited;
    let mut looks = 0;
    loop {
        let fresh = fetch_infos(client, &pending).await?;
        looks += 1;
        pending.retain(|name| match fresh.get(name) {
            Some(p) if p.state() == ProcessState::Exited => true,
            Some(p) => {
                out.insert(name.clone(), p.clone());
                false
            }
            None => false,
        });
        if pending.is_empty() || (looks >= MIN_LOOKS && started.elapsed() >= ONE_TURN) {
            return Ok(out);
        }
        tokio::time::sleep(poll.min(LOOK_EVERY)).await;
    }
}

/// Rounds of "stop, look again" for a target that exited between the look that saw it
/// running and its `stopProcess` (NOT_RUNNING): a program that exits at once and
/// autorestarts runs only for moments at a time.
const STOP_ROUNDS: u32 = 5;

/// `stopProcess` (without waiting) for each of `to_stop`; one refused NOT_RUNNING is
/// looked at again ([`recheck`]) and, when supervisord restarted it, stopped again, up
/// to [`STOP_ROUNDS`] calls in all. Returns each target's last fault (`None`: it is
/// stopping); `infos` gets what the looks saw.
pub(super) async fn stop_calls(
    client: &Client,
    to_stop: Vec<String>,
    infos: &mut HashMap<String, ProcessInfo>,
    poll: Duration,
) -> Result<Vec<(String, Option<Fault>)>> {
    let mut out = Vec::new();
    let mut names = to_stop;
    for round in 1..=STOP_ROUNDS {
        let faults = super::lifecycle::batch(client, &names, |name| StopProcess { name, wait: false }).await?;
        let mut again = Vec::new();
        for (n, fault) in names.into_iter().zip(faults) {
            match fault {
                Some(f) if f.code == FaultCode::NotRunning && round < STOP_ROUNDS => again.push((n, f)),
                fault => out.push((n, fault)),
            }
        }
        if again.is_empty() {
            break;
        }
        let asked: Vec<String> = again.iter().map(|(n, _)| n.clone()).collect();
        let fresh = fetch_infos(client, &asked).await?;
        let fresh = recheck(client, &asked, &fresh, poll).await?;
        names = Vec::new();
        for (n, f) in again {
            match fresh.get(&n) {
                // Back (restarted): stop it again.
                Some(p) if !p.state().is_stopped() => names.push(n),
                // Still stopped: NOT_RUNNING stands (already stopped).
                _ => out.push((n, Some(f))),
            }
        }
        infos.extend(fresh);
        if names.is_empty() {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::supervisor::fake::{Behaviour, FakeDaemon, Model};
    use crate::supervisor::ops::control::{Outcome, WaitOptions, stop};
    use crate::supervisor::types::ProcessState;

    /// A program that exits at once and autorestarts is often found just exited by
    /// `stopProcess` (NOT_RUNNING) although it runs again a moment later: `stop` looks
    /// again and stops it, instead of calling it "already stopped".
    #[tokio::test]
    async fn stop_catches_a_process_that_slips_away_twice() {
        let d = FakeDaemon::start(Model::recorded()).await;
        let c = d.client();
        let _ = c
            .start_process("web:web_a", true, std::time::Duration::from_secs(5))
            .await;
        d.model()
            .behaviours
            .insert("web_a".into(), Behaviour::Flaps { slips: 2 });
        let opts = WaitOptions::default();
        let r = stop(&c, &["web:web_a".into()], &opts).await.unwrap_or_default();
        let outcomes: Vec<Outcome> = r.iter().map(|r| r.outcome).collect();
        assert_eq!(outcomes, [Outcome::Stopped], "{r:?}");
        let state = c.get_process_info("web:web_a").await.map(|p| p.state());
        assert_eq!(state.ok(), Some(ProcessState::Stopped));
    }
}
