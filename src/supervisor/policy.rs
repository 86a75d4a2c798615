//! What an agent may do: `--read-only` (change nothing) and `--allow PATTERN`
//! (control only the matching namespecs). Checked here, once, before any change is
//! sent to the daemon; refusals say what is allowed.

use super::client::multicall::Batch;
use super::error::{Error, Result};
use super::ops::names;
use super::{Client, ProcessInfo};

/// The agent's permissions.
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
        })
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
        }
    }

    /// True when `p` may be controlled.
    pub fn allows(&self, p: &ProcessInfo) -> bool {
        !self.restricted
            || self
                .allow
                .iter()
                .any(|pat| pat.matches(&p.namespec()) || pat.matches(&p.group))
    }

    /// True when a named program (for adding or removing it) may be touched.
    pub fn allows_name(&self, name: &str) -> bool {
        !self.restricted || self.allow.iter().any(|pat| pat.matches(name))
    }

    fn allowed_list(&self) -> String {
        if self.allow.is_empty() {
            return "nothing on this target".into();
        }
        self.allow.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// Refuses any change when read-only.
    pub fn check_write(&self, what: &str) -> Result<()> {
        if self.read_only {
            return Err(Error::Refused(format!("{what}: this server is read-only")));
        }
        Ok(())
    }

    /// Refuses configuration-wide changes unless everything is allowed.
    pub fn check_global(&self, what: &str) -> Result<()> {
        self.check_write(what)?;
        if self.restricted && !self.allow.iter().any(|p| p.as_str() == "*") {
            return Err(Error::Refused(format!(
                "{what} changes every group; only {} may be controlled here",
                self.allowed_list()
            )));
        }
        Ok(())
    }

    /// Checks that every process `names` selects may be controlled (when `--allow` is
    /// set: a lookup of the names, see [`names::lookup`]). Unknown names pass: the
    /// operation reports them.
    pub async fn check_names(&self, client: &Client, what: &str, names: &[String]) -> Result<()> {
        self.check_write(what)?;
        if !self.restricted {
            return Ok(());
        }
        if names.is_empty() {
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
        assert!(pol.check_global("reload").is_err());
        assert!(Policy::new(false, &["*".into()])?.check_global("reload").is_ok());
        assert!(Policy::new(true, &[])?.check_write("start").is_err());
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
        assert!(only.check_global("reload").is_err());
        Ok(())
    }
}
