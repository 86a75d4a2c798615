//! Logs by lines, not bytes, on top of Supervisord's byte-window reads.
//!
//! - [`tail`]: the last N lines, read in bounded windows from the end that grow (×4)
//!   until N lines are found or a hard byte cap is reached: a 1 GB log costs what a
//!   1 KB log costs, and the daemon never builds a big reply.
//! - The daemon decodes each window as strict UTF-8 and answers HTTP 500 when a
//!   window splits a multibyte character or holds bytes that are not UTF-8
//!   (supervisord-api.md §1.9). [`read_range`] walks such a window with a cursor:
//!   it shortens reads that end mid-character and replaces a truly invalid byte with
//!   U+FFFD, so the text is right and nothing else is lost.
//! - [`follow`]: a byte cursor over `read*Log`, with a size probe
//!   (`tail*Log(name, 0, 0)`) every poll; a size below the cursor means rotation or
//!   truncation and the cursor restarts at 0. For the main log, which has no size
//!   probe, [`follow_stream`] reads the daemon's `/mainlogtail` HTTP/1.1 stream.
//! - Display text strips ANSI escapes and resolves `\r` overwrites unless asked to
//!   keep the bytes as they are.

use crate::supervisor::Client;
use crate::supervisor::error::{Error, Result};
use crate::supervisor::types::Channel;
use serde::Serialize;
use std::time::Duration;

/// Which log: a process's stdout or stderr, or the daemon's main log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSource {
    Process { name: String, channel: Channel },
    Main,
}

impl LogSource {
    pub fn process(name: &str, channel: Channel) -> LogSource {
        LogSource::Process {
            name: name.to_owned(),
            channel,
        }
    }
}

/// Options for [`tail`] and [`follow`].
#[derive(Debug, Clone)]
pub struct TailOptions {
    /// How many lines (not bytes).
    pub lines: usize,
    /// Hard cap on the bytes read for one tail (the window never grows past it).
    pub max_bytes: u64,
    /// Keep ANSI escapes, `\r` and other control characters as the program wrote
    /// them (default: stripped for display).
    pub raw: bool,
}

impl Default for TailOptions {
    fn default() -> Self {
        TailOptions {
            lines: 20,
            max_bytes: DEFAULT_MAX_BYTES,
            raw: false,
        }
    }
}

/// Default cap on one tail's window: 4 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 4 * 1024 * 1024;
/// The first window: 64 bytes a line, at least 4 KiB.
const MIN_WINDOW: u64 = 4096;
/// Bound on daemon calls for one lossy range read (a log that is all binary).
const MAX_CALLS_PER_RANGE: usize = 4096;

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

fn is_http_500(e: &Error) -> bool {
    matches!(e, Error::HttpStatus { status: 500, .. })
}

