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
    /// changes (reload) are refused unless `*` is among them.
    pub allow: Vec<glob::Pattern>,
}

impl Policy {
    /// Parses `--allow` patterns. Errors: a pattern that is not a valid glob.
    pub fn new(read_only: bool, allow: &[String]) -> Result<Policy> {
        let allow = allow
            .iter()
            .map(|p| glob::Pattern::new(p).map_err(|e| Error::Invalid(format!("--allow {p:?}: {e}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Policy { read_only, allow })
    }

    /// True when `p` may be controlled.
    pub fn allows(&self, p: &ProcessInfo) -> bool {
        self.allow.is_empty()
            || self
                .allow
                .iter()
                .any(|pat| pat.matches(&p.namespec()) || pat.matches(&p.group))
    }

    /// True when a named program (for adding or removing it) may be touched.
    pub fn allows_name(&self, name: &str) -> bool {
        self.allow.is_empty() || self.allow.iter().any(|pat| pat.matches(name))
    }

    fn allowed_list(&self) -> String {
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
        if !self.allow.is_empty() && !self.allow.iter().any(|p| p.as_str() == "*") {
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
        if self.allow.is_empty() {
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
}
