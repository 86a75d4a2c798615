//! `start`, `stop`, `restart`, `signal` and `wait`.

use super::{results, wait_options, with_spinner};
use crate::cli::WaitArgs;
use crate::cli::exit::ExitStatus;
use crate::cli::output::Printer;
use crate::supervisor::Client;
use crate::supervisor::ops::control;
use crate::supervisor::ops::ready::ReadyCheck;
use crate::supervisor::ops::wait::{self, WaitFor};
use anyhow::Result;

pub async fn cmd_wait(c: &Client, p: Printer, a: &crate::cli::WaitCmdArgs) -> Result<ExitStatus> {
    let w = WaitFor {
        names: a.names.clone(),
        state: a.state,
        check: ReadyCheck::new(a.url.clone(), a.expect_status, a.port.clone(), a.pattern.as_deref())?,
        timeout: a.timeout.duration(),
    };
    let what = if w.check.is_empty() {
        "waiting"
    } else {
        "waiting until ready"
    };
    let r = with_spinner(p, what, wait::wait(c, &w, |_| {})).await?;
    results(p, &r)
}

pub async fn cmd_start(c: &Client, p: Printer, names: &[String], wait: &WaitArgs) -> Result<ExitStatus> {
    let opts = wait_options(wait);
    let r = with_spinner(p, "starting", control::start(c, names, &opts)).await?;
    results(p, &r)
}

pub async fn cmd_stop(c: &Client, p: Printer, names: &[String], wait: &WaitArgs) -> Result<ExitStatus> {
    let opts = wait_options(wait);
    let r = with_spinner(p, "stopping", control::stop(c, names, &opts)).await?;
    results(p, &r)
}

pub async fn cmd_restart(c: &Client, p: Printer, names: &[String], wait: &WaitArgs) -> Result<ExitStatus> {
    let opts = wait_options(wait);
    let r = with_spinner(p, "restarting", control::restart(c, names, &opts)).await?;
    results(p, &r)
}

pub async fn cmd_signal(c: &Client, p: Printer, signal: &str, names: &[String], tree: bool) -> Result<ExitStatus> {
    let r = if tree {
        control::signal_tree(c, signal, names).await?
    } else {
        control::signal(c, signal, names).await?
    };
    results(p, &r)
}
