//! One scrape: every selected target asked in parallel, each within its deadline
//! ([`crate::fleet::fan_out`]): one `system.multicall` of `getAllProcessInfo` and the
//! daemon's state, version and pid (`ops::status::query`); for a daemon on this
//! host, CPU and memory of each process tree from one /proc snapshot; with an event
//! journal, the journal's new lines since the last scrape (its size, then only the
//! bytes added). Counters (starts, unexpected exits) are kept across scrapes.

use crate::fleet::{Fleet, TargetError, TargetOutcome, fan_out};
use crate::supervisor::host::{LocalHost, Snapshot};
use crate::supervisor::journal::{self, JournalEvent, Kind};
use crate::supervisor::ops::info::DaemonInfo;
use crate::supervisor::ops::logs;
use crate::supervisor::ops::status::{self, ProcessStatus, StatusQuery};
use crate::supervisor::{Client, Result};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// Most journal bytes read in one scrape (the rest is skipped, not counted).
const JOURNAL_READ_MAX: u64 = 1024 * 1024;

/// What one target gave.
#[derive(Debug, Clone)]
pub struct Daemon {
    pub info: DaemonInfo,
    pub processes: Vec<ProcessStatus>,
    /// By pid: CPU seconds and resident bytes of the tree (daemon on this host).
    pub usage: Option<HashMap<i64, (f64, u64)>>,
    /// Whether counters come from the journal (else from start times seen).
    pub journal: bool,
}

/// A whole scrape: each target's outcome (sorted by name), and the counters.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    pub targets: Vec<TargetOutcome<Daemon>>,
    /// When the targets were asked, seconds since the Unix epoch.
    pub asked_at_s: f64,
    /// By target, then namespec: (starts, unexpected exits).
    pub counters: HashMap<String, HashMap<String, (u64, u64)>>,
}

/// What one target answered before counters are folded in.
struct Asked {
    daemon: Daemon,
    /// The journal's new events and its size now.
    journal: Option<(Vec<JournalEvent>, u64)>,
}

/// Counters of one target across scrapes.
#[derive(Debug, Default)]
struct Counted {
    /// The journal's size at the last scrape (`None`: not read yet).
    cursor: Option<u64>,
    /// By namespec: starts, unexpected exits.
    counts: HashMap<String, (u64, u64)>,
    /// Without a journal: the start time seen last, by namespec.
    starts: HashMap<String, i64>,
}

/// The counters of every target, kept between scrapes.
#[derive(Debug, Default)]
pub struct Counters {
    by_target: HashMap<String, Counted>,
}

/// Asks every selected target of `fleet` (see the module doc), and folds the new
/// journal events (or start times) into `counters`.
pub async fn scrape(fleet: &Fleet, counters: &mut Counters) -> Scrape {
    let asked_at_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let targets = fleet.selected().unwrap_or_default();
    let snapshot = if targets.iter().any(|t| t.client.transport().is_local()) {
        Some(Arc::new(
            tokio::task::spawn_blocking(Snapshot::take).await.unwrap_or_default(),
        ))
    } else {
        None
    };
    let items = targets
        .into_iter()
        .map(|t| {
            let cursor = counters.by_target.get(&t.name).and_then(|c| c.cursor);
            (t, cursor)
        })
        .collect();
    let outcomes = fan_out(
        items,
        fleet.limits(),
        |t| t.deadline,
        |t, cursor| {
            let snapshot = snapshot.clone();
            async move { ask(&t.client, cursor, snapshot.as_deref()).await }
        },
    )
    .await;
    let mut out = Scrape {
        asked_at_s,
        ..Scrape::default()
    };
    for o in outcomes {
        let result = o.result.map(|a| {
            let c = counters.by_target.entry(o.target.clone()).or_default();
            c.fold(&a);
            out.counters.insert(o.target.clone(), c.counts.clone());
            a.daemon
        });
        out.targets.push(TargetOutcome {
            target: o.target,
            elapsed: o.elapsed,
            result,
        });
    }
    out
}

