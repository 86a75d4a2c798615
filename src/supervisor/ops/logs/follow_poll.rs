//! One look at a followed log for new complete lines. From its file on this host:
//! a size from `fstat`, a rotation or `clear` seen as a new inode at the path (the
//! rest of the old file is read first). From the daemon: no size probe at all (past
//! 2 GiB `tail*Log` fails, and every failure writes a traceback into the daemon's
//! log); the bytes from the cursor and the byte before it come in one round trip,
//! and a missing byte before the cursor means the log shrank.

use super::FollowEvent;
use super::filter::LogFilter;
use super::read::lossy;
use super::reader::Reader;
use super::tail::{display_line, split_lines};
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::host::logfile::HostLog;

/// Largest read while following (bytes); a burst larger than this is read in pieces,
/// and a line longer than this is cut.
pub(super) const FOLLOW_CHUNK: u64 = 1024 * 1024;
/// Lines to narrow at a time when new bytes from the daemon are not UTF-8.
const FOLLOW_LINES: usize = 256;
/// Most bytes read from the old file after a rotation (in [`FOLLOW_CHUNK`]s).
const MAX_DRAIN: u64 = 64 * FOLLOW_CHUNK;

/// A follow's position in its log.
#[derive(Debug)]
pub(super) struct Poller<'a> {
    pub reader: Reader<'a>,
    /// Bytes read up to here.
    pub cursor: u64,
    /// File bytes of a line not complete yet (host path; the daemon path re-reads it).
    carry: Vec<u8>,
    raw: bool,
    filter: LogFilter,
}

impl<'a> Poller<'a> {
    pub fn new(reader: Reader<'a>, cursor: u64, raw: bool, filter: LogFilter) -> Poller<'a> {
        Poller {
            reader,
            cursor,
            carry: Vec::new(),
            raw,
            filter,
        }
    }

    /// What is new: events in order, and whether more may be waiting already.
    pub async fn poll(&mut self) -> Result<(Vec<FollowEvent>, bool)> {
        if self.reader.host().is_some() {
            self.poll_host()
        } else {
            self.poll_daemon().await
        }
    }

    /// Display lines that pass the filter.
    fn lines(&self, bytes: &[u8]) -> Vec<String> {
        split_lines(bytes, false)
            .into_iter()
            .map(|l| display_line(l, self.raw))
            .filter(|l| self.filter.keeps(l))
            .collect()
    }

    /// Takes the complete lines out of `carry` (all of it when it outgrew a chunk).
    fn take_lines(&mut self, events: &mut Vec<FollowEvent>) {
        let end = match self.carry.iter().rposition(|b| *b == b'\n') {
            Some(nl) => nl + 1,
            None if self.carry.len() as u64 >= FOLLOW_CHUNK => self.carry.len(),
            None => return,
        };
        let rest = self.carry.split_off(end);
        let lines = self.lines(&lossy(&self.carry).bytes);
        self.carry = rest;
        if !lines.is_empty() {
            events.push(FollowEvent::Lines(lines));
        }
    }

    /// Reads the host file (`None`: its length) at the cursor.
    fn host_io<T>(&self, f: impl FnOnce(&HostLog) -> std::io::Result<T>) -> Result<T> {
        match self.reader.host() {
            Some(h) => f(h).map_err(|e| Error::Invalid(format!("cannot read {}: {e}", h.path.display()))),
            None => Err(Error::Invalid("no log file on this host".into())),
        }
    }

    fn poll_host(&mut self) -> Result<(Vec<FollowEvent>, bool)> {
        let mut events = Vec::new();
        if let Some(newer) = self.reader.host().and_then(|h| h.replaced()) {
            // Rotated or cleared: what the old file got since the last look, then the new one.
            let mut drained = 0;
            while drained < MAX_DRAIN {
                let raw = self.host_io(|h| h.read_at(self.cursor, FOLLOW_CHUNK))?;
                if raw.is_empty() {
                    break;
                }
                drained += raw.len() as u64;
                self.cursor += raw.len() as u64;
                self.carry.extend_from_slice(&raw);
                self.take_lines(&mut events);
            }
            events.push(FollowEvent::Truncated);
            self.reader.set_host(newer);
            self.cursor = 0;
            return Ok((events, true));
        }
        if self.host_io(|h| h.len())? < self.cursor {
            self.cursor = 0;
            self.carry.clear();
            events.push(FollowEvent::Truncated);
        }
        let raw = self.host_io(|h| h.read_at(self.cursor, FOLLOW_CHUNK))?;
        self.cursor += raw.len() as u64;
        self.carry.extend_from_slice(&raw);
        self.take_lines(&mut events);
        Ok((events, raw.len() as u64 == FOLLOW_CHUNK))
    }

    async fn poll_daemon(&mut self) -> Result<(Vec<FollowEvent>, bool)> {
        let mut events = Vec::new();
        let (still, read) = match self.reader.poll_daemon(self.cursor, FOLLOW_CHUNK).await {
            Ok(r) => r,
            // Between a rotation's rename and reopen the file is missing: it shrank.
            Err(e) if e.fault_code() == Some(FaultCode::NoFile) => (self.cursor == 0, None),
            Err(e) => return Err(e),
        };
        if !still {
            self.cursor = 0;
            events.push(FollowEvent::Truncated);
            return Ok((events, true));
        }
        let read = match read {
            Some(r) => r,
            None => match self.reader.read_forward(self.cursor, FOLLOW_CHUNK, FOLLOW_LINES).await {
                Ok(r) => r,
                Err(e) if e.fault_code() == Some(FaultCode::NoFile) => return Ok((events, false)),
                Err(e) => return Err(e),
            },
        };
        // Only complete lines are taken: the rest (maybe a character still being
        // written) is read again next time.
        let bytes = &read.bytes;
        let end = match bytes.iter().rposition(|b| *b == b'\n') {
            Some(nl) => nl + 1,
            None if read.covered >= FOLLOW_CHUNK => bytes.len(),
            None => 0,
        };
        let lines = self.lines(&bytes[..end]);
        self.cursor += read.covered_by_prefix(end);
        if !lines.is_empty() {
            events.push(FollowEvent::Lines(lines));
        }
        Ok((events, end > 0))
    }
}
