//! Incremental reads for agents: the complete lines written after a byte cursor.

use super::reader::Reader;
use super::tail::display_line;
use super::{LogSource, TailOptions};
use crate::supervisor::Client;
use crate::supervisor::error::Result;
use serde::Serialize;

/// New lines since a cursor, from [`read_since`].
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct LogChunk {
    pub lines: Vec<String>,
    /// Pass back to read what comes after these lines (a byte offset in the log).
    pub cursor: u64,
    /// True when the log shrank below the given cursor (rotated, cleared or
    /// truncated): reading restarted at its beginning.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
    /// True when more complete lines are already waiting past `cursor`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub more: bool,
}

/// Reads the complete lines written after byte `cursor` (from an earlier
/// [`LogTail::end_offset`] or [`LogChunk::cursor`]), at most `opts.lines` of them and
/// at most `opts.max_bytes` bytes. A partial last line is left for the next call.
/// A single line longer than `opts.max_bytes` is returned cut, so reading never stalls.
/// With `filter`, only passing lines are counted and returned (no context lines);
/// the cursor still moves past every line examined, and never past one that passes
/// but did not fit.
pub async fn read_since(
    client: &Client,
    src: &LogSource,
    cursor: u64,
    opts: &TailOptions,
    filter: &super::filter::LogFilter,
) -> Result<LogChunk> {
    let opened = async {
        let reader = Reader::open(client, src).await?;
        let size = reader.size().await?;
        Ok((reader, size))
    };
    let (reader, size) = super::explained(client, src, opened.await).await?;
    let (start, reset) = if size < cursor { (0, true) } else { (cursor, false) };
    let want = (size - start).min(opts.max_bytes.max(1));
    if want == 0 {
        return Ok(LogChunk {
            lines: Vec::new(),
            cursor: start,
            reset,
            more: false,
        });
    }
    let read = reader.read_forward(start, want, opts.lines).await?;
    let bytes = &read.bytes;
    let mut consumed = 0usize;
    let mut lines = Vec::new();
    for piece in bytes.split_inclusive(|b| *b == b'\n') {
        if lines.len() >= opts.lines || !piece.ends_with(b"\n") {
            break;
        }
        consumed += piece.len();
        let line = display_line(&piece[..piece.len() - 1], opts.raw);
        if filter.keeps(&line) {
            lines.push(line);
        }
    }
    if lines.is_empty() && bytes.len() as u64 >= opts.max_bytes {
        // One line longer than the whole budget: hand it over cut.
        consumed = bytes.len();
        lines.push(display_line(bytes, opts.raw));
    }
    let cursor = start + read.covered_by_prefix(consumed);
    Ok(LogChunk {
        // More: complete lines left over, or bytes not read yet.
        more: size > cursor && (bytes[consumed..].contains(&b'\n') || start + read.covered < size),
        lines,
        cursor,
        reset,
    })
}
