//! Namespec selection: `name`, `group:name`, `group:*` (or `group:`), a bare group
//! name, and `all`, resolved against `getAllProcessInfo` in one place.

use crate::supervisor::Client;
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::types::ProcessInfo;
use std::collections::{HashMap, HashSet};

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
    /// For an unknown name, the closest known one ("did you mean").
    pub suggestions: HashMap<String, String>,
}

impl Selection {
    /// The closest known name to an unknown one, if any is close.
    pub fn suggestion(&self, unknown: &str) -> Option<String> {
        self.suggestions.get(unknown).cloned()
    }
}

/// The known name closest to `name` (namespecs, `group:*` forms and bare group names),
/// when it is close enough to be a typo: at most a third of the name's characters
/// differ (and at least one may).
pub fn suggest(all: &[ProcessInfo], name: &str) -> Option<String> {
    let mut known: Vec<String> = all.iter().map(ProcessInfo::namespec).collect();
    for p in all {
        if p.group != p.name {
            let g = format!("{}:*", p.group);
            if !known.contains(&g) {
                known.push(g);
                known.push(p.group.clone());
            }
        }
    }
    let limit = (name.chars().count() / 3).max(1);
    known
        .into_iter()
        .map(|k| (strsim::damerau_levenshtein(name, &k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)))
        .map(|(_, k)| k)
}

/// The error for a name the daemon does not know, with the closest known name
/// (one `getAllProcessInfo`, on this error path only).
pub async fn no_such_process(client: &Client, name: &str) -> Error {
    let suggestion = match client.get_all_process_info().await {
        Ok(all) => suggest(&all, name),
        Err(_) => None,
    };
    Error::NoSuchProcess {
        name: name.to_owned(),
        suggestion,
    }
}

/// `e`, with a BAD_NAME fault about `name` turned into [`Error::NoSuchProcess`] (with
/// its suggestion); any other error as it is.
pub async fn explain(client: &Client, name: &str, e: Error) -> Error {
    match &e {
        Error::Fault(f) if f.code == FaultCode::BadName => no_such_process(client, name).await,
        _ => e,
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
}