/// Reads `length` bytes at `offset` (`offset < 0`: the last `|offset|` bytes).
/// `Ok(None)` when the daemon could not decode the window (HTTP 500).
async fn read_raw(client: &Client, src: &LogSource, offset: i64, length: i64) -> Result<Option<Vec<u8>>> {
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

fn to_i64(v: u64) -> i64 {
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

/// Reads the last `window` bytes with one negative-offset call when the window
/// decodes (the common case: no size needed, works past 2 GiB), shifting the
/// window start by up to 3 bytes past a split character.
/// Returns the bytes, and whether they start at the beginning of the file.
async fn read_last(client: &Client, src: &LogSource, window: u64) -> Result<Option<(Vec<u8>, bool)>> {
    for shift in 0..4u64.min(window) {
        let w = window - shift;
        if let Some(bytes) = read_raw(client, src, -to_i64(w), 0).await? {
            let at_start = (bytes.len() as u64) < w;
            return Ok(Some((bytes, at_start)));
        }
    }
    Ok(None)
}

/// The last `opts.lines` lines of a log. A last line without its newline (still
/// being written) counts as a line.
/// Errors: BAD_NAME, NO_FILE (no such log, or stderr redirected to stdout), and the
/// transport's errors.
pub async fn tail(client: &Client, src: &LogSource, opts: &TailOptions) -> Result<LogTail> {
    tail_ending_at(client, src, opts, None).await
}

/// Like [`tail`], and [`LogTail::end_offset`] is always set (the log's size, probed
/// first: one extra call for a process log), so it can serve as a cursor for
/// [`read_since`].
pub async fn tail_at_end(client: &Client, src: &LogSource, opts: &TailOptions) -> Result<LogTail> {
    let end = size(client, src).await?;
    tail_ending_at(client, src, opts, Some(end)).await
}

/// Like [`tail_at_end`], keeping only the lines that pass `filter`: scans back up
/// to `opts.max_bytes` and returns the last `opts.lines` lines that pass (with
/// `grep` context). `truncated` then means older lines were not scanned.
pub async fn tail_filtered(
    client: &Client,
    src: &LogSource,
    opts: &TailOptions,
    filter: &super::logfilter::LogFilter,
) -> Result<LogTail> {
    let end = size(client, src).await?;
    filtered_tail_ending_at(client, src, opts, filter, end).await
}

/// The last `opts.lines` lines ending at byte `end` that pass `filter` (all lines
/// when it is empty), scanning back up to `opts.max_bytes`.
async fn filtered_tail_ending_at(
    client: &Client,
    src: &LogSource,
    opts: &TailOptions,
    filter: &super::logfilter::LogFilter,
    end: u64,
) -> Result<LogTail> {
    if filter.is_empty() {
        return tail_ending_at(client, src, opts, Some(end)).await;
    }
    let scan = TailOptions {
        lines: usize::MAX,
        ..opts.clone()
    };
    let mut t = tail_ending_at(client, src, &scan, Some(end)).await?;
    let kept = filter.apply(&t.lines);
    t.truncated = t.window_bytes >= opts.max_bytes;
    t.lines = kept.into_iter().rev().take(opts.lines).rev().collect();
    Ok(t)
}

/// Like [`tail`], for the lines that end at byte `end` (the size just probed), so a
/// follow can go on from exactly there.
async fn tail_ending_at(client: &Client, src: &LogSource, opts: &TailOptions, end: Option<u64>) -> Result<LogTail> {
    let cap = opts.max_bytes.max(1);
    let mut window = (opts.lines as u64).saturating_mul(64).clamp(MIN_WINDOW, cap);
    let mut size = end;
    loop {
        let (bytes, at_start) = match size {
            None => match read_last(client, src, window).await? {
                Some(r) => r,
                None => {
                    // Not UTF-8 near the end: switch to exact offsets.
                    size = Some(self::size(client, src).await?);
                    continue;
                }
            },
            Some(s) => {
                let w = window.min(s);
                (read_range(client, src, s - w, w).await?.bytes, w == s)
            }
        };
        let window_bytes = bytes.len() as u64;
        let lines = split_lines(&bytes, !at_start);
        let cap_hit = window >= cap;
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
        window = window.saturating_mul(4).min(cap);
    }
}

/// Splits bytes into lines (without their `\n`). With `drop_first`, the first piece
/// is dropped: the window started inside it. A trailing `\n` ends the last line.
fn split_lines(bytes: &[u8], drop_first: bool) -> Vec<&[u8]> {
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
    filter: &super::logfilter::LogFilter,
) -> Result<LogChunk> {
    let size = size(client, src).await?;
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
    let read = read_range(client, src, start, want).await?;
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
        more: size > cursor && bytes[consumed..].contains(&b'\n'),
        lines,
        cursor,
        reset,
    })
}

/// Options for [`follow`].
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// Lines of history to show first.
    pub tail: TailOptions,
    /// How often to look for new bytes.
    pub poll: Duration,
    /// Only lines that pass: the history as [`tail_filtered`] gives it (with `grep`
    /// context), new lines one by one (without context).
    pub filter: super::logfilter::LogFilter,
}

/// What [`follow`] hands to its sink.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowEvent {
    /// Complete lines (history first, then new ones).
    Lines(Vec<String>),
    /// The log got smaller: rotated, cleared or truncated; reading restarts at 0.
    Truncated,
}

/// Largest read while following (bytes); a burst larger than this is read in pieces.
const FOLLOW_CHUNK: u64 = 1024 * 1024;

/// Follows a process log: first the last `opts.tail.lines` lines, then every new
/// complete line, until `sink` returns false or an error occurs. A partial last line
/// is held until its newline arrives. When the log shrinks (rotation, `clear`,
/// truncation) reading restarts at 0, so no line is repeated. Lines written to the
/// old file between the last poll and a rotation are recovered from the fresh
/// `LOG.1` backup when the daemon is on this host; supervisord offers no way to read
/// them remotely (its own `/logtail` drops them too), so a remote follow can miss
/// them. A log rotated twice within one poll, or rotated and regrown past the cursor,
/// is not detected.
pub async fn follow(
    client: &Client,
    name: &str,
    channel: Channel,
    opts: &FollowOptions,
    mut sink: impl FnMut(FollowEvent) -> bool,
) -> Result<()> {
    let src = LogSource::process(name, channel);
    let local_log = if client.transport().is_local() {
        let info = client.get_process_info(name).await?;
        let path = match channel {
            Channel::Stdout => info.stdout_logfile,
            Channel::Stderr => info.stderr_logfile,
        };
        (!path.is_empty()).then(|| std::path::PathBuf::from(path))
    } else {
        None
    };
    let mut cursor = size(client, &src).await?;
    let mut last_poll = std::time::SystemTime::now();
    let history = filtered_tail_ending_at(client, &src, &opts.tail, &opts.filter, cursor).await?;
    if !history.lines.is_empty() && !sink(FollowEvent::Lines(history.lines)) {
        return Ok(());
    }
    let mut partial: Vec<u8> = Vec::new();
    loop {
        tokio::time::sleep(opts.poll).await;
        let now = size(client, &src).await?;
        let polled_at = std::time::SystemTime::now();
        if now < cursor {
            if let Some(rest) = local_log.as_deref().and_then(|p| rotated_rest(p, cursor, last_poll)) {
                partial.extend_from_slice(&rest);
                let lines: Vec<String> = split_lines(&partial, false)
                    .into_iter()
                    .map(|l| display_line(l, opts.tail.raw))
                    .collect();
                if !lines.is_empty() && !sink(FollowEvent::Lines(lines)) {
                    return Ok(());
                }
            }
            cursor = 0;
            partial.clear();
            if !sink(FollowEvent::Truncated) {
                return Ok(());
            }
        }
        last_poll = polled_at;
        while now > cursor {
            let read = read_range(client, &src, cursor, (now - cursor).min(FOLLOW_CHUNK)).await?;
            if read.covered == 0 {
                break;
            }
            cursor += read.covered;
            partial.extend_from_slice(&read.bytes);
            if let Some(last_nl) = partial.iter().rposition(|b| *b == b'\n') {
                let rest = partial.split_off(last_nl + 1);
                let lines: Vec<String> = split_lines(&partial, false)
                    .into_iter()
                    .map(|l| display_line(l, opts.tail.raw))
                    .filter(|l| opts.filter.keeps(l))
                    .collect();
                partial = rest;
                if !lines.is_empty() && !sink(FollowEvent::Lines(lines)) {
                    return Ok(());
                }
            }
        }
    }
}

