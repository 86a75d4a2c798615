//! Names qualified by target, `TARGET/group:name`: supervisord forbids `/` in program
//! and group names, so the first `/` splits unambiguously. The target part is a
//! selection term (`web-1`, `web-*`, `@prod`); an unqualified name applies to every
//! selected target.

use super::file::FleetError;
use super::select::{Selectable, Term};

/// `TARGET/namespec` -> (`Some(TARGET)`, `namespec`); a plain namespec -> (`None`, it).
pub fn split(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((t, n)) => (Some(t), n),
        None => (None, name),
    }
}

/// True when any name is qualified by a target.
pub fn any_qualified(names: &[String]) -> bool {
    names.iter().any(|n| n.contains('/'))
}

/// The names each target gets, for `targets` (the selection): unqualified names go to
/// every target, `TERM/name` to those TERM matches. Targets left with no name are left
/// out. Errors: a qualified name whose term matches none of `targets`, a bad term.
pub fn distribute<'a, T: Selectable>(
    names: &[String],
    targets: &'a [T],
) -> Result<Vec<(&'a T, Vec<String>)>, FleetError> {
    let mut out: Vec<(&T, Vec<String>)> = targets.iter().map(|t| (t, Vec::new())).collect();
    for name in names {
        match split(name) {
            (None, n) => out.iter_mut().for_each(|(_, v)| v.push(n.to_owned())),
            (Some(term), n) => {
                let term_parsed = Term::parse(term)?;
                let mut any = false;
                for (t, v) in out.iter_mut() {
                    if term_matches(&term_parsed, *t) {
                        v.push(n.to_owned());
                        any = true;
                    }
                }
                if !any {
                    return Err(FleetError::OutsideSelection {
                        name: name.clone(),
                        term: term.to_owned(),
                        targets: targets.iter().map(|t| t.name().to_owned()).collect(),
                    });
                }
            }
        }
    }
    out.retain(|(_, v)| !v.is_empty());
    Ok(out)
}

/// The selection terms of the qualified names (`web-1` of `web-1/api`), for choosing
/// the targets when no selection is given.
pub fn target_terms(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if let (Some(t), _) = split(n)
            && !out.iter().any(|o| o == t)
        {
            out.push(t.to_owned());
        }
    }
    out
}

fn term_matches<T: Selectable>(term: &Term, t: &T) -> bool {
    match term {
        Term::All => true,
        Term::Name(n) => t.name() == n,
        Term::Glob(p) => p.matches(t.name()),
        Term::Tag(tag) => t.tags().iter().any(|x| x == tag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::select::tests::T;

    #[test]
    fn qualified_names_go_to_their_targets_and_plain_ones_everywhere() -> Result<(), FleetError> {
        let ts = vec![
            T("web-1", vec!["web".into()]),
            T("web-2", vec!["web".into()]),
            T("db-1", vec![]),
        ];
        let names: Vec<String> = ["web-1/api:api_00", "nginx", "@web/php"].map(String::from).to_vec();
        let got: Vec<(&str, Vec<String>)> = distribute(&names, &ts)?.into_iter().map(|(t, v)| (t.0, v)).collect();
        assert_eq!(
            got,
            [
                ("web-1", vec!["api:api_00".into(), "nginx".into(), "php".into()]),
                ("web-2", vec!["nginx".into(), "php".into()]),
                ("db-1", vec!["nginx".into()]),
            ]
        );
        assert!(distribute(&["db-9/x".to_owned()], &ts).is_err());
        assert_eq!(split("a/b:c/d"), (Some("a"), "b:c/d"));
        assert_eq!(target_terms(&names), ["web-1", "@web"]);
        Ok(())
    }
}
