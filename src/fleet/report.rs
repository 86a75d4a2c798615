//! What a fleet call says about the fleet as a whole: how many targets answered, which
//! failed and why (`20 targets: 18 ok, 1 timeout (db-2), 1 unauthorized (edge-1)`),
//! the same words for people and agents. The daemon's text in a line (names, why a
//! process stopped, error messages quoting URLs or faults) is escaped
//! ([`crate::supervisor::text`]); target names are the file's, checked when read.

use super::fanout::TargetOutcome;
use crate::supervisor::ErrorKind;
use crate::supervisor::text::shown;
use serde::Serialize;
use std::collections::BTreeMap;

/// The targets of a call, by outcome.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Summary {
    pub targets: usize,
    pub ok: usize,
    /// The targets that failed, by kind of failure.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub failed: BTreeMap<ErrorKind, Vec<String>>,
}

impl Summary {
    pub fn of<T>(outcomes: &[TargetOutcome<T>]) -> Summary {
        let mut s = Summary {
            targets: outcomes.len(),
            ..Summary::default()
        };
        for o in outcomes {
            match &o.result {
                Ok(_) => s.ok += 1,
                Err(e) => s.failed.entry(e.kind).or_default().push(o.target.clone()),
            }
        }
        s
    }

    /// True when every target failed (an agent's call is then an error).
    pub fn all_failed(&self) -> bool {
        self.ok == 0 && self.targets > 0
    }

    /// `20 targets: 18 ok, 1 timeout (db-2), 1 unauthorized (edge-1)`.
    pub fn line(&self) -> String {
        let mut parts = vec![format!("{} ok", self.ok)];
        for (kind, names) in &self.failed {
            parts.push(format!("{} {kind} ({})", names.len(), names.join(", ")));
        }
        let noun = if self.targets == 1 { "target" } else { "targets" };
        format!("{} {noun}: {}", self.targets, parts.join(", "))
    }
}

/// One target's entry in `--json`.
#[derive(Serialize)]
struct Entry<'a, T> {
    target: &'a str,
    ok: bool,
    elapsed_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a super::TargetError>,
}

/// The document of a fleet call (CLI `--json`, MCP structuredContent): a summary (plus `extra` fields) and one
/// entry per target, sorted by name.
pub fn envelope<T: Serialize>(outcomes: &[TargetOutcome<T>], extra: serde_json::Value) -> serde_json::Value {
    let targets: Vec<Entry<T>> = outcomes
        .iter()
        .map(|o| Entry {
            target: &o.target,
            ok: o.result.is_ok(),
            elapsed_ms: u64::try_from(o.elapsed.as_millis()).unwrap_or(u64::MAX),
            result: o.result.as_ref().ok(),
            error: o.result.as_ref().err(),
        })
        .collect();
    let mut summary = serde_json::to_value(Summary::of(outcomes)).unwrap_or_default();
    if let (Some(s), serde_json::Value::Object(more)) = (summary.as_object_mut(), extra) {
        s.extend(more);
    }
    serde_json::json!({ "summary": summary, "targets": targets })
}

/// `db-2: ERROR (timeout) no reply in 5.0 s`: a target that gave no result.
pub fn failed_line(target: &str, e: &super::TargetError) -> String {
    format!("{target}: ERROR ({}) {}", e.kind, shown(&e.message))
}

/// What is wrong across the fleet, the same words for people and agents:
/// `web-3/api:api_00 FATAL Exited too quickly` per process, `web-3: supervisord
/// RESTARTING` per daemon not running, then each target that could not be asked,
/// then the summary line; `all healthy` and the summary when nothing is wrong.
pub fn health_lines(outcomes: &[TargetOutcome<crate::supervisor::ops::status::Health>]) -> Vec<String> {
    let mut out = Vec::new();
    for o in outcomes {
        if let Ok(h) = &o.result {
            if let Some(state) = h.daemon {
                out.push(format!("{}: supervisord {state}", o.target));
            }
            for u in &h.unhealthy {
                out.push(
                    format!("{}/{} {} {}", o.target, shown(&u.name), u.state, shown(&u.info))
                        .trim_end()
                        .to_owned(),
                );
            }
        }
    }
    for o in outcomes {
        if let Err(e) = &o.result {
            out.push(failed_line(&o.target, e));
        }
    }
    if out.is_empty() {
        out.push("all healthy".into());
    }
    out.push(Summary::of(outcomes).line());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::TargetError;
    use std::time::Duration;

    /// A target's error quotes the daemon or a URL: one line, nothing raw.
    #[test]
    fn a_failed_target_is_one_escaped_line() {
        let e = TargetError::new(ErrorKind::Fault, "BAD_NAME: x\r\nforged\x1b]0;t\x07");
        assert_eq!(
            failed_line("a", &e),
            r"a: ERROR (fault) BAD_NAME: x\r\nforged\x1b]0;t\x07"
        );
    }

    #[test]
    fn says_which_failed_and_why() {
        let o = |t: &str, r: Result<(), (ErrorKind, &str)>| TargetOutcome {
            target: t.into(),
            elapsed: Duration::ZERO,
            result: r.map_err(|(kind, m)| TargetError::new(kind, m)),
        };
        let s = Summary::of(&[
            o("a", Ok(())),
            o("db-2", Err((ErrorKind::Timeout, "no reply in 5.0 s"))),
            o("edge-1", Err((ErrorKind::Unauthorized, "401"))),
            o("z", Ok(())),
        ]);
        assert_eq!(s.line(), "4 targets: 2 ok, 1 timeout (db-2), 1 unauthorized (edge-1)");
        assert!(!s.all_failed());
    }
}
