//! The configuration of a daemon on this host, read as the daemon read it: its
//! command line (`/proc/PID/cmdline`: `-c FILE`, else supervisord's search path),
//! relative paths taken from its working directory, files opened through its root
//! (`/proc/PID/root`) when this process may look there.

use super::LocalHost;
use crate::supervisor::error::{Error, Result};
use std::path::{Path, PathBuf};

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

/// The daemon's configuration file, parsed.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// The file, as the daemon names it.
    pub path: PathBuf,
    /// Its directory: what `%(here)s` stands for.
    pub here: PathBuf,
    pub ini: configparser::ini::Ini,
}

/// The daemon's command line after the program (the interpreter and the script
/// skipped): its options.
fn options(pid: i32) -> Result<Vec<String>> {
    let args = procfs::process::Process::new(pid)
        .and_then(|p| p.cmdline())
        .map_err(|e| invalid(format!("cannot read supervisord's command line: {e}")))?;
    let program = args.iter().position(|a| a.contains("supervisord")).unwrap_or(0);
    Ok(args.into_iter().skip(program + 1).collect())
}

/// The value of a `getopt` option: `-x VALUE`, `-xVALUE`, `--long VALUE`, `--long=VALUE`
/// (the last one given wins).
pub fn option(args: &[String], short: char, long: &str) -> Option<String> {
    let mut found = None;
    let mut it = args.iter();
    let short = format!("-{short}");
    let long_eq = format!("--{long}=");
    let long = format!("--{long}");
    while let Some(a) = it.next() {
        if *a == short || *a == long {
            found = it.next().cloned();
        } else if let Some(v) = a.strip_prefix(&long_eq) {
            found = Some(v.to_owned());
        } else if let Some(v) = a.strip_prefix(&short).filter(|_| !a.starts_with("--")) {
            found = Some(v.to_owned());
        }
    }
    found
}

/// `path` as the daemon sees it: relative to its working directory.
pub fn absolute(pid: i32, path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_owned();
    }
    std::fs::read_link(format!("/proc/{pid}/cwd"))
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_owned())
}

/// Where to open the daemon's absolute `path` from here: through `/proc/PID/root`
/// (the daemon's own view, even from another mount namespace) when this process
/// may look there, else the path itself.
pub fn in_daemon_root(pid: i32, path: &Path) -> PathBuf {
    let root = PathBuf::from(format!("/proc/{pid}/root"));
    match (std::fs::read_link(&root), path.strip_prefix("/")) {
        (Ok(_), Ok(rel)) => root.join(rel),
        _ => path.to_owned(),
    }
}

/// Reads the daemon's configuration file: `-c FILE` from its command line, else the
/// first that exists of supervisord's search path.
/// Errors: no command line, no file, a file that does not parse.
pub fn read(local: &LocalHost) -> Result<DaemonConfig> {
    let pid = local.daemon_pid;
    let args = options(pid)?;
    let path = match option(&args, 'c', "configuration") {
        Some(c) => absolute(pid, Path::new(&c)),
        None => [
            "supervisord.conf",
            "etc/supervisord.conf",
            "/etc/supervisord.conf",
            "/etc/supervisor/supervisord.conf",
        ]
        .iter()
        .map(|p| absolute(pid, Path::new(p)))
        .find(|p| in_daemon_root(pid, p).is_file())
        .unwrap_or_else(|| PathBuf::from("/etc/supervisord.conf")),
    };
    use crate::supervisor::files::{FileKind, Rule, read_text};
    let text = read_text(
        &in_daemon_root(pid, &path),
        FileKind::DaemonConfiguration,
        Rule::Unchecked,
    )
    .map_err(|e| invalid(format!("cannot read {}: {}", path.display(), e.detail)))?;
    let mut defaults = configparser::ini::Ini::new().defaults();
    defaults.enable_inline_comments = false;
    defaults.multiline = true;
    let mut ini = configparser::ini::Ini::new_from_defaults(defaults);
    ini.read(text)
        .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    let here = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(DaemonConfig { path, here, ini })
}

impl DaemonConfig {
    /// A value with `%(here)s` expanded; `None` when unset, or when it names other
    /// expansions (`%(ENV_X)s`: the daemon's environment is not ours).
    pub fn get(&self, section: &str, key: &str) -> Option<String> {
        let v = self.ini.get(section, key)?;
        let v = v.replace("%(here)s", &self.here.to_string_lossy());
        (!v.contains("%(")).then(|| v.replace("%%", "%"))
    }
}

/// The main log's path, as the daemon names it: `-l FILE` from its command line,
/// else `[supervisord] logfile` (default `supervisord.log`), relative to the
/// daemon's working directory. `None` for `syslog` or an unreadable configuration.
pub fn main_log(local: &LocalHost) -> Option<PathBuf> {
    let args = options(local.daemon_pid).ok()?;
    let name = match option(&args, 'l', "logfile") {
        Some(l) => l,
        None => read(local)
            .ok()?
            .get("supervisord", "logfile")
            .unwrap_or_else(|| "supervisord.log".into()),
    };
    let name = name.trim();
    if name.is_empty() || name.eq_ignore_ascii_case("syslog") {
        return None;
    }
    Some(absolute(local.daemon_pid, Path::new(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_as_getopt_reads_them() {
        assert_eq!(
            option(&args(&["-c", "a.conf"]), 'c', "configuration").as_deref(),
            Some("a.conf")
        );
        assert_eq!(
            option(&args(&["-cb.conf"]), 'c', "configuration").as_deref(),
            Some("b.conf")
        );
        assert_eq!(
            option(&args(&["-n", "--configuration=c.conf"]), 'c', "configuration").as_deref(),
            Some("c.conf")
        );
        assert_eq!(
            option(&args(&["--configuration", "d.conf"]), 'c', "configuration").as_deref(),
            Some("d.conf")
        );
        assert_eq!(option(&args(&["-n"]), 'c', "configuration"), None);
        assert_eq!(
            option(&args(&["--logfile=/x.log"]), 'l', "logfile").as_deref(),
            Some("/x.log")
        );
    }
}
