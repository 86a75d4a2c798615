//! Namespec selection: `name`, `group:name`, `group:*` (or `group:`), a bare group
//! name, and `all`, resolved against `getAllProcessInfo` in one place.

use crate::supervisor::Client;
use crate::supervisor::error::{Error, Result};
use crate::supervisor::types::ProcessInfo;
use std::collections::HashSet;

/// The processes an operation that changes them acts on: `names` resolved against
/// the daemon. Errors: [`Error::Usage`] for an empty list (acting on every process
/// needs the explicit name `all`), and the daemon's errors.
pub async fn resolve(client: &Client, names: &[String]) -> Result<Selection> {
    if names.is_empty() {
        return Err(Error::Usage(
            "no process named: name the processes (name, group:name, group:*), or `all` for every one".into(),
        ));
    }
    let all = client.get_all_process_info().await?;
    Ok(select(&all, names))
}

/// The processes a list of names selects, in the daemon's order, without duplicates.
#[derive(Debug, Default)]
pub struct Selection {
    pub processes: Vec<ProcessInfo>,
    /// Names that matched nothing, as given.
    pub unknown: Vec<String>,
    /// Namespecs named one by one (as opposed to through `all` or a group).
    pub explicit: HashSet<String>,
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
}
