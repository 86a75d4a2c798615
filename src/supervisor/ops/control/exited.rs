//! A process that exited on its own (EXITED) is started again by supervisord on its
//! main loop's next turn when it autorestarts, and until then `stopProcess` refuses it
//! (NOT_RUNNING): a stop that called it "already stopped" would see it running a
//! second later. So a stop looks at EXITED targets for one turn first, and stops the
//! ones that came back.

use crate::supervisor::Client;
use crate::supervisor::error::Result;
use crate::supervisor::ops::poll::wait_until;
use crate::supervisor::types::{ProcessInfo, ProcessState};
use std::collections::HashMap;
use std::time::Duration;

/// Longer than one turn of supervisord's main loop (1 s).
const ONE_TURN: Duration = Duration::from_millis(1300);

/// `infos` with the EXITED ones among `targets` looked at again for up to one turn:
/// those supervisord restarted meanwhile carry their new state (to be stopped); the
/// others are left as they were. Asks nothing when no target is EXITED.
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
    let (fresh, _) = wait_until(client, &exited, ONE_TURN, poll, |p| p.state() != ProcessState::Exited).await?;
    for (name, p) in fresh {
        if p.state() != ProcessState::Exited {
            out.insert(name, p);
        }
    }
    Ok(out)
}
