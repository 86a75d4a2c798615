//! supervisorctl's configuration file: where it is looked for ([`search_path`]) and
//! its `[supervisorctl]` section, read as supervisorctl reads it.
//!
//! Values are expanded as supervisorctl does: `%(here)s` (the file's directory),
//! `%(ENV_X)s`, `%%`. Inline comments need whitespace before `;`/`#`. A file whose
//! `[supervisorctl]` gives any value (server URL, username, password) must belong to
//! you or root and be writable by no one else, nor its directory (see
//! [`crate::supervisor::files`]): otherwise its URL could receive your password.

use super::SettingsError;
use crate::supervisor::files::{self, FileKind, Rule};
use std::path::{Path, PathBuf};

/// The `[supervisorctl]` section of a supervisord.conf, values expanded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CtlSection {
    pub serverurl: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// Reads `[supervisorctl]` from a configuration file (through [`files::read`]).
/// Errors: the file cannot be read or parsed; it gives a value and breaks the
/// ownership rule.
pub fn read_ctl_section(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<CtlSection, SettingsError> {
    let contents = files::read(path, FileKind::Configuration, Rule::Unchecked)?;
    let owner = contents.check_owner();
    let section = parse_ctl_section(&contents.into_text()?, path, env)?;
    if section != CtlSection::default() {
        owner?;
    }
    Ok(section)
}

fn parse_ctl_section(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<CtlSection, SettingsError> {
    let mut defaults = configparser::ini::Ini::new().defaults();
    defaults.enable_inline_comments = false;
    defaults.multiline = true;
    let mut ini = configparser::ini::Ini::new_from_defaults(defaults);
    ini.read(text.to_owned()).map_err(|detail| SettingsError::Parse {
        path: path.to_owned(),
        detail,
    })?;
    let here = path
        .canonicalize()
        .unwrap_or_else(|_| path.to_owned())
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| ".".into());
    let get = |key: &str| -> Result<Option<String>, SettingsError> {
        match ini.get("supervisorctl", key) {
            None => Ok(None),
            Some(v) => expand(strip_inline_comment(&v), &here, env)
                .map(Some)
                .map_err(|detail| SettingsError::Parse {
                    path: path.to_owned(),
                    detail: format!("[supervisorctl] {key}: {detail}"),
                }),
        }
    };
    Ok(CtlSection {
        serverurl: get("serverurl")?.filter(|s| !s.is_empty()),
        username: get("username")?.filter(|s| !s.is_empty()),
        password: get("password")?,
    })
}

/// Python configparser's inline comments: `;` or `#` preceded by whitespace.
fn strip_inline_comment(v: &str) -> &str {
    let bytes = v.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if (*b == b';' || *b == b'#') && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return v[..i].trim_end();
        }
    }
    v
}

/// Expands `%(here)s`, `%(ENV_NAME)s` and `%%`, as supervisor does.
fn expand(v: &str, here: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('%') {
            out.push('%');
            rest = r;
        } else if let Some(inner) = after.strip_prefix('(')
            && let Some(end) = inner.find(")s")
        {
            let name = &inner[..end];
            match name {
                "here" => out.push_str(here),
                _ => match name.strip_prefix("ENV_") {
                    Some(var) => out.push_str(
                        &env(var).ok_or_else(|| format!("%({name})s: environment variable {var} is not set"))?,
                    ),
                    None => {
                        return Err(format!(
                            "unknown expansion %({name})s; only %(here)s and %(ENV_X)s are known"
                        ));
                    }
                },
            }
            rest = &inner[end + 2..];
        } else {
            return Err("a lone '%' (write %% for a percent sign)".into());
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// supervisorctl's search path: `../etc/supervisord.conf` and `../supervisord.conf`
/// beside the executable's directory, then `./supervisord.conf`,
/// `./etc/supervisord.conf`, `/etc/supervisord.conf`, `/etc/supervisor/supervisord.conf`.
pub fn search_path() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Ok(exe) = std::env::current_exe()
        && let Some(root) = exe.parent().and_then(Path::parent)
    {
        paths.push(root.join("etc/supervisord.conf"));
        paths.push(root.join("supervisord.conf"));
    }
    for p in [
        "supervisord.conf",
        "etc/supervisord.conf",
        "/etc/supervisord.conf",
        "/etc/supervisor/supervisord.conf",
    ] {
        paths.push(PathBuf::from(p));
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::env_of;

    #[test]
    fn reads_supervisorctl_section_like_python() -> Result<(), SettingsError> {
        let text = "[supervisord]\nlogfile=/x\n\n[supervisorctl]\nserverurl = unix://%(here)s/run/s.sock ; comment\n\
                    username=%(ENV_WHO)s\npassword=p#ss;word # trailing comment\n";
        let s = parse_ctl_section(
            text,
            Path::new("/etc/app/supervisord.conf"),
            &env_of(&[("WHO", "admin")]),
        )?;
        assert_eq!(s.serverurl.as_deref(), Some("unix:///etc/app/run/s.sock"));
        assert_eq!(s.username.as_deref(), Some("admin"));
        assert_eq!(s.password.as_deref(), Some("p#ss;word"));
        Ok(())
    }

    #[test]
    fn expansion_errors_name_the_problem() {
        let e = expand("%(ENV_NOPE)s", "/", &env_of(&[])).unwrap_err();
        assert!(e.contains("NOPE is not set"));
        assert!(expand("100%", "/", &env_of(&[])).is_err());
        assert_eq!(expand("100%%", "/", &env_of(&[])).as_deref(), Ok("100%"));
    }
}
