//! Filters over log lines, JSON-aware: `grep` (regex, with context lines), `level` /
//! `min_level` (pino's and bunyan's numbers, winston's and structlog's words;
//! `warning` is warn, `critical` is fatal; a plain-text line's level is its first
//! level word), `where` (`field=value`, `field~=regex`, `field` exists; dotted paths)
//! over lines that parse as JSON, and `since` (a timestamp field at or after a time).

use crate::supervisor::error::{Error, Result};
use serde_json::Value;

/// Log levels, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    /// From a word (`warning`, `CRIT`, `information`) or a pino/bunyan number.
    pub fn parse(v: &Value) -> Option<Level> {
        match v {
            Value::Number(n) => {
                let n = n.as_f64()?;
                Some(match n as i64 {
                    i64::MIN..=10 => Level::Trace,
                    11..=20 => Level::Debug,
                    21..=30 => Level::Info,
                    31..=40 => Level::Warn,
                    41..=50 => Level::Error,
                    _ => Level::Fatal,
                })
            }
            Value::String(s) => Level::from_word(s),
            _ => None,
        }
    }

    pub fn from_word(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "trace" | "verbose" | "silly" => Level::Trace,
            "debug" => Level::Debug,
            "info" | "information" | "notice" | "http" => Level::Info,
            "warn" | "warning" => Level::Warn,
            "error" | "err" => Level::Error,
            "fatal" | "critical" | "crit" | "alert" | "emerg" | "emergency" | "panic" => Level::Fatal,
            _ => return None,
        })
    }
}

/// A `where` condition.
#[derive(Debug, Clone)]
pub enum Where {
    Equals(String, String),
    Matches(String, regex::Regex),
    Exists(String),
}

impl Where {
    /// Parses `field=value`, `field~=regex` or `field`.
    pub fn parse(s: &str) -> Result<Where> {
        if let Some((f, re)) = s.split_once("~=") {
            let re = regex::Regex::new(re).map_err(|e| Error::Invalid(format!("where {s:?}: {e}")))?;
            return Ok(Where::Matches(f.trim().to_owned(), re));
        }
        if let Some((f, v)) = s.split_once('=') {
            return Ok(Where::Equals(f.trim().to_owned(), v.to_owned()));
        }
        if s.trim().is_empty() {
            return Err(Error::Invalid(
                "where: empty condition; use field=value, field~=regex or field".into(),
            ));
        }
        Ok(Where::Exists(s.trim().to_owned()))
    }

    fn holds(&self, doc: &Value) -> bool {
        match self {
            Where::Equals(f, v) => field(doc, f).is_some_and(|x| as_text(x) == *v),
            Where::Matches(f, re) => field(doc, f).is_some_and(|x| re.is_match(&as_text(x))),
            Where::Exists(f) => field(doc, f).is_some(),
        }
    }
}

fn field<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = doc.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(doc, |v, key| v.get(key))
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Filters for log lines. Empty: everything passes.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub grep: Option<regex::Regex>,
    /// Lines of context around each `grep` match.
    pub context: usize,
    pub level: Option<Level>,
    pub min_level: Option<Level>,
    pub wheres: Vec<Where>,
    /// Epoch seconds: only lines whose timestamp field is at or after it.
    pub since: Option<f64>,
}

impl LogFilter {
    /// Builds a filter from text arguments, as both front ends take them.
    /// Errors: a bad regex, level word, `where` condition or time.
    pub fn from_args(
        grep: Option<&str>,
        context: usize,
        level: Option<&str>,
        min_level: Option<&str>,
        wheres: &[String],
        since: Option<&str>,
    ) -> Result<LogFilter> {
        let level_of = |what: &str, s: &str| {
            Level::from_word(s)
                .ok_or_else(|| Error::Invalid(format!("{what} {s:?}: use trace, debug, info, warn, error or fatal")))
        };
        Ok(LogFilter {
            grep: grep
                .map(regex::Regex::new)
                .transpose()
                .map_err(|e| Error::Invalid(format!("grep: {e}")))?,
            context,
            level: level.map(|l| level_of("level", l)).transpose()?,
            min_level: min_level.map(|l| level_of("min_level", l)).transpose()?,
            wheres: wheres.iter().map(|w| Where::parse(w)).collect::<Result<_>>()?,
            since: since
                .map(|s| {
                    parse_time(s).ok_or_else(|| {
                        Error::Invalid(format!(
                            "since {s:?}: use an ISO 8601 time (2026-11-21T06:12:01Z) or epoch seconds"
                        ))
                    })
                })
                .transpose()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.grep.is_none()
            && self.level.is_none()
            && self.min_level.is_none()
            && self.wheres.is_empty()
            && self.since.is_none()
    }

    /// True when `line` passes every filter (context aside).
    pub fn keeps(&self, line: &str) -> bool {
        let doc: Option<Value> = if line.trim_start().starts_with('{') {
            serde_json::from_str(line).ok()
        } else {
            None
        };
        if let Some(re) = &self.grep
            && !re.is_match(line)
        {
            return false;
        }
        if self.level.is_some() || self.min_level.is_some() {
            let lvl = match &doc {
                Some(d) => ["level", "lvl", "severity", "log.level"]
                    .iter()
                    .find_map(|f| field(d, f))
                    .and_then(Level::parse),
                None => text_level(line),
            };
            let Some(lvl) = lvl else { return false };
            if self.level.is_some_and(|l| l != lvl) || self.min_level.is_some_and(|l| lvl < l) {
                return false;
            }
        }
        if !self.wheres.is_empty() {
            let Some(d) = &doc else { return false };
            if !self.wheres.iter().all(|w| w.holds(d)) {
                return false;
            }
        }
        if let Some(since) = self.since {
            let ts = doc.as_ref().and_then(|d| {
                ["time", "timestamp", "ts", "@timestamp", "t"]
                    .iter()
                    .find_map(|f| field(d, f))
            });
            match ts.and_then(epoch_of) {
                Some(t) if t >= since => {}
                _ => return false,
            }
        }
        true
    }

    /// The lines that pass, with `context` lines around `grep` matches (groups that
    /// are not adjacent are separated by `--`, as grep does).
    pub fn apply(&self, lines: &[String]) -> Vec<String> {
        if self.is_empty() {
            return lines.to_vec();
        }
        let hits: Vec<usize> = (0..lines.len()).filter(|&i| self.keeps(&lines[i])).collect();
        if self.context == 0 || self.grep.is_none() {
            return hits.into_iter().map(|i| lines[i].clone()).collect();
        }
        let mut out = Vec::new();
        let mut last: Option<usize> = None;
        for &i in &hits {
            let from = i.saturating_sub(self.context);
            let to = (i + self.context).min(lines.len() - 1);
            let start = match last {
                Some(l) if from <= l + 1 => l + 1,
                Some(_) => {
                    out.push("--".to_owned());
                    from
                }
                None => from,
            };
            for line in lines.iter().take(to + 1).skip(start) {
                out.push(line.clone());
            }
            last = Some(to.max(last.unwrap_or(0)));
        }
        out
    }
}

/// A plain-text line's level: its first level word in capitals (`ERROR`, `WARN`...).
fn text_level(line: &str) -> Option<Level> {
    line.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_uppercase()))
        .find_map(Level::from_word)
}