/// One target: its status, its processes' usage, its journal's new events.
async fn ask(client: &Client, cursor: Option<u64>, snapshot: Option<&Snapshot>) -> Result<Asked> {
    let q = StatusQuery {
        daemon: true,
        ..StatusQuery::default()
    };
    let report = status::query(client, &q).await?;
    let info = report.daemon.unwrap_or_default();
    let local = client
        .transport()
        .is_local()
        .then(|| LocalHost::from_pid(info.pid))
        .flatten();
    let usage = match (local, snapshot) {
        (Some(_), Some(snap)) => Some(
            report
                .processes
                .iter()
                .filter_map(|p| Some((p.pid, snap.usage(i32::try_from(p.pid).ok().filter(|p| *p > 0)?)?)))
                .collect(),
        ),
        _ => None,
    };
    let has_journal = report.processes.iter().any(|p| p.group == journal::LISTENER);
    let journal = match has_journal {
        true => Some(new_events(client, cursor).await?),
        false => None,
    };
    Ok(Asked {
        daemon: Daemon {
            info,
            processes: report.processes,
            usage,
            journal: has_journal,
        },
        journal,
    })
}

/// The journal's events after byte `cursor` (none on the first look: counting
/// starts now), and its size now. A journal smaller than the cursor was rotated:
/// read from its start.
async fn new_events(client: &Client, cursor: Option<u64>) -> Result<(Vec<JournalEvent>, u64)> {
    let size = journal::read::journal_size(client).await?;
    let Some(from) = cursor else {
        return Ok((Vec::new(), size));
    };
    let from = if size < from { 0 } else { from };
    if size == from {
        return Ok((Vec::new(), size));
    }
    let len = (size - from).min(JOURNAL_READ_MAX);
    let start = size - len;
    let read = logs::read_range(client, &journal::read::source(), start, len).await?;
    let text = String::from_utf8_lossy(&read.bytes);
    // A first line cut by the bound is skipped (it does not parse).
    let events = text.lines().filter_map(JournalEvent::parse).collect();
    Ok((events, size))
}

impl Counted {
    /// Adds what a scrape saw: the journal's starts and crashes, or (without a
    /// journal) a start time that changed since the last scrape.
    fn fold(&mut self, a: &Asked) {
        if let Some((events, size)) = &a.journal {
            self.cursor = Some(*size);
            for e in events {
                let Some(p) = e.process() else { continue };
                let c = self.counts.entry(p.process.clone()).or_default();
                c.0 += u64::from(e.is(Kind::Start));
                c.1 += u64::from(e.is(Kind::Crash));
            }
        } else {
            for p in &a.daemon.processes {
                let last = self.starts.insert(p.name.clone(), p.start);
                let c = self.counts.entry(p.name.clone()).or_default();
                if last.is_some_and(|l| l != p.start && p.start != 0) {
                    c.0 += 1;
                }
            }
        }
        // Every known process has its counters, at 0 until something happens; a
        // process the daemon no longer lists (a `program run` that ended) has none.
        for p in &a.daemon.processes {
            self.counts.entry(p.name.clone()).or_default();
        }
        let listed: HashSet<&str> = a.daemon.processes.iter().map(|p| p.name.as_str()).collect();
        self.counts.retain(|name, _| listed.contains(name.as_str()));
        self.starts.retain(|name, _| listed.contains(name.as_str()));
    }
}

/// How long ago (seconds) a scrape of `Scrape` may be served again.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// An outcome's error, for the `kind` label.
pub fn kind(e: &TargetError) -> &'static str {
    e.kind.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::ProcessInfo;

    /// A scrape (without a journal) listing `names`, each started at `start`.
    fn asked(names: &[&str], start: i64) -> Asked {
        let processes = names
            .iter()
            .map(|n| {
                ProcessStatus::from(&ProcessInfo {
                    name: (*n).into(),
                    group: (*n).into(),
                    start,
                    ..ProcessInfo::default()
                })
            })
            .collect();
        Asked {
            daemon: Daemon {
                info: DaemonInfo::default(),
                processes,
                usage: None,
                journal: false,
            },
            journal: None,
        }
    }

    #[test]
    fn a_process_gone_from_the_daemon_is_gone_from_the_counters() {
        let mut c = Counted::default();
        c.fold(&asked(&["web", "run-1a2b3c4d"], 100));
        c.fold(&asked(&["web", "run-1a2b3c4d"], 200));
        assert_eq!(c.counts.get("run-1a2b3c4d"), Some(&(1, 0)));
        c.fold(&asked(&["web"], 300));
        assert_eq!(c.counts.keys().collect::<Vec<_>>(), ["web"], "{:?}", c.counts);
        assert_eq!(c.starts.keys().collect::<Vec<_>>(), ["web"], "{:?}", c.starts);
        assert_eq!(c.counts["web"], (2, 0));
    }
}
