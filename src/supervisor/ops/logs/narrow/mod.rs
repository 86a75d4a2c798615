//! Resolving a window of a log that supervisord will not decode in one piece, in a
//! few rounds of many reads each (one `system.multicall` a round, where a window
//! that is not UTF-8 is a fault of its own entry, not an HTTP 500 of the whole
//! reply). No I/O here: [`Narrower`] says what to read next and is fed the replies.
//!
//! A failing region is split into [`FANOUT`] pieces; pieces that decode are kept,
//! failing ones are split again, and regions of [`LEAF`] bytes or fewer are resolved
//! byte by byte: one 1-byte read per position (ASCII decodes alone), then lengths 2..4
//! where that failed and the next bytes are not ASCII either (the smallest length that
//! decodes is one character; a position where none does is not a character start; a
//! Latin-1 byte followed by ASCII costs one read). A split point inside a multibyte
//! character makes both its pieces fail: when neither neighbour proves the point is
//! a character boundary, lengths 1..4 at the next 4 positions find one.
//!
//! The result is the window decoded with every byte that does not start a valid
//! character (within the window) replaced by U+FFFD, as [`super::read::lossy`] does
//! with the bytes themselves.

mod settle;

use super::read::RangeRead;
use std::collections::BTreeMap;

/// Pieces a failing region is split into.
const FANOUT: u64 = 16;
/// Regions this small (bytes) are resolved byte by byte.
const LEAF: u64 = 16;
/// Smallest piece a region is split into (bytes): more than the 4 bytes a probe looks at.
const MIN_STEP: u64 = 8;

/// One read: `len` bytes at `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Req {
    pub offset: u64,
    pub len: u64,
}

/// The daemon's answer to one [`Req`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Reply {
    /// The window decoded (shorter than asked at the end of the file).
    Text(String),
    /// The window is not valid UTF-8 on its own.
    Undecodable,
}

/// What is known about one position.
#[derive(Debug, Clone)]
enum Tok {
    /// A character starts here (its text).
    Char(String),
    /// No character starts here: an invalid byte, unless one that starts before covers it.
    Bad,
}

/// Work for the next round. Every region's edges are character boundaries (or the
/// window's own edges).
#[derive(Debug, Clone)]
enum Work {
    /// Read the region whole.
    Read { s: u64, e: u64 },
    /// The region does not decode: read it in pieces.
    Split { s: u64, e: u64 },
    /// A small region that does not decode: one byte at each position.
    Leaf { s: u64, e: u64 },
    /// Lengths 2..n at positions whose single byte did not decode (with their n).
    Leaf2 { e: u64, at: Vec<(u64, u64)> },
    /// Failing pieces `[s, e)` split at `points` that may be inside a character.
    Probe { s: u64, e: u64, points: Vec<u64> },
}

/// The state of one window's resolution.
#[derive(Debug)]
pub(super) struct Narrower {
    start: u64,
    end: u64,
    /// The end of the file, when a read came back short.
    eof: u64,
    texts: BTreeMap<u64, String>,
    toks: BTreeMap<u64, Tok>,
    work: Vec<Work>,
    inflight: Vec<(Work, usize, usize)>,
    batch: Vec<Req>,
}

impl Narrower {
    /// Starts on `[start, end)`; `known_bad`: it is known not to decode whole (else
    /// the first round reads it whole).
    pub fn new(start: u64, end: u64, known_bad: bool) -> Narrower {
        let mut n = Narrower {
            start,
            end,
            eof: end,
            texts: BTreeMap::new(),
            toks: BTreeMap::new(),
            work: Vec::new(),
            inflight: Vec::new(),
            batch: Vec::new(),
        };
        if known_bad {
            n.push_failed(start, end);
        } else {
            n.work.push(Work::Read { s: start, e: end });
        }
        n
    }

    /// The window's first byte.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// The window's end (exclusive).
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Widens the window to begin at `start`, keeping what is known: a tail whose
    /// window grows re-reads only the new part.
    pub fn extend_left(&mut self, start: u64) {
        if start >= self.start {
            return;
        }
        // The old start may be inside a character that begins before it: resume at
        // the first position known to start one.
        let resume = self
            .texts
            .keys()
            .copied()
            .chain(
                self.toks
                    .iter()
                    .filter(|(_, t)| matches!(t, Tok::Char(_)))
                    .map(|(p, _)| *p),
            )
            .filter(|p| *p >= self.start)
            .min()
            .unwrap_or(self.eof);
        self.work.push(Work::Read { s: start, e: resume });
        self.start = start;
    }

