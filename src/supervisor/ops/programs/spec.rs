//! A program's settings, validated, and the `[program:x]` section they become.
//! Safety: names are `[A-Za-z0-9_.-]`, values may not hold newlines or NUL (no INI
//! injection), `%` is escaped (no `%(...)s` expansion).

use super::MARKER;
use crate::supervisor::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A program to add. `None` leaves supervisord's default.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
pub struct ProgramSpec {
    /// Program name: letters, digits, `_`, `.`, `-`
    pub name: String,
    /// Command line to run
    pub command: String,
    /// Working directory
    pub directory: Option<String>,
    /// Environment variables
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Start with supervisord (default false)
    pub autostart: Option<bool>,
    /// true, false or unexpected
    pub autorestart: Option<String>,
    /// Seconds it must stay up to count as started
    pub startsecs: Option<u32>,
    pub startretries: Option<u32>,
    /// Number of processes (name_00, name_01...)
    pub numprocs: Option<u32>,
    /// Send stderr to the stdout log
    pub redirect_stderr: Option<bool>,
}

pub(super) fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

/// Checks a program name.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        && !name.starts_with(['.', '-']);
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "program name {name:?}: use 1 to 64 letters, digits, '_', '.' or '-' (not first)"
        )))
    }
}

pub(super) fn clean_value(what: &str, v: &str) -> Result<String> {
    if v.contains(['\n', '\r', '\0']) {
        return Err(invalid(format!(
            "{what}: newlines and NUL are not allowed (they would inject configuration)"
        )));
    }
    Ok(v.replace('%', "%%"))
}

impl ProgramSpec {
    /// The `[program:x]` section, validated. Errors: a bad name or value.
    pub fn render(&self) -> Result<String> {
        validate_name(&self.name)?;
        if self.command.trim().is_empty() {
            return Err(invalid("command: empty"));
        }
        let mut out = format!(
            "{MARKER}\n[program:{}]\ncommand={}\n",
            self.name,
            clean_value("command", &self.command)?
        );
        if let Some(d) = &self.directory {
            out.push_str(&format!("directory={}\n", clean_value("directory", d)?));
        }
        if !self.environment.is_empty() {
            let mut pairs = Vec::new();
            for (k, v) in &self.environment {
                if k.is_empty()
                    || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    || k.starts_with(|c: char| c.is_ascii_digit())
                {
                    return Err(invalid(format!("environment: {k:?} is not a variable name")));
                }
                let v = clean_value(&format!("environment {k}"), v)?
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"");
                pairs.push(format!("{k}=\"{v}\""));
            }
            out.push_str(&format!("environment={}\n", pairs.join(",")));
        }
        out.push_str(&format!("autostart={}\n", self.autostart.unwrap_or(false)));
        if let Some(a) = &self.autorestart {
            if !["true", "false", "unexpected"].contains(&a.as_str()) {
                return Err(invalid(format!("autorestart {a:?}: use true, false or unexpected")));
            }
            out.push_str(&format!("autorestart={a}\n"));
        }
        if let Some(n) = self.startsecs {
            out.push_str(&format!("startsecs={n}\n"));
        }
        if let Some(n) = self.startretries {
            out.push_str(&format!("startretries={n}\n"));
        }
        if let Some(n) = self.numprocs.filter(|n| *n > 1) {
            out.push_str(&format!(
                "numprocs={n}\nprocess_name=%(program_name)s_%(process_num)02d\n"
            ));
        }
        if let Some(r) = self.redirect_stderr {
            out.push_str(&format!("redirect_stderr={r}\n"));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_section_and_refuses_injection() -> Result<()> {
        let spec = ProgramSpec {
            name: "api".into(),
            command: "python3 -m http.server 8000 --msg 100%".into(),
            environment: BTreeMap::from([("MODE".into(), "dev \"x\", y".into())]),
            startsecs: Some(2),
            ..ProgramSpec::default()
        };
        let text = spec.render()?;
        assert!(text.starts_with(MARKER));
        assert!(text.contains("[program:api]\ncommand=python3 -m http.server 8000 --msg 100%%\n"));
        assert!(text.contains("environment=MODE=\"dev \\\"x\\\", y\"\n"));
        assert!(text.contains("startsecs=2\n"));
        for bad in ["a\nb", "x]\n[program:evil", "[evil]", "", "-x", "a b"] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        let inject = ProgramSpec {
            name: "ok".into(),
            command: "true\n[program:evil]\ncommand=rm -rf /".into(),
            ..ProgramSpec::default()
        };
        assert!(inject.render().is_err());
        let env = ProgramSpec {
            name: "ok".into(),
            command: "true".into(),
            environment: BTreeMap::from([("A=B".into(), "x".into())]),
            ..ProgramSpec::default()
        };
        assert!(env.render().is_err());
        Ok(())
    }
}
