//! Namespec selection: `name`, `group:name`, `group:*` (or `group:`), a bare group
//! name, and `all`, resolved in one place, with the least daemon work: named
//! processes one by one, groups and `all` from `getAllProcessInfo`.

mod suggest;

pub use suggest::{explain, suggest};

use crate::supervisor::Client;
use crate::supervisor::client::methods::{GetAllProcessInfo, GetProcessInfo};
use crate::supervisor::client::multicall::{Batch, Replies};
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::types::ProcessInfo;
use std::collections::{HashMap, HashSet};

/// Why a process cannot be acted on: its name holds a character no request can carry.
pub const UNCARRIED_NAME: &str = "this name holds a control character that XML-RPC cannot carry; rename the program";

/// The processes an operation that changes them acts on: `names` resolved against
/// the daemon with the least work ([`lookup`]). A process whose name no request
/// can carry ([`crate::xmlrpc::carries`]: ESC, BEL... which supervisord accepts in
/// names) is left out, into [`Selection::uncarried`]: `all` or `group:*` still act
/// on every other. Errors: [`Error::Usage`] for an empty list (acting on every
/// process needs the explicit name `all`), and the daemon's errors.
pub async fn resolve(client: &Client, names: &[String]) -> Result<Selection> {
    if names.is_empty() {
        return Err(Error::Usage(
            "no process named: name the processes (name, group:name, group:*), or `all` for every one".into(),
        ));
    }
    let mut sel = lookup(client, names, Batch::new()).await?.0;
    let (ok, uncarried): (Vec<ProcessInfo>, Vec<ProcessInfo>) = std::mem::take(&mut sel.processes)
        .into_iter()
        .partition(|p| crate::xmlrpc::carries(&p.namespec()));
    sel.processes = ok;
    sel.uncarried = uncarried.iter().map(ProcessInfo::namespec).collect();
    Ok(sel)
}

/// True when every name names one process (`name` or `group:name`): they can be
/// looked up one by one. `all`, `group:*` and `group:` select groups.
pub fn one_by_one(names: &[String]) -> bool {
    !names.is_empty()
        && names
            .iter()
            .all(|n| n != "all" && !n.ends_with(':') && !n.ends_with(":*"))
}

/// Resolves `names` with the least daemon work, running `batch` (the caller's other
/// calls) in the same `system.multicall`: names of processes cost one
/// `getProcessInfo` each; `all` and groups fetch every process (`getAllProcessInfo`),
/// as does, afterwards, a bare name the daemon does not know as a process (it may be
/// a group; or it matched nothing, and the closest known name is wanted). Returns the
/// selection, in the daemon's order (group, then name), and the batch's replies.
pub async fn lookup(client: &Client, names: &[String], mut batch: Batch) -> Result<(Selection, Replies)> {
    if !one_by_one(names) {
        let every = batch.add(GetAllProcessInfo {});
        let mut replies = client.multicall(batch).await?;
        let all = replies.take(every)?;
        return Ok((select(&all, names), replies));
    }
    // A name no request can carry is looked for among every process.
    let mut wanted: Vec<&String> = Vec::new();
    let mut missing = Vec::new();
    for n in names {
        if !crate::xmlrpc::carries(n) {
            missing.push(n.clone());
        } else if !wanted.contains(&n) {
            wanted.push(n);
        }
    }
    let slots: Vec<_> = wanted
        .iter()
        .map(|n| batch.add(GetProcessInfo { name: (*n).clone() }))
        .collect();
    let mut replies = client.multicall(batch).await?;
    let mut sel = Selection::default();
    for (name, slot) in wanted.into_iter().zip(slots) {
        match replies.take_each(slot)? {
            Ok(p) => {
                sel.explicit.insert(p.namespec());
                sel.processes.push(p);
            }
            Err(f) if f.code == FaultCode::BadName => missing.push(name.clone()),
            Err(f) => return Err(Error::Fault(f)),
        }
    }
    if !missing.is_empty() {
        let all = client.get_all_process_info().await?;
        let more = select(&all, &missing);
        sel.explicit.extend(more.explicit);
        sel.processes.extend(more.processes);
        sel.unknown = more.unknown;
        sel.suggestions = more.suggestions;
    }
    sel.processes
        .sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
    sel.processes.dedup_by(|a, b| a.group == b.group && a.name == b.name);
    Ok((sel, replies))
}

/// The processes a list of names selects, in the daemon's order, without duplicates.
#[derive(Debug, Default)]
pub struct Selection {
    pub processes: Vec<ProcessInfo>,
    /// Names that matched nothing, as given.
    pub unknown: Vec<String>,
    /// Namespecs named one by one (as opposed to through `all` or a group).
    pub explicit: HashSet<String>,
    /// For an unknown name, the closest known one ("did you mean").
    pub suggestions: HashMap<String, String>,
    /// Namespecs selected that no request can carry ([`resolve`] leaves them out of
    /// `processes`; see [`UNCARRIED_NAME`]).
    pub uncarried: Vec<String>,
}

impl Selection {
    /// The closest known name to an unknown one, if any is close.
    pub fn suggestion(&self, unknown: &str) -> Option<String> {
        self.suggestions.get(unknown).cloned()
    }
}

