//! Arguments of the commands that define programs: `program add|remove` and `run`.

use super::WaitArgs;
use crate::supervisor::bounds::{Count, Seconds};
use clap::{Args, Subcommand};

/// `program add|remove`.
#[derive(Debug, Subcommand)]
pub enum ProgramCmd {
    /// Add a program (or change one added before), then start it; a failed start is
    /// rolled back unless --keep-on-failure
    Add(ProgramAddArgs),
    /// Stop and remove a program added with `program add`, and delete its file
    /// (already absent is success)
    Remove { name: String },
}

/// `program add NAME --command CMD ...`.
#[derive(Debug, Args)]
pub struct ProgramAddArgs {
    pub name: String,
    /// The command line
    #[arg(long)]
    pub command: String,
    /// Working directory
    #[arg(long)]
    pub directory: Option<String>,
    /// Environment variable KEY=VALUE (repeatable)
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Start it when supervisord starts
    #[arg(long)]
    pub autostart: bool,
    /// true, false or unexpected
    #[arg(long)]
    pub autorestart: Option<String>,
    /// Seconds it must stay up to count as started (0 to 86400)
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=86_400))]
    pub startsecs: Option<u32>,
    /// Start attempts before FATAL (0 to 1000)
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub startretries: Option<u32>,
    /// Run N copies, 1 to 100 (NAME:NAME_00, NAME:NAME_01, ...)
    #[arg(long)]
    pub numprocs: Option<Count<1, 100>>,
    /// Write stderr into the stdout log
    #[arg(long)]
    pub redirect_stderr: bool,
    /// Add it without starting it
    #[arg(long)]
    pub no_start: bool,
    /// When the start fails, keep the program (in BACKOFF or FATAL) for inspection
    /// instead of rolling the add back
    #[arg(long)]
    pub keep_on_failure: bool,
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// `run [--directory D] [--env K=V] [--timeout SECS] -- CMD...`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Working directory
    #[arg(long)]
    pub directory: Option<String>,
    /// Environment variable KEY=VALUE (repeatable)
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Stop it (and its whole process tree) after this many seconds
    #[arg(long, value_name = "SECS", default_value_t = Seconds::from_duration(crate::supervisor::ops::programs::RUN_TIMEOUT))]
    pub timeout: Seconds,
    /// Lines of stdout and of stderr to print (1 to 10000)
    #[arg(short = 'n', long, default_value = "100")]
    pub lines: Count<1, 10_000>,
    /// The command and its arguments
    #[arg(required = true, last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}
