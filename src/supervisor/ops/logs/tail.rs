//! The last N lines of a log, read in bounded windows from the end that grow (x4)
//! until N lines are found or a hard byte cap is reached: a 1 GB log costs what a
//! 1 KB log costs, and the daemon never builds a big reply. Display text strips ANSI
//! escapes and resolves `\r` overwrites unless asked to keep the bytes.

use super::reader::{Last, Reader};
use super::{Located, LogSource, TailOptions};
use crate::supervisor::Client;
use crate::supervisor::error::Result;
use serde::Serialize;

/// The first window: 64 bytes a line, at least 4 KiB (never more than the cap).
const MIN_WINDOW: u64 = 4096;

/// The last lines of a log.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LogTail {
    pub lines: Vec<String>,
    /// True when the byte cap was hit before `lines` lines were found.
    pub truncated: bool,
    /// The byte offset just past the text returned: the log's size when read.
    /// Pass it to [`follow`] (or back to an agent as a cursor) to read what is new.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_offset: Option<u64>,
    /// Bytes of the window the lines were taken from.
    pub window_bytes: u64,
}

/// The first window for `lines` lines under the cap `cap` (bytes).
fn first_window(lines: usize, cap: u64) -> u64 {
    (lines as u64).saturating_mul(64).max(MIN_WINDOW).min(cap)
}

/// The last `opts.lines` lines of a log. A last line without its newline (still
/// being written) counts as a line.
/// Errors: BAD_NAME, NO_FILE (no such log, or stderr redirected to stdout), and the
/// transport's errors.
pub async fn tail(client: &Client, src: &LogSource, opts: &TailOptions) -> Result<LogTail> {
    let t = async {
        let mut r = Reader::open(client, src).await?;
        tail_of(&mut r, opts).await
    };
    super::explained(client, src, t.await).await
}

/// Like [`tail`], from where the caller found the log ([`Located`]): no round trip
/// to find it, none at all for a file on this host.
pub async fn tail_located(client: &Client, src: &LogSource, opts: &TailOptions, at: Located) -> Result<LogTail> {
    let mut r = Reader::located(client, src, at.host);
    let t = tail_of(&mut r, opts).await;
    super::explained(client, src, t).await
}

async fn tail_of(r: &mut Reader<'_>, opts: &TailOptions) -> Result<LogTail> {
    let end = match r.host() {
        Some(_) => Some(r.size().await?),
        None => None,
    };
    tail_ending_at(r, opts, end).await
}

/// Like [`tail`], and [`LogTail::end_offset`] is always set (the log's size, probed
/// first: one extra call for a process log), so it can serve as a cursor for
/// [`read_since`].
pub async fn tail_at_end(client: &Client, src: &LogSource, opts: &TailOptions) -> Result<LogTail> {
    let t = async {
        let mut r = Reader::open(client, src).await?;
        let end = r.size().await?;
        tail_ending_at(&mut r, opts, Some(end)).await
    };
    super::explained(client, src, t.await).await
}

/// Like [`tail_at_end`], keeping only the lines that pass `filter`: scans back, in
/// windows that grow, until `opts.lines` lines pass (with their `grep` context) or
/// `opts.max_bytes` are scanned, and returns the last `opts.lines` of them.
/// `truncated` then means older lines were not scanned.
pub async fn tail_filtered(
    client: &Client,
    src: &LogSource,
    opts: &TailOptions,
    filter: &super::filter::LogFilter,
) -> Result<LogTail> {
    let t = async {
        let mut r = Reader::open(client, src).await?;
        let end = r.size().await?;
        filtered_tail_ending_at(&mut r, opts, filter, end).await
    };
    super::explained(client, src, t.await).await
}

/// The last `opts.lines` lines ending at byte `end` that pass `filter` (all lines
/// when it is empty), scanning back up to `opts.max_bytes`.
pub(super) async fn filtered_tail_ending_at(
    r: &mut Reader<'_>,
    opts: &TailOptions,
    filter: &super::filter::LogFilter,
    end: u64,
) -> Result<LogTail> {
    if filter.is_empty() {
        return tail_ending_at(r, opts, Some(end)).await;
    }
    let cap = opts.max_bytes.max(1);
    let mut window = first_window(opts.lines, cap);
    loop {
        let back = r.read_back(end, window, opts.lines, false).await?;
        let (read, start) = (back.read, back.start);
        let at_start = start == 0;
        let lines: Vec<String> = split_lines(&read.bytes, !at_start)
            .into_iter()
            .map(|l| display_line(l, opts.raw))
            .collect();
        let hits: Vec<usize> = (0..lines.len()).filter(|&i| filter.keeps(&lines[i])).collect();
        // Enough: `opts.lines` hits, the first of them with its context in the window.
        let enough = hits.len() >= opts.lines
            && hits
                .len()
                .checked_sub(opts.lines)
                .is_some_and(|k| hits[k] >= filter.context);
        let scanned = end - start;
        if enough || at_start || scanned >= cap || !back.complete {
            let kept = filter.apply(&lines);
            return Ok(LogTail {
                truncated: !enough && !at_start,
                lines: kept.into_iter().rev().take(opts.lines).rev().collect(),
                end_offset: Some(end),
                window_bytes: read.bytes.len() as u64,
            });
        }
        window = scanned.saturating_mul(4).min(cap);
    }
}

