//! A look at processes and logs now, with the least daemon work: the one place that
//! chooses between a `getProcessInfo` per name and one `getAllProcessInfo`, for the
//! wait engine ([`super::poll`]) and the watch engine ([`crate::supervisor::watch`]).
//!
//! - Named processes and log sizes: one `system.multicall` of `getProcessInfo` and
//!   `tailProcessStdoutLog`/`tailProcessStderrLog(name, 0, 0)` (a size probe), so a
//!   look costs the daemon what is asked, not what all its processes cost. When the
//!   daemon answers the batch HTTP 500 (a log over 2 GiB), each is asked alone.
//! - The whole list (`getAllProcessInfo`) when asked for it ([`List::Also`]: to see
//!   processes come or go), or instead of the names when there are more than
//!   [`ONE_BY_ONE_MAX`] ([`List::IfMany`]); named processes are then taken from it.

use super::logs::{self, LogSource};
use crate::supervisor::client::methods::{GetProcessInfo, TailProcessLog};
use crate::supervisor::client::multicall::{Batch, Slot};
use crate::supervisor::{Channel, Client, Error, Fault, FaultCode, ProcessInfo, Result};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Up to this many processes are asked by name with [`List::IfMany`]; more than
/// that, one `getAllProcessInfo`.
pub const ONE_BY_ONE_MAX: usize = 50;

/// When to read the whole process list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum List {
    /// Never: named processes one by one, however many.
    #[default]
    Never,
    /// Instead of the names when there are more than [`ONE_BY_ONE_MAX`]; its failure
    /// is the look's.
    IfMany,
    /// Always, to see processes come or go; named processes are taken from it, or
    /// asked by name when it fails.
    Also,
}

/// What to look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ask<'a> {
    /// Processes by namespec (`name` or `group:name`).
    pub processes: &'a [String],
    /// Logs whose size to probe: (namespec, stdout or stderr).
    pub logs: &'a [(String, Channel)],
    pub list: List,
}

/// The process list, as read.
#[derive(Debug)]
pub struct Listed {
    /// Every process, sorted by group then name. Errors: the daemon's.
    pub processes: Result<Vec<ProcessInfo>>,
    /// How long the call took (a timed-out call counts: the daemon was busy with it).
    pub took: Duration,
}

/// What a look saw of each thing asked. A thing missing from a map could not be
/// looked at this time (a fault other than BAD_NAME, such as NO_FILE for a log).
#[derive(Debug, Default)]
pub struct Looks {
    /// Each process asked: its info, or `None` when the daemon does not know the
    /// name (BAD_NAME).
    pub processes: HashMap<String, Option<ProcessInfo>>,
    /// Each log asked: its size in bytes, or `None` when the daemon does not know
    /// the process.
    pub logs: HashMap<(String, Channel), Option<u64>>,
}

/// A look: the list when read, and the things asked.
#[derive(Debug)]
pub struct Sight {
    /// The list, when read (with [`List::IfMany`], only when it succeeded).
    pub list: Option<Listed>,
    /// Errors: the daemon cannot be asked (or, with [`List::IfMany`], the list failed).
    pub looks: Result<Looks>,
}

/// Looks at what `ask` names (see the module's doc for the calls made).
pub async fn look(client: &Client, ask: &Ask<'_>) -> Sight {
    let wants_list = match ask.list {
        List::Never => false,
        List::IfMany => ask.processes.len() > ONE_BY_ONE_MAX,
        List::Also => true,
    };
    let mut looks = Looks::default();
    let mut by_name = ask.processes;
    let mut list = None;
    if wants_list {
        let listed = self::list(client).await;
        match &listed.processes {
            Ok(all) => {
                looks.processes = from_list(ask.processes, all);
                by_name = &[];
            }
            Err(_) if ask.list == List::IfMany => {
                return Sight {
                    list: None,
                    looks: listed.processes.map(|_| looks),
                };
            }
            Err(_) => {}
        }
        list = Some(listed);
    }
    let looks = match named(client, by_name, ask.logs).await {
        Ok(more) => {
            looks.processes.extend(more.processes);
            looks.logs = more.logs;
            Ok(looks)
        }
        Err(e) => Err(e),
    };
    Sight { list, looks }
}

