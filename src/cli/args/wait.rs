//! Arguments of waiting: the `--no-wait`/`--wait-timeout` options of commands that
//! start or stop processes, and the `wait` command's own.

use crate::supervisor::ProcessState;
use crate::supervisor::bounds::Seconds;
use clap::Args;

/// Options of commands that start or stop processes.
#[derive(Debug, Args, Clone)]
pub struct WaitArgs {
    /// Do not wait for the processes to reach their new state
    #[arg(long)]
    pub no_wait: bool,
    /// Seconds to wait, in all, for the processes to settle
    #[arg(long, value_name = "SECS", default_value_t = Seconds::from_duration(crate::supervisor::ops::control::DEFAULT_TIMEOUT))]
    pub wait_timeout: Seconds,
}

/// `wait NAMES... [--state S] [--url U] [--port P] [--pattern RE] [--timeout SECS]`.
#[derive(Debug, Args)]
pub struct WaitCmdArgs {
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    /// State to reach
    #[arg(long, default_value = "RUNNING", ignore_case = true)]
    pub state: ProcessState,
    /// Ready when this http:// URL answers below 400 (or with --expect-status)
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The HTTP status --url must answer with (100 to 599)
    #[arg(long, value_name = "CODE", requires = "url", value_parser = clap::value_parser!(u16).range(100..=599))]
    pub expect_status: Option<u16>,
    /// Ready when this TCP port (on 127.0.0.1, or HOST:PORT) accepts connections
    #[arg(long, value_name = "PORT")]
    pub port: Option<String>,
    /// Ready when a stdout or stderr line written from now on matches this regex
    #[arg(long, value_name = "REGEX")]
    pub pattern: Option<String>,
    /// Seconds to wait in all
    #[arg(long, value_name = "SECS", default_value_t = Seconds::from_duration(crate::supervisor::ops::wait::DEFAULT_TIMEOUT))]
    pub timeout: Seconds,
}
