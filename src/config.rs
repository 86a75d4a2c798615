//! Settings resolved once, before any work (ripgrep's low args → high args step):
//! which daemon, which credentials, which timeouts.
//!
//! Precedence, highest first, field by field:
//! 1. flags: `-s/--serverurl`, `-u/--username`, `-p/--password`;
//! 2. the file named by `-c/--configuration`, section `[supervisorctl]`;
//! 3. environment: `SUPERVISOR_SERVER_URL`, `SUPERVISOR_USERNAME`, `SUPERVISOR_PASSWORD`;
//! 4. the first file found on supervisorctl's search path;
//! 5. `http://localhost:9001`, supervisorctl's default.
//!
//! The TLS files of an `https://` daemon come from `--ca-file`, `--client-cert`,
//! `--client-key`, else from `SUPERVISOR_CA_FILE`, `SUPERVISOR_CLIENT_CERT`,
//! `SUPERVISOR_CLIENT_KEY` (supervisorctl's file has no such keys).
//!
//! Values in the file are expanded as supervisorctl does: `%(here)s` (the file's
//! directory), `%(ENV_X)s`, `%%`. Inline comments need whitespace before `;`/`#`.
//! A file whose `[supervisorctl]` gives any value (server URL, username, password)
//! must belong to you or root and be writable by no one else, nor its directory
//! (see [`crate::supervisor::files`]): otherwise its URL could receive your password.

