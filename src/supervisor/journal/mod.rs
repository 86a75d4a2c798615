//! The event journal: what supervisord forgets (every start, exit and crash, with
//! when and which exit status), kept by supervisord itself.
//!
//! - [`relay`]: `supervisord-mcp events relay`, an `[eventlistener:...]` child of the
//!   daemon: speaks the listener protocol on stdin/stdout and writes one JSON line
//!   per event ([`event`]) on its stderr, which supervisord stores and rotates like
//!   any program's log, readable over XML-RPC by any client, local or remote.
//! - [`install`]: the listener's section, written into the include directory and
//!   applied (`install`), removed (`uninstall`), and what a daemon has (`status`).
//! - [`read`]: history queries over the journal, read from its end (rotated files
//!   too when the daemon is on this host), and [`summary`]: per-process counts in a
//!   window, cheap enough for `status`.
//! - [`follow`]: new journal lines as they are written (for `events -f` and the
//!   watch engine).
//!
//! Nothing here needs a journal to exist: a daemon without one is
//! [`crate::supervisor::Error::Invalid`] from [`read`], and `None` from
//! [`install::status`].

pub mod event;
pub mod follow;
pub mod install;
pub mod read;
pub mod relay;
pub mod summary;
pub mod time;

pub use event::{FORMAT_VERSION, JournalEvent, Kind, ProcessChange, What};
pub use follow::follow;
pub use install::{Installed, JournalStatus, SectionOptions};
pub use read::{Files, Filter, History, Span, history, history_in};
pub use summary::{ProcessHistory, process_history_in, summary};

/// The listener's name (`[eventlistener:NAME]`, its group and process name), and the
/// stem of its include file and journal file.
pub const LISTENER: &str = "supervisord-mcp-journal";