/// `getAllProcessInfo`, timed.
pub async fn list(client: &Client) -> Listed {
    let started = Instant::now();
    let processes = client.get_all_process_info().await;
    Listed {
        processes,
        took: started.elapsed(),
    }
}

/// The named processes, taken from a full list: found by namespec or as
/// `group:name`; one not listed is unknown.
fn from_list(names: &[String], all: &[ProcessInfo]) -> HashMap<String, Option<ProcessInfo>> {
    let mut by_name: HashMap<String, &ProcessInfo> = HashMap::new();
    for p in all {
        by_name.insert(p.namespec(), p);
        by_name.insert(format!("{}:{}", p.group, p.name), p);
    }
    names
        .iter()
        .map(|n| (n.clone(), by_name.get(n).map(|p| (*p).clone())))
        .collect()
}

/// Named processes and log sizes in one multicall (nothing when none is asked);
/// each alone when the daemon answers the batch HTTP 500.
async fn named(client: &Client, processes: &[String], logs: &[(String, Channel)]) -> Result<Looks> {
    let mut batch = Batch::new();
    let infos: Vec<Slot<GetProcessInfo>> = processes
        .iter()
        .map(|n| batch.add(GetProcessInfo { name: n.clone() }))
        .collect();
    let sizes: Vec<Slot<TailProcessLog>> = logs
        .iter()
        .map(|(name, channel)| {
            batch.add(TailProcessLog {
                name: name.clone(),
                channel: *channel,
                offset: 0,
                length: 0,
            })
        })
        .collect();
    let mut replies = match client.multicall(batch).await {
        Ok(r) => r,
        Err(Error::HttpStatus { status: 500, .. }) => return Ok(one_by_one(client, processes, logs).await),
        Err(e) => return Err(e),
    };
    let mut looks = Looks::default();
    for (name, slot) in processes.iter().zip(infos) {
        if let Some(v) = known(replies.take_each(slot)?) {
            looks.processes.insert(name.clone(), v);
        }
    }
    for (log, slot) in logs.iter().zip(sizes) {
        let size = replies
            .take_each(slot)?
            .map(|(_, size, _)| u64::try_from(size).unwrap_or(0));
        if let Some(v) = known(size) {
            looks.logs.insert(log.clone(), v);
        }
    }
    Ok(looks)
}

/// A reply as a look: the value, `None` for BAD_NAME (the daemon does not know the
/// name); nothing for another fault.
fn known<T>(r: std::result::Result<T, Fault>) -> Option<Option<T>> {
    match r {
        Ok(v) => Some(Some(v)),
        Err(f) => (f.code == FaultCode::BadName).then_some(None),
    }
}

/// [`named`], one call each (a log's size through [`logs::size`], which reads past
/// 2 GiB).
async fn one_by_one(client: &Client, processes: &[String], logs: &[(String, Channel)]) -> Looks {
    let mut looks = Looks::default();
    for name in processes {
        if let Some(v) = known_error(client.get_process_info(name).await) {
            looks.processes.insert(name.clone(), v);
        }
    }
    for (name, ch) in logs {
        if let Some(v) = known_error(logs::size(client, &LogSource::process(name, *ch)).await) {
            looks.logs.insert((name.clone(), *ch), v);
        }
    }
    looks
}