use crate::supervisor::files::{self, FileError, FileKind, Rule};
use crate::supervisor::transport::{Endpoint, Secret, ServerSettings, TlsOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variable: the server URL.
pub const ENV_SERVER_URL: &str = "SUPERVISOR_SERVER_URL";
/// Environment variable: the username.
pub const ENV_USERNAME: &str = "SUPERVISOR_USERNAME";
/// Environment variable: the password (never printed).
pub const ENV_PASSWORD: &str = "SUPERVISOR_PASSWORD";
/// Environment variable: the CA file for `https://` (`--ca-file`).
pub const ENV_CA_FILE: &str = "SUPERVISOR_CA_FILE";
/// Environment variable: the client certificate for `https://` (`--client-cert`).
pub const ENV_CLIENT_CERT: &str = "SUPERVISOR_CLIENT_CERT";
/// Environment variable: the client key for `https://` (`--client-key`).
pub const ENV_CLIENT_KEY: &str = "SUPERVISOR_CLIENT_KEY";
/// supervisorctl's default server URL.
pub const DEFAULT_SERVER_URL: &str = "http://localhost:9001";

/// Why settings could not be resolved. Shown as one line; never contains a password.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Unreadable, not a small regular file, or not yours (with its `[supervisorctl]`
    /// values).
    #[error(transparent)]
    File(#[from] FileError),
    #[error("configuration file {path}: {detail}")]
    Parse { path: PathBuf, detail: String },
    #[error(transparent)]
    Server(#[from] crate::supervisor::Error),
    /// An argument that parses but makes no sense (exit 2).
    #[error("{0}")]
    Usage(String),
}

/// What the user gave, before resolution (flags; the environment is read separately).
#[derive(Debug, Clone, Default)]
pub struct ServerArgs {
    pub configuration: Option<PathBuf>,
    pub serverurl: Option<String>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Per-call timeout; default [`DEFAULT_TIMEOUT`].
    pub timeout: Option<Duration>,
    /// `--ca-file`, `--client-cert`, `--client-key` (for `https://` URLs).
    pub tls: TlsOptions,
}

/// Default per-call timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on connecting (within the call timeout).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The resolved settings, and where they came from.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub server: ServerSettings,
    /// The configuration file read, if any.
    pub config_file: Option<PathBuf>,
    /// Where the server URL came from (`--serverurl`, `SUPERVISOR_SERVER_URL`, a file, the default).
    pub url_source: String,
}

#[derive(Default)]
struct Layer {
    source: String,
    url: Option<String>,
    username: Option<String>,
    password: Option<Secret>,
}

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
pub fn read_ctl_section(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<CtlSection, ConfigError> {
    let contents = files::read(path, FileKind::Configuration, Rule::Unchecked)?;
    let owner = contents.check_owner();
    let section = parse_ctl_section(&contents.into_text()?, path, env)?;
    if section != CtlSection::default() {
        owner?;
    }
    Ok(section)
}

fn parse_ctl_section(text: &str, path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<CtlSection, ConfigError> {
    let mut defaults = configparser::ini::Ini::new().defaults();
    defaults.enable_inline_comments = false;
    defaults.multiline = true;
    let mut ini = configparser::ini::Ini::new_from_defaults(defaults);
    ini.read(text.to_owned()).map_err(|detail| ConfigError::Parse {
        path: path.to_owned(),
        detail,
    })?;
    let here = path
        .canonicalize()
        .unwrap_or_else(|_| path.to_owned())
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| ".".into());
    let get = |key: &str| -> Result<Option<String>, ConfigError> {
        match ini.get("supervisorctl", key) {
            None => Ok(None),
            Some(v) => expand(strip_inline_comment(&v), &here, env)
                .map(Some)
                .map_err(|detail| ConfigError::Parse {
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

/// Resolves flags, the environment and configuration files into settings.
/// `env` reads an environment variable (tests pass their own).
pub fn resolve(args: &ServerArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<Resolved, ConfigError> {
    let flags = Layer {
        source: "--serverurl".into(),
        url: args.serverurl.clone(),
        username: args.username.clone(),
        password: args.password.clone(),
    };
    let file_layer = |path: &Path| -> Result<Layer, ConfigError> {
        let s = read_ctl_section(path, env)?;
        Ok(Layer {
            source: format!("[supervisorctl] serverurl in {}", path.display()),
            url: s.serverurl,
            username: s.username,
            password: s.password.map(Secret::new),
        })
    };
    let env_layer = Layer {
        source: ENV_SERVER_URL.into(),
        url: env(ENV_SERVER_URL).filter(|s| !s.is_empty()),
        username: env(ENV_USERNAME).filter(|s| !s.is_empty()),
        password: env(ENV_PASSWORD).map(Secret::new),
    };
    let mut config_file = None;
    let mut layers = vec![flags];
    if let Some(path) = &args.configuration {
        layers.push(file_layer(path)?);
        config_file = Some(path.clone());
        layers.push(env_layer);
    } else {
        layers.push(env_layer);
        if let Some(found) = search_path().into_iter().find(|p| p.is_file()) {
            layers.push(file_layer(&found)?);
            config_file = Some(found);
        }
    }
    let (url, url_source) = layers
        .iter()
        .find_map(|l| l.url.clone().map(|u| (u, l.source.clone())))
        .unwrap_or_else(|| (DEFAULT_SERVER_URL.to_owned(), "default".to_owned()));
    let parsed = Endpoint::parse(&url)?;
    let username = layers.iter().find_map(|l| l.username.clone()).or(parsed.username);
    let password = layers.iter().find_map(|l| l.password.clone()).or(parsed.password);
    let timeout = args.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let tls = resolve_tls(&args.tls, env)?;
    Ok(Resolved {
        server: ServerSettings {
            endpoint: parsed.endpoint,
            username,
            password,
            connect_timeout: CONNECT_TIMEOUT.min(timeout),
            timeout,
            tls,
        },
        config_file,
        url_source,
    })
}

/// Each TLS file from its flag, else its environment variable. Errors
/// ([`ConfigError::Usage`]): a client certificate without its key, or the reverse.
fn resolve_tls(flags: &TlsOptions, env: &dyn Fn(&str) -> Option<String>) -> Result<TlsOptions, ConfigError> {
    let pick = |flag: &Option<PathBuf>, var: &str| {
        flag.clone()
            .or_else(|| env(var).filter(|s| !s.is_empty()).map(PathBuf::from))
    };
    let tls = TlsOptions {
        ca_file: pick(&flags.ca_file, ENV_CA_FILE),
        client_cert: pick(&flags.client_cert, ENV_CLIENT_CERT),
        client_key: pick(&flags.client_key, ENV_CLIENT_KEY),
    };
    if tls.client_cert.is_some() != tls.client_key.is_some() {
        return Err(ConfigError::Usage(format!(
            "a client certificate and its key go together: give both --client-cert and --client-key \
             (or {ENV_CLIENT_CERT} and {ENV_CLIENT_KEY})"
        )));
    }
    Ok(tls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn reads_supervisorctl_section_like_python() -> Result<(), ConfigError> {
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

    #[test]
    fn precedence_flags_then_file_then_env() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let conf = dir.path().join("s.conf");
        std::fs::write(
            &conf,
            "[supervisorctl]\nserverurl=http://127.0.0.1:7000\nusername=fileuser\n",
        )?;
        let env = env_of(&[(ENV_SERVER_URL, "unix:///env.sock"), (ENV_PASSWORD, "envpw")]);
        let mut args = ServerArgs {
            configuration: Some(conf),
            ..Default::default()
        };
        let r = resolve(&args, &env)?;
        assert_eq!(r.server.endpoint.display(), "http://127.0.0.1:7000");
        assert_eq!(r.server.username.as_deref(), Some("fileuser"));
        assert_eq!(r.server.password.as_ref().map(Secret::expose), Some("envpw"));
        args.serverurl = Some("http://u:urlpw@h:1".into());
        args.username = Some("flaguser".into());
        let r = resolve(&args, &env)?;
        assert_eq!(r.server.endpoint.display(), "http://h:1");
        assert_eq!(r.server.username.as_deref(), Some("flaguser"));
        assert_eq!(r.url_source, "--serverurl");
        args.configuration = None;
        args.serverurl = None;
        let r = resolve(&args, &env)?;
        assert_eq!(r.server.endpoint.display(), "unix:///env.sock");
        Ok(())
    }

    #[test]
    fn tls_files_from_flags_then_env_and_in_pairs() -> Result<(), ConfigError> {
        let env = env_of(&[(ENV_CA_FILE, "/env/ca.pem"), (ENV_CLIENT_KEY, "/env/key.pem")]);
        let mut args = ServerArgs {
            serverurl: Some("https://h:1".into()),
            ..Default::default()
        };
        let e = resolve(&args, &env).unwrap_err();
        assert!(matches!(e, ConfigError::Usage(_)), "{e}");
        args.tls.client_cert = Some("/flag/cert.pem".into());
        args.tls.ca_file = Some("/flag/ca.pem".into());
        let tls = resolve(&args, &env)?.server.tls;
        assert_eq!(tls.ca_file.as_deref(), Some(Path::new("/flag/ca.pem")));
        assert_eq!(tls.client_cert.as_deref(), Some(Path::new("/flag/cert.pem")));
        assert_eq!(tls.client_key.as_deref(), Some(Path::new("/env/key.pem")));
        Ok(())
    }

    #[test]
    fn missing_file_is_a_clear_error() {
        let args = ServerArgs {
            configuration: Some("/nonexistent/supervisord.conf".into()),
            ..Default::default()
        };
        let e = resolve(&args, &env_of(&[])).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/supervisord.conf"), "{e}");
    }
}