/// The bytes of a just-rotated log past `cursor`, read from its `.1` backup: only
/// when that backup was written since the last poll (so it is the file we were
/// reading, not an older one) and is at least `cursor` bytes long.
fn rotated_rest(log: &std::path::Path, cursor: u64, since: std::time::SystemTime) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut backup = log.as_os_str().to_owned();
    backup.push(".1");
    let mut f = std::fs::File::open(&backup).ok()?;
    let meta = f.metadata().ok()?;
    let fresh = meta.modified().ok()? + Duration::from_secs(1) >= since;
    if !fresh || meta.len() < cursor {
        return None;
    }
    f.seek(SeekFrom::Start(cursor)).ok()?;
    let mut rest = Vec::new();
    f.take(FOLLOW_CHUNK * 64).read_to_end(&mut rest).ok()?;
    Some(rest)
}

/// Follows a raw HTTP stream (`/mainlogtail`, or `/logtail/NAME/CHANNEL`): the daemon
/// first sends the last 1 KiB, then new bytes as they come. Bytes are passed through
/// line by line; the first (probably partial) line is dropped. Ends when `sink`
/// returns false or the daemon closes the stream.
pub async fn follow_stream(
    client: &Client,
    path: &str,
    raw: bool,
    mut sink: impl FnMut(FollowEvent) -> bool,
) -> Result<()> {
    let mut resp = client.transport().get_stream(path).await?;
    let mut partial: Vec<u8> = Vec::new();
    let mut first = true;
    loop {
        let chunk = resp.chunk().await.map_err(|e| Error::Transport {
            url: client.display_url().to_owned(),
            detail: e.to_string(),
        })?;
        let Some(chunk) = chunk else { return Ok(()) };
        partial.extend_from_slice(&chunk);
        if let Some(last_nl) = partial.iter().rposition(|b| *b == b'\n') {
            let rest = partial.split_off(last_nl + 1);
            let mut lines: Vec<String> = split_lines(&partial, false)
                .into_iter()
                .map(|l| display_line(l, raw))
                .collect();
            if first && chunk.len() >= 1024 && !lines.is_empty() {
                lines.remove(0);
            }
            first = false;
            partial = rest;
            if !lines.is_empty() && !sink(FollowEvent::Lines(lines)) {
                return Ok(());
            }
        }
    }
}

/// The result of clearing one process's logs.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClearResult {
    /// Full namespec, or the name as given when it matched nothing.
    pub name: String,
    pub cleared: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Clears (empties) the stdout and stderr logs of the named processes (`all`,
/// `group:*`, …) with one `system.multicall` of `clearProcessLogs`. The daemon's own
/// `clearAllProcessLogs` is deferred one process per tick: seconds for a dozen.
pub async fn clear(client: &Client, names: &[String]) -> Result<Vec<ClearResult>> {
    let all = client.get_all_process_info().await?;
    let sel = super::names::select(&all, names);
    let targets: Vec<String> = sel
        .processes
        .iter()
        .map(crate::supervisor::ProcessInfo::namespec)
        .collect();
    let calls: Vec<crate::supervisor::Call> = targets
        .iter()
        .map(|n| crate::supervisor::Call::new("supervisor.clearProcessLogs", vec![n.as_str().into()]))
        .collect();
    let replies = client.multicall(&calls).await?;
    let mut out: Vec<ClearResult> = sel
        .unknown
        .iter()
        .map(|n| ClearResult {
            name: n.clone(),
            cleared: false,
            error: Some("no such process".into()),
        })
        .collect();
    out.extend(targets.into_iter().zip(replies).map(|(name, r)| ClearResult {
        name,
        cleared: r.is_ok(),
        error: r.err().map(|f| f.text),
    }));
    Ok(out)
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
