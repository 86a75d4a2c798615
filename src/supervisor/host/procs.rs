//! Process trees from /proc: snapshots, descendants, CPU and memory.

use procfs::Current;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// CPU is measured over this interval (`status --metrics`).
pub const METRICS_INTERVAL: Duration = Duration::from_millis(200);

/// One process in a /proc snapshot.
#[derive(Debug, Clone)]
struct Proc {
    ppid: i32,
    /// Its own CPU time (utime + stime), clock ticks.
    ticks: u64,
    /// The CPU time of its children it has reaped (cutime + cstime), clock ticks.
    reaped_ticks: u64,
    /// When it started, clock ticks after boot.
    start_ticks: u64,
    rss_pages: u64,
}

/// `/proc/PID/stat` in one open and one read (a snapshot reads every process's:
/// `procfs` takes twice the system calls), or `None` when it has gone.
fn read_stat(pid: i32) -> Option<Proc> {
    use std::io::Read;
    let mut buf = [0u8; 1024];
    let n = std::fs::File::open(format!("/proc/{pid}/stat"))
        .and_then(|mut f| f.read(&mut buf))
        .ok()?;
    parse_stat(buf.get(..n)?)
}

/// The fields of a `/proc/PID/stat` line we keep (proc(5): after the command in
/// parentheses, which may hold anything, come state, ppid, ... utime (14), stime,
/// cutime, cstime (17), ... starttime (22), vsize, rss (24)).
fn parse_stat(line: &[u8]) -> Option<Proc> {
    let after = line.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(line.get(after + 1..)?).ok()?;
    let f: Vec<&str> = rest.split_ascii_whitespace().take(22).collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok());
    Some(Proc {
        ppid: i32::try_from(num(1)?).ok()?,
        ticks: num(11)?.max(0) as u64 + num(12)?.max(0) as u64,
        reaped_ticks: num(13)?.max(0) as u64 + num(14)?.max(0) as u64,
        start_ticks: num(19)?.max(0) as u64,
        rss_pages: num(21)?.max(0) as u64,
    })
}

/// At most this many roots are walked from their own children (each tree read alone);
/// more read every process on the host once ([`Snapshot::take`]).
const WALK_ROOTS: usize = 8;

/// The processes of the trees of `roots` (at most [`WALK_ROOTS`]; more: every
/// process), on a blocking thread (empty if that thread cannot run).
async fn snapshot(roots: &[i32]) -> Snapshot {
    let roots = roots.to_vec();
    let take = move || match roots.len() <= WALK_ROOTS {
        true => Snapshot::trees(&roots).unwrap_or_else(Snapshot::take),
        false => Snapshot::take(),
    };
    tokio::task::spawn_blocking(take).await.unwrap_or_default()
}

