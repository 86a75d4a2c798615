//! The last lines ssh wrote on stderr, bounded and cleaned of control characters
//! (a remote banner is hostile text), for the errors of its tunnel.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncReadExt;

/// Lines kept (the oldest dropped first).
pub const MAX_LINES: usize = 8;
/// Characters kept of one line.
pub const MAX_LINE_CHARS: usize = 300;

/// ssh's stderr, as lines.
#[derive(Debug, Default)]
pub struct Tail {
    lines: VecDeque<String>,
    /// Lines not yet shown in an error.
    unseen: usize,
    /// Bytes of a line not yet ended.
    partial: Vec<u8>,
    /// stderr has closed (ssh and its guard are gone).
    pub done: bool,
}

impl Tail {
    /// Adds bytes as they come.
    pub fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                self.end_line();
            } else if self.partial.len() < MAX_LINE_CHARS * 4 {
                self.partial.push(b);
            }
        }
    }

    fn end_line(&mut self) {
        let raw = String::from_utf8_lossy(&self.partial).into_owned();
        self.partial.clear();
        let line: String = raw
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_LINE_CHARS)
            .collect();
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        if self.lines.len() == MAX_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line.to_owned());
        self.unseen = (self.unseen + 1).min(MAX_LINES);
    }

    /// The lines not shown yet, joined with `; ` (empty when none), then marked shown.
    pub fn take_new(&mut self) -> String {
        if self.done && !self.partial.is_empty() {
            self.end_line();
        }
        let start = self.lines.len() - self.unseen;
        self.unseen = 0;
        self.lines.iter().skip(start).cloned().collect::<Vec<_>>().join("; ")
    }
}

/// Reads `pipe` to its end into `tail`.
pub async fn read(mut pipe: impl tokio::io::AsyncRead + Unpin, tail: Arc<Mutex<Tail>>) {
    let mut buf = [0u8; 4096];
    loop {
        let n = pipe.read(&mut buf).await.unwrap_or(0);
        let mut t = tail.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if n == 0 {
            t.done = true;
            return;
        }
        t.push(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_bounded_and_clean() {
        let mut t = Tail::default();
        t.push(b"banner \x1b[31mred\x1b[0m\n\n");
        for i in 0..20 {
            t.push(format!("line {i}\n").as_bytes());
        }
        t.push(&[b'x'; 5000]);
        t.done = true;
        let said = t.take_new();
        assert!(!said.contains('\x1b') && !said.contains("banner"), "{said}");
        assert!(said.starts_with("line 13; "), "{said}");
        assert!(said.ends_with(&"x".repeat(MAX_LINE_CHARS)), "{said}");
        assert_eq!(t.take_new(), "");
        t.push(b"Permission denied (publickey).\n");
        assert_eq!(t.take_new(), "Permission denied (publickey).");
    }
}