/// Like [`tail`], for the lines that end at byte `end` (the size just probed), so a
/// follow can go on from exactly there.
async fn tail_ending_at(r: &mut Reader<'_>, opts: &TailOptions, end: Option<u64>) -> Result<LogTail> {
    let cap = opts.max_bytes.max(1);
    let mut window = first_window(opts.lines, cap);
    let mut size = end;
    let mut known_bad = false;
    loop {
        let (bytes, at_start, scanned) = match size {
            None => match r.read_last(window).await? {
                Last::Text(bytes, at_start) => (bytes, at_start, window),
                Last::Undecodable => {
                    // Not UTF-8 near the end: switch to exact offsets.
                    size = Some(r.size().await?);
                    known_bad = true;
                    continue;
                }
            },
            Some(s) => {
                let back = r.read_back(s, window, opts.lines, known_bad).await?;
                known_bad = false;
                // Widening that costs the daemon too much counts as the cap.
                let scanned = if back.complete { s - back.start } else { cap };
                (back.read.bytes, back.start == 0, scanned)
            }
        };
        let window_bytes = bytes.len() as u64;
        let lines = split_lines(&bytes, !at_start);
        let cap_hit = scanned >= cap;
        if lines.len() >= opts.lines || at_start || cap_hit {
            let skip = lines.len().saturating_sub(opts.lines);
            return Ok(LogTail {
                truncated: cap_hit && !at_start && lines.len() < opts.lines,
                lines: lines
                    .into_iter()
                    .skip(skip)
                    .map(|l| display_line(l, opts.raw))
                    .collect(),
                end_offset: size,
                window_bytes,
            });
        }
        window = scanned.saturating_mul(4).min(cap);
    }
}

/// Splits bytes into lines (without their `\n`). With `drop_first`, the first piece
/// is dropped: the window started inside it. A trailing `\n` ends the last line.
pub(super) fn split_lines(bytes: &[u8], drop_first: bool) -> Vec<&[u8]> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if body.is_empty() && bytes.len() <= 1 {
        return if bytes.is_empty() { Vec::new() } else { vec![body] };
    }
    let mut lines: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    if drop_first && !lines.is_empty() {
        lines.remove(0);
    }
    lines
}

/// Renders one line. Raw: the bytes as written (lossy UTF-8 only where they are not
/// UTF-8). Otherwise: ANSI escapes stripped, `\r` overwrites resolved (what a terminal
/// would show: the text after the last `\r`), other control characters but tab removed.
pub fn display_line(line: &[u8], raw: bool) -> String {
    let text = String::from_utf8_lossy(line);
    if raw {
        return text.into_owned();
    }
    let stripped = console::strip_ansi_codes(&text);
    let no_crlf = stripped.strip_suffix('\r').unwrap_or(&stripped);
    let visible = no_crlf.rsplit('\r').next().unwrap_or(no_crlf);
    visible.chars().filter(|c| *c == '\t' || !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_complete_and_partial_lines() {
        assert_eq!(split_lines(b"a\nb\n", false), [&b"a"[..], b"b"]);
        assert_eq!(split_lines(b"a\nb", false), [&b"a"[..], b"b"]);
        assert_eq!(split_lines(b"tial\nb\nc\n", true), [&b"b"[..], b"c"]);
        assert_eq!(split_lines(b"", false), Vec::<&[u8]>::new());
        assert_eq!(split_lines(b"\n", false), [&b""[..]]);
        assert_eq!(split_lines(b"\n\n", false), [&b""[..], b""]);
    }

    #[test]
    fn display_strips_ansi_and_resolves_carriage_returns() {
        assert_eq!(display_line(b"\x1b[32mINFO\x1b[0m ok", false), "INFO ok");
        assert_eq!(display_line(b"progress 10%\rprogress 100%", false), "progress 100%");
        assert_eq!(display_line(b"windows line\r", false), "windows line");
        assert_eq!(display_line(b"nul\0byte\ttab", false), "nulbyte\ttab");
        assert_eq!(display_line(b"\x1b[1mraw\x1b[0m\r", true), "\x1b[1mraw\x1b[0m\r");
        assert_eq!(display_line(b"bad \xff byte", false), "bad \u{FFFD} byte");
    }
}
