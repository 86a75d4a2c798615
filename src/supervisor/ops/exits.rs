//! The exit status of a process that exited before `startsecs` ("Exited too
//! quickly"): supervisord keeps none for it (`exitstatus` reads 0 in BACKOFF and
//! FATAL), but writes it to its own log: `exited: NAME (exit status 3; not expected)`
//! or `exited: NAME (terminated by SIGSEGV; not expected)`. Read from the last lines of
//! that log, only when such a process is asked about.

use super::logs::{self, LogSource, TailOptions};
use crate::supervisor::Client;
use crate::supervisor::types::{ProcessInfo, ProcessState};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

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
/// name (supervisord logs the name without the group). `None` when the main log
/// cannot be read (no log file, or it is syslog).
async fn read_logged_exits(client: &Client) -> Option<HashMap<String, LoggedExit>> {
    let opts = TailOptions {
        lines: LINES,
        max_bytes: MAX_BYTES,
        raw: false,
    };
    let tail = logs::tail(client, &LogSource::Main, &opts).await.ok()?;
    Some(tail.lines.iter().filter_map(|l| parse(l)).collect())
}

/// One run of a process, on one daemon: its address, the process's name (without
/// the group), and the run's start and stop times (epoch seconds).
type Run = (String, String, i64, i64);

/// Most runs [`SEEN`] keeps (it is emptied past this).
const SEEN_MAX: usize = 4096;

/// What the main log said of each run already looked for (`None`: not logged in its
/// last lines). A run's exit line never changes once logged, so a long-lived server
/// (MCP) reads the main log once per exit instead of at every `status`.
static SEEN: LazyLock<Mutex<HashMap<Run, Option<LoggedExit>>>> = LazyLock::new(Default::default);

/// The logged exit of each of `runs` (process name without the group, start, stop),
/// by name: from what was kept when every run was looked for before, else from the
/// main log's last lines (one read, kept unless it failed). Empty when the main log
/// cannot be read.
pub async fn logged_exits_of(client: &Client, runs: &[(&str, i64, i64)]) -> HashMap<String, LoggedExit> {
    let daemon = client.display_url();
    let key = |&(name, start, stop): &(&str, i64, i64)| (daemon.to_owned(), name.to_owned(), start, stop);
    let found = |name: &str, e: Option<LoggedExit>| e.map(|e| (name.to_owned(), e));
    {
        let seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
        let kept: Option<Vec<_>> = runs
            .iter()
            .map(|r| seen.get(&key(r)).map(|e| (r.0, e.clone())))
            .collect();
        if let Some(kept) = kept {
            return kept.into_iter().filter_map(|(n, e)| found(n, e)).collect();
        }
    }
    let Some(mut logged) = read_logged_exits(client).await else {
        return HashMap::new();
    };
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    if seen.len() + runs.len() > SEEN_MAX {
        seen.clear();
    }
    let mut out = HashMap::new();
    for r in runs {
        let e = logged.remove(r.0);
        seen.insert(key(r), e.clone());
        out.extend(found(r.0, e));
    }
    out
}

/// The logged exit of `p`, when supervisord kept no exit status for it.
pub async fn logged_exit(client: &Client, p: &ProcessInfo) -> Option<LoggedExit> {
    if !status_unknown(p.state(), p.exitstatus, &p.spawnerr) {
        return None;
    }
    logged_exits_of(client, &[(&p.name, p.start, p.stop)])
        .await
        .remove(&p.name)
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

    /// A long-lived server asks about the same crashed process again and again
    /// (`status` every few seconds): the main log is read once for its run, and again
    /// only for a new run.
    #[tokio::test]
    async fn the_main_log_is_read_once_per_run() {
        use crate::supervisor::fake::{Behaviour, FakeDaemon, Model};
        use crate::supervisor::ops::status::{StatusQuery, query};
        let d = FakeDaemon::start(Model::recorded()).await;
        let crash = Behaviour::Crashes {
            status: 3,
            line: "boom".into(),
        };
        d.model().behaviours.insert("web_a".into(), crash);
        let c = d.client();
        let _ = c
            .start_process("web:web_a", true, std::time::Duration::from_secs(5))
            .await;
        let q = StatusQuery {
            names: vec!["web:web_a".into()],
            ..StatusQuery::default()
        };
        for _ in 0..3 {
            let r = query(&c, &q).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.processes[0].exitstatus, 3, "{r:?}");
        }
        assert_eq!(d.model().count("supervisor.readLog"), 1);
        // Another run of it: read again.
        if let Some(p) = d.model().processes.iter_mut().find(|p| p.name == "web_a") {
            p.start += 10;
        }
        let r = query(&c, &q).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.processes[0].exitstatus, 3, "{r:?}");
        assert_eq!(d.model().count("supervisor.readLog"), 2);
    }
}
