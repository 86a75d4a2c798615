//! The commands, one module per family. Each calls `supervisor::ops` with the
//! [`crate::settings::Settings`] resolved by `main`, renders through the [`Printer`],
//! and returns an exit code.

pub mod config;
pub mod control;
pub mod events;
pub mod info;
pub mod logs;
pub mod program;
pub mod status;

use super::WaitArgs;
use super::exit::{self, ExitStatus};
use super::output::Printer;
use crate::supervisor::ops::control::{ProcessResult, WaitOptions};
use anyhow::Result;
use std::time::Duration;

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
    crate::settings::SettingsError::Usage(msg.into()).into()
}
