//! The command line's definition (clap): the top-level command, the options every
//! command takes and the list of commands; each command family's own arguments are in
//! a sibling module. Values are parsed here; what they mean is decided in the commands
//! and the core.

mod events;
mod logs;
mod mcp;
mod program;
mod serve;
mod values;
mod wait;

pub use events::{EventsArgs, EventsCmd, InstallArgs};
pub use logs::LogsArgs;
pub use mcp::{McpArgs, ServerOpts};
pub use program::{ProgramAddArgs, ProgramCmd, RunArgs};
pub use serve::ServeArgs;
pub use wait::{WaitArgs, WaitCmdArgs};

use crate::supervisor::ProcessState;
use crate::supervisor::bounds::{Count, Seconds};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use values::positive_seconds;

/// Control a Supervisord daemon: faster than supervisorctl, with line-bounded logs,
/// idempotent start/stop and JSON output. `supervisord-mcp mcp` serves AI agents.
#[derive(Debug, Parser)]
#[command(name = "supervisord-mcp", version = crate::cli::version::LONG, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalOpts {
    /// supervisord.conf to read `[supervisorctl]` serverurl/username/password from
    /// (default: supervisorctl's search path: ./supervisord.conf, /etc/supervisord.conf, ...)
    #[arg(short = 'c', long, global = true, value_name = "FILE")]
    pub configuration: Option<PathBuf>,
    /// Server URL: unix:///path/to/supervisor.sock, http://host:port,
    /// https://host:port (a TLS proxy in front of supervisord) or
    /// ssh://[user@]host[:port]/path/to/supervisor.sock (a tunnel made with the
    /// system's ssh, keys or agent only) [env: SUPERVISOR_SERVER_URL]
    #[arg(short = 's', long, visible_alias = "server-url", global = true, value_name = "URL")]
    pub serverurl: Option<String>,
    /// Username for the server [env: SUPERVISOR_USERNAME]
    #[arg(short = 'u', long, global = true)]
    pub username: Option<String>,
    /// Password for the server (prefer SUPERVISOR_PASSWORD or the config file:
    /// arguments are visible to other users in `ps`)
    #[arg(short = 'p', long, global = true, hide_env_values = true)]
    pub password: Option<String>,
    /// https:// only: a PEM file of the CA certificate(s) to trust instead of the
    /// system's roots [env: SUPERVISOR_CA_FILE]
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// https:// only: a PEM file of the client certificate chain to present (with
    /// --client-key) [env: SUPERVISOR_CLIENT_CERT]
    #[arg(long, global = true, value_name = "FILE")]
    pub client_cert: Option<PathBuf>,
    /// https:// only: a PEM file of the client certificate's private key
    /// [env: SUPERVISOR_CLIENT_KEY]
    #[arg(long, global = true, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
    /// Seconds to wait for each reply from the daemon (more than 0, at most a day)
    #[arg(long, global = true, value_name = "SECS", default_value = "10", value_parser = positive_seconds)]
    pub rpc_timeout: Seconds,
    /// Print JSON (one document on stdout) instead of tables
    #[arg(long, global = true)]
    pub json: bool,
    /// Targets of the targets file: names, globs (web-*), tags (@prod), all, and
    /// exclusions (!db-1), comma-separated
    #[arg(
        short = 't',
        long = "target",
        global = true,
        value_name = "SEL",
        env = "SUPERVISORD_MCP_TARGET"
    )]
    pub target: Option<String>,
    /// MiB of replies held at once across the targets of one call (default: the
    /// targets file's [defaults] fleet_memory_mib, else 256); a target answering past
    /// its part fails alone, with kind too_large
    #[arg(long, global = true, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=crate::fleet::file::MAX_FLEET_MEMORY_MIB as u64))]
    pub fleet_memory: Option<u64>,
    /// The targets file (TOML; default: SUPERVISORD_MCP_FLEET,
    /// $XDG_CONFIG_HOME/supervisord-mcp/fleet.toml, /etc/supervisord-mcp/fleet.toml)
    #[arg(long, global = true, value_name = "FILE", env = "SUPERVISORD_MCP_FLEET")]
    pub fleet: Option<PathBuf>,
    /// Directory for program files (`program add`, `run`); it must be read by the
    /// daemon's [include] files (default: found from a local daemon's own config)
    #[arg(long, global = true, value_name = "DIR", env = "SUPERVISORD_MCP_INCLUDE_DIR")]
    pub include_dir: Option<PathBuf>,
    /// Treat the daemon as remote even on a unix socket or loopback: read nothing
    /// from this host's /proc or disk for it (log files, metrics, ports, include dir),
    /// only its API. For a daemon in another container that shares the pid namespace
    #[arg(long, global = true, env = "SUPERVISORD_MCP_NO_HOST_ACCESS", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_host_access: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show process status: NAME, group:*, or all (default). Exit 3 if any is not running.
    Status {
        /// Namespecs: name, group:name, group:*, all
        names: Vec<String>,
        /// Only processes in this state; repeatable
        #[arg(long = "state", value_name = "STATE", ignore_case = true)]
        states: Vec<ProcessState>,
        /// Add CPU %, resident memory and children of each process tree (local daemon)
        #[arg(long)]
        metrics: bool,
        /// Only the process that listens on this TCP port (local daemon)
        #[arg(long, value_name = "PORT")]
        port: Option<u16>,
        /// Only what is wrong: processes FATAL, BACKOFF, UNKNOWN or EXITED non-zero,
        /// daemons not RUNNING, targets that could not be asked
        #[arg(long, conflicts_with_all = ["names", "states", "metrics", "port"])]
        unhealthy: bool,
    },
    /// List the targets of the targets file (`targets check`: ask each one)
    Targets {
        #[command(subcommand)]
        check: Option<TargetsCmd>,
    },
    /// Why a process is not running, in one call: state and timing, exit status,
    /// spawnerr, the last stderr and stdout lines, its configuration, and who holds
    /// the ports it names (local daemon)
    Diagnose {
        name: String,
        /// stderr lines, 1 to 1000 (stdout gets half as many)
        #[arg(short = 'n', long, default_value = "10")]
        lines: Count<1, 1000>,
        /// Sample CPU over MS milliseconds, 1 to 10000 (1000 if no value given);
        /// without it, CPU is the average since the process started, and nothing waits
        #[arg(long, value_name = "MS", num_args = 0..=1, default_missing_value = "1000", require_equals = false)]
        cpu_sample: Option<Count<1, 10000>>,
    },
    /// List every process (the Python supervisord-mcp's command; same as `status`)
    ListProcesses {
        #[arg(long = "state", value_name = "STATE", ignore_case = true)]
        states: Vec<ProcessState>,
    },
    /// Start processes; already running is success
    Start {
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Stop processes; already stopped is success
    Stop {
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Restart processes from any state (STOPPED, EXITED, FATAL, BACKOFF, RUNNING)
    Restart {
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Wait until processes reach a state, or until one is ready: its URL answers,
    /// its port accepts connections, or a new log line matches. Exit 0 ready,
    /// 1 timed out, 7 the process died while waiting.
    Wait(WaitCmdArgs),
    /// Add, change or remove programs, as files in the include directory
    #[command(subcommand)]
    Program(ProgramCmd),
    /// Run a command to completion as a transient supervised program, print its
    /// output, remove it. Exits with the command's status (124 on timeout).
    Run(RunArgs),
    /// Send a signal (HUP, TERM, USR1, a number, ...) to processes
    Signal {
        signal: String,
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
        /// Signal each process's whole tree (its descendants too; local daemon)
        #[arg(long)]
        tree: bool,
    },
    /// Print supervisord's pid, or the pids of processes (`all` for every one)
    Pid { names: Vec<String> },
    /// Print the last lines of a process's log (stdout by default)
    #[command(visible_alias = "tail")]
    Logs(LogsArgs),
    /// Print the last lines of supervisord's own log
    Maintail {
        /// Number of lines (1 to 100000)
        #[arg(short = 'n', long, default_value = "20")]
        lines: Count<1, 100_000>,
        /// Keep following new lines (Ctrl-C to stop)
        #[arg(short = 'f', long)]
        follow: bool,
        /// Keep ANSI escapes and control characters
        #[arg(long)]
        raw: bool,
    },
    /// The event journal: every start, exit and crash, kept by supervisord itself
    /// (`events install` first); prints the history, oldest first
    Events(EventsArgs),
    /// Clear the logs of processes (`all` for every one)
    Clear {
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
    /// Show the daemon's version, identification, state and pid
    Info,
    /// Show supervisord's version
    Version,
    /// Re-read the configuration and show what changed (applies nothing)
    Reread,
    /// Re-read the configuration and apply it: add, change and remove groups
    Update {
        /// Groups to update (default: all)
        groups: Vec<String>,
    },
    /// Re-read and apply the configuration, printing the diff (the Python tool's name
    /// for `update`; it never restarts the daemon)
    Reload {
        /// Only print what would change
        #[arg(long)]
        dry_run: bool,
    },
    /// Show every configured process, in use or not
    Avail,
    /// Add process groups that are in the configuration but not running
    Add {
        #[arg(required = true, value_name = "GROUP")]
        groups: Vec<String>,
    },
    /// Remove stopped process groups from the daemon
    Remove {
        #[arg(required = true, value_name = "GROUP")]
        groups: Vec<String>,
    },
    /// Serve MCP for AI agents (Claude Code, any MCP client), over stdio or, with
    /// --http, Streamable HTTP
    Mcp(McpArgs),
    /// Serve agents (/mcp), browsers (a dashboard at /) and Prometheus (/metrics) on
    /// one long-running HTTP server, with named tokens and an audit log
    Serve(ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff)
    Man,
}

/// `targets check`.
#[derive(Debug, Subcommand)]
pub enum TargetsCmd {
    /// Ask each selected target for its version, and time the round trip
    Check,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn accepts_supervisorctl_and_python_tool_spellings() -> Result<(), clap::Error> {
        let cli = Cli::try_parse_from([
            "x",
            "--server-url",
            "http://h:1",
            "logs",
            "web",
            "--lines",
            "5",
            "--stderr",
        ])?;
        assert_eq!(cli.global.serverurl.as_deref(), Some("http://h:1"));
        let Command::Logs(a) = cli.command else {
            panic!("not logs")
        };
        assert!(a.stderr && a.lines.get() == 5);
        let cli = Cli::try_parse_from(["x", "-c", "s.conf", "-s", "unix:///s", "start", "web:*", "all"])?;
        assert!(matches!(cli.command, Command::Start { ref names, .. } if names.len() == 2));
        assert!(Cli::try_parse_from(["x", "start"]).is_err());
        Ok(())
    }
}
