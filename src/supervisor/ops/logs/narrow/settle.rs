//! Taking a round's replies: what decoded is kept, what did not becomes the next
//! round's work (see [`super`] for the method).

use super::{Narrower, Reply, Req, Tok, Work, split_points};

/// A read and its text, when it decoded.
type Got<'a> = (Req, Option<&'a str>);

impl Narrower {
    /// Takes the replies to the last [`Narrower::next_batch`], in order.
    /// Errors: a reply count that does not match, or a reply longer than its read.
    pub fn feed(&mut self, replies: &[Reply]) -> Result<(), String> {
        let batch = std::mem::take(&mut self.batch);
        if replies.len() != batch.len() {
            return Err(format!("{} replies for {} reads", replies.len(), batch.len()));
        }
        // First the end of the file (a short reply), then the work.
        let mut got: Vec<Got> = Vec::with_capacity(replies.len());
        for (r, reply) in batch.iter().zip(replies) {
            got.push(match reply {
                Reply::Undecodable => (*r, None),
                Reply::Text(t) => {
                    let n = t.len() as u64;
                    if n > r.len {
                        return Err(format!("{n} bytes for a read of {} at {}", r.len, r.offset));
                    }
                    if n < r.len {
                        self.eof = self.eof.min(r.offset + n);
                    }
                    (*r, Some(t.as_str()))
                }
            });
        }
        for (w, from, to) in std::mem::take(&mut self.inflight) {
            self.settle(w, &got[from..to]);
        }
        Ok(())
    }

    pub(super) fn settle(&mut self, w: Work, got: &[Got]) {
        match w {
            Work::Read { s, e } => match got.first() {
                Some((_, Some(t))) => self.text_at(s, t),
                _ => self.push_failed(s, e),
            },
            Work::Split { s, e } => self.settle_split(s, e, got),
            Work::Leaf { e, .. } => self.settle_leaf(e, got),
            Work::Leaf2 { at, .. } => {
                for (p, _) in at {
                    self.settle_position(p, got.iter().filter(|(r, _)| r.offset == p));
                }
            }
            Work::Probe { s, e, points } => {
                let mut edges = vec![s];
                for &q in &points {
                    let start = (q..(q + 4).min(e))
                        .find(|&p| self.settle_position(p, got.iter().filter(|(r, _)| r.offset == p)));
                    edges.push(start.unwrap_or(q + 4).min(e));
                }
                edges.push(e);
                for pair in edges.windows(2) {
                    self.work.push(Work::Read { s: pair[0], e: pair[1] });
                }
            }
        }
    }

    /// 1-byte reads of a leaf: ASCII decodes alone. A character of n bytes needs
    /// n - 1 bytes after its first that are not ASCII either (their own 1-byte reads
    /// failed, or were not made): lengths 2..n are tried next where that holds, and
    /// a byte followed by ASCII (Latin-1 text) is settled as no character start now.
    fn settle_leaf(&mut self, e: u64, got: &[Got]) {
        let mut failed = std::collections::BTreeSet::new();
        for (r, t) in got {
            match t {
                Some(t) => self.char_at(r.offset, t),
                None => {
                    failed.insert(r.offset);
                }
            }
        }
        let mut at = Vec::new();
        for &p in &failed {
            let run = (1..4)
                .take_while(|k| p + k < e && (failed.contains(&(p + k)) || !self.is_ascii(p + k)))
                .count() as u64;
            if run == 0 {
                self.toks.entry(p).or_insert(Tok::Bad);
            } else {
                at.push((p, run + 1));
            }
        }
        if !at.is_empty() {
            self.work.push(Work::Leaf2 { e, at });
        }
    }

    /// Pieces and 1-byte samples of a split: keeps what decoded. A split point is a
    /// boundary when its sample decoded (ASCII) or a piece beside it did; failing
    /// pieces joined by points that are not known boundaries are probed together.
    fn settle_split(&mut self, s: u64, e: u64, got: &[Got]) {
        let points = split_points(s, e);
        let pieces = points.len() - 1;
        let piece = |i: usize| got.get(i).and_then(|(_, t)| *t);
        for (i, &at) in points.iter().enumerate().take(pieces) {
            if let Some(t) = piece(i) {
                self.text_at(at, t);
            }
        }
        // Interior point i (1..pieces) has its sample at pieces + i - 1.
        let exact = |i: usize| got.get(pieces + i - 1).is_some_and(|(_, t)| t.is_some());
        let mut i = 0;
        while i < pieces {
            if piece(i).is_some() {
                i += 1;
                continue;
            }
            let mut j = i;
            let mut inner = Vec::new();
            while j + 1 < pieces && piece(j + 1).is_none() && !exact(j + 1) {
                inner.push(points[j + 1]);
                j += 1;
            }
            if inner.is_empty() {
                self.push_failed(points[i], points[j + 1]);
            } else {
                self.work.push(Work::Probe {
                    s: points[i],
                    e: points[j + 1],
                    points: inner,
                });
            }
            i = j + 1;
        }
    }

    /// Lengths tried at `p` (a failed 1-byte read implied): the smallest that decoded
    /// is a character; none means no character starts at `p`. True for a start.
    fn settle_position<'a>(&mut self, p: u64, tries: impl Iterator<Item = &'a Got<'a>>) -> bool {
        let best = tries
            .filter_map(|(r, t)| t.map(|t| (r.len, t)))
            .filter(|(_, t)| !t.is_empty())
            .min_by_key(|(len, _)| *len);
        match best {
            Some((_, t)) => {
                self.char_at(p, t);
                true
            }
            None => {
                if p < self.eof {
                    self.toks.entry(p).or_insert(Tok::Bad);
                }
                false
            }
        }
    }

    /// True when the byte at `p` is known to be ASCII (it decoded alone).
    fn is_ascii(&self, p: u64) -> bool {
        matches!(self.toks.get(&p), Some(Tok::Char(t)) if t.len() == 1)
    }

    fn text_at(&mut self, p: u64, t: &str) {
        if !t.is_empty() {
            self.texts.insert(p, t.to_owned());
        }
    }

    fn char_at(&mut self, p: u64, t: &str) {
        if !t.is_empty() && p < self.eof {
            self.toks.insert(p, Tok::Char(t.to_owned()));
        }
    }
}
