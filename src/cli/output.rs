//! All CLI output goes through [`Printer`]: JSON for scripts (`--json`, one document
//! on stdout), tables and short lines for people. Errors go to stderr as one line
//! plus a `hint:` line (or, with `--json`, as `{"error": …}` on stdout).
//!
//! Text from the daemon is shown escaped ([`crate::supervisor::text`]): every table
//! cell and `pairs` value as a one-line field, here; fields put into a line by a
//! command with [`shown`]; and every line (stdout and stderr) as a last guard.
//! Log lines alone are written as read ([`Printer::log_lines`]): they are cleaned
//! where they are read, and `--raw` keeps their escapes on purpose.

use super::exit;
use crate::supervisor::ProcessState;
use crate::supervisor::ops::control::{Outcome, ProcessResult};
use crate::supervisor::ops::lines::folded;
use crate::supervisor::ops::status::StatusReport;
use crate::supervisor::text::{self, shown};
use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use serde::Serialize;
use std::io::{self, IsTerminal, Write};

/// `name: ERROR (FAULT) message`, with "did you mean" for a name that matched nothing.
fn failed_line(r: &ProcessResult) -> String {
    let fault = r.label().map(|f| format!(" ({f})")).unwrap_or_default();
    let mut line = format!("{}: ERROR{fault} {}", shown(&r.name), shown(&r.message));
    if let Some(s) = &r.did_you_mean {
        line.push_str(&format!("; did you mean `{}`?", shown(s)));
    }
    line
}

/// Where and how output is written.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub json: bool,
}

fn state_color(s: ProcessState) -> Color {
    match s {
        ProcessState::Running => Color::Green,
        ProcessState::Starting | ProcessState::Stopping => Color::Cyan,
        ProcessState::Backoff | ProcessState::Fatal | ProcessState::Unknown => Color::Red,
        ProcessState::Stopped | ProcessState::Exited => Color::Yellow,
    }
}

/// A table for a terminal (borders, fitted to its width), or, when stdout is a pipe
/// or a file, plain columns that `grep`, `awk` and `cut` read (as supervisorctl's).
fn table() -> Table {
    let mut t = Table::new();
    if io::stdout().is_terminal() {
        t.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
            .set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        t.load_style(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled);
    }
    t
}

/// A table cell: a one-line field, escaped.
fn cell(s: &str) -> Cell {
    Cell::new(shown(s))
}

/// Writes `line` and a newline on stderr, escaped as text of several lines.
pub fn warn(line: &str) {
    eprintln!("{}", text::escape_lines(line));
}

/// Writes lines to stdout as they are, one write for all.
fn write_lines<S: AsRef<str>>(lines: &[S]) -> io::Result<()> {
    let mut buf = String::new();
    for l in lines {
        buf.push_str(l.as_ref());
        buf.push('\n');
    }
    io::stdout().lock().write_all(buf.as_bytes())
}