/// [`known`], for a call's error.
fn known_error<T>(r: Result<T>) -> Option<Option<T>> {
    match r {
        Ok(v) => Some(Some(v)),
        Err(Error::NoSuchProcess { .. }) => Some(None),
        Err(Error::Fault(f)) => known::<T>(Err(f)),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::fake::{FakeDaemon, Model};

    async fn see(c: &Client, processes: &[String], logs: &[(String, Channel)], list: List) -> Sight {
        look(c, &Ask { processes, logs, list }).await
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    /// Named processes and logs: one multicall; BAD_NAME is "unknown".
    #[tokio::test]
    async fn named_things_cost_one_multicall() {
        let d = FakeDaemon::start(Model::recorded()).await;
        let two = names(&["ticker", "nope"]);
        let logs = [
            ("ticker".to_owned(), Channel::Stdout),
            ("nope".to_owned(), Channel::Stderr),
        ];
        let s = see(&d.client(), &two, &logs, List::Never).await;
        assert!(s.list.is_none());
        let looks = s.looks.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            looks.processes["ticker"].as_ref().map(ProcessInfo::namespec).as_deref(),
            Some("ticker")
        );
        assert_eq!(looks.processes["nope"], None, "BAD_NAME: unknown");
        assert_eq!(looks.logs[&logs[0]], Some(0));
        assert_eq!(looks.logs[&logs[1]], None);
        assert_eq!(
            d.model().trace(),
            [
                "multicall()",
                "getProcessInfo(ticker)",
                "getProcessInfo(nope)",
                "tailProcessStdoutLog(ticker)",
                "tailProcessStderrLog(nope)"
            ]
        );
    }

    /// `IfMany`: by name up to 50, the list past that; `Also`: the list, named
    /// processes from it, and the logs in a multicall.
    #[tokio::test]
    async fn the_list_is_read_when_many_or_asked_for() {
        let d = FakeDaemon::start(Model::recorded()).await;
        let c = d.client();
        let mut many: Vec<String> = (0..ONE_BY_ONE_MAX).map(|i| format!("p{i}")).collect();
        let few = see(&c, &many, &[], List::IfMany).await;
        assert!(few.list.is_none());
        assert_eq!(d.model().count("supervisor.getAllProcessInfo"), 0);
        many.push("web:web_a".into());
        let s = see(&c, &many, &[], List::IfMany).await;
        let looks = s.looks.unwrap_or_default();
        assert_eq!(looks.processes.len(), 51);
        assert!(looks.processes["web:web_a"].is_some() && looks.processes["p0"].is_none());
        assert_eq!(d.model().count("supervisor.getAllProcessInfo"), 1);
        assert_eq!(d.model().count("supervisor.getProcessInfo"), 50, "the few only");
        d.model().calls.clear();
        let logs = [("colors".to_owned(), Channel::Stdout)];
        let one = names(&["worker:worker_00"]);
        let s = see(&c, &one, &logs, List::Also).await;
        assert_eq!(s.list.and_then(|l| l.processes.ok()).map(|p| p.len()), Some(7));
        assert!(s.looks.unwrap_or_default().processes["worker:worker_00"].is_some());
        assert_eq!(
            d.model().trace(),
            ["getAllProcessInfo()", "multicall()", "tailProcessStdoutLog(colors)"]
        );
    }

    /// A list that fails: `Also` asks the processes by name; `IfMany` fails.
    #[tokio::test]
    async fn a_failed_list_falls_back_to_names_or_fails() {
        let d = FakeDaemon::start(Model::recorded()).await;
        d.model().stalled.insert("supervisor.getAllProcessInfo".into());
        let c = d.client_with_timeout(Duration::from_millis(300));
        let one = names(&["ticker"]);
        let s = see(&c, &one, &[], List::Also).await;
        let listed = s.list.unwrap_or_else(|| panic!("the list was tried"));
        assert!(listed.processes.is_err() && listed.took >= Duration::from_millis(300));
        assert!(s.looks.unwrap_or_default().processes["ticker"].is_some());
        let many: Vec<String> = (0..=ONE_BY_ONE_MAX).map(|i| format!("p{i}")).collect();
        let s = see(&c, &many, &[], List::IfMany).await;
        assert!(matches!(s.looks, Err(Error::Timeout { .. })), "{:?}", s.looks);
    }
}
