//! A log whose place is already known: the caller asked the daemon what
//! `Reader::open` would ask (getPID and the process's getProcessInfo) in a
//! `system.multicall` of its own, so each read saves that round trip. `diagnose`
//! asks for the process, the daemon's pid and the journal's relay in one call, and
//! then reads the logs and the journal of a daemon on this host from disk with no
//! other call.

use super::LogSource;
use super::read::RangeRead;
use super::reader::{self, Reader};
use crate::supervisor::Client;
use crate::supervisor::error::Result;
use crate::supervisor::host::LocalHost;
use crate::supervisor::host::logfile::HostLog;
use crate::supervisor::types::{Channel, ProcessInfo};
use std::path::Path;

/// Where one log's bytes come from: its file on this host, or the daemon.
#[derive(Debug, Default)]
pub struct Located {
    pub(super) host: Option<HostLog>,
}

impl Located {
    /// The daemon behind `client`, whose getPID answered `pid` (`None`: not asked),
    /// when it provably runs on this host and is the one `client` talks to (it holds
    /// the socket), as `Reader::open` decides. Reads /proc: ask once, pass it on.
    pub fn here(client: &Client, pid: Option<i64>) -> Option<LocalHost> {
        pid.filter(|_| client.transport().is_local())
            .and_then(|p| reader::daemon_here(client, p))
    }

    /// Like [`Located::here`], for a daemon already seen on this host (its pid is a
    /// supervisord's, [`LocalHost::from_pid`]): `local` when it holds the socket
    /// `client` talks to.
    pub fn serving(client: &Client, local: LocalHost) -> Option<LocalHost> {
        match client.transport().is_local() {
            true => reader::serving(client, local),
            false => None,
        }
    }

    /// Log `channel` of the process `info` describes, on the daemon `here` (see
    /// [`Located::here`]; `None`: read through the daemon). The file is used only when
    /// it can be read on the daemon's behalf.
    pub fn process(here: Option<&LocalHost>, info: &ProcessInfo, channel: Channel) -> Located {
        Located {
            host: here.and_then(|local| reader::process_file(local, info, channel)),
        }
    }

    /// The file on this host the log is read from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.host.as_ref().map(|h| h.path.as_path())
    }
}

/// One log opened once for several reads, from where it is [`Located`].
#[derive(Debug)]
pub struct OpenLog<'a>(Reader<'a>);

impl<'a> OpenLog<'a> {
    pub fn new(client: &'a Client, src: &'a LogSource, at: Located) -> OpenLog<'a> {
        OpenLog(Reader::located(client, src, at.host))
    }

    /// The log's size in bytes (see [`super::size`]).
    pub async fn size(&self) -> Result<u64> {
        self.0.size().await
    }

    /// Bytes `[offset, offset + length)` (see [`super::read_range`]).
    pub async fn read_range(&self, offset: u64, length: u64) -> Result<RangeRead> {
        self.0.read_range(offset, length).await
    }
}
