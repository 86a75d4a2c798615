//! Where a log's bytes come from: this host's disk when the daemon runs here and the
//! file can be read on its behalf (exact bytes, nothing for the daemon to decode),
//! else supervisord ([`super::read`]). Either way offsets are file offsets, and a
//! byte that does not start a valid character reads as U+FFFD.

use super::LogSource;
use super::narrow::{Narrower, Reply};
use super::read::{self, RangeRead, lossy, narrow, read_many, read_one, to_i64, try_narrow};
use crate::supervisor::client::methods::{GetPid, GetProcessInfo};
use crate::supervisor::client::multicall::Batch;
use crate::supervisor::error::{Error, Result};
use crate::supervisor::host::logfile::HostLog;
use crate::supervisor::host::{LocalHost, daemonconf, owner};
use crate::supervisor::types::ProcessInfo;
use crate::supervisor::{Channel, Client, Endpoint};
use std::path::Path;

/// Bytes a line, for the first window narrowed through the daemon (small: each byte
/// of a window that is not UTF-8 costs the daemon a read).
const NARROW_BYTES_PER_LINE: u64 = 32;
/// Smallest window narrowed through the daemon (bytes).
const NARROW_MIN: u64 = 128;
/// Largest first window narrowed through the daemon (bytes): about 9,000 reads for
/// Latin-1 text, within the bound on one window's reads. Wider ones are reached by
/// widening, which stops (with what was read) when the next step would cost too much.
const NARROW_MAX: u64 = 8 * 1024;

/// Reads one log, from the host's disk or from the daemon.
#[derive(Debug)]
pub(super) struct Reader<'a> {
    pub client: &'a Client,
    pub src: &'a LogSource,
    host: Option<HostLog>,
    /// The daemon's window being widened by a tail, what is known of it, and the
    /// last read of it.
    narrowed: Option<(Narrower, Back)>,
    /// Whether the log has a byte at 2 GiB - 1 (`tail*Log` fails then), once known.
    past_tail_limit: Option<bool>,
}

/// What [`Reader::read_back`] read.
#[derive(Debug, Clone)]
pub(super) struct Back {
    pub read: RangeRead,
    /// The file offset of its first byte.
    pub start: u64,
    /// False when the window could not be widened as asked: narrowing bytes that are
    /// not UTF-8 through the daemon would cost too many reads.
    pub complete: bool,
}

impl Back {
    fn whole(read: RangeRead, start: u64) -> Back {
        Back {
            read,
            start,
            complete: true,
        }
    }
}

/// What [`Reader::read_last`] found.
#[derive(Debug)]
pub(super) enum Last {
    /// The bytes, and whether they start at the beginning of the file.
    Text(Vec<u8>, bool),
    /// The window does not decode (not even shifted past a split character).
    Undecodable,
}

