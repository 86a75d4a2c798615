//! The one gate every change goes through, for every front end: `--read-only`
//! (change nothing), `--allow PATTERN` (control only the matching namespecs), and a
//! target's `read_only = true` (change nothing there), and under `serve` the
//! caller's token scope ([`Policy::narrowed`]). Checked here, once, before any
//! change is sent to the daemon; each refusal is [`Error::Refused`] (kind
//! `refused`) and says what is allowed.

use super::client::multicall::Batch;
use super::error::{Error, Result};
use super::ops::names;
use super::{Client, ProcessInfo};

/// What a change touches, as the gate sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    /// Processes by namespec (start, stop, restart, signal, stdin, clear).
    Processes(&'a [String]),
    /// One program by name (adding or removing it).
    Program(&'a str),
    /// Every group: the configuration (reread, update, reload, a dry run included:
    /// it re-reads the configuration; add or remove groups), or a command run as a
    /// transient program.
    Everything,
}

/// What may be changed.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Offer and accept nothing that changes a process or the configuration.
    pub read_only: bool,
    /// When not empty, only processes whose namespec (or group) matches one of these
    /// globs (`web:*`, `worker`, `api_?`) may be controlled, and configuration-wide
    /// changes (reload) are refused unless `*` is among them. A pattern may be
    /// qualified by target (`web-*/api`, `@prod/worker:*`): see [`Policy::for_target`].
    pub allow: Vec<glob::Pattern>,
    /// True when `--allow` was given: then only what `allow` matches may be
    /// controlled, even when, for one target, no pattern is left.
    pub restricted: bool,
    /// On a target of a targets file with `read_only = true`: why changes are
    /// refused there (see [`Policy::read_only_target`]).
    pub target_read_only: Option<String>,
    /// Permissions that must allow a change too: a token's scope under `serve`.
    pub also: Option<std::sync::Arc<Policy>>,
}

