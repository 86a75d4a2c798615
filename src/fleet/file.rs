//! The targets file (TOML): which supervisords exist, how to reach each, and the
//! defaults of a fleet call. Found as `--fleet FILE` > `SUPERVISORD_MCP_FLEET` >
//! `$XDG_CONFIG_HOME/supervisord-mcp/fleet.toml` > `/etc/supervisord-mcp/fleet.toml`.
//! Read bounded, parsed strictly (an unknown key is an error, not a silent typo), and
//! validated before any target is used; passwords come from the environment or a file,
//! are never echoed, and a password file others can read gets a warning. The file, a
//! password file, and the TLS files must belong to you or root and be writable by
//! no one else, nor their directories ([`crate::supervisor::files`]): whoever can
//! change them chooses where your passwords go.

use crate::supervisor::files::{self, FileKind, Rule};
use crate::supervisor::transport::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Environment variable: the targets file.
pub const ENV_FLEET: &str = "SUPERVISORD_MCP_FLEET";
/// Environment variable: the target selection (as `-t`).
pub const ENV_TARGET: &str = "SUPERVISORD_MCP_TARGET";
/// Most targets a file may name.
pub const MAX_TARGETS: usize = 1000;

pub use super::error::FleetError;

/// `[defaults]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Bound on a whole read on one target (connect, request, reply), seconds.
    #[serde(default = "default_timeout")]
    pub timeout_s: f64,
    /// Bound on connecting, seconds.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_s: f64,
    /// Most targets asked at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// MiB of replies held at once across one call's targets (`--fleet-memory` wins).
    #[serde(default = "default_fleet_memory")]
    pub fleet_memory_mib: usize,
    /// The selection used when none is given (`-t`); a selector such as `local` or
    /// `@prod`. Absent: every target.
    pub target: Option<String>,
}

fn default_timeout() -> f64 {
    5.0
}
fn default_connect_timeout() -> f64 {
    2.0
}
fn default_concurrency() -> usize {
    32
}
/// `[defaults] fleet_memory_mib` when not given.
pub const DEFAULT_FLEET_MEMORY_MIB: usize = 256;
/// Most `fleet_memory_mib` (and `--fleet-memory`) may be.
pub const MAX_FLEET_MEMORY_MIB: usize = 65536;
fn default_fleet_memory() -> usize {
    DEFAULT_FLEET_MEMORY_MIB
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            timeout_s: default_timeout(),
            connect_timeout_s: default_connect_timeout(),
            concurrency: default_concurrency(),
            fleet_memory_mib: default_fleet_memory(),
            target: None,
        }
    }
}

/// `[targets.NAME]`: one supervisord.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    /// `unix:///path`, `http://host:port`, `https://...` or `ssh://[user@]host[:port]/path.sock`.
    pub url: String,
    pub username: Option<String>,
    /// The environment variable holding the password.
    pub password_env: Option<String>,
    /// A file holding the password (first line).
    pub password_file: Option<PathBuf>,
    /// The CA certificate(s) to trust for an `https://` target (PEM).
    pub ca_file: Option<PathBuf>,
    /// A client certificate (PEM) and its key, for an `https://` target.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Changes are refused on this target.
    #[serde(default)]
    pub read_only: bool,
    /// Overrides `[defaults] timeout_s`.
    pub timeout_s: Option<f64>,
}

/// The whole file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FleetFile {
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default)]
    pub targets: BTreeMap<String, TargetSpec>,
}

/// True for a valid target (or tag) name: a letter or digit, then letters, digits,
/// `.`, `_`, `-`; at most 64. Such names never collide with the selector syntax.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// Where the targets file is: `explicit` (`--fleet`), else `SUPERVISORD_MCP_FLEET`,
/// else the user's, else the system's; `None` when there is none (a named one that
/// does not exist is still returned, for its error).
pub fn locate(explicit: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_owned());
    }
    if let Some(p) = env(ENV_FLEET).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let user = env("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("supervisord-mcp/fleet.toml"));
    let system = PathBuf::from("/etc/supervisord-mcp/fleet.toml");
    user.into_iter().chain([system]).find(|p| p.is_file())
}

/// Reads and validates a targets file. Errors: unreadable, not yours (the ownership
/// rule), not TOML, an unknown key, a bad target or tag name, a bad number, both
/// `password_env` and `password_file`.
pub fn load(path: &Path) -> Result<FleetFile, FleetError> {
    let text = files::read_text(path, FileKind::Targets, Rule::Yours)?;
    parse(&text, path)
}