impl<'a> Reader<'a> {
    /// Finds where to read `src` from: its file, when the daemon is on this host
    /// (see [`LocalHost`]; its pid must hold the socket this client talks to) and the
    /// file is readable (see [`HostLog::open`]); the main log's file only when the
    /// daemon holds it open. One round trip.
    pub async fn open(client: &'a Client, src: &'a LogSource) -> Result<Reader<'a>> {
        let host = if client.transport().is_local() {
            host_log(client, src).await?
        } else {
            None
        };
        Ok(Reader::located(client, src, host))
    }

    /// A reader of `src` from its file `host` (or from the daemon, `None`), where the
    /// caller already found it ([`super::Located`]): no round trip.
    pub fn located(client: &'a Client, src: &'a LogSource, host: Option<HostLog>) -> Reader<'a> {
        Reader {
            client,
            src,
            host,
            narrowed: None,
            past_tail_limit: None,
        }
    }

    /// The file read from, when on this host.
    pub fn host(&self) -> Option<&HostLog> {
        self.host.as_ref()
    }

    /// Switches to another file at the same path (after a rotation).
    pub fn set_host(&mut self, log: HostLog) {
        self.host = Some(log);
    }

    /// The log's size in bytes.
    pub async fn size(&self) -> Result<u64> {
        match &self.host {
            Some(h) => h.len().map_err(|e| self.io(e)),
            None => read::size(self.client, self.src, self.past_tail_limit).await,
        }
    }

    /// The last `window` bytes from the daemon, without its size: one negative-offset
    /// read (the common case; works past 2 GiB), then, in one more round trip, the
    /// window start shifted by 1 to 3 bytes (past a split character) and, for a
    /// process log, the byte at 2 GiB - 1 that [`Reader::size`] needs next.
    pub async fn read_last(&mut self, window: u64) -> Result<Last> {
        let tries: Vec<(i64, i64)> = (0..4u64.min(window))
            .map(|shift| (-to_i64(window - shift), 0))
            .collect();
        if let Some(Reply::Text(t)) = read_many(self.client, self.src, &tries[..1]).await?.pop() {
            let at_start = (t.len() as u64) < window;
            return Ok(Last::Text(t.into_bytes(), at_start));
        }
        let mut more = tries[1..].to_vec();
        let probe = matches!(self.src, LogSource::Process { .. });
        if probe {
            more.push((to_i64(read::TAIL_LIMIT - 1), 1));
        }
        let mut replies = read_many(self.client, self.src, &more).await?;
        if probe {
            self.past_tail_limit = replies.pop().map(|r| r != Reply::Text(String::new()));
        }
        for (reply, (w, _)) in replies.into_iter().zip(&more) {
            if let Reply::Text(t) = reply {
                let at_start = (t.len() as u64) < w.unsigned_abs();
                return Ok(Last::Text(t.into_bytes(), at_start));
            }
        }
        Ok(Last::Undecodable)
    }

    fn io(&self, e: std::io::Error) -> Error {
        let path = self
            .host
            .as_ref()
            .map(|h| h.path.display().to_string())
            .unwrap_or_default();
        Error::Invalid(format!("cannot read {path}: {e}"))
    }

    /// Bytes `[offset, offset + length)` exactly (fewer at the end of the file).
    pub async fn read_range(&self, offset: u64, length: u64) -> Result<RangeRead> {
        match &self.host {
            Some(h) => Ok(lossy(&h.read_at(offset, length).map_err(|e| self.io(e))?)),
            None => read::daemon_range(self.client, self.src, offset, length).await,
        }
    }

    /// For a tail: the bytes before `end`, `window` of them, or fewer when they came
    /// from the daemon and are not UTF-8 (each byte costs the daemon a read then:
    /// about `lines` lines' worth are read, and the caller widens the window if they
    /// hold too few lines; what is known is kept). `known_bad`: the window is known
    /// not to decode whole (a [`Reader::read_last`] of it failed).
    pub async fn read_back(&mut self, end: u64, window: u64, lines: usize, known_bad: bool) -> Result<Back> {
        let start = end.saturating_sub(window);
        if self.host.is_some() {
            let read = self.read_range(start, end - start).await?;
            return Ok(Back::whole(read, start));
        }
        if let Some((n, last)) = self.narrowed.as_mut().filter(|(n, _)| n.end() == end) {
            n.extend_left(start);
            return Ok(match try_narrow(self.client, self.src, n).await? {
                Some(read) => {
                    *last = Back::whole(read, n.start());
                    last.clone()
                }
                // Too costly to widen further: what was read so far.
                None => Back {
                    complete: false,
                    ..last.clone()
                },
            });
        }
        if !known_bad && let Some(t) = read_one(self.client, self.src, to_i64(start), to_i64(end - start)).await? {
            return Ok(Back::whole(text(t), start));
        }
        let first = narrow_window(lines, end - start);
        let mut n = Narrower::new(end - first, end, first == end - start);
        let back = Back::whole(narrow(self.client, self.src, &mut n).await?, n.start());
        self.narrowed = Some((n, back.clone()));
        Ok(back)
    }

    /// For a cursor: the bytes from `start`, at most `max` of them, or fewer when they
    /// came from the daemon and are not UTF-8 (enough for `lines` complete lines).
    pub async fn read_forward(&self, start: u64, max: u64, lines: usize) -> Result<RangeRead> {
        if self.host.is_some() || max == 0 {
            return self.read_range(start, max).await;
        }
        if let Some(t) = read_one(self.client, self.src, to_i64(start), to_i64(max)).await? {
            return Ok(text(t));
        }
        let mut window = narrow_window(lines, max);
        let mut last = None;
        loop {
            let mut n = Narrower::new(start, start.saturating_add(window), window == max);
            let r = match (try_narrow(self.client, self.src, &mut n).await?, last) {
                (Some(r), _) => r,
                // Too costly to widen further: what was read so far.
                (None, Some(r)) => return Ok(r),
                (None, None) => return Err(read::too_costly(&n)),
            };
            let complete = r.bytes.iter().filter(|b| **b == b'\n').count();
            if complete >= lines || window >= max || r.covered < window {
                return Ok(r);
            }
            last = Some(r);
            window = window.saturating_mul(4).min(max);
        }
    }

    /// For a follow through the daemon, in one round trip: whether the log still
    /// has the byte before `cursor` (`false`: it shrank), and the bytes from `cursor`
    /// (at most `max`; `None` when they are not UTF-8: see [`Reader::read_forward`]).
    pub async fn poll_daemon(&self, cursor: u64, max: u64) -> Result<(bool, Option<RangeRead>)> {
        let mut windows = vec![(to_i64(cursor), to_i64(max))];
        if cursor > 0 {
            windows.push((to_i64(cursor - 1), 1));
        }
        let mut replies = read_many(self.client, self.src, &windows).await?;
        let still = match replies.get(1) {
            Some(Reply::Text(t)) => !t.is_empty(),
            _ => true,
        };
        Ok(match replies.swap_remove(0) {
            Reply::Text(t) => (still, Some(text(t))),
            Reply::Undecodable => (still, None),
        })
    }
}

