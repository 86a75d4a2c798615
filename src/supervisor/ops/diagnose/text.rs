//! A diagnosis as text: the headline, the history, the configuration, the log tails
//! and what the host tells, with the daemon's text escaped.

use super::super::status::{HISTORY_WINDOW, LOG_HINT};
use super::{Diagnosis, ProgramConfig};
use crate::supervisor::text::shown;
use std::fmt::Write;

fn ago(secs: i64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        _ => format!("{} h", secs / 3600),
    }
}

impl Diagnosis {
    /// The diagnosis as a few lines of text, for people and for a model's context; the
    /// daemon's text in it (name, spawnerr, configuration values) escaped
    /// ([`crate::supervisor::text`]), the log lines cleaned as read.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        self.write_headline(&mut out);
        if let Some(line) = self.history.as_ref().and_then(|h| h.line(HISTORY_WINDOW)) {
            let _ = writeln!(out, "history: {line}");
        }
        if let Some(c) = &self.config {
            write_config(&mut out, c);
        }
        for (label, lines) in [("stderr", &self.stderr), ("stdout", &self.stdout)] {
            write_log(&mut out, label, lines);
        }
        self.write_host(&mut out);
        if let Some(n) = &self.note {
            let _ = writeln!(out, "{n}");
        }
        out
    }

    /// The first line: name and state, why (spawnerr or description), exit status, how
    /// it ended, and when it started and for how long it ran.
    fn write_headline(&self, out: &mut String) {
        let _ = write!(out, "{} {}", shown(&self.name), self.state);
        if !self.spawnerr.is_empty() {
            let _ = write!(out, ": {}", shown(self.spawnerr.trim_end_matches(LOG_HINT)));
        } else if !self.description.is_empty() {
            let _ = write!(out, ": {}", shown(&self.description));
        }
        if let Some(code) = self.exitstatus {
            let _ = write!(out, "; exit {code}");
        }
        if let Some(how) = &self.ended_by {
            let _ = write!(out, "; {}", shown(how));
        }
        match (self.started_ago_s, self.ran_s) {
            (Some(s), Some(r)) => {
                let _ = write!(out, "; started {} ago, ran {r} s", ago(s));
            }
            (Some(s), None) => {
                let _ = write!(out, "; started {} ago", ago(s));
            }
            _ => out.push_str("; never started"),
        }
        out.push('\n');
    }

    /// What only the daemon's own host tells: who holds the ports the program
    /// mentions, and its CPU and memory.
    fn write_host(&self, out: &mut String) {
        for l in &self.ports {
            let owner = l
                .supervised
                .as_deref()
                .map(|s| format!(" ({})", shown(s)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "port {} held by pid {}{owner}: {}",
                l.port,
                l.pid,
                shown(&l.command)
            );
        }
        if let Some(m) = &self.metrics {
            let over = m.cpu_sample_ms.map(|ms| format!(" over {ms} ms")).unwrap_or_default();
            let _ = writeln!(
                out,
                "{}{over}, rss {:.1} MB, {} children",
                m.cpu_text(),
                m.rss_bytes as f64 / 1_048_576.0,
                m.children
            );
        }
    }
}

/// Two lines of configuration: the command, then directory, autostart, autorestart
/// and the start and stop timings.
fn write_config(out: &mut String, c: &ProgramConfig) {
    let _ = writeln!(out, "command: {}", shown(&c.command));
    let dir = c
        .directory
        .as_deref()
        .map(|d| format!("dir {}; ", shown(d)))
        .unwrap_or_default();
    let restart = c
        .autorestart
        .as_deref()
        .map(|a| format!(" autorestart {};", shown(a)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{dir}autostart {};{restart} startsecs {}; startretries {}; stopwaitsecs {}",
        c.autostart, c.startsecs, c.startretries, c.stopwaitsecs
    );
}

/// A log's last lines under its `label` (or `(empty)`), indented; identical
/// consecutive lines (a crash loop) once, with a count.
fn write_log(out: &mut String, label: &str, lines: &[String]) {
    if lines.is_empty() {
        let _ = writeln!(out, "{label}: (empty)");
    } else {
        let _ = writeln!(out, "{label}:");
        for l in crate::supervisor::ops::lines::folded(lines) {
            let _ = writeln!(out, "  {l}");
        }
    }
}
