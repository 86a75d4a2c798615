//! Reading byte ranges of a log from supervisord, exactly. The daemon decodes each
//! window as strict UTF-8, and a window that splits a multibyte character or holds
//! bytes that are not UTF-8 fails (docs/supervisord-api.md). Every read goes through
//! `system.multicall`, where such a failure is a fault of its own entry (a bare call
//! answers HTTP 500 and makes the daemon write a traceback into its own log), so many
//! windows can be tried in one round trip: [`super::narrow`] decides which.

use super::LogSource;
use super::narrow::{Narrower, Reply, Req};
use crate::supervisor::Client;
use crate::supervisor::client::methods::{Method, ReadLog, ReadProcessLog, TailProcessLog};
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::xmlrpc::Value;

/// Most reads in one `system.multicall` (the daemon runs them one after the other,
/// about 50 µs each).
const MAX_PER_CALL: usize = 1024;
/// Most reads to resolve one window that is not UTF-8 (about a second of the daemon's time).
const MAX_READS_PER_WINDOW: usize = 16_384;
/// Most rounds to resolve one window.
const MAX_ROUNDS_PER_WINDOW: usize = 64;
/// `tail*Log` fails (HTTP 500, and a traceback in the daemon's log) for logs this
/// large or larger: their size does not fit an XML-RPC int.
pub(super) const TAIL_LIMIT: u64 = 1 << 31;

/// One read of a log, as a method of the multicall.
#[derive(Debug, Clone)]
enum LogRead {
    Process(ReadProcessLog),
    Main(ReadLog),
}

impl LogRead {
    fn new(src: &LogSource, offset: i64, length: i64) -> LogRead {
        match src {
            LogSource::Process { name, channel } => LogRead::Process(ReadProcessLog {
                name: name.clone(),
                channel: *channel,
                offset,
                length,
            }),
            LogSource::Main => LogRead::Main(ReadLog { offset, length }),
        }
    }
}

impl Method for LogRead {
    type Output = String;
    fn name(&self) -> &'static str {
        match self {
            LogRead::Process(m) => m.name(),
            LogRead::Main(m) => m.name(),
        }
    }
    fn params(&self) -> Vec<Value> {
        match self {
            LogRead::Process(m) => m.params(),
            LogRead::Main(m) => m.params(),
        }
    }
    fn decode(&self, v: Value) -> Result<String> {
        match self {
            LogRead::Process(m) => m.decode(v),
            LogRead::Main(m) => m.decode(v),
        }
    }
}

