//! The one daemon of the `-s`/`-c`/environment chain, resolved the way supervisorctl
//! does it: which URL, which credentials, which timeouts, which TLS files.
//!
//! Precedence, highest first, field by field:
//! 1. flags: `-s/--serverurl`, `-u/--username`, `-p/--password`; the credentials in
//!    the `-s` URL (`http://user:pass@host`) count as flags, below `-u`/`-p`;
//! 2. the file named by `-c/--configuration`, section `[supervisorctl]`;
//! 3. environment: `SUPERVISOR_SERVER_URL`, `SUPERVISOR_USERNAME`, `SUPERVISOR_PASSWORD`;
//! 4. the first file found on supervisorctl's search path;
//! 5. `http://localhost:9001`, supervisorctl's default.
//!
//! Credentials in a URL count where the URL comes from, below that place's own
//! username and password. The TLS files of an `https://` daemon come from `--ca-file`,
//! `--client-cert`, `--client-key`, else from `SUPERVISOR_CA_FILE`,
//! `SUPERVISOR_CLIENT_CERT`, `SUPERVISOR_CLIENT_KEY` (supervisorctl's file has no
//! such keys).

use super::SettingsError;
use super::supervisorctl::{read_ctl_section, search_path};
use crate::cli::GlobalOpts;
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
/// Bound on connecting (within the call timeout).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The daemon's settings, and where they came from.
#[derive(Debug, Clone)]
pub struct Daemon {
    pub server: ServerSettings,
    /// The configuration file read, if any.
    pub config_file: Option<PathBuf>,
    /// Where the server URL came from (`--serverurl`, `SUPERVISOR_SERVER_URL`, a file, the default).
    pub url_source: String,
}

/// One place settings come from: its URL, username and password.
#[derive(Default)]
struct Layer {
    source: String,
    url: Option<String>,
    username: Option<String>,
    password: Option<Secret>,
}

/// True when `-s`, `-c` or `SUPERVISOR_SERVER_URL` names a daemon (which then wins
/// over a targets file found on its own).
pub fn named(g: &GlobalOpts, env: &dyn Fn(&str) -> Option<String>) -> bool {
    g.serverurl.is_some() || g.configuration.is_some() || env(ENV_SERVER_URL).is_some()
}

/// Resolves flags, the environment and configuration files into the daemon's
/// settings; `env` reads an environment variable (tests pass their own). No I/O but
/// reading the configuration file. Errors: an unreadable, unparsable or unsafe file;
/// a bad URL; a client certificate without its key.
pub fn resolve(g: &GlobalOpts, env: &dyn Fn(&str) -> Option<String>) -> Result<Daemon, SettingsError> {
    let (mut layers, config_file) = layers(g, env)?;
    let at = layers.iter().position(|l| l.url.is_some());
    let (url, url_source) = match at {
        Some(i) => (layers[i].url.clone().unwrap_or_default(), layers[i].source.clone()),
        None => (DEFAULT_SERVER_URL.to_owned(), "default".to_owned()),
    };
    let parsed = Endpoint::parse(&url)?;
    // The URL's credentials count where the URL comes from, below that place's own.
    let from_url = Layer {
        username: parsed.username,
        password: parsed.password,
        ..Layer::default()
    };
    layers.insert(at.map_or(layers.len(), |i| i + 1), from_url);
    let timeout = g.rpc_timeout.duration();
    Ok(Daemon {
        server: ServerSettings {
            endpoint: parsed.endpoint,
            username: layers.iter().find_map(|l| l.username.clone()),
            password: layers.iter().find_map(|l| l.password.clone()),
            connect_timeout: CONNECT_TIMEOUT.min(timeout),
            timeout,
            tls: resolve_tls(g, env)?,
        },
        config_file,
        url_source,
    })
}

/// The places settings come from, highest first, and the configuration file read.
fn layers(
    g: &GlobalOpts,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<Layer>, Option<PathBuf>), SettingsError> {
    let flags = Layer {
        source: "--serverurl".into(),
        url: g.serverurl.clone(),
        username: g.username.clone(),
        password: g.password.clone().map(Secret::new),
    };
    let env_layer = Layer {
        source: ENV_SERVER_URL.into(),
        url: env(ENV_SERVER_URL).filter(|s| !s.is_empty()),
        username: env(ENV_USERNAME).filter(|s| !s.is_empty()),
        password: env(ENV_PASSWORD).map(Secret::new),
    };
    if let Some(path) = &g.configuration {
        let file = file_layer(path, env)?;
        return Ok((vec![flags, file, env_layer], Some(path.clone())));
    }
    match search_path().into_iter().find(|p| p.is_file()) {
        Some(found) => Ok((vec![flags, env_layer, file_layer(&found, env)?], Some(found))),
        None => Ok((vec![flags, env_layer], None)),
    }
}

/// The `[supervisorctl]` section of the file at `path`, as a layer.
fn file_layer(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Layer, SettingsError> {
    let s = read_ctl_section(path, env)?;
    Ok(Layer {
        source: format!("[supervisorctl] serverurl in {}", path.display()),
        url: s.serverurl,
        username: s.username,
        password: s.password.map(Secret::new),
    })
}

/// Each TLS file from its flag, else its environment variable. Errors
/// ([`SettingsError::Usage`]): a client certificate without its key, or the reverse.
fn resolve_tls(g: &GlobalOpts, env: &dyn Fn(&str) -> Option<String>) -> Result<TlsOptions, SettingsError> {
    let pick = |flag: &Option<PathBuf>, var: &str| {
        flag.clone()
            .or_else(|| env(var).filter(|s| !s.is_empty()).map(PathBuf::from))
    };
    let tls = TlsOptions {
        ca_file: pick(&g.ca_file, ENV_CA_FILE),
        client_cert: pick(&g.client_cert, ENV_CLIENT_CERT),
        client_key: pick(&g.client_key, ENV_CLIENT_KEY),
    };
    if tls.client_cert.is_some() != tls.client_key.is_some() {
        return Err(SettingsError::Usage(format!(
            "a client certificate and its key go together: give both --client-cert and --client-key \
             (or {ENV_CLIENT_CERT} and {ENV_CLIENT_KEY})"
        )));
    }
    Ok(tls)
}