/// The children of `pid`: what each of its threads forked, from
/// `/proc/PID/task/TID/children`, each file in one read (the kernel restarts its
/// list at every read by position, and a sibling exiting between two reads would hide
/// a child). `None` when such a file cannot be read whole (a kernel built without
/// CONFIG_PROC_CHILDREN, one that refuses it, or more children than one read holds);
/// empty when `pid` has gone.
fn children_of(pid: i32) -> Option<Vec<i32>> {
    use std::io::Read;
    let threads = match std::fs::read_dir(format!("/proc/{pid}/task")) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(Vec::new()),
        Err(_) => return None,
    };
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    for t in threads.flatten() {
        let read = std::fs::File::open(t.path().join("children")).and_then(|mut f| f.read(&mut buf));
        match read {
            Ok(n) if n < buf.len() => {
                let list = buf.get(..n).unwrap_or_default();
                let pids = list.split(|b| b.is_ascii_whitespace());
                out.extend(pids.filter_map(|p| std::str::from_utf8(p).ok()?.parse::<i32>().ok()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !t.path().exists() => {}
            _ => return None,
        }
    }
    Some(out)
}

/// True when `pid` is a process, not a thread of another (a thread's id reads like a
/// pid in /proc, though no listing of /proc shows it): its `Tgid:` is itself.
fn is_process(pid: i32) -> bool {
    let status = std::fs::read(format!("/proc/{pid}/status")).unwrap_or_default();
    String::from_utf8_lossy(&status)
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .is_some_and(|t| t.trim() == pid.to_string())
}

/// The most processes [`Snapshot::trees`] reads.
const MAX_WALKED: usize = 100_000;

/// The processes of the host, or of a few trees of it ([`Snapshot::trees`]), at one
/// instant.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    procs: HashMap<i32, Proc>,
    children: HashMap<i32, Vec<i32>>,
    at: Option<Instant>,
    /// Seconds since boot (/proc/uptime), read with the processes.
    uptime_s: Option<f64>,
}

impl Snapshot {
    /// Reads /proc. Processes that vanish while reading are skipped.
    pub fn take() -> Snapshot {
        let mut procs = HashMap::new();
        if let Ok(all) = std::fs::read_dir("/proc") {
            for entry in all.flatten() {
                let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
                    continue;
                };
                if let Some(p) = read_stat(pid) {
                    procs.insert(pid, p);
                }
            }
        }
        Snapshot::of(procs)
    }

    /// The trees of `roots` only, walked down from each root through its threads'
    /// children (a few reads a process, where [`Snapshot::take`] reads every process
    /// of the host). At most [`MAX_WALKED`] processes. `None` when the kernel does not
    /// list children.
    fn trees(roots: &[i32]) -> Option<Snapshot> {
        let mut procs = HashMap::new();
        let mut queue: Vec<i32> = roots.iter().copied().filter(|p| is_process(*p)).collect();
        while let Some(pid) = queue.pop() {
            if procs.len() >= MAX_WALKED || procs.contains_key(&pid) {
                continue;
            }
            let Some(p) = read_stat(pid) else { continue };
            procs.insert(pid, p);
            queue.extend(children_of(pid)?);
        }
        Some(Snapshot::of(procs))
    }

    /// A snapshot of `procs`, read just now.
    fn of(procs: HashMap<i32, Proc>) -> Snapshot {
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        for (pid, p) in &procs {
            children.entry(p.ppid).or_default().push(*pid);
        }
        Snapshot {
            procs,
            children,
            at: Some(Instant::now()),
            uptime_s: procfs::Uptime::current().ok().map(|u| u.uptime),
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

    /// CPU time used so far (seconds, user and system) and resident memory (bytes)
    /// of `pid`'s whole tree at this instant; `None` when `pid` is not there.
    pub fn usage(&self, pid: i32) -> Option<(f64, u64)> {
        self.procs.get(&pid)?;
        let tree: Vec<&Proc> = self.tree(pid).iter().filter_map(|p| self.procs.get(p)).collect();
        let ticks: u64 = tree.iter().map(|p| p.ticks).sum();
        let rss: u64 = tree.iter().map(|p| p.rss_pages * procfs::page_size()).sum();
        Some((ticks as f64 / procfs::ticks_per_second() as f64, rss))
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

    /// CPU time of the processes of `tree` that this snapshot holds, clock ticks.
    fn ticks(&self, tree: &[i32]) -> u64 {
        tree.iter().filter_map(|p| self.procs.get(p)).map(|p| p.ticks).sum()
    }

    /// The tree of `pid`'s average CPU since `pid` started, % of one core: the CPU
    /// time of the tree and of the children it reaped, over `pid`'s age.
    fn average_since_start(&self, pid: i32, tree: &[i32], hz: f64) -> Option<f64> {
        let start = self.procs.get(&pid)?.start_ticks as f64 / hz;
        let age = self.uptime_s? - start;
        let ticks: u64 = tree
            .iter()
            .filter_map(|p| self.procs.get(p))
            .map(|p| p.ticks + p.reaped_ticks)
            .sum();
        Some(ticks as f64 / hz / age.max(1.0 / hz) * 100.0)
    }
}

/// CPU and memory of a process tree. CPU is either sampled (`cpu_percent`, over
/// `cpu_sample_ms`) or, without a sample, averaged since the process started
/// (`cpu_avg_percent`); never both.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Metrics {
    /// CPU over the sample, in % of one core, for the whole tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
    /// How long CPU was sampled, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_sample_ms: Option<u64>,
    /// CPU averaged since the process started (no sample), in % of one core, for the
    /// whole tree and the children it reaped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_avg_percent: Option<f64>,
    /// Resident memory of the whole tree, bytes.
    pub rss_bytes: u64,
    /// Descendants of the process (its children, their children...).
    pub children: usize,
}

impl Metrics {
    /// `cpu 1.5%` (sampled) or `cpu 1.5% avg since start`.
    pub fn cpu_text(&self) -> String {
        match (self.cpu_percent, self.cpu_avg_percent) {
            (Some(c), _) => format!("cpu {c}%"),
            (None, Some(a)) => format!("cpu {a}% avg since start"),
            (None, None) => "cpu ?".to_owned(),
        }
    }
}

/// CPU and memory of the trees of `pids`. With a `sample`, /proc is read twice,
/// `sample` apart, and CPU is what the trees used meanwhile (`cpu_percent`); without
/// one, /proc is read once and CPU is each tree's average since its root started
/// (`cpu_avg_percent`): nothing waits. A few trees are walked down from their roots
/// (a few reads a process); more read every process of the host (a few ms on a busy
/// one). The reads run off the async runtime, so the caller's other requests go on
/// meanwhile.
pub async fn metrics(pids: &[i32], sample: Option<Duration>) -> HashMap<i32, Metrics> {
    let first = match sample {
        Some(interval) => {
            let first = snapshot(pids).await;
            tokio::time::sleep(interval).await;
            Some(first)
        }
        None => None,
    };
    let second = snapshot(pids).await;
    let hz = procfs::ticks_per_second() as f64;
    let page = procfs::page_size();
    pids.iter()
        .filter(|p| **p > 0 && second.procs.contains_key(p))
        .map(|&pid| {
            let tree = second.tree(pid);
            let rss: u64 = tree
                .iter()
                .filter_map(|p| second.procs.get(p))
                .map(|p| p.rss_pages * page)
                .sum();
            let mut m = Metrics {
                cpu_percent: None,
                cpu_sample_ms: None,
                cpu_avg_percent: None,
                rss_bytes: rss,
                children: tree.len() - 1,
            };
            match (&first, sample) {
                (Some(first), Some(interval)) => {
                    let secs = match (first.at, second.at) {
                        (Some(a), Some(b)) => b.duration_since(a).as_secs_f64().max(0.001),
                        _ => interval.as_secs_f64(),
                    };
                    let used = second.ticks(&tree).saturating_sub(first.ticks(&tree));
                    m.cpu_percent = Some(tenths(used as f64 / hz / secs * 100.0));
                    m.cpu_sample_ms = Some(u64::try_from(interval.as_millis()).unwrap_or(u64::MAX));
                }
                _ => m.cpu_avg_percent = second.average_since_start(pid, &tree, hz).map(tenths),
            }
            (pid, m)
        })
        .collect()
}

/// `x` rounded to one decimal.
fn tenths(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our reading of /proc/PID/stat: the fields after a command holding spaces and
    /// parentheses, and what procfs reads of a live process (fields that do not move).
    #[test]
    fn stat_reads_as_proc5_says() {
        let line =
            b"42 (odd) x (y) S 7 42 42 0 -1 4194560 100 0 0 0 15 6 3 2 20 0 1 0 9876 1000 250 18446744073709551615";
        let p = parse_stat(line).unwrap_or_else(|| panic!("not parsed"));
        assert_eq!(
            (p.ppid, p.ticks, p.reaped_ticks, p.start_ticks, p.rss_pages),
            (7, 21, 5, 9876, 250)
        );
        assert!(parse_stat(b"42 (no closing paren S 7").is_none());
        assert!(parse_stat(b"42 (short) S 7 42").is_none());
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let pid = child.id() as i32;
        let ours = read_stat(pid);
        let theirs = procfs::process::Process::new(pid).and_then(|p| p.stat());
        let _ = child.kill();
        let _ = child.wait();
        let (ours, st) = (
            ours.unwrap_or_else(|| panic!("no stat")),
            theirs.unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!((ours.ppid, ours.start_ticks), (st.ppid, st.starttime));
        assert!(read_stat(i32::MAX).is_none());
    }

    #[test]
    fn finds_this_process_and_its_tree() {
        let me = std::process::id() as i32;
        let snap = Snapshot::take();
        assert!(snap.tree(me).contains(&me));
        let parent = snap.procs.get(&me).map(|p| p.ppid).unwrap_or(0);
        assert_eq!(snap.ancestor_in(me, &HashSet::from([parent])), Some(parent));
    }

    /// A tree walked down from its root holds what reading every process finds under
    /// it: two children and a grandchild, and nothing else; and a child forked by a
    /// thread other than the main one (tests run on their own threads).
    #[test]
    fn a_walked_tree_is_the_tree_every_process_shows() {
        let mut sh = std::process::Command::new("sh")
            .args(["-c", "sh -c 'sleep 30; true' & sleep 30 & wait"])
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let root = sh.id() as i32;
        let mut walked = Vec::new();
        for _ in 0..100 {
            walked = Snapshot::trees(&[root])
                .unwrap_or_else(|| panic!("no children files"))
                .tree(root);
            if walked.len() == 4 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut all = Snapshot::take().tree(root);
        for p in walked.iter().chain(&all).filter(|p| **p != root) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(*p), nix::sys::signal::Signal::SIGKILL);
        }
        let _ = sh.kill();
        let _ = sh.wait();
        walked.sort_unstable();
        all.sort_unstable();
        assert_eq!(walked.len(), 4, "{walked:?}");
        assert_eq!(walked, all);
        let me = std::process::id() as i32;
        let this_thread = nix::unistd::gettid().as_raw();
        assert_ne!(this_thread, me, "this test runs on a thread of its own");
        let mut kid = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let mine = Snapshot::trees(&[me]).map(|s| s.tree(me));
        let _ = kid.kill();
        let _ = kid.wait();
        assert!(mine.is_some_and(|t| t.contains(&(kid.id() as i32))));
        assert!(Snapshot::trees(&[i32::MAX]).is_some_and(|s| s.tree(i32::MAX).is_empty()));
        assert!(Snapshot::trees(&[this_thread]).is_some_and(|s| s.tree(this_thread).is_empty()));
    }

    /// Without a sample nothing waits: CPU is the average since start, and only that.
    #[tokio::test]
    async fn without_a_sample_cpu_is_the_average_since_start() {
        let me = std::process::id() as i32;
        let m = metrics(&[me], None)
            .await
            .remove(&me)
            .unwrap_or_else(|| panic!("no metrics for this process"));
        assert!(m.cpu_avg_percent.is_some_and(|c| c >= 0.0), "{m:?}");
        assert_eq!((m.cpu_percent, m.cpu_sample_ms), (None, None), "{m:?}");
        let m = metrics(&[me], Some(Duration::from_millis(20))).await.remove(&me);
        assert!(
            m.is_some_and(|m| m.cpu_percent.is_some() && m.cpu_sample_ms == Some(20) && m.cpu_avg_percent.is_none())
        );
    }
}
