//! Resource URIs and what they name on which daemon: `supervisor://process/NAME`
//! and `.../NAME/stdout|stderr` (a process and its logs, as watch keys), qualified by
//! target with a targets file (`supervisor://process/TARGET/NAME[/stream]`), parsed
//! and bounded; and back, from a target and a key to the URI.

use crate::fleet::watch::{self, TargetKey, Watchers};
use crate::supervisor::Channel;
use crate::supervisor::watch::Key;
use std::sync::Arc;

/// What every resource URI starts with.
pub const PREFIX: &str = "supervisor://process/";
/// The longest process name a URI may carry, in bytes (longer ones name nothing).
const MAX_NAME_BYTES: usize = 256;

/// Why a URI leads nowhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// `targets`: the server has a targets file (the message then names the
    /// qualified form too).
    #[error("unknown resource {uri:?}: use {PREFIX}NAME, {PREFIX}NAME/stdout or {PREFIX}NAME/stderr{}", qualified_hint(*.targets))]
    Unknown { uri: String, targets: bool },
    /// The target's own settings are unusable (a missing password, a TLS file);
    /// the message names the target (`target web-1: ...`) and never a secret.
    #[error("{message}")]
    Unusable { target: String, message: String },
}

fn qualified_hint(targets: bool) -> String {
    if targets {
        format!(", or {PREFIX}TARGET/NAME[/stdout|/stderr] with a target of supervisor://targets")
    } else {
        String::new()
    }
}

/// The key a daemon's own URI names (`supervisor://process/NAME[/stdout|/stderr]`);
/// `None` for anything else, including an empty name, one over 256 bytes, or one
/// with `/` or a control character in it.
pub fn parse_uri(uri: &str) -> Option<Key> {
    let rest = uri.strip_prefix(PREFIX)?;
    let (name, key): (&str, fn(String) -> Key) = if let Some(n) = rest.strip_suffix("/stdout") {
        (n, |n| Key::Log(n, Channel::Stdout))
    } else if let Some(n) = rest.strip_suffix("/stderr") {
        (n, |n| Key::Log(n, Channel::Stderr))
    } else {
        (rest, Key::Process)
    };
    let valid =
        !name.is_empty() && name.len() <= MAX_NAME_BYTES && !name.contains('/') && !name.chars().any(char::is_control);
    valid.then(|| key(name.to_owned()))
}

/// The URI of a process: `supervisor://process/NAMESPEC`.
pub fn process_uri(namespec: &str) -> String {
    format!("{PREFIX}{namespec}")
}

/// The URI of `key` on `target` (qualified by it when given); `None` for the process
/// list, which is no resource.
pub fn uri_of(target: Option<&str>, key: &Key) -> Option<String> {
    let at = target.map(|t| format!("{t}/")).unwrap_or_default();
    match key {
        Key::Process(n) => Some(format!("{PREFIX}{at}{n}")),
        Key::Log(n, ch) => Some(format!("{PREFIX}{at}{n}/{}", ch.name())),
        Key::Processes => None,
    }
}

/// A URI qualified by target, split: `(TARGET, the daemon's own URI)` when the
/// first segment after the prefix is followed by more (`TARGET/NAME[/stream]`).
/// Whether TARGET names a target is the caller's to check.
pub fn split_qualified(uri: &str) -> Option<(&str, String)> {
    let rest = uri.strip_prefix(PREFIX)?;
    let (target, local) = rest.split_once('/')?;
    (!target.is_empty() && !local.is_empty()).then(|| (target, format!("{PREFIX}{local}")))
}

/// Where `uri` leads: the target its first segment names (a target's name wins over
/// a process's), else the server's own daemon (`None`); and the key there. Errors: a
/// URI that names no resource; a target that cannot be asked.
pub fn route(watchers: &Watchers, uri: &str) -> Result<(TargetKey, Key), RouteError> {
    let unknown = || RouteError::Unknown {
        uri: uri.to_owned(),
        targets: watchers.has_targets(),
    };
    if let Some((target, local)) = split_qualified(uri)
        && watchers.is_target(target)
    {
        if let Err(watch::RouteError::Unusable { target, message }) = watchers.watcher(Some(target)) {
            return Err(RouteError::Unusable { target, message });
        }
        let key = parse_uri(&local).ok_or_else(unknown)?;
        return Ok((Some(Arc::from(target)), key));
    }
    Ok((None, parse_uri(uri).ok_or_else(unknown)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::fake::nowhere;
    use crate::supervisor::watch::Watcher;

    #[test]
    fn uris_name_processes_and_logs() {
        assert_eq!(
            parse_uri("supervisor://process/web:web_a"),
            Some(Key::Process("web:web_a".into()))
        );
        assert_eq!(
            parse_uri("supervisor://process/api/stderr"),
            Some(Key::Log("api".into(), Channel::Stderr))
        );
        assert_eq!(parse_uri("supervisor://process/"), None);
        assert_eq!(parse_uri("supervisor://process//stdout"), None);
        assert_eq!(parse_uri("supervisor://process/a/b"), None);
        assert_eq!(parse_uri("supervisor://process/a\nb"), None);
        assert_eq!(parse_uri(&process_uri(&"x".repeat(257))), None);
        assert!(parse_uri(&process_uri(&"x".repeat(256))).is_some());
        assert_eq!(parse_uri("file:///etc/passwd"), None);
        assert_eq!(process_uri("web:web_a"), "supervisor://process/web:web_a");
    }

    #[test]
    fn keys_on_targets_are_uris_again() {
        for (target, uri) in [
            (None, "supervisor://process/web:web_a"),
            (Some("edge-1"), "supervisor://process/edge-1/api/stderr"),
        ] {
            let local = match target {
                Some(_) => split_qualified(uri).map(|(_, l)| l).unwrap_or_default(),
                None => uri.to_owned(),
            };
            let key = parse_uri(&local).unwrap_or_else(|| panic!("{uri}"));
            assert_eq!(uri_of(target, &key).as_deref(), Some(uri));
        }
        assert_eq!(uri_of(Some("t"), &Key::Processes), None);
        assert_eq!(split_qualified("supervisor://process/a"), None);
        assert_eq!(split_qualified("supervisor://process//a"), None);
        assert_eq!(split_qualified("supervisor://process/t/"), None);
    }

    #[test]
    fn uris_lead_to_their_target_or_to_the_first_daemon() {
        let w = Watchers::with_targets(
            Watcher::new(nowhere()),
            vec![
                ("x", Ok(Watcher::new(nowhere()))),
                ("bad", Err("no password: set PW".to_owned())),
            ],
        );
        assert_eq!(
            route(&w, "supervisor://process/x/web:a/stderr"),
            Ok((Some(Arc::from("x")), Key::Log("web:a".into(), Channel::Stderr)))
        );
        assert_eq!(
            route(&w, "supervisor://process/web:a"),
            Ok((None, Key::Process("web:a".into())))
        );
        assert!(matches!(
            route(&w, "supervisor://process/bad/a"),
            Err(RouteError::Unusable { target, .. }) if target == "bad"
        ));
        for nowhere in [
            "supervisor://process/zz/a",
            "supervisor://process/x/a/b",
            "file:///etc/passwd",
        ] {
            assert_eq!(
                route(&w, nowhere),
                Err(RouteError::Unknown {
                    uri: nowhere.into(),
                    targets: true
                })
            );
        }
    }
}
