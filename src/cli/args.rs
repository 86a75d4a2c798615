//! The command line's definition (clap): commands, flags and their help. Values are
//! parsed here; what they mean is decided in the commands and the core.

use crate::supervisor::ProcessState;
use crate::supervisor::bounds::{Count, Seconds};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// A duration in seconds that must be more than 0.
fn positive_seconds(s: &str) -> Result<Seconds, String> {
    let v: Seconds = s.parse()?;
    Seconds::positive(v.as_secs_f64())
}

/// Process states on the command line, in any case (`running`, `FATAL`).
impl clap::ValueEnum for ProcessState {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            ProcessState::Running,
            ProcessState::Starting,
            ProcessState::Backoff,
            ProcessState::Stopping,
            ProcessState::Stopped,
            ProcessState::Exited,
            ProcessState::Fatal,
            ProcessState::Unknown,
        ]
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

/// Control a Supervisord daemon: faster than supervisorctl, with line-bounded logs,
/// idempotent start/stop and JSON output. `supervisord-mcp mcp` serves AI agents.
#[derive(Debug, Parser)]
#[command(name = "supervisord-mcp", version, about, max_term_width = 100)]
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
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff)
    Man,
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

/// `targets check`.
#[derive(Debug, Subcommand)]
pub enum TargetsCmd {
    /// Ask each selected target for its version, and time the round trip
    Check,
}

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

/// `mcp [--read-only] [--allow PATTERN]...`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Offer only the tools that change nothing
    #[arg(long)]
    pub read_only: bool,
    /// Let the agent control only processes whose namespec or group matches this
    /// glob (repeatable: --allow 'web:*' --allow api); reload then needs --allow '*'
    #[arg(long, value_name = "PATTERN")]
    pub allow: Vec<String>,
    /// Serve MCP over Streamable HTTP at http://ADDR/mcp instead of stdio (default
    /// address 127.0.0.1:8765). Clients must send a bearer token: see --token-file
    #[arg(long, value_name = "ADDR:PORT", num_args = 0..=1, default_missing_value = "127.0.0.1:8765")]
    pub http: Option<std::net::SocketAddr>,
    /// File holding the bearer token clients must send (or set SUPERVISORD_MCP_TOKEN).
    /// With neither, a random token is generated and kept (0600) in
    /// $XDG_CONFIG_HOME/supervisord-mcp/token (default ~/.config/supervisord-mcp/token)
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Also accept this Host header (DNS-rebinding protection accepts loopback names)
    #[arg(long, value_name = "HOST")]
    pub allow_host: Vec<String>,
    /// Also accept this browser Origin, e.g. https://app.example:443
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// Most MCP sessions at once over HTTP; when full, the least recently used
    /// session with no call in flight is closed to make room
    #[arg(long, value_name = "N", default_value = "32")]
    pub max_sessions: Count<1, 100_000>,
    /// Largest request body over HTTP, bytes (1 KiB to 64 MiB)
    #[arg(long, value_name = "BYTES", default_value = "4194304")]
    pub max_body_bytes: Count<1024, { 64 * 1024 * 1024 }>,
    /// Close HTTP sessions idle this many seconds
    #[arg(long, value_name = "SECS", default_value = "600", value_parser = positive_seconds)]
    pub idle_timeout: Seconds,
    /// Most HTTP connections open at once (default and ceiling: the open-file limit
    /// minus a reserve); when full, the oldest idle connection is closed
    #[arg(long, value_name = "N")]
    pub max_connections: Option<Count<1, 1_000_000>>,
    /// Seconds a client may take to send a request's headers or its body; also how
    /// long an idle keep-alive connection stays open
    #[arg(long, value_name = "SECS", default_value = "15", value_parser = positive_seconds)]
    pub read_timeout: Seconds,
    /// On SIGTERM/SIGINT, seconds to let calls in flight finish before cancelling them
    #[arg(long, value_name = "SECS", default_value = "30")]
    pub shutdown_grace: Seconds,
    /// Serve without a bearer token (loopback included): anyone who reaches the
    /// address, any local user on loopback, can control your processes
    #[arg(long)]
    pub dangerously_serve_without_token: bool,
}

/// `--max-bytes`: a byte count of at least [`MIN_MAX_BYTES`](crate::supervisor::ops::logs::MIN_MAX_BYTES).
fn parse_max_bytes(s: &str) -> Result<u64, String> {
    let min = crate::supervisor::ops::logs::MIN_MAX_BYTES;
    match s.trim().parse::<u64>() {
        Ok(n) if n >= min => Ok(n),
        Ok(n) => Err(format!(
            "{n} bytes is too small to find lines in: use at least {min} (the default is {})",
            crate::supervisor::ops::logs::DEFAULT_MAX_BYTES
        )),
        Err(_) => Err(format!("{s:?} is not a byte count: use a whole number such as 65536")),
    }
}

/// `logs NAME [--lines N] [--stderr] [-f]`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Process namespec (name or group:name)
    pub name: String,
    /// Number of lines (lines, not bytes; 1 to 100000)
    #[arg(short = 'n', long, default_value = "20")]
    pub lines: Count<1, 100_000>,
    /// Read stderr instead of stdout
    #[arg(long, conflicts_with = "both")]
    pub stderr: bool,
    /// Read stdout, then stderr
    #[arg(long)]
    pub both: bool,
    /// Keep following new lines, across rotation and truncation (Ctrl-C to stop)
    #[arg(short = 'f', long, conflicts_with = "both")]
    pub follow: bool,
    /// Keep ANSI escapes, `\r` and control characters as written
    #[arg(long)]
    pub raw: bool,
    /// Most bytes to read to find the lines (at least 1024)
    #[arg(long, value_name = "BYTES", default_value_t = crate::supervisor::ops::logs::DEFAULT_MAX_BYTES, value_parser = parse_max_bytes)]
    pub max_bytes: u64,
    /// Only lines matching this regex
    #[arg(long, value_name = "REGEX")]
    pub grep: Option<String>,
    /// Lines of context around --grep matches (0 to 1000)
    #[arg(short = 'C', long, default_value = "0")]
    pub context: Count<0, 1000>,
    /// Only lines of this level or above: debug, info, warn, error, fatal (JSON fields
    /// of pino, bunyan, winston, structlog; or a level word in plain text)
    #[arg(long, value_name = "LEVEL")]
    pub min_level: Option<String>,
    /// Only lines of exactly this level
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,
    /// Only JSON lines where FIELD=VALUE, FIELD~=REGEX, or FIELD exists (repeatable;
    /// dotted paths such as req.path)
    #[arg(long = "where", value_name = "COND")]
    pub wheres: Vec<String>,
    /// Only JSON lines whose timestamp field (time, timestamp, ts) is at or after
    /// this time (ISO 8601, or epoch seconds)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
}

impl GlobalOpts {
    /// The flags relevant to finding the daemon, for [`crate::config::resolve`].
    pub fn server_args(&self) -> crate::config::ServerArgs {
        crate::config::ServerArgs {
            configuration: self.configuration.clone(),
            serverurl: self.serverurl.clone(),
            username: self.username.clone(),
            password: self.password.clone().map(crate::supervisor::Secret::new),
            timeout: Some(self.rpc_timeout.duration()),
            tls: crate::supervisor::transport::TlsOptions {
                ca_file: self.ca_file.clone(),
                client_cert: self.client_cert.clone(),
                client_key: self.client_key.clone(),
            },
        }
    }
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
