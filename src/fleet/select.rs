//! Target selection, one grammar for `-t` and the MCP `targets` argument: a
//! comma-separated union of terms (a target name, a glob such as `web-*`, a tag
//! `@prod`, or `all`), minus the terms written with `!` (`@prod,!db-1`). A selection of
//! exclusions only starts from every target. A name or tag that names nothing is an
//! error (a typo must not quietly select less), as is a selection that ends up empty.

use super::file::{FleetError, valid_name};

/// One term of a selection.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    All,
    Name(String),
    Glob(glob::Pattern),
    Tag(String),
}

/// A parsed selection.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub include: Vec<Term>,
    pub exclude: Vec<Term>,
}

/// What a selector is matched against: a target's name and tags.
pub trait Selectable {
    fn name(&self) -> &str;
    fn tags(&self) -> &[String];
}

impl Term {
    /// Parses one term. Errors: a name or tag with characters targets cannot have.
    pub fn parse(t: &str) -> Result<Term, FleetError> {
        let t = t.trim();
        if t == "all" || t == "*" {
            return Ok(Term::All);
        }
        if let Some(tag) = t.strip_prefix('@') {
            return if valid_name(tag) {
                Ok(Term::Tag(tag.to_owned()))
            } else {
                Err(FleetError::BadTag { term: t.to_owned() })
            };
        }
        if t.contains(['*', '?', '[']) {
            let pat_ok = t.chars().all(|c| c.is_ascii_alphanumeric() || "._-*?[]!".contains(c));
            return match glob::Pattern::new(t) {
                Ok(p) if pat_ok => Ok(Term::Glob(p)),
                _ => Err(FleetError::BadPattern { term: t.to_owned() }),
            };
        }
        if valid_name(t) {
            Ok(Term::Name(t.to_owned()))
        } else {
            Err(FleetError::BadTerm { term: t.to_owned() })
        }
    }

    fn matches<T: Selectable>(&self, t: &T) -> bool {
        match self {
            Term::All => true,
            Term::Name(n) => t.name() == n,
            Term::Glob(p) => p.matches(t.name()),
            Term::Tag(tag) => t.tags().iter().any(|x| x == tag),
        }
    }

    /// Errors when a name or tag matches no target (a glob may match none).
    fn check<T: Selectable>(&self, targets: &[T]) -> Result<(), FleetError> {
        let known = targets.iter().any(|t| self.matches(t));
        match self {
            Term::Name(n) if !known => {
                let names: Vec<&str> = targets.iter().map(Selectable::name).collect();
                let close = names
                    .iter()
                    .filter(|k| strsim::damerau_levenshtein(n, k) <= (n.len() / 3).max(1))
                    .min_by_key(|k| strsim::damerau_levenshtein(n, k));
                Err(FleetError::UnknownTarget {
                    name: n.clone(),
                    suggestion: close.map(|c| (*c).to_owned()),
                    targets: names.iter().map(|n| (*n).to_owned()).collect(),
                })
            }
            Term::Tag(tag) if !known => Err(FleetError::UnknownTag { tag: tag.clone() }),
            _ => Ok(()),
        }
    }
}

impl Selector {
    /// Parses `a,b,@tag,!c`. Errors: an empty selection or a bad term.
    pub fn parse(s: &str) -> Result<Selector, FleetError> {
        let mut sel = Selector {
            include: Vec::new(),
            exclude: Vec::new(),
        };
        for raw in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            match raw.strip_prefix('!') {
                Some(t) => sel.exclude.push(Term::parse(t)?),
                None => sel.include.push(Term::parse(raw)?),
            }
        }
        if sel.include.is_empty() && sel.exclude.is_empty() {
            return Err(FleetError::EmptySelection { given: s.to_owned() });
        }
        if sel.include.is_empty() {
            sel.include.push(Term::All);
        }
        Ok(sel)
    }

    /// The targets selected, in `targets`' order. Errors: a name or tag that matches
    /// nothing, or a selection that matches no target.
    pub fn select<'a, T: Selectable>(&self, targets: &'a [T]) -> Result<Vec<&'a T>, FleetError> {
        for t in self.include.iter().chain(&self.exclude) {
            t.check(targets)?;
        }
        let out: Vec<&T> = targets
            .iter()
            .filter(|t| self.include.iter().any(|i| i.matches(*t)) && !self.exclude.iter().any(|x| x.matches(*t)))
            .collect();
        if out.is_empty() {
            return Err(FleetError::NothingSelected);
        }
        Ok(out)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A target for tests: a name and tags.
    pub(crate) struct T(pub &'static str, pub Vec<String>);
    impl Selectable for T {
        fn name(&self) -> &str {
            self.0
        }
        fn tags(&self) -> &[String] {
            &self.1
        }
    }

    fn fleet() -> Vec<T> {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect();
        vec![
            T("db-1", tags(&["prod", "db"])),
            T("db-2", tags(&["prod", "db"])),
            T("local", tags(&[])),
            T("web-1", tags(&["prod", "web"])),
            T("web-2", tags(&["staging", "web"])),
        ]
    }

    fn names(s: &str) -> Result<Vec<&'static str>, FleetError> {
        let f = Box::leak(Box::new(fleet()));
        Ok(Selector::parse(s)?.select(f)?.iter().map(|t| t.0).collect())
    }

    #[test]
    fn the_grammar() -> Result<(), FleetError> {
        assert_eq!(names("web-1")?, ["web-1"]);
        assert_eq!(names("web-*")?, ["web-1", "web-2"]);
        assert_eq!(names("@prod")?, ["db-1", "db-2", "web-1"]);
        assert_eq!(names("@prod,!db-1")?, ["db-2", "web-1"]);
        assert_eq!(names("!@prod")?, ["local", "web-2"]);
        assert_eq!(names("all")?.len(), 5);
        assert_eq!(names("local, web-2")?, ["local", "web-2"]);
        Ok(())
    }

    #[test]
    fn typos_and_empty_selections_are_errors() {
        let e = names("web-3").unwrap_err().to_string();
        assert!(e.contains("no target named \"web-3\"; did you mean `web-1`?"), "{e}");
        assert!(names("@nope").is_err());
        assert!(names("!all").is_err(), "nothing left");
        assert!(names("").is_err());
        assert!(names("a b").is_err());
        assert!(names("http://h:1").is_err(), "agents name targets, never URLs");
        assert!(names("x/y").is_err());
    }
}
