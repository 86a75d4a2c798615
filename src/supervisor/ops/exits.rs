//! The exit status of a process that exited before `startsecs` ("Exited too
//! quickly"): supervisord keeps none for it (`exitstatus` reads 0 in BACKOFF and
//! FATAL), but writes it to its own log: `exited: NAME (exit status 3; not expected)`
//! or `exited: NAME (terminated by SIGSEGV; not expected)`. Read from the last lines of
//! that log, only when such a process is asked about.

use super::logs::{self, LogSource, TailOptions};
use crate::supervisor::Client;
use crate::supervisor::types::{ProcessInfo, ProcessState};
use std::collections::HashMap;

/// How a process last exited, as supervisord logged it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoggedExit {
    /// The exit status, when it exited (not when a signal ended it).
    pub status: Option<i64>,
    /// supervisord's words: `exit status 3`, `terminated by SIGSEGV`.
    pub how: String,
}

/// Lines of the main log read for this; bytes at most.
const LINES: usize = 400;
const MAX_BYTES: u64 = 256 * 1024;

/// True for a process whose exit status supervisord did not keep: it exited before
/// `startsecs` and is in BACKOFF or FATAL.
pub fn status_unknown(state: ProcessState, exitstatus: i64, spawnerr: &str) -> bool {
    matches!(state, ProcessState::Backoff | ProcessState::Fatal) && exitstatus == 0 && !spawnerr.is_empty()
}

/// The last exit of each process named in the main log's last lines, by process
/// name (supervisord logs the name without the group). Empty when the main log
/// cannot be read (no log file, or it is syslog).
pub async fn logged_exits(client: &Client) -> HashMap<String, LoggedExit> {
    let opts = TailOptions {
        lines: LINES,
        max_bytes: MAX_BYTES,
        raw: false,
    };
    let Ok(tail) = logs::tail(client, &LogSource::Main, &opts).await else {
        return HashMap::new();
    };
    let mut out = HashMap::new();
    for line in &tail.lines {
        if let Some((name, exit)) = parse(line) {
            out.insert(name, exit);
        }
    }
    out
}

/// The logged exit of `p`, when supervisord kept no exit status for it.
pub async fn logged_exit(client: &Client, p: &ProcessInfo) -> Option<LoggedExit> {
    if !status_unknown(p.state(), p.exitstatus, &p.spawnerr) {
        return None;
    }
    logged_exits(client).await.remove(&p.name)
}

/// `... exited: NAME (exit status 3; not expected)` -> (`NAME`, status 3).
pub(crate) fn parse(line: &str) -> Option<(String, LoggedExit)> {
    let rest = &line[line.find("exited: ")? + "exited: ".len()..];
    let (name, rest) = rest.split_once(" (")?;
    let how = rest.strip_suffix(')')?.rsplit_once("; ").map_or(rest, |(h, _)| h);
    let status = how.strip_prefix("exit status ").and_then(|n| n.trim().parse().ok());
    Some((
        name.to_owned(),
        LoggedExit {
            status,
            how: how.to_owned(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_supervisord_s_exit_lines() {
        let (name, e) =
            parse("2026-11-22 10:00:01,123 WARN exited: crasher (exit status 3; not expected)").unwrap_or_default();
        assert_eq!(
            (name.as_str(), e.status, e.how.as_str()),
            ("crasher", Some(3), "exit status 3")
        );
        let (name, e) =
            parse("WARN exited: web_a (terminated by SIGSEGV (core dumped); not expected)").unwrap_or_default();
        assert_eq!((name.as_str(), e.status), ("web_a", None));
        assert_eq!(e.how, "terminated by SIGSEGV (core dumped)");
        assert!(parse("INFO spawned: 'crasher' with pid 42").is_none());
    }
}