fn text(t: String) -> RangeRead {
    RangeRead {
        covered: t.len() as u64,
        bytes: t.into_bytes(),
        replaced: Vec::new(),
    }
}

/// The first window narrowed through the daemon for `lines` lines, at most `max`.
fn narrow_window(lines: usize, max: u64) -> u64 {
    (lines as u64)
        .saturating_mul(NARROW_BYTES_PER_LINE)
        .clamp(NARROW_MIN, NARROW_MAX)
        .min(max)
}

/// The daemon on this host with pid `pid`, when it provably is the one `client`
/// talks to (it holds the listening socket).
pub(super) fn daemon_here(client: &Client, pid: i64) -> Option<LocalHost> {
    serving(client, LocalHost::from_pid(pid)?)
}

/// `local` when it is the daemon `client` talks to (it holds the listening socket).
pub(super) fn serving(client: &Client, local: LocalHost) -> Option<LocalHost> {
    let endpoint = Endpoint::parse(client.display_url()).ok()?.endpoint;
    owner::serves(local.daemon_pid, &endpoint).then_some(local)
}

/// The log's file on this host, if it can be read from here.
async fn host_log(client: &Client, src: &LogSource) -> Result<Option<HostLog>> {
    match src {
        LogSource::Process { name, channel } => {
            let mut batch = Batch::new();
            let pid = batch.add(GetPid {});
            let info = batch.add(GetProcessInfo { name: name.clone() });
            let mut replies = client.multicall(batch).await?;
            let Some(local) = daemon_here(client, replies.take(pid)?) else {
                return Ok(None);
            };
            // BAD_NAME and the like: the daemon's reads will say so.
            let Ok(info) = replies.take(info) else { return Ok(None) };
            Ok(process_file(&local, &info, *channel))
        }
        LogSource::Main => {
            let Some(local) = daemon_here(client, client.get_pid().await?) else {
                return Ok(None);
            };
            let log = daemonconf::main_log(&local).and_then(|p| HostLog::open(&local, &p));
            Ok(log.filter(|l| l.held_by(&local)))
        }
    }
}

/// The file of log `channel` of the process `info` describes, when it can be read
/// from here on behalf of the daemon `local`.
pub(super) fn process_file(local: &LocalHost, info: &ProcessInfo, channel: Channel) -> Option<HostLog> {
    let path = match channel {
        Channel::Stdout => &info.stdout_logfile,
        Channel::Stderr => &info.stderr_logfile,
    };
    (!path.is_empty())
        .then(|| HostLog::open(local, Path::new(path)))
        .flatten()
}