/// The table's text: for plain columns, without the cells' outer padding.
fn render(t: &Table) -> String {
    if io::stdout().is_terminal() {
        return t.to_string();
    }
    t.lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(&l).trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Printer {
    /// Writes one JSON document and a newline; no character a terminal acts on is
    /// left raw ([`text::write_json`]).
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> io::Result<()> {
        let mut out = io::stdout().lock();
        text::write_json(&mut out, value).map_err(io::Error::other)?;
        writeln!(out)
    }

    /// Writes text (one line or several) to stdout, escaped as several lines.
    pub fn line(&self, s: &str) -> io::Result<()> {
        self.lines(&[s])
    }

    /// Writes lines to stdout, each escaped as text of several lines, one write for all.
    pub fn lines<S: AsRef<str>>(&self, lines: &[S]) -> io::Result<()> {
        let escaped: Vec<_> = lines.iter().map(|l| text::escape_lines(l.as_ref())).collect();
        write_lines(&escaped)
    }

    /// Writes log lines to stdout as they are (cleaned when read, unless `--raw`).
    pub fn log_lines<S: AsRef<str>>(&self, lines: &[S]) -> io::Result<()> {
        write_lines(lines)
    }

    /// `status`: a table of NAME, STATE, DESCRIPTION; unknown names on stderr.
    pub fn status(&self, report: &StatusReport) -> io::Result<()> {
        if self.json {
            return self.json(report);
        }
        self.unknown(report);
        for l in report.listeners.iter().flatten() {
            let owner = l.supervised.as_deref().unwrap_or("not supervised");
            warn(&format!(
                "port {}: pid {} ({}) {}",
                l.port,
                l.pid,
                shown(owner),
                shown(&l.command)
            ));
        }
        if report.listeners.as_ref().is_some_and(Vec::is_empty) {
            eprintln!("nothing listens on that port");
        }
        if report.processes.is_empty() {
            return if report.unknown.is_empty() && report.listeners.is_none() {
                self.line("no processes")
            } else {
                Ok(())
            };
        }
        let mut t = table();
        let with_metrics = report.processes.iter().any(|p| p.metrics.is_some());
        if with_metrics {
            t.set_header(["NAME", "STATE", "CPU %", "RSS MB", "CHILDREN", "DESCRIPTION"]);
        } else {
            t.set_header(["NAME", "STATE", "DESCRIPTION"]);
        }
        for p in &report.processes {
            let mut row = vec![cell(&p.name), Cell::new(p.state.name()).fg(state_color(p.state))];
            if with_metrics {
                match &p.metrics {
                    Some(m) => {
                        row.push(Cell::new(m.cpu_percent.map_or("-".into(), |c| format!("{c:.1}"))));
                        row.push(Cell::new(format!("{:.1}", m.rss_bytes as f64 / 1_048_576.0)));
                        row.push(Cell::new(m.children));
                    }
                    None => row.extend([Cell::new("-"), Cell::new("-"), Cell::new("-")]),
                }
            }
            row.push(cell(&p.description_and_history()));
            t.add_row(row);
        }
        // Cells are escaped; the table's own colours stay.
        write_lines(&[render(&t)])
    }

    /// The names a report did not find, one line each on stderr, with "did you mean".
    pub fn unknown(&self, report: &StatusReport) {
        for n in &report.unknown {
            warn(&failed_line(&ProcessResult::unknown(
                n,
                report.did_you_mean.get(n).cloned(),
            )));
        }
    }

    /// Per-process results of start/stop/restart/signal: `name: started`, and for a
    /// failure its spawnerr, exit status and last log lines.
    pub fn results(&self, results: &[ProcessResult]) -> io::Result<()> {
        if self.json {
            #[derive(Serialize)]
            struct Results<'a> {
                results: &'a [ProcessResult],
            }
            return self.json(&Results { results });
        }
        let mut out = Vec::new();
        for r in results {
            match r.outcome {
                Outcome::Failed | Outcome::TimedOut | Outcome::NoSuchProcess | Outcome::Invalid => {
                    out.push(failed_line(r));
                    if let Some(f) = &r.failure {
                        let status = f.exitstatus.map(|s| format!("exit status {s}; ")).unwrap_or_default();
                        out.push(format!("  {status}last lines of its log:"));
                        if f.log_tail.is_empty() {
                            out.push("  (the log is empty)".to_owned());
                        }
                        out.extend(folded(&f.log_tail).into_iter().map(|l| format!("  | {l}")));
                    }
                }
                _ => out.push(format!("{}: {}", shown(&r.name), shown(&r.message))),
            }
        }
        self.lines(&out)
    }

    /// A key/value listing (info); each value a one-line field, escaped.
    pub fn pairs(&self, pairs: &[(&str, String)]) -> io::Result<()> {
        let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let lines: Vec<String> = pairs.iter().map(|(k, v)| format!("{k:width$}  {}", shown(v))).collect();
        self.lines(&lines)
    }

    /// A table with a header; each cell a one-line field, escaped.
    pub fn table(&self, header: &[&str], rows: Vec<Vec<String>>) -> io::Result<()> {
        let mut t = table();
        t.set_header(header.to_vec());
        for r in rows {
            t.add_row(r.iter().map(|c| cell(c)).collect::<Vec<_>>());
        }
        write_lines(&[render(&t)])
    }

    /// Prints an error that stopped the command: `supervisord-mcp: error: …` and a
    /// `hint:` line on stderr, or `{"error": {"message", "kind", "fault"?, "hint"}}`
    /// on stdout with `--json` (its kind and fault code as [`exit::classify`] finds
    /// them).
    pub fn error(&self, err: &anyhow::Error) {
        let c = exit::classify(err);
        let hint = c
            .core
            .and_then(crate::supervisor::Error::next_step)
            .map(|s| super::hint::hint(&s))
            .or_else(|| match c.fleet {
                Some(crate::fleet::FleetError::NotExplicit { targets }) => {
                    Some(format!("-t {} (or TARGET/name)", targets.join(",")))
                }
                _ => None,
            });
        if self.json {
            let mut e = serde_json::json!({
                "message": format!("{err:#}"),
                "kind": c.kind,
                "hint": hint,
            });
            if let (Some(code), Some(m)) = (c.fault, e.as_object_mut()) {
                m.insert("fault".into(), code.name().into());
            }
            let _ = self.json(&serde_json::json!({ "error": e }));
            return;
        }
        // One line each, whatever the daemon's text in them (fault text, names, URLs).
        eprintln!("supervisord-mcp: error: {}", shown(&format!("{err:#}")));
        if let Some(h) = hint {
            eprintln!("hint: {}", shown(&h));
        }
    }
}