/// Epoch seconds of a timestamp: a number (seconds, or milliseconds when larger than
/// 1e11, as pino writes), or an ISO 8601 / RFC 3339 string.
pub fn epoch_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64().map(|t| if t > 1e11 { t / 1000.0 } else { t }),
        Value::String(s) => parse_time(s),
        _ => None,
    }
}

/// Parses `2026-11-21T06:12:01.123Z`, `2026-11-21 06:12:01+02:00`, or epoch digits.
pub fn parse_time(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        return Some(if n > 1e11 { n / 1000.0 } else { n });
    }
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> { s.get(from..from + len)?.parse().ok() };
    if b.len() < 19 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let mut rest = s.get(19..)?;
    let mut frac = 0.0;
    if let Some(r) = rest.strip_prefix(['.', ',']) {
        let digits: String = r.chars().take_while(char::is_ascii_digit).collect();
        frac = format!("0.{digits}").parse().unwrap_or(0.0);
        rest = &r[digits.len()..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        r => {
            let sign = if r.starts_with('-') { -1 } else { 1 };
            let r = r.get(1..)?.replace(':', "");
            sign * (r.get(0..2)?.parse::<i64>().ok()? * 3600
                + r.get(2..4).and_then(|m| m.parse::<i64>().ok()).unwrap_or(0) * 60)
        }
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (mo + if mo > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86400 + h * 3600 + mi * 60 + sec - offset) as f64 + frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn levels_from_every_logger() {
        let f = LogFilter {
            min_level: Some(Level::Warn),
            ..Default::default()
        };
        let input = lines(&[
            r#"{"level":30,"msg":"pino info"}"#,
            r#"{"level":40,"msg":"pino warn"}"#,
            r#"{"level":"warning","event":"structlog"}"#,
            r#"{"level":"critical","event":"structlog fatal"}"#,
            r#"{"severity":"ERROR","message":"gcp"}"#,
            "2026-11-21 06:12:01 ERROR plain text error",
            "2026-11-21 06:12:01 INFO plain text info",
            "no level at all",
        ]);
        let out = f.apply(&input);
        assert_eq!(out.len(), 5, "{out:?}");
        assert!(out.iter().all(|l| !l.contains("info") || l.contains("error")));
        let exact = LogFilter {
            level: Some(Level::Fatal),
            ..Default::default()
        };
        assert_eq!(
            exact.apply(&input),
            [r#"{"level":"critical","event":"structlog fatal"}"#]
        );
    }

    #[test]
    fn where_and_since_on_json_fields() -> Result<()> {
        let input = lines(&[
            r#"{"time":1795240000000,"req":{"path":"/api"},"status":500}"#,
            r#"{"time":1795240100000,"req":{"path":"/health"},"status":200}"#,
            r#"{"timestamp":"2026-11-21T06:12:01Z","status":500}"#,
            "not json status=500",
        ]);
        let f = LogFilter {
            wheres: vec![Where::parse("status=500")?, Where::parse("req.path~=^/a")?],
            ..Default::default()
        };
        assert_eq!(f.apply(&input), [input[0].clone()]);
        let f = LogFilter {
            wheres: vec![Where::parse("req")?],
            since: Some(1_795_240_050.0),
            ..Default::default()
        };
        assert_eq!(f.apply(&input), [input[1].clone()]);
        assert_eq!(parse_time("2026-11-21T06:12:01Z"), Some(1_795_241_521.0));
        assert_eq!(parse_time("2026-11-21T08:12:01+02:00"), Some(1_795_241_521.0));
        assert_eq!(parse_time("2026-11-21 06:12:01.5"), Some(1_795_241_521.5));
        Ok(())
    }

    #[test]
    fn grep_with_context_like_grep() -> Result<()> {
        let input = lines(&["a", "b", "ERR 1", "c", "d", "e", "ERR 2", "f"]);
        let f = LogFilter {
            grep: Some(regex::Regex::new("ERR").map_err(|e| Error::Invalid(e.to_string()))?),
            context: 1,
            ..Default::default()
        };
        assert_eq!(f.apply(&input), ["b", "ERR 1", "c", "--", "e", "ERR 2", "f"]);
        Ok(())
    }
}
