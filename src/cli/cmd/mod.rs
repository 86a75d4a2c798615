//! The commands, one module per family. Each resolves what it needs, calls
//! `supervisor::ops`, renders through the [`Printer`], and returns an exit code.

pub mod config;
pub mod control;
pub mod info;
pub mod logs;
pub mod program;
pub mod status;

use super::WaitArgs;
use super::exit::{self, ExitStatus};
use super::output::Printer;
use crate::config as settings;
use crate::supervisor::Client;
use crate::supervisor::ops::control::{ProcessResult, WaitOptions};
use anyhow::Result;
use std::time::Duration;

/// Where this call goes: the targets of a targets file (with `-t`, `--fleet`, or a
/// targets file found while no daemon was named with `-s`/`-c`/the environment), or
/// the one daemon of the `-s`/`-c`/environment chain. No I/O but reading files.
pub fn scope(global: &crate::cli::GlobalOpts) -> Result<crate::fleet::Scope> {
    let env = |k: &str| std::env::var(k).ok();
    let server_given =
        global.serverurl.is_some() || global.configuration.is_some() || env(settings::ENV_SERVER_URL).is_some();
    let args = crate::fleet::FleetArgs {
        file: global.fleet.clone(),
        target: global.target.clone(),
    };
    let common = crate::fleet::Common {
        rpc_timeout: global.rpc_timeout.duration(),
        no_host_access: global.no_host_access,
        fleet_memory_mib: global.fleet_memory.and_then(|m| usize::try_from(m).ok()),
    };
    Ok(match crate::fleet::resolve(&args, server_given, &common, &env)? {
        Some(f) => crate::fleet::Scope::Fleet(f),
        None => crate::fleet::Scope::One(connect(global)?),
    })
}

/// Resolves the settings (flags, file, environment) into a client; no I/O yet. The
/// settings' warnings (a password over plain http to another host, ...) go to stderr
/// here, once: for a command and for the MCP server at its start alike.
pub fn connect(global: &crate::cli::GlobalOpts) -> Result<Client> {
    let resolved = settings::resolve(&global.server_args(), &|k| std::env::var(k).ok())?;
    tracing::debug!(url = %resolved.server.endpoint.display(), source = %resolved.url_source, "resolved server");
    for warning in resolved.server.warnings() {
        super::output::warn(&format!("supervisord-mcp: warning: {warning}"));
    }
    let client = Client::new(&resolved.server)?;
    if global.no_host_access {
        return Ok(Client::from_transport(client.transport().clone().without_host_access()));
    }
    Ok(client)
}

pub(crate) fn wait_options(w: &WaitArgs) -> WaitOptions {
    WaitOptions {
        wait: !w.no_wait,
        timeout: w.wait_timeout.duration(),
        ..WaitOptions::default()
    }
}

/// Shows a spinner on stderr while `fut` runs (only on a terminal, never with --json).
pub(crate) async fn with_spinner<T>(p: Printer, what: &str, fut: impl std::future::Future<Output = T>) -> T {
    if p.json {
        return fut.await;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    let out = fut.await;
    bar.finish_and_clear();
    out
}

pub(crate) fn results(p: Printer, r: &[ProcessResult]) -> Result<ExitStatus> {
    p.results(r)?;
    Ok(exit::for_results(r))
}

/// `KEY=VALUE` pairs from `--env`.
pub(crate) fn env_pairs(pairs: &[String]) -> Result<std::collections::BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| usage(format!("--env {kv:?}: use KEY=VALUE")))
        })
        .collect()
}

/// Errors that are the user's input (a bad name or value): exit 2.
pub(crate) fn invalid_as_usage(e: crate::supervisor::Error) -> anyhow::Error {
    match e {
        crate::supervisor::Error::Invalid(m) => usage(m),
        other => other.into(),
    }
}

/// An argument error (exit 2).
pub(crate) fn usage(msg: impl Into<String>) -> anyhow::Error {
    crate::config::ConfigError::Usage(msg.into()).into()
}