/// Selects processes. `all` among the names selects every process; no names select
/// nothing (an empty list never means "everything": a caller that wants every
/// process says `all`, so a list that came out empty cannot stop them all).
/// A bare name selects that process; when no process has that namespec but a group
/// has that name, it selects the group (supervisorctl would answer BAD_NAME).
pub fn select(all: &[ProcessInfo], names: &[String]) -> Selection {
    let mut wanted: HashSet<String> = HashSet::new();
    let mut sel = Selection::default();
    if names.iter().any(|n| n == "all") {
        wanted.extend(all.iter().map(ProcessInfo::namespec));
    }
    for name in names.iter().filter(|n| *n != "all") {
        let matched: Vec<&ProcessInfo> = match name.split_once(':') {
            Some((group, "" | "*")) => all.iter().filter(|p| p.group == group).collect(),
            Some((group, proc_name)) => all.iter().filter(|p| p.group == group && p.name == proc_name).collect(),
            None => {
                let exact: Vec<&ProcessInfo> = all.iter().filter(|p| p.namespec() == *name).collect();
                if exact.is_empty() {
                    all.iter().filter(|p| p.group == *name).collect()
                } else {
                    exact
                }
            }
        };
        if matched.is_empty() {
            sel.unknown.push(name.clone());
            if let Some(s) = suggest(all, name) {
                sel.suggestions.insert(name.clone(), s);
            }
        }
        let single = matched.len() == 1 && !name.ends_with(':') && !name.ends_with(":*");
        for p in matched {
            let ns = p.namespec();
            if single {
                sel.explicit.insert(ns.clone());
            }
            wanted.insert(ns);
        }
    }
    sel.processes = all.iter().filter(|p| wanted.contains(&p.namespec())).cloned().collect();
    sel
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(group: &str, name: &str) -> ProcessInfo {
        ProcessInfo {
            group: group.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    fn names(sel: &Selection) -> Vec<String> {
        sel.processes.iter().map(ProcessInfo::namespec).collect()
    }

    #[test]
    fn selects_every_namespec_form() {
        let all = vec![
            p("cat", "cat_00"),
            p("cat", "cat_01"),
            p("sleeper", "sleeper"),
            p("web", "web_a"),
        ];
        let s = |n: &[&str]| select(&all, &n.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert!(names(&s(&[])).is_empty(), "no names select nothing");
        assert_eq!(names(&s(&["all"])).len(), 4);
        assert_eq!(names(&s(&["cat:*"])), ["cat:cat_00", "cat:cat_01"]);
        assert_eq!(names(&s(&["cat:"])), ["cat:cat_00", "cat:cat_01"]);
        assert_eq!(names(&s(&["cat"])), ["cat:cat_00", "cat:cat_01"]);
        assert_eq!(
            names(&s(&["cat:cat_01", "sleeper", "sleeper"])),
            ["cat:cat_01", "sleeper"]
        );
        let sel = s(&["nope", "cat:nope", "web_a"]);
        assert!(sel.processes.is_empty());
        assert_eq!(sel.unknown, ["nope", "cat:nope", "web_a"]);
        assert!(s(&["sleeper", "cat:*"]).explicit.contains("sleeper"));
        assert!(!s(&["sleeper", "cat:*"]).explicit.contains("cat:cat_00"));
    }

    #[test]
    fn suggests_the_closest_name_for_a_typo() {
        let all = vec![
            p("ticker", "ticker"),
            p("web", "web_a"),
            p("web", "web_b"),
            p("crasher", "crasher"),
        ];
        assert_eq!(suggest(&all, "tickr").as_deref(), Some("ticker"));
        assert_eq!(suggest(&all, "web:web_c").as_deref(), Some("web:web_a"));
        assert_eq!(suggest(&all, "wbe").as_deref(), Some("web"));
        assert_eq!(suggest(&all, "nothing_like_it"), None);
        let sel = select(&all, &["crashr".to_owned()]);
        assert_eq!(sel.suggestion("crashr").as_deref(), Some("crasher"));
    }

    /// What each form of name costs the daemon, and what it selects (issue #12.1).
    #[tokio::test]
    async fn names_cost_what_they_name() {
        use crate::supervisor::fake::{FakeDaemon, Model};
        let d = FakeDaemon::start(Model::recorded()).await;
        let c = d.client();
        let cases: [(&[&str], &[&str], usize, usize); 7] = [
            // names, selected, getProcessInfo calls, getAllProcessInfo calls
            (&["ticker"], &["ticker"], 1, 0),
            (&["web:web_b", "colors"], &["colors", "web:web_b"], 2, 0),
            (&["web:*"], &["web:web_a", "web:web_b"], 0, 1),
            (&["web:"], &["web:web_a", "web:web_b"], 0, 1),
            // A bare group name: not a process, so looked up among the groups.
            (&["worker"], &["worker:worker_00", "worker:worker_01"], 1, 1),
            (
                &["all"],
                &[
                    "colors",
                    "crasher",
                    "ticker",
                    "web:web_a",
                    "web:web_b",
                    "worker:worker_00",
                    "worker:worker_01",
                ],
                0,
                1,
            ),
            // Unknown: looked up, then every process for "did you mean".
            (&["tickr"], &[], 1, 1),
        ];
        for (names, selected, one, every) in cases {
            d.model().calls.clear();
            let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
            let sel = resolve(&c, &names).await.unwrap_or_else(|e| panic!("{names:?}: {e}"));
            let got: Vec<String> = sel.processes.iter().map(ProcessInfo::namespec).collect();
            assert_eq!(got, selected, "{names:?}");
            let m = d.model();
            assert_eq!(m.count("supervisor.getProcessInfo"), one, "{names:?}: {:?}", m.trace());
            assert_eq!(
                m.count("supervisor.getAllProcessInfo"),
                every,
                "{names:?}: {:?}",
                m.trace()
            );
        }
        d.model().calls.clear();
        let sel = resolve(&c, &["tickr".to_owned()])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sel.unknown, ["tickr"]);
        assert_eq!(sel.suggestion("tickr").as_deref(), Some("ticker"));
    }
}
