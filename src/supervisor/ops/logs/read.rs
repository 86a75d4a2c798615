//! Reading byte ranges of a log exactly. The daemon decodes each window as strict
//! UTF-8 and answers HTTP 500 when a window splits a multibyte character or holds
//! bytes that are not UTF-8 (docs/supervisord-api.md). [`read_range`] walks such a
//! window with a cursor: it shortens reads that end mid-character and replaces a
//! truly invalid byte with U+FFFD, so the text is right and nothing else is lost.

use super::LogSource;
use crate::supervisor::Client;
use crate::supervisor::error::{Error, Result};

/// Bound on daemon calls for one lossy range read (a log that is all binary).
const MAX_CALLS_PER_RANGE: usize = 4096;

fn is_http_500(e: &Error) -> bool {
    matches!(e, Error::HttpStatus { status: 500, .. })
}

/// Reads `length` bytes at `offset` (`offset < 0`: the last `|offset|` bytes).
/// `Ok(None)` when the daemon could not decode the window (HTTP 500).
pub(super) async fn read_raw(client: &Client, src: &LogSource, offset: i64, length: i64) -> Result<Option<Vec<u8>>> {
    let r = match src {
        LogSource::Process { name, channel } => client.read_process_log(name, *channel, offset, length).await,
        LogSource::Main => client.read_log(offset, length).await,
    };
    match r {
        Ok(s) => Ok(Some(s.into_bytes())),
        Err(e) if is_http_500(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(super) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The log's size in bytes. Process logs: `tail*Log(name, 0, 0)`, one call; over
/// 2 GiB (where that call fails with HTTP 500) and for the main log: found by
/// probing single-byte reads (about 2·log2(size) calls).
pub async fn size(client: &Client, src: &LogSource) -> Result<u64> {
    if let LogSource::Process { name, channel } = src {
        match client.tail_process_log(name, *channel, 0, 0).await {
            Ok((_, size, _)) => return Ok(u64::try_from(size).unwrap_or(0)),
            Err(e) if is_http_500(&e) => {}
            Err(e) => return Err(e),
        }
    }
    // exists(off): a byte is there (a 500 means a byte that is not UTF-8 on its own).
    async fn exists(client: &Client, src: &LogSource, off: u64) -> Result<bool> {
        Ok(read_raw(client, src, to_i64(off), 1)
            .await?
            .is_none_or(|b| !b.is_empty()))
    }
    if !exists(client, src, 0).await? {
        return Ok(0);
    }
    let mut lo = 0u64; // exists
    let mut hi = 1u64;
    while exists(client, src, hi).await? {
        lo = hi;
        hi = hi.saturating_mul(2);
        if hi == u64::MAX {
            break;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if exists(client, src, mid).await? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(lo + 1)
}

/// Reads bytes `[offset, offset + length)` exactly, whatever they hold: reads that
/// end inside a multibyte character are shortened, and a byte that is not UTF-8 is
/// replaced by U+FFFD (EF BF BD). Stops early at the end of the file.
pub async fn read_range(client: &Client, src: &LogSource, offset: u64, length: u64) -> Result<RangeRead> {
    let end = offset.saturating_add(length);
    let mut out = Vec::with_capacity(usize::try_from(length.min(1 << 20)).unwrap_or(0));
    let mut replaced = Vec::new();
    let mut p = offset;
    let mut chunk = length.max(1);
    let mut calls = 0usize;
    'outer: while p < end {
        let want = chunk.min(end - p);
        // Try `want`, then up to 3 bytes shorter (a character split at the end).
        for cut in 0..4u64.min(want) {
            calls += 1;
            if calls > MAX_CALLS_PER_RANGE {
                return Err(Error::Invalid(format!(
                    "the log at bytes {offset}..{end} is mostly not text (binary data); read it on the daemon's host"
                )));
            }
            if let Some(bytes) = read_raw(client, src, to_i64(p), to_i64(want - cut)).await? {
                // The reply is the window re-encoded: its length is the bytes covered.
                let got = bytes.len() as u64;
                p += got;
                out.extend_from_slice(&bytes);
                if got < want - cut {
                    break 'outer; // end of file
                }
                chunk = chunk.saturating_mul(2).max(4);
                continue 'outer;
            }
        }
        if want > 4 {
            chunk = want / 2; // a bad byte inside: narrow down
        } else {
            replaced.push(out.len());
            out.extend_from_slice("\u{FFFD}".as_bytes()); // every length failed: byte p is not UTF-8
            p += 1;
            chunk = 4;
        }
    }
    Ok(RangeRead {
        bytes: out,
        covered: p - offset,
        replaced,
    })
}

/// What [`read_range`] read.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeRead {
    /// The text, UTF-8; invalid bytes replaced by U+FFFD.
    pub bytes: Vec<u8>,
    /// How many bytes of the file it stands for.
    pub covered: u64,
    /// Where in `bytes` a U+FFFD was put for an invalid byte (each stands for 1 file byte).
    pub replaced: Vec<usize>,
}

impl RangeRead {
    /// How many file bytes the first `n` bytes of `bytes` stand for.
    pub fn covered_by_prefix(&self, n: usize) -> u64 {
        let inserted = self.replaced.iter().filter(|&&at| at < n).count();
        (n - inserted * 2) as u64
    }
}