    fn push_failed(&mut self, s: u64, e: u64) {
        if s >= e {
            return;
        }
        self.work.push(if e - s > LEAF && split_points(s, e).len() > 2 {
            Work::Split { s, e }
        } else {
            Work::Leaf { s, e }
        });
    }

    fn req(&mut self, offset: u64, len: u64) {
        self.batch.push(Req { offset, len });
    }

    /// The reads of the next round; empty when the window is resolved.
    pub fn next_batch(&mut self) -> Vec<Req> {
        self.batch.clear();
        self.inflight.clear();
        loop {
            let mut settled = Vec::new();
            for w in std::mem::take(&mut self.work) {
                let first = self.batch.len();
                let Some(w) = self.plan(w) else { continue };
                if first == self.batch.len() {
                    settled.push(w); // nothing to read for it (at the end of the file)
                } else {
                    self.inflight.push((w, first, self.batch.len()));
                }
            }
            for w in settled {
                self.settle(w, &[]);
            }
            if !self.batch.is_empty() || self.work.is_empty() {
                return self.batch.clone();
            }
        }
    }

    /// Adds the reads of one piece of work (cut at the end of the file); `None`
    /// when nothing is left of it.
    fn plan(&mut self, w: Work) -> Option<Work> {
        let eof = self.eof;
        Some(match w {
            Work::Read { s, e } | Work::Split { s, e } | Work::Leaf { s, e } if s >= eof.min(e) => return None,
            Work::Read { s, e } => {
                let e = e.min(eof);
                self.req(s, e - s);
                Work::Read { s, e }
            }
            Work::Split { s, e } => {
                let e = e.min(eof);
                let points = split_points(s, e);
                for p in points.windows(2) {
                    self.req(p[0], p[1] - p[0]);
                }
                for &q in &points[1..points.len() - 1] {
                    self.req(q, 1);
                }
                Work::Split { s, e }
            }
            Work::Leaf { s, e } => {
                let e = e.min(eof);
                for p in s..e {
                    if !self.toks.contains_key(&p) {
                        self.req(p, 1);
                    }
                }
                Work::Leaf { s, e }
            }
            Work::Leaf2 { e, at } => {
                for &(p, most) in &at {
                    for len in 2..=most.min(e.saturating_sub(p)) {
                        self.req(p, len);
                    }
                }
                Work::Leaf2 { e, at }
            }
            Work::Probe { s, e, points } => {
                for &q in &points {
                    for (p, len) in probe_reads(q, e) {
                        self.req(p, len);
                    }
                }
                Work::Probe { s, e, points }
            }
        })
    }

    /// The window, decoded: known texts and characters in order, U+FFFD for each
    /// position where no character starts. Errors: replies that do not fit together
    /// (the log changed while it was read, or a hostile daemon).
    pub fn finish(&self) -> Result<RangeRead, String> {
        let mut out = Vec::new();
        let mut replaced = Vec::new();
        let mut p = self.start;
        while p < self.eof {
            let text = match (self.texts.get(&p), self.toks.get(&p)) {
                (Some(t), _) | (None, Some(Tok::Char(t))) => t,
                (None, Some(Tok::Bad)) => {
                    replaced.push(out.len());
                    out.extend_from_slice("\u{FFFD}".as_bytes());
                    p += 1;
                    continue;
                }
                (None, None) => return Err(format!("nothing known at byte {p}")),
            };
            let keep = usize::try_from((self.eof - p).min(text.len() as u64)).unwrap_or(0);
            if !text.is_char_boundary(keep) {
                return Err(format!("the log changed at byte {}", p + keep as u64));
            }
            out.extend_from_slice(&text.as_bytes()[..keep]);
            p += keep as u64;
        }
        Ok(RangeRead {
            bytes: out,
            covered: p - self.start,
            replaced,
        })
    }
}

/// Split points of `[s, e)`, both ends included.
fn split_points(s: u64, e: u64) -> Vec<u64> {
    let step = (e - s).div_ceil(FANOUT).max(MIN_STEP);
    let mut points: Vec<u64> = (0..).map(|i| s + i * step).take_while(|p| *p < e).collect();
    // No piece shorter than MIN_STEP at the end: a probe never reaches the region's end.
    if points.len() > 1 && points.last().is_some_and(|p| e - p < MIN_STEP) {
        points.pop();
    }
    points.push(e);
    points
}

/// The reads that find the first character start in `q..q+4` (before `e`): lengths
/// 1..4 at each position, but for the 1-byte read at `q`, known to fail.
fn probe_reads(q: u64, e: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for p in q..(q + 4).min(e) {
        for len in 1..=4u64.min(e - p) {
            if !(p == q && len == 1) {
                out.push((p, len));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
