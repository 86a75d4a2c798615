//! Resource URIs: `supervisor://process/NAME[/stdout|/stderr]`, parsed and bounded.

use crate::supervisor::Channel;

/// What every resource URI starts with.
pub const PREFIX: &str = "supervisor://process/";
/// The longest process name a URI may carry, in bytes (longer ones name nothing).
const MAX_NAME_BYTES: usize = 256;

/// What a resource URI names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A process by namespec (`name` or `group:name`).
    Process(String),
    /// One of a process's logs.
    Log(String, Channel),
}

impl Target {
    /// The namespec of the process the target is about.
    pub fn name(&self) -> &str {
        match self {
            Target::Process(n) | Target::Log(n, _) => n,
        }
    }
}

/// Parses `supervisor://process/NAME[/stdout|/stderr]`; `None` for anything else,
/// including an empty name, one over 256 bytes, or one with `/` or a control
/// character in it.
pub fn parse_uri(uri: &str) -> Option<Target> {
    let rest = uri.strip_prefix(PREFIX)?;
    let (name, target): (&str, fn(String) -> Target) = if let Some(n) = rest.strip_suffix("/stdout") {
        (n, |n| Target::Log(n, Channel::Stdout))
    } else if let Some(n) = rest.strip_suffix("/stderr") {
        (n, |n| Target::Log(n, Channel::Stderr))
    } else {
        (rest, Target::Process)
    };
    let valid =
        !name.is_empty() && name.len() <= MAX_NAME_BYTES && !name.contains('/') && !name.chars().any(char::is_control);
    valid.then(|| target(name.to_owned()))
}

/// The URI of a process: `supervisor://process/NAMESPEC`.
pub fn process_uri(namespec: &str) -> String {
    format!("{PREFIX}{namespec}")
}

/// `uri`, a daemon's own resource URI (`supervisor://process/NAME[/stream]`), as
/// seen from a server of many targets: `supervisor://process/TARGET/NAME[/stream]`.
pub fn qualify(target: &str, uri: &str) -> String {
    match uri.strip_prefix(PREFIX) {
        Some(rest) => format!("{PREFIX}{target}/{rest}"),
        None => uri.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_name_processes_and_logs() {
        assert_eq!(
            parse_uri("supervisor://process/web:web_a"),
            Some(Target::Process("web:web_a".into()))
        );
        assert_eq!(
            parse_uri("supervisor://process/api/stderr"),
            Some(Target::Log("api".into(), Channel::Stderr))
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
    fn qualified_uris_split_and_join_back() {
        for local in ["supervisor://process/web:web_a", "supervisor://process/api/stderr"] {
            let q = qualify("edge-1", local);
            assert_eq!(split_qualified(&q), Some(("edge-1", local.to_owned())));
        }
        assert_eq!(qualify("t", "supervisor://process/a"), "supervisor://process/t/a");
        assert_eq!(split_qualified("supervisor://process/a"), None);
        assert_eq!(split_qualified("supervisor://process//a"), None);
        assert_eq!(split_qualified("supervisor://process/t/"), None);
    }
}