/// Parses and validates a targets file's text (`path` for messages).
pub fn parse(text: &str, path: &Path) -> Result<FleetFile, FleetError> {
    let invalid = |detail: String| FleetError::Invalid {
        path: path.to_owned(),
        detail,
    };
    let file: FleetFile = toml::from_str(text).map_err(|e| invalid(toml_error(&e, text)))?;
    let d = &file.defaults;
    check_secs("[defaults] timeout_s", d.timeout_s).map_err(&invalid)?;
    check_secs("[defaults] connect_timeout_s", d.connect_timeout_s).map_err(&invalid)?;
    if !(1..=1024).contains(&d.concurrency) {
        return Err(invalid(format!(
            "[defaults] concurrency {}: give 1 to 1024",
            d.concurrency
        )));
    }
    if !(1..=MAX_FLEET_MEMORY_MIB).contains(&d.fleet_memory_mib) {
        return Err(invalid(format!(
            "[defaults] fleet_memory_mib {}: give 1 to {MAX_FLEET_MEMORY_MIB}",
            d.fleet_memory_mib
        )));
    }
    if file.targets.len() > MAX_TARGETS {
        return Err(invalid(format!(
            "{} targets: at most {MAX_TARGETS}",
            file.targets.len()
        )));
    }
    for (name, t) in &file.targets {
        if !valid_name(name) {
            return Err(invalid(format!(
                "target name {name:?}: use letters, digits, '.', '_', '-' (a letter or digit first, at most 64)"
            )));
        }
        if let Some(tag) = t.tags.iter().find(|t| !valid_name(t)) {
            return Err(invalid(format!(
                "[targets.{name}] tag {tag:?}: use letters, digits, '.', '_', '-'"
            )));
        }
        if t.password_env.is_some() && t.password_file.is_some() {
            return Err(invalid(format!(
                "[targets.{name}]: give password_env or password_file, not both"
            )));
        }
        if let Some(s) = t.timeout_s {
            check_secs(&format!("[targets.{name}] timeout_s"), s).map_err(&invalid)?;
        }
        if t.client_cert.is_some() != t.client_key.is_some() {
            return Err(invalid(format!(
                "[targets.{name}]: client_cert and client_key go together"
            )));
        }
    }
    Ok(file)
}

fn check_secs(what: &str, s: f64) -> Result<(), String> {
    if s.is_finite() && s > 0.0 && s <= 86_400.0 {
        Ok(())
    } else {
        Err(format!("{what} {s}: give more than 0 and at most 86400 seconds"))
    }
}

/// The password of a target: from its environment variable or its file (first line,
/// bounded; the file must be yours, see [`Rule::Yours`]). A password file that group
/// or others can read gets a warning in `warn`.
pub fn password(
    name: &str,
    t: &TargetSpec,
    env: &dyn Fn(&str) -> Option<String>,
    warn: &mut Vec<String>,
) -> Result<Option<Secret>, FleetError> {
    if let Some(var) = &t.password_env {
        return match env(var) {
            Some(p) => Ok(Some(Secret::new(p))),
            None => Err(FleetError::PasswordEnv {
                target: name.to_owned(),
                var: var.clone(),
            }),
        };
    }
    let Some(path) = &t.password_file else {
        return Ok(None);
    };
    let path = expand_home(path, env);
    let contents = files::read(&path, FileKind::Password, Rule::Yours)?;
    if contents.mode() & 0o077 != 0 {
        warn.push(format!(
            "the password file of target {name} ({}) can be read by others: chmod 600 it",
            path.display()
        ));
    }
    let text = contents.into_text()?;
    Ok(Some(Secret::new(
        text.lines().next().unwrap_or("").trim_end_matches('\r'),
    )))
}

/// A TOML error in words that never quote a value (it may be a secret): where (the
/// key and line) and, for a value of the wrong type or not one of the variants
/// allowed, what is expected (and the type found). Serde's other messages name a
/// key (`unknown field`, `missing field`), which is shown.
pub(crate) fn toml_error(e: &toml::de::Error, text: &str) -> String {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    // The key path is shown by `Display` only when the input is not attached.
    let mut bare = e.clone();
    bare.set_input(None);
    let shown = bare.to_string();
    let key = shown
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("in `")?.strip_suffix('`').map(str::to_owned));
    let at = match (key, line) {
        (Some(k), Some(l)) => format!("{k} (line {l})"),
        (Some(k), None) => k,
        (None, Some(l)) => format!("line {l}"),
        (None, None) => "somewhere".into(),
    };
    let msg = e.message();
    if !["invalid type", "invalid value", "invalid length", "unknown variant"]
        .iter()
        .any(|p| msg.starts_with(p))
    {
        return format!("{at}: {msg}");
    }
    let expected = msg.rsplit_once(", expected ").map_or("another value", |(_, x)| x);
    let found = msg
        .strip_prefix("invalid type: ")
        .and_then(|rest| {
            [
                ("string", "a string"),
                ("integer", "an integer"),
                ("floating point", "a float"),
                ("boolean", "a boolean"),
                ("sequence", "an array"),
                ("map", "a table"),
            ]
            .into_iter()
            .find(|(k, _)| rest.starts_with(k))
        })
        .map(|(_, found)| format!(", found {found}"))
        .unwrap_or_default();
    format!("{at}: expected {expected}{found} (the value is not shown)")
}

