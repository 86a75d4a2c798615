//! Arguments of `events`: the journal's history (names, times, kinds, how many,
//! follow), and `events install|uninstall|status|relay`.

use crate::supervisor::bounds::Count;
use crate::supervisor::journal::Kind;
use clap::{Args, Subcommand};

/// `--kind`: an event kind by name, in any case.
fn parse_kind(s: &str) -> Result<Kind, String> {
    Kind::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Kind::ALL.iter().map(|(_, n)| *n).collect();
        format!("unknown kind {s:?}: use {}", names.join(", "))
    })
}

/// `events [NAME|group:*|all]... [--since WHEN] [--until WHEN] [--kind K]... [-n N] [-f]`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub cmd: Option<EventsCmd>,
    /// Namespecs: name, group:name, group:*, all (default: every process, with the
    /// daemon's own events)
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Only events at or after WHEN: a duration back from now (10m, 2h, 1day) or a
    /// UTC time (2026-01-02T03:04:05Z, 2026-01-02 03:04, 2026-01-02)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only events at or before WHEN (as --since)
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Only events of this kind (repeatable): start, running, backoff, stopping,
    /// stop, exit, crash (an unexpected exit), fatal, unknown, group, daemon, error
    #[arg(long = "kind", value_name = "KIND", value_parser = parse_kind)]
    pub kinds: Vec<Kind>,
    /// The last N events that pass, 1 to 100000 (default: 50; with --since, all)
    #[arg(short = 'n', long, value_name = "N")]
    pub limit: Option<Count<1, 100_000>>,
    /// Keep printing new events (Ctrl-C to stop); for a daemon without a journal,
    /// the state changes seen by polling once a second, said so
    #[arg(short = 'f', long)]
    pub follow: bool,
}

/// `events install|uninstall|status|relay`.
#[derive(Debug, Subcommand)]
pub enum EventsCmd {
    /// Install the journal: write the relay's [eventlistener] section into the
    /// include directory, apply it and check that the relay runs (a remote daemon
    /// without --include-dir: print the section to paste)
    Install(InstallArgs),
    /// Remove the relay's section and stop it (the journal files stay)
    Uninstall,
    /// Whether each daemon has a journal: the relay's state, the file, its size and
    /// the times of its first and last events
    Status,
    /// Run by supervisord as the event listener: the protocol on stdin/stdout, one
    /// JSON line per event on stderr (the journal)
    Relay,
}

/// `events install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Size of one journal file before supervisord rotates it, as supervisord writes
    /// sizes (at least 64KB; default 5MB)
    #[arg(long, value_name = "SIZE")]
    pub max_bytes: Option<String>,
    /// Rotated journal files kept, 0 to 100 (default 4)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub backups: Option<u32>,
    /// The journal file (default: beside supervisord's own log; for a remote daemon
    /// /var/log/supervisor/supervisord-mcp-journal.log)
    #[arg(long, value_name = "PATH")]
    pub journal_file: Option<String>,
    /// supervisord-mcp as the daemon's host runs it (default: this binary for a daemon
    /// on this host, supervisord-mcp on the PATH for a remote one)
    #[arg(long, value_name = "PATH")]
    pub bin: Option<String>,
    /// Only print the section, write nothing
    #[arg(long)]
    pub print: bool,
}
