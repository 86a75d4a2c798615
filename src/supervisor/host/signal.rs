//! Signals to a process and all its descendants.

use super::procs::Snapshot;
use crate::supervisor::error::{Error, Result};

/// Sends `signal` (a name such as `HUP`/`SIGHUP`, or a number) to `pid` and every
/// descendant, children first. Returns the pids signalled.
/// Errors: an unknown signal name.
pub fn signal_tree(pid: i32, signal: &str) -> Result<Vec<i32>> {
    use nix::sys::signal::{Signal, kill};
    let upper = signal.to_ascii_uppercase();
    let sig = match upper.parse::<i32>() {
        Ok(n) => Signal::try_from(n),
        Err(_) => {
            let name = if upper.starts_with("SIG") {
                upper.clone()
            } else {
                format!("SIG{upper}")
            };
            name.parse::<Signal>()
        }
    }
    .map_err(|_| {
        Error::Invalid(format!(
            "unknown signal {signal:?}: use a name such as HUP, TERM, USR1, or a number"
        ))
    })?;
    let mut tree = Snapshot::take().tree(pid);
    tree.reverse();
    let mut sent = Vec::new();
    for p in tree {
        if kill(nix::unistd::Pid::from_raw(p), sig).is_ok() {
            sent.push(p);
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_signals_are_refused() {
        assert!(signal_tree(1, "NOPE").is_err());
    }
}