/// `~/x` as `$HOME/x`.
pub fn expand_home(p: &Path, env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    match (p.strip_prefix("~"), env("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => p.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_example_file_in_the_repository_is_valid() {
        let text = include_str!("../../fleet.toml.example");
        let f = parse(text, Path::new("fleet.toml.example")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.targets.len(), 4);
        assert!(f.targets["db-1"].read_only);
    }

    #[test]
    fn reads_the_example_and_refuses_typos() {
        let text = r#"
[defaults]
timeout_s = 5.0
concurrency = 8
target = "@prod"

[targets.local]
url = "unix:///run/supervisor.sock"

[targets.web-1]
url = "https://web-1.example.com/supervisor/"
username = "ops"
password_env = "SV_WEB"
tags = ["prod", "web"]
read_only = true
"#;
        let f = parse(text, Path::new("f.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.defaults.concurrency, 8);
        assert_eq!(f.targets["web-1"].tags, ["prod", "web"]);
        assert!(f.targets["web-1"].read_only);
        for bad in [
            "[targets.x]\nurl = \"unix:///s\"\npasword_env = \"P\"\n",
            "[targets.\"-x\"]\nurl = \"unix:///s\"\n",
            "[targets.x]\nurl = \"unix:///s\"\ntags = [\"a b\"]\n",
            "[defaults]\ntimeout_s = -1.0\n",
            "[defaults]\nconcurrency = 0\n",
            "[targets.x]\nurl = \"unix:///s\"\npassword_env = \"A\"\npassword_file = \"/f\"\n",
        ] {
            assert!(parse(bad, Path::new("f.toml")).is_err(), "{bad}");
        }
    }

    #[test]
    fn type_errors_name_the_key_and_types_never_the_value() {
        for (text, at) in [
            (
                "[defaults]\ntimeout_s = \"hunter2\"\n",
                "defaults.timeout_s (line 2): expected f64, found a string",
            ),
            (
                "[targets.web]\nurl = \"unix:///s\"\n\ntimeout_s = \"hunter2\"\n",
                "targets.web.timeout_s (line 4)",
            ),
            (
                "[targets.web]\nurl = \"unix:///s\"\nread_only = \"hunter2\"\n",
                "found a string",
            ),
            (
                "targets.web = { url = \"unix:///s\", tags = \"hunter2\" }\n",
                "targets.web.tags",
            ),
            (
                "[targets.web]\nurl = \"unix:///s\"\ntags = [\"ok\", 1234567]\n",
                "line 3",
            ),
            ("[targets.web]\nurl = 31337\n", "found an integer"),
            (
                "[targets.web]\nurl = \"unix:///s\"\npassword_env = \"hunter2\n",
                "line 3",
            ),
        ] {
            let e = parse(text, Path::new("f.toml")).map(|_| ()).unwrap_err().to_string();
            assert!(e.starts_with("targets file f.toml: ") && e.contains(at), "{text}: {e}");
            for secret in ["hunter2", "1234567", "31337"] {
                assert!(!e.contains(secret), "{text}: {e}");
            }
        }
    }

    #[test]
    fn passwords_come_from_the_environment_or_a_private_file() -> Result<(), Box<dyn std::error::Error>> {
        let mut warn = Vec::new();
        let t = TargetSpec {
            url: "http://h:1".into(),
            username: Some("ops".into()),
            password_env: Some("SV_PW".into()),
            password_file: None,
            ca_file: None,
            client_cert: None,
            client_key: None,
            tags: vec![],
            read_only: false,
            timeout_s: None,
        };
        let p = password("t", &t, &env_of(&[("SV_PW", "hunter2")]), &mut warn)?;
        assert_eq!(p.as_ref().map(Secret::expose), Some("hunter2"));
        assert!(password("t", &t, &env_of(&[]), &mut warn).is_err());
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\nignored\n")?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))?;
        let t = TargetSpec {
            password_env: None,
            password_file: Some(file),
            ..t
        };
        let p = password("t", &t, &env_of(&[]), &mut warn)?;
        assert_eq!(p.as_ref().map(Secret::expose), Some("s3cret"));
        assert!(warn.iter().any(|w| w.contains("chmod 600")) && !warn.iter().any(|w| w.contains("s3cret")));
        Ok(())
    }
}
