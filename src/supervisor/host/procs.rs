//! Process trees from /proc: snapshots, descendants, CPU and memory.

use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// CPU is measured over this interval.
pub const METRICS_INTERVAL: Duration = Duration::from_millis(200);

/// One process in a /proc snapshot.
#[derive(Debug, Clone)]
struct Proc {
    ppid: i32,
    ticks: u64,
    rss_pages: u64,
}

/// [`Snapshot::take`] on a blocking thread (empty if that thread cannot run).
async fn snapshot() -> Snapshot {
    tokio::task::spawn_blocking(Snapshot::take).await.unwrap_or_default()
}

/// Every process on the host at one instant.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    procs: HashMap<i32, Proc>,
    children: HashMap<i32, Vec<i32>>,
    at: Option<Instant>,
}

impl Snapshot {
    /// Reads /proc. Processes that vanish while reading are skipped.
    pub fn take() -> Snapshot {
        let mut procs = HashMap::new();
        if let Ok(all) = procfs::process::all_processes() {
            for p in all.flatten() {
                if let Ok(st) = p.stat() {
                    procs.insert(
                        st.pid,
                        Proc {
                            ppid: st.ppid,
                            ticks: st.utime + st.stime,
                            rss_pages: st.rss,
                        },
                    );
                }
            }
        }
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        for (pid, p) in &procs {
            children.entry(p.ppid).or_default().push(*pid);
        }
        Snapshot {
            procs,
            children,
            at: Some(Instant::now()),
        }
    }

    /// `pid` and all its descendants.
    pub fn tree(&self, pid: i32) -> Vec<i32> {
        let mut out = vec![pid];
        let mut i = 0;
        while i < out.len() {
            if let Some(kids) = self.children.get(&out[i]) {
                out.extend(kids);
            }
            i += 1;
        }
        out.retain(|p| self.procs.contains_key(p));
        out
    }

    /// The nearest of `candidates` among `pid` and its ancestors.
    pub fn ancestor_in(&self, pid: i32, candidates: &HashSet<i32>) -> Option<i32> {
        let mut cur = pid;
        for _ in 0..64 {
            if candidates.contains(&cur) {
                return Some(cur);
            }
            cur = self.procs.get(&cur)?.ppid;
            if cur <= 1 {
                return None;
            }
        }
        None
    }
}

/// CPU and memory of a process tree.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Metrics {
    /// CPU over the sampling interval, in % of one core, for the whole tree.
    pub cpu_percent: f64,
    /// Resident memory of the whole tree, bytes.
    pub rss_bytes: u64,
    /// Descendants of the process (its children, their children...).
    pub children: usize,
}

/// Samples the trees of `pids` twice, `interval` apart. The reads of /proc (every
/// process of the host, a few ms) run off the async runtime, so the caller's other
/// requests go on meanwhile.
pub async fn metrics(pids: &[i32], interval: Duration) -> HashMap<i32, Metrics> {
    let first = snapshot().await;
    tokio::time::sleep(interval).await;
    let second = snapshot().await;
    let secs = match (first.at, second.at) {
        (Some(a), Some(b)) => b.duration_since(a).as_secs_f64().max(0.001),
        _ => interval.as_secs_f64(),
    };
    let hz = procfs::ticks_per_second() as f64;
    let page = procfs::page_size();
    pids.iter()
        .filter(|p| **p > 0 && second.procs.contains_key(p))
        .map(|&pid| {
            let tree = second.tree(pid);
            let ticks_now: u64 = tree.iter().filter_map(|p| second.procs.get(p)).map(|p| p.ticks).sum();
            let ticks_before: u64 = tree.iter().filter_map(|p| first.procs.get(p)).map(|p| p.ticks).sum();
            let rss: u64 = tree
                .iter()
                .filter_map(|p| second.procs.get(p))
                .map(|p| p.rss_pages * page)
                .sum();
            let cpu = ticks_now.saturating_sub(ticks_before) as f64 / hz / secs * 100.0;
            let m = Metrics {
                cpu_percent: (cpu * 10.0).round() / 10.0,
                rss_bytes: rss,
                children: tree.len() - 1,
            };
            (pid, m)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_this_process_and_its_tree() {
        let me = std::process::id() as i32;
        let snap = Snapshot::take();
        assert!(snap.tree(me).contains(&me));
        let parent = snap.procs.get(&me).map(|p| p.ppid).unwrap_or(0);
        assert_eq!(snap.ancestor_in(me, &HashSet::from([parent])), Some(parent));
    }
}
