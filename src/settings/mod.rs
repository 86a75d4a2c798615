//! Settings resolved once, before any work (ripgrep's low args → high args step):
//! the flags (clap's definitions in [`crate::cli`]), files and the environment become
//! ONE [`Settings`], which `main` builds and hands to the chosen front end: where calls
//! go (one daemon, or the targets of a targets file with its selection), the policy,
//! timeouts, transports (TLS files, host access), the output mode, the MCP server's
//! own settings, and the warnings to print once.
//!
//! The one daemon's precedence is in [`daemon`], supervisorctl's file in
//! [`supervisorctl`], the targets file in [`crate::fleet::file`] (a targets file is
//! used with `--fleet`/`-t`, or when found while `-s`/`-c`/`SUPERVISOR_SERVER_URL`
//! name no daemon).

pub mod daemon;
mod mcp;
pub mod supervisorctl;
#[cfg(test)]
pub(crate) mod tests;

pub use daemon::{
    CONNECT_TIMEOUT, DEFAULT_SERVER_URL, ENV_CA_FILE, ENV_CLIENT_CERT, ENV_CLIENT_KEY, ENV_PASSWORD, ENV_SERVER_URL,
    ENV_USERNAME,
};
pub use mcp::ENV_TOKEN;

use crate::cli::{Cli, Command, GlobalOpts};
use crate::fleet::{Common, FleetArgs, FleetError, Scope};
use crate::mcp::http::{HttpSettings, TokenSource};
use crate::supervisor::files::FileError;
use crate::supervisor::{Client, Policy};
use std::path::PathBuf;
use std::time::Duration;

/// Why settings could not be resolved. Shown as one line; never contains a password.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Unreadable, not a small regular file, or not yours (with its `[supervisorctl]`
    /// values).
    #[error(transparent)]
    File(#[from] FileError),
    #[error("configuration file {path}: {detail}")]
    Parse { path: PathBuf, detail: String },
    /// A bad URL, an unusable TLS file, a bad `--allow` pattern.
    #[error(transparent)]
    Server(#[from] crate::supervisor::Error),
    /// The targets file or the selection (`--fleet`, `-t`).
    #[error(transparent)]
    Fleet(#[from] FleetError),
    /// An argument that parses but makes no sense (exit 2).
    #[error("{0}")]
    Usage(String),
}

/// Everything a front end needs, resolved from flags, files and the environment.
#[derive(Debug)]
pub struct Settings {
    /// Where calls go: the one daemon of `-s`/`-c`/the environment (remote-only with
    /// `--no-host-access`), or the targets of a targets file and the selection.
    pub scope: Scope,
    /// What may be changed (`mcp --read-only`, `--allow`); open for the CLI.
    pub policy: Policy,
    /// Bound on each reply from a daemon (`--rpc-timeout`).
    pub rpc_timeout: Duration,
    /// Where `program`/`run` write program files (`--include-dir`); `None`: found
    /// from a local daemon's own configuration.
    pub include_dir: Option<PathBuf>,
    /// `--json`: one JSON document on stdout instead of text.
    pub json: bool,
    /// Which front end serves, with its own settings.
    pub front_end: FrontEnd,
    /// What the user should know before any work (a password in clear text over
    /// `http://`, a password file others can read, ...): printed once, by `main`.
    pub warnings: Vec<Warning>,
}

/// The front end a command line asks for.
#[derive(Debug)]
pub enum FrontEnd {
    /// A command of the command line.
    Cli,
    /// `mcp`: the MCP server on stdio.
    Stdio,
    /// `mcp --http`: the MCP server over Streamable HTTP; `token` says where its
    /// bearer token came from (said on stderr at start, never the token).
    Http {
        server: Box<HttpSettings>,
        token: TokenSource,
    },
    /// `serve`: `/mcp`, `/metrics`, the dashboard and `/health` on one server;
    /// `token` says where its single token came from (or the tokens file).
    Serve {
        server: Box<crate::web::ServeSettings>,
        token: TokenSource,
    },
}

/// A warning to print once, on stderr, before any work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub text: String,
    /// Shouted (`WARNING`): the setting puts the daemon's processes in anyone's hands.
    pub loud: bool,
}

impl Warning {
    fn new(text: String) -> Warning {
        Warning { text, loud: false }
    }
}

impl std::fmt::Display for Warning {
    /// `supervisord-mcp: warning: TEXT` (`WARNING` when loud).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let word = if self.loud { "WARNING" } else { "warning" };
        write!(f, "supervisord-mcp: {word}: {}", self.text)
    }
}

impl Settings {
    /// Resolves the parsed command line `cli`, the files it names or finds, and the
    /// environment (`env` reads a variable; tests pass their own) into settings. No
    /// I/O but reading files, except that `mcp --http` with no token configured
    /// generates one and keeps it (see [`crate::server::token::resolve`]). Errors:
    /// a bad `--allow` pattern; an unreadable, invalid or unsafe file; a bad URL or
    /// selection; a token that cannot be used.
    pub fn resolve(cli: &Cli, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let g = &cli.global;
        let mut warnings = Vec::new();
        let policy = match &cli.command {
            Command::Mcp(args) => Policy::new(args.read_only, &args.allow)?,
            Command::Serve(args) => Policy::new(args.read_only, &args.allow)?,
            _ => Policy::default(),
        };
        let scope = scope(g, env, &mut warnings)?;
        let front_end = match &cli.command {
            Command::Mcp(args) => mcp::front_end(args, env, &mut warnings)?,
            Command::Serve(args) => mcp::serve(args, g.rpc_timeout.duration(), env, &mut warnings)?,
            _ => FrontEnd::Cli,
        };
        Ok(Settings {
            scope,
            policy,
            rpc_timeout: g.rpc_timeout.duration(),
            include_dir: g.include_dir.clone(),
            json: g.json,
            front_end,
            warnings,
        })
    }
}

/// Where calls go: the targets of a targets file (with `-t`, `--fleet`, or a targets
/// file found while no daemon was named with `-s`/`-c`/the environment), or the one
/// daemon of the `-s`/`-c`/environment chain.
fn scope(
    g: &GlobalOpts,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Warning>,
) -> Result<Scope, SettingsError> {
    let args = FleetArgs {
        file: g.fleet.clone(),
        target: g.target.clone(),
    };
    let common = Common {
        rpc_timeout: g.rpc_timeout.duration(),
        no_host_access: g.no_host_access,
        fleet_memory_mib: g.fleet_memory.and_then(|m| usize::try_from(m).ok()),
    };
    let mut said = Vec::new();
    let fleet = crate::fleet::resolve(&args, daemon::named(g, env), &common, env, &mut said)?;
    warnings.extend(said.into_iter().map(Warning::new));
    match fleet {
        Some(f) => Ok(Scope::Fleet(f)),
        None => connect(g, env, warnings).map(Scope::One),
    }
}

/// The client of the one daemon; no I/O yet.
fn connect(
    g: &GlobalOpts,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Warning>,
) -> Result<Client, SettingsError> {
    let resolved = daemon::resolve(g, env)?;
    tracing::debug!(url = %resolved.server.endpoint.display(), source = %resolved.url_source, "resolved server");
    warnings.extend(resolved.server.warnings().into_iter().map(Warning::new));
    let client = Client::new(&resolved.server)?;
    if g.no_host_access {
        return Ok(Client::from_transport(client.transport().clone().without_host_access()));
    }
    Ok(client)
}
