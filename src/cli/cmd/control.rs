//! `start`, `stop`, `restart`, `signal` and `wait`.

use super::{parse_state, results, usage, wait_options, with_spinner};
use crate::cli::WaitArgs;
use crate::cli::exit::ExitStatus;
use crate::cli::output::Printer;
use crate::supervisor::Client;
use crate::supervisor::ops::control;
use crate::supervisor::ops::ready;
use anyhow::Result;
use std::time::Duration;

pub async fn cmd_wait(c: &Client, p: Printer, a: &crate::cli::WaitCmdArgs) -> Result<ExitStatus> {
    let state = parse_state(&a.state)?;
    let check = ready::ReadyCheck {
        url: a.url.clone(),
        expect_status: a.expect_status,
        port: a.port.clone(),
        pattern: a
            .pattern
            .as_deref()
            .map(regex::Regex::new)
            .transpose()
            .map_err(|e| usage(format!("--pattern is not a valid regex: {e}")))?,
    };
    let timeout = Duration::from_secs_f64(a.timeout.max(0.0));
    let r = if check.is_empty() {
        with_spinner(
            p,
            "waiting",
            crate::supervisor::ops::wait::wait_for_state(
                c,
                &a.names,
                state,
                timeout,
                Duration::from_millis(100),
                |_| {},
            ),
        )
        .await?
    } else {
        let [name] = a.names.as_slice() else {
            return Err(usage("--url, --port and --pattern check one process: give one NAME"));
        };
        vec![
            with_spinner(
                p,
                "waiting until ready",
                ready::wait_ready(c, name, &check, timeout, |_| {}),
            )
            .await?,
        ]
    };
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