impl Policy {
    /// Parses `--allow` patterns. Errors: a pattern that is not a valid glob.
    pub fn new(read_only: bool, allow: &[String]) -> Result<Policy> {
        let allow = allow
            .iter()
            .map(|p| glob::Pattern::new(p).map_err(|e| Error::Invalid(format!("--allow {p:?}: {e}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Policy {
            read_only,
            restricted: !allow.is_empty(),
            allow,
            target_read_only: None,
            also: None,
        })
    }

    /// These permissions, narrowed by `other` (a token's scope): read-only when
    /// either is, and a change must pass both.
    pub fn narrowed(mut self, other: Policy) -> Policy {
        self.read_only |= other.read_only;
        self.also = Some(std::sync::Arc::new(match self.also.take() {
            Some(a) => (*a).clone().narrowed(other),
            None => other,
        }));
        self
    }

    /// The permissions on target `target` (with `tags`): the unqualified patterns,
    /// and those qualified by a term that matches the target (its name as a glob, or
    /// `@tag`), without their qualifier. Under `--allow`, a target no pattern names
    /// may control nothing.
    pub fn for_target(&self, target: &str, tags: &[String]) -> Policy {
        let allow = self
            .allow
            .iter()
            .filter_map(|pat| match pat.as_str().split_once('/') {
                None => Some(pat.clone()),
                Some((term, rest)) => {
                    let hit = match term.strip_prefix('@') {
                        Some(tag) => tags.iter().any(|t| t == tag),
                        None => glob::Pattern::new(term).is_ok_and(|g| g.matches(target)),
                    };
                    hit.then(|| glob::Pattern::new(rest).ok()).flatten()
                }
            })
            .collect();
        Policy {
            read_only: self.read_only,
            allow,
            restricted: self.restricted,
            target_read_only: None,
            // A token's own refusal (`read_only_target`) holds on every target.
            also: self.also.as_ref().map(|a| {
                let mut p = a.for_target(target, tags);
                p.target_read_only = a.target_read_only.clone();
                std::sync::Arc::new(p)
            }),
        }
    }

    /// These permissions on a target that refuses every change (`read_only = true`
    /// in its targets file); `why` says so, e.g. `target db-1 is read-only (...)`.
    pub fn read_only_target(mut self, why: String) -> Policy {
        self.target_read_only = Some(why);
        self
    }

    /// True when `p` may be controlled.
    pub fn allows(&self, p: &ProcessInfo) -> bool {
        let mine = !self.restricted
            || self
                .allow
                .iter()
                .any(|pat| pat.matches(&p.namespec()) || pat.matches(&p.group));
        mine && self.also.as_ref().is_none_or(|a| a.allows(p))
    }

    /// True when a named program (for adding or removing it) may be touched.
    pub fn allows_name(&self, name: &str) -> bool {
        let mine = !self.restricted || self.allow.iter().any(|pat| pat.matches(name));
        mine && self.also.as_ref().is_none_or(|a| a.allows_name(name))
    }

    fn allowed_list(&self) -> String {
        if self.allow.is_empty() {
            return "nothing on this target".into();
        }
        self.allow.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// The gate without asking the daemon: refuses any change on a read-only
    /// target or server, a change of every group unless `--allow` has `*`, and a
    /// program `--allow` does not match. `what` names the change (`start`, `reload`).
    pub fn check_change(&self, what: &str, change: &Change<'_>) -> Result<()> {
        if let Some(a) = &self.also {
            a.check_change(what, change)?;
        }
        if let Some(why) = &self.target_read_only {
            return Err(Error::Refused(format!("{what}: {why}")));
        }
        if self.read_only {
            return Err(Error::Refused(format!("{what}: this server is read-only")));
        }
        match change {
            Change::Everything if self.restricted && !self.allow.iter().any(|p| p.as_str() == "*") => {
                Err(Error::Refused(format!(
                    "{what} changes every group; only {} may be controlled here",
                    self.allowed_list()
                )))
            }
            Change::Program(name) if !self.allows_name(name) => Err(Error::Refused(format!(
                "program {name} is not allowed; only {} may be controlled here",
                self.allowed_list()
            ))),
            _ => Ok(()),
        }
    }

    /// The gate: [`Policy::check_change`], then, for processes under `--allow`, that
    /// every process the names select may be controlled (a lookup of the names, see
    /// [`names::lookup`]; unknown names pass: the operation reports them).
    pub async fn check(&self, client: &Client, what: &str, change: &Change<'_>) -> Result<()> {
        self.check_change(what, change)?;
        let Change::Processes(names) = change else {
            return Ok(());
        };
        if let Some(a) = &self.also {
            Box::pin(a.check(client, what, change)).await?;
        }
        if !self.restricted || names.is_empty() {
            return Ok(());
        }
        let (sel, _) = names::lookup(client, names, Batch::new()).await?;
        let denied: Vec<String> = sel
            .processes
            .iter()
            .filter(|p| !self.allows(p))
            .map(ProcessInfo::namespec)
            .collect();
        if denied.is_empty() {
            Ok(())
        } else {
            Err(Error::Refused(format!(
                "{what} {} is not allowed; only {} may be controlled here",
                denied.join(", "),
                self.allowed_list()
            )))
        }
    }
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

    #[test]
    fn patterns_match_namespecs_and_groups() -> Result<()> {
        let pol = Policy::new(false, &["web:*".into(), "api".into(), "job_?".into()])?;
        assert!(pol.allows(&p("web", "web_a")));
        assert!(pol.allows(&p("api", "api")));
        assert!(pol.allows(&p("job_1", "job_1")));
        assert!(!pol.allows(&p("worker", "worker_00")));
        // A bare group name lets the group's processes through, and nothing else.
        let group = Policy::new(false, &["worker".into()])?;
        assert!(group.allows(&p("worker", "worker_00")) && group.allows(&p("worker", "worker_01")));
        assert!(!group.allows(&p("web", "worker")));
        assert!(!group.allows(&p("web", "web_a")));
        assert!(
            group
                .check_change("stop", &Change::Processes(&["worker:*".into()]))
                .is_ok()
        );
        assert!(pol.check_change("reload", &Change::Everything).is_err());
        let everything = Policy::new(false, &["*".into()])?;
        assert!(everything.check_change("reload", &Change::Everything).is_ok());
        let names = ["x".to_owned()];
        let ro = Policy::new(true, &[])?;
        assert!(ro.check_change("start", &Change::Processes(&names)).is_err());
        // A read-only target refuses, whatever the server allows.
        let target = everything.read_only_target("target db-1 is read-only".into());
        let e = target.check_change("start", &Change::Processes(&names));
        assert!(
            matches!(&e, Err(Error::Refused(m)) if m == "start: target db-1 is read-only"),
            "{e:?}"
        );
        assert!(Policy::new(false, &["[".into()]).is_err());
        Ok(())
    }

    #[test]
    fn patterns_qualified_by_target_apply_to_that_target_only() -> Result<()> {
        let pol = Policy::new(false, &["web-*/api".into(), "@prod/worker".into(), "log".into()])?;
        let web = pol.for_target("web-1", &[]);
        assert!(web.allows(&p("api", "api")) && web.allows(&p("log", "log")));
        assert!(!web.allows(&p("worker", "worker")));
        let prod = pol.for_target("db-1", &["prod".into()]);
        assert!(prod.allows(&p("worker", "worker")) && !prod.allows(&p("api", "api")));
        // A target no pattern names controls nothing, not everything.
        let only = Policy::new(false, &["web-1/api".into()])?.for_target("db-1", &[]);
        assert!(!only.allows(&p("api", "api")) && !only.allows_name("anything"));
        assert!(only.check_change("reload", &Change::Everything).is_err());
        Ok(())
    }

    /// A token's scope narrows the server's permissions, never widens them.
    #[test]
    fn a_narrowed_policy_allows_only_what_both_allow() -> Result<()> {
        let server = Policy::new(false, &["web:*".into(), "api".into()])?;
        let token = Policy::new(false, &["api".into(), "worker".into()])?;
        let both = server.clone().narrowed(token);
        assert!(both.allows(&p("api", "api")));
        assert!(!both.allows(&p("web", "web_a")), "the token does not allow it");
        assert!(!both.allows(&p("worker", "w")), "the server does not allow it");
        let read = Policy::default().narrowed(Policy::new(true, &[])?);
        assert!(read.read_only);
        let e = read.check_change("stop", &Change::Processes(&["x".into()]));
        assert!(matches!(&e, Err(Error::Refused(m)) if m.contains("read-only")), "{e:?}");
        // Per target, both are applied for that target.
        let t = Policy::new(false, &["web-1/api".into()])?.narrowed(Policy::new(false, &["*".into()])?);
        assert!(t.for_target("web-1", &[]).allows(&p("api", "api")));
        assert!(!t.for_target("web-2", &[]).allows(&p("api", "api")));
        Ok(())
    }
}