pub(super) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Reads windows `(offset, length)` (a negative offset with length 0: the last
/// `|offset|` bytes), [`MAX_PER_CALL`] to a round trip. Each is its text, or
/// [`Reply::Undecodable`] when the daemon could not decode it.
/// Errors: the transport's, and the daemon's faults other than a decoding failure
/// (BAD_NAME, NO_FILE...).
pub(super) async fn read_many(client: &Client, src: &LogSource, windows: &[(i64, i64)]) -> Result<Vec<Reply>> {
    let mut out = Vec::with_capacity(windows.len());
    for chunk in windows.chunks(MAX_PER_CALL) {
        let replies = client
            .call_each(chunk.iter().map(|&(o, l)| LogRead::new(src, o, l)))
            .await?;
        for r in replies {
            out.push(match r {
                Ok(text) => Reply::Text(text),
                // `as_string(bytes)` raised UnicodeDecodeError; supervisord turns its
                // args[0] ('utf-8') into a fault name it does not have (AttributeError).
                Err(f) if f.code == FaultCode::Failed && f.text.to_ascii_lowercase().contains("utf-8") => {
                    Reply::Undecodable
                }
                Err(f) => return Err(Error::Fault(f)),
            });
        }
    }
    Ok(out)
}

/// Reads one window; `None` when the daemon could not decode it.
pub(super) async fn read_one(client: &Client, src: &LogSource, offset: i64, length: i64) -> Result<Option<String>> {
    Ok(match read_many(client, src, &[(offset, length)]).await?.pop() {
        Some(Reply::Text(t)) => Some(t),
        _ => None,
    })
}

/// The log's size in bytes, from the daemon. Process logs: `tail*Log(name, 0, 0)`,
/// after a 1-byte read at 2 GiB - 1 says the log is smaller than 2 GiB (past it,
/// `tail*Log` fails with HTTP 500). Otherwise, and for the main log: found by
/// probing 1-byte reads, 15 to a round trip.
/// `past_tail_limit`: whether there is a byte at 2 GiB - 1, when already known.
pub(super) async fn size(client: &Client, src: &LogSource, past_tail_limit: Option<bool>) -> Result<u64> {
    let mut lo = None;
    if let LogSource::Process { name, channel } = src {
        let past = match past_tail_limit {
            Some(p) => p,
            None => exists_at(client, src, &[TAIL_LIMIT - 1]).await?[0],
        };
        if past {
            lo = Some(TAIL_LIMIT - 1);
        } else {
            let (_, size, _) = client
                .call(TailProcessLog {
                    name: name.clone(),
                    channel: *channel,
                    offset: 0,
                    length: 0,
                })
                .await?;
            return Ok(u64::try_from(size).unwrap_or(0));
        }
    }
    probe_size(client, src, lo).await
}

/// Whether a byte exists at each offset (a 1-byte read that is not empty, or that
/// does not decode: a byte that is not UTF-8 on its own).
async fn exists_at(client: &Client, src: &LogSource, offsets: &[u64]) -> Result<Vec<bool>> {
    let windows: Vec<(i64, i64)> = offsets.iter().map(|&o| (to_i64(o), 1)).collect();
    Ok(read_many(client, src, &windows)
        .await?
        .into_iter()
        .map(|r| !matches!(r, Reply::Text(t) if t.is_empty()))
        .collect())
}

/// The size by probing: powers of two first (one round trip), then 16-way splits of
/// the interval where the last byte is. `known` is an offset known to hold a byte.
/// Offsets stop at 1 TiB past it: the daemon's seek fails (FAILED) past the largest
/// file its filesystem allows (16 TiB on ext4).
async fn probe_size(client: &Client, src: &LogSource, known: Option<u64>) -> Result<u64> {
    let from = known.unwrap_or(0);
    let offsets: Vec<u64> = std::iter::once(from)
        .chain((0..=40).map(|k| from + (1u64 << k)))
        .collect();
    let there = exists_at(client, src, &offsets).await?;
    let Some(last) = there.iter().rposition(|b| *b) else {
        return Ok(0);
    };
    let lo = offsets[last];
    let (mut lo, mut hi) = (lo, offsets.get(last + 1).copied().unwrap_or(lo + (1 << 40)));
    while hi - lo > 1 {
        let step = (hi - lo).div_ceil(16);
        let probes: Vec<u64> = (1..16)
            .filter_map(|i| lo.checked_add(i * step))
            .filter(|p| *p < hi)
            .collect();
        let there = exists_at(client, src, &probes).await?;
        for (p, ok) in probes.iter().zip(there) {
            if ok {
                lo = *p;
            } else {
                hi = *p;
                break;
            }
        }
    }
    Ok(lo + 1)
}

/// Runs a [`Narrower`] to the end, bounded by [`MAX_READS_PER_WINDOW`] and
/// [`MAX_ROUNDS_PER_WINDOW`]. Errors: the bounds (a log that is mostly binary), the
/// transport's and the daemon's.
pub(super) async fn narrow(client: &Client, src: &LogSource, n: &mut Narrower) -> Result<RangeRead> {
    try_narrow(client, src, n).await?.ok_or_else(|| too_costly(n))
}

/// The error for a window that would cost the daemon too many reads.
pub(super) fn too_costly(n: &Narrower) -> Error {
    Error::Invalid(format!(
        "the log at bytes {}..{} is mostly not text (binary data): supervisord can only send it \
         a few bytes at a time; read it on the daemon's host",
        n.start(),
        n.end()
    ))
}

/// Like [`narrow`]; `None` when the bounds were reached.
pub(super) async fn try_narrow(client: &Client, src: &LogSource, n: &mut Narrower) -> Result<Option<RangeRead>> {
    let (mut reads, mut rounds) = (0usize, 0usize);
    let shape = |detail| Error::Shape {
        method: "system.multicall".into(),
        detail,
    };
    loop {
        let batch: Vec<Req> = n.next_batch();
        if batch.is_empty() {
            break;
        }
        reads += batch.len();
        rounds += 1;
        if reads > MAX_READS_PER_WINDOW || rounds > MAX_ROUNDS_PER_WINDOW {
            return Ok(None);
        }
        let windows: Vec<(i64, i64)> = batch.iter().map(|r| (to_i64(r.offset), to_i64(r.len))).collect();
        let started = std::time::Instant::now();
        let replies = read_many(client, src, &windows).await?;
        tracing::debug!(
            round = rounds,
            reads = batch.len(),
            ms = started.elapsed().as_secs_f64() * 1e3,
            "narrowing a window that is not UTF-8"
        );
        n.feed(&replies).map_err(shape)?;
    }
    n.finish().map(Some).map_err(shape)
}

/// Reads bytes `[offset, offset + length)` exactly, whatever they hold: a byte that
/// does not start a valid character within the range is replaced by U+FFFD
/// (EF BF BD). Stops early at the end of the file. From the daemon: one read when the
/// range decodes, else a few rounds of narrower ones ([`super::narrow`]).
pub(super) async fn daemon_range(client: &Client, src: &LogSource, offset: u64, length: u64) -> Result<RangeRead> {
    if length == 0 {
        return Ok(RangeRead::default());
    }
    if let Some(t) = read_one(client, src, to_i64(offset), to_i64(length)).await? {
        return Ok(RangeRead {
            covered: t.len() as u64,
            bytes: t.into_bytes(),
            replaced: Vec::new(),
        });
    }
    narrow(
        client,
        src,
        &mut Narrower::new(offset, offset.saturating_add(length), true),
    )
    .await
}

/// What a range read gives.
#[derive(Debug, Clone, PartialEq, Default)]
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

/// Bytes as read from a file, as a [`RangeRead`]: each byte that does not start a
/// valid character is replaced by U+FFFD, as the daemon path does.
pub(super) fn lossy(raw: &[u8]) -> RangeRead {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut replaced = Vec::new();
    for chunk in raw.utf8_chunks() {
        bytes.extend_from_slice(chunk.valid().as_bytes());
        for _ in chunk.invalid() {
            replaced.push(bytes.len());
            bytes.extend_from_slice("\u{FFFD}".as_bytes());
        }
    }
    RangeRead {
        bytes,
        covered: raw.len() as u64,
        replaced,
    }
}
