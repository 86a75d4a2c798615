//! A program's description, validated, and the `[program:x]` section it becomes. The
//! one place a program is described: both front ends build it with
//! [`ProgramSpec::new`], and every value is written by [`super::value`] so that
//! supervisord reads back exactly what was asked, or nothing is written.

use super::MARKER;
use super::value::{env_pair, ini_value, invalid};
use crate::supervisor::error::Result;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most processes one program may run (`numprocs`): a thousand processes make every
/// `status` slow enough to time out.
pub const MAX_NUMPROCS: u32 = 100;
/// Most environment variables one program may set.
pub const MAX_ENV_VARS: usize = 64;

/// A program's settings; `None` leaves supervisord's default.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProgramSettings {
    /// Working directory.
    pub directory: Option<String>,
    /// Environment variables added to supervisord's.
    pub environment: BTreeMap<String, String>,
    /// Start with supervisord (written as false when `None`).
    pub autostart: Option<bool>,
    /// `true`, `false` or `unexpected`.
    pub autorestart: Option<String>,
    /// Seconds it must stay up to count as started.
    pub startsecs: Option<u32>,
    /// Start attempts before FATAL.
    pub startretries: Option<u32>,
    /// Number of processes, 1 to [`MAX_NUMPROCS`] (`NAME:NAME_00`, `NAME:NAME_01`, ...).
    pub numprocs: Option<u32>,
    /// Send stderr to the stdout log.
    pub redirect_stderr: Option<bool>,
}

/// A program to add: its name, command line and settings, validated.
#[derive(Debug, Clone, Serialize)]
pub struct ProgramSpec {
    /// Program and group name (see [`validate_name`]).
    pub name: String,
    /// Command line, as supervisord reads it (split with shell rules; see
    /// [`super::command_from_argv`]).
    pub command: String,
    #[serde(flatten)]
    pub settings: ProgramSettings,
}

/// Checks a program name: 1 to 64 of `[A-Za-z0-9_.-]`, not `.` or `-` first.
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

impl ProgramSpec {
    /// Builds and validates a program. Errors ([`crate::supervisor::Error::Invalid`],
    /// saying why and what to do instead): a bad name, a value supervisord would not
    /// read back unchanged (see [`super::value`]), `numprocs` outside 1 to
    /// [`MAX_NUMPROCS`], more than [`MAX_ENV_VARS`] variables, a bad `autorestart`.
    pub fn new(name: impl Into<String>, command: impl Into<String>, settings: ProgramSettings) -> Result<ProgramSpec> {
        let spec = ProgramSpec {
            name: name.into(),
            command: command.into(),
            settings,
        };
        spec.render()?;
        Ok(spec)
    }

    /// The number of processes it runs.
    pub fn numprocs(&self) -> u32 {
        self.settings.numprocs.unwrap_or(1)
    }

    /// The file's text: the marker line and the `[program:x]` section. Errors: as
    /// [`ProgramSpec::new`].
    pub fn render(&self) -> Result<String> {
        validate_name(&self.name)?;
        let s = &self.settings;
        let mut out = format!(
            "{MARKER}\n[program:{}]\ncommand={}\n",
            self.name,
            ini_value("command", &self.command)?
        );
        if let Some(d) = &s.directory {
            out.push_str(&format!("directory={}\n", ini_value("directory", d)?));
        }
        if s.environment.len() > MAX_ENV_VARS {
            return Err(invalid(format!(
                "environment: {} variables, more than the {MAX_ENV_VARS} allowed",
                s.environment.len()
            )));
        }
        if !s.environment.is_empty() {
            let pairs = s
                .environment
                .iter()
                .map(|(k, v)| env_pair(k, v))
                .collect::<Result<Vec<_>>>()?;
            out.push_str(&format!("environment={}\n", pairs.join(",")));
        }
        out.push_str(&format!("autostart={}\n", s.autostart.unwrap_or(false)));
        if let Some(a) = &s.autorestart {
            if !["true", "false", "unexpected"].contains(&a.as_str()) {
                return Err(invalid(format!("autorestart {a:?}: use true, false or unexpected")));
            }
            out.push_str(&format!("autorestart={a}\n"));
        }
        if let Some(n) = s.startsecs {
            out.push_str(&format!("startsecs={n}\n"));
        }
        if let Some(n) = s.startretries {
            out.push_str(&format!("startretries={n}\n"));
        }
        match s.numprocs {
            Some(n) if n == 0 || n > MAX_NUMPROCS => {
                return Err(invalid(format!(
                    "numprocs {n}: use 1 to {MAX_NUMPROCS} (more processes make every status call time out)"
                )));
            }
            Some(n) if n > 1 => out.push_str(&format!(
                "numprocs={n}\nprocess_name=%(program_name)s_%(process_num)02d\n"
            )),
            _ => {}
        }
        if let Some(r) = s.redirect_stderr {
            out.push_str(&format!("redirect_stderr={r}\n"));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, command: &str, settings: ProgramSettings) -> Result<ProgramSpec> {
        ProgramSpec::new(name, command, settings)
    }

    #[test]
    fn renders_a_section_and_refuses_injection() -> Result<()> {
        let text = spec(
            "api",
            "python3 -m http.server 8000 --msg 100%",
            ProgramSettings {
                environment: BTreeMap::from([("MODE".into(), "dev \"x\", y".into())]),
                startsecs: Some(2),
                ..ProgramSettings::default()
            },
        )?
        .render()?;
        assert!(text.starts_with(MARKER));
        assert!(text.contains("[program:api]\ncommand=python3 -m http.server 8000 --msg 100%%\n"));
        assert!(text.contains("environment=MODE='dev \"x\", y'\n"), "{text}");
        assert!(text.contains("startsecs=2\n"));
        for bad in ["a\nb", "x]\n[program:evil", "[evil]", "", "-x", "a b", "a:b", "a/b"] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        let d = ProgramSettings::default;
        assert!(spec("ok", "true\n[program:evil]\ncommand=rm -rf /", d()).is_err());
        let env = |k: &str| ProgramSettings {
            environment: BTreeMap::from([(k.into(), "x".into())]),
            ..d()
        };
        assert!(spec("ok", "true", env("A=B")).is_err());
        Ok(())
    }

    #[test]
    fn numprocs_and_environment_are_bounded() {
        let n = |n| ProgramSettings {
            numprocs: Some(n),
            ..ProgramSettings::default()
        };
        assert!(spec("w", "true", n(MAX_NUMPROCS)).is_ok());
        for bad in [0, MAX_NUMPROCS + 1, 10_000] {
            let e = spec("w", "true", n(bad))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.contains("numprocs") && e.contains("1 to 100"), "{e}");
        }
        let many = ProgramSettings {
            environment: (0..=MAX_ENV_VARS).map(|i| (format!("V{i}"), String::new())).collect(),
            ..ProgramSettings::default()
        };
        assert!(spec("w", "true", many).is_err());
    }
}
