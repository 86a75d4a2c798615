//! The journal's line format: one JSON object per line (JSON Lines), version
//! [`FORMAT_VERSION`], and the typed [`JournalEvent`] it stands for.
//!
//! ```text
//! {"v":1,"time":"2026-01-02T03:04:05.678Z","serial":21,"event":"PROCESS_STATE_EXITED","process":"web:web_00","group":"web","from":"RUNNING","to":"EXITED","pid":1234,"expected":false,"exitstatus":3}
//! {"v":1,"time":"2026-01-02T03:04:05.901Z","serial":22,"event":"PROCESS_GROUP_ADDED","group":"web"}
//! {"v":1,"time":"2026-01-02T03:04:06.002Z","error":"bad header: ..."}
//! ```
//!
//! Reading is tolerant: unknown fields are ignored (a later version adds fields, never
//! changes one), unknown event names are kept as [`What::Other`], and lines that are
//! not ours (not JSON, no `v`) are skipped.

use super::time::{format_ms, parse_rfc3339};
use crate::supervisor::ProcessState;
use serde::{Deserialize, Serialize};

/// The format version written in every line's `v`.
pub const FORMAT_VERSION: u32 = 1;

/// One journal line, typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JournalEvent {
    /// When the relay received the event: UTC, ms since the epoch.
    pub time_ms: i64,
    /// supervisord's event serial (`None` for error lines).
    pub serial: Option<u64>,
    pub what: What,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum What {
    /// `PROCESS_STATE_*`: a process changed state.
    Process(ProcessChange),
    /// `SUPERVISOR_STATE_CHANGE_RUNNING` (`running: true`) or `_STOPPING`.
    Daemon { running: bool },
    /// `PROCESS_GROUP_ADDED` (`added: true`) or `_REMOVED`.
    Group { group: String, added: bool },
    /// Another event (the relay is subscribed to more than it knows).
    Other { event: String },
    /// The relay could not read an event (a malformed header or payload) or could not
    /// keep up: what it says.
    Error { message: String },
}

/// A process's change of state (`PROCESS_STATE_<to>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessChange {
    /// The namespec: `name`, or `group:name` when they differ.
    pub process: String,
    pub group: String,
    /// The state it left (`from_state`); `None` when the payload had none.
    pub from: Option<ProcessState>,
    pub to: ProcessState,
    /// Its pid (RUNNING, STOPPING, STOPPED, EXITED: the pid that exited).
    pub pid: Option<i64>,
    /// Start attempts so far (STARTING, BACKOFF).
    pub tries: Option<u32>,
    /// EXITED: whether the exit status is one of `exitcodes` (false: a crash).
    pub expected: Option<bool>,
    /// EXITED: the exit status, asked of the daemon when the event came (`None` when
    /// it could not be known: the process had already been started again).
    pub exitstatus: Option<i64>,
}

/// Kinds of events, for filters (`--kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// STARTING.
    Start,
    /// RUNNING.
    Running,
    /// BACKOFF (exited too quickly, will retry).
    Backoff,
    /// STOPPING.
    Stopping,
    /// STOPPED.
    Stop,
    /// EXITED, expected or not.
    Exit,
    /// EXITED with an unexpected status.
    Crash,
    /// FATAL (gave up starting).
    Fatal,
    /// UNKNOWN.
    Unknown,
    /// A group added or removed.
    Group,
    /// The daemon started or is stopping.
    Daemon,
    /// The relay's error lines.
    Error,
}

impl Kind {
    /// Every kind, with its name.
    pub const ALL: [(Kind, &'static str); 12] = [
        (Kind::Start, "start"),
        (Kind::Running, "running"),
        (Kind::Backoff, "backoff"),
        (Kind::Stopping, "stopping"),
        (Kind::Stop, "stop"),
        (Kind::Exit, "exit"),
        (Kind::Crash, "crash"),
        (Kind::Fatal, "fatal"),
        (Kind::Unknown, "unknown"),
        (Kind::Group, "group"),
        (Kind::Daemon, "daemon"),
        (Kind::Error, "error"),
    ];

    /// The kind called `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Kind> {
        Self::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(k, _)| *k)
    }

    /// Its name (`crash`).
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(k, _)| *k == self).map_or("unknown", |(_, n)| n)
    }
}

impl JournalEvent {
    /// Whether the event is of kind `k`.
    pub fn is(&self, k: Kind) -> bool {
        match &self.what {
            What::Process(p) => match k {
                Kind::Start => p.to == ProcessState::Starting,
                Kind::Running => p.to == ProcessState::Running,
                Kind::Backoff => p.to == ProcessState::Backoff,
                Kind::Stopping => p.to == ProcessState::Stopping,
                Kind::Stop => p.to == ProcessState::Stopped,
                Kind::Exit => p.to == ProcessState::Exited,
                Kind::Crash => p.to == ProcessState::Exited && p.expected == Some(false),
                Kind::Fatal => p.to == ProcessState::Fatal,
                Kind::Unknown => p.to == ProcessState::Unknown,
                _ => false,
            },
            What::Group { .. } => k == Kind::Group,
            What::Daemon { .. } => k == Kind::Daemon,
            What::Error { .. } => k == Kind::Error,
            What::Other { .. } => false,
        }
    }

    /// The process it is about, if any.
    pub fn process(&self) -> Option<&ProcessChange> {
        match &self.what {
            What::Process(p) => Some(p),
            _ => None,
        }
    }

    /// supervisord's event name (`PROCESS_STATE_EXITED`), or `error`.
    pub fn event_name(&self) -> String {
        match &self.what {
            What::Process(p) => format!("PROCESS_STATE_{}", p.to.name()),
            What::Daemon { running: true } => "SUPERVISOR_STATE_CHANGE_RUNNING".into(),
            What::Daemon { running: false } => "SUPERVISOR_STATE_CHANGE_STOPPING".into(),
            What::Group { added: true, .. } => "PROCESS_GROUP_ADDED".into(),
            What::Group { added: false, .. } => "PROCESS_GROUP_REMOVED".into(),
            What::Other { event } => event.clone(),
            What::Error { .. } => "error".into(),
        }
    }

    /// The journal line (without its newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(&self.wire()).unwrap_or_default()
    }

    /// The journal line as a JSON value: the one form every front end shows an event
    /// in (docs/journal.md, "Format").
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self.wire()).unwrap_or_default()
    }

    fn wire(&self) -> Wire {
        let mut w = Wire {
            v: FORMAT_VERSION,
            time: format_ms(self.time_ms),
            serial: self.serial,
            ..Wire::default()
        };
        match &self.what {
            What::Process(p) => {
                w.process = Some(p.process.clone());
                w.group = Some(p.group.clone());
                w.from = p.from.map(|s| s.name().to_owned());
                w.to = Some(p.to.name().to_owned());
                (w.pid, w.tries, w.expected) = (p.pid, p.tries, p.expected);
                if p.to == ProcessState::Exited {
                    w.exitstatus = Some(p.exitstatus);
                }
            }
            What::Group { group, .. } => w.group = Some(group.clone()),
            What::Error { message } => w.error = Some(message.clone()),
            What::Daemon { .. } | What::Other { .. } => {}
        }
        if !matches!(self.what, What::Error { .. }) {
            w.event = Some(self.event_name());
        }
        w
    }

    /// A journal line back as an event; `None` for a line that is not a journal line
    /// (not JSON, no `v`, no time).
    pub fn parse(line: &str) -> Option<JournalEvent> {
        let line = line.trim_end_matches(['\r', '\n']);
        if !line.starts_with('{') {
            return None;
        }
        let w: Wire = serde_json::from_str(line).ok()?;
        if w.v == 0 {
            return None;
        }
        let time_ms = parse_rfc3339(&w.time)?;
        let what = what_of(w.clone());
        Some(JournalEvent {
            time_ms,
            serial: w.serial,
            what,
        })
    }
}

/// The typed meaning of a wire line.
fn what_of(w: Wire) -> What {
    if let Some(message) = w.error {
        return What::Error { message };
    }
    let event = w.event.unwrap_or_default();
    if let Some(to) = event.strip_prefix("PROCESS_STATE_") {
        let Some(to) = ProcessState::from_name(to) else {
            return What::Other { event };
        };
        return What::Process(ProcessChange {
            process: w.process.unwrap_or_default(),
            group: w.group.unwrap_or_default(),
            from: w.from.as_deref().and_then(ProcessState::from_name),
            to,
            pid: w.pid,
            tries: w.tries,
            expected: w.expected,
            exitstatus: w.exitstatus.flatten(),
        });
    }
    match event.as_str() {
        "SUPERVISOR_STATE_CHANGE_RUNNING" => What::Daemon { running: true },
        "SUPERVISOR_STATE_CHANGE_STOPPING" => What::Daemon { running: false },
        "PROCESS_GROUP_ADDED" | "PROCESS_GROUP_REMOVED" => What::Group {
            group: w.group.unwrap_or_default(),
            added: event == "PROCESS_GROUP_ADDED",
        },
        _ => What::Other { event },
    }
}

/// A line on the wire: every field of every version-1 line (absent ones left out).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Wire {
    v: u32,
    time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    process: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pid: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tries: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected: Option<bool>,
    /// EXITED only, `null` when unknown.
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "null_as_some")]
    exitstatus: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `null` as `Some(None)` (present but unknown), so that a line read back and written
/// again is the same line.
fn null_as_some<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exited(exitstatus: Option<i64>) -> JournalEvent {
        JournalEvent {
            time_ms: 1_767_323_045_678,
            serial: Some(21),
            what: What::Process(ProcessChange {
                process: "web:web_00".into(),
                group: "web".into(),
                from: Some(ProcessState::Running),
                to: ProcessState::Exited,
                pid: Some(1234),
                tries: None,
                expected: Some(false),
                exitstatus,
            }),
        }
    }

    #[test]
    fn a_line_is_self_describing_and_reads_back_as_written() {
        let e = exited(Some(3));
        let line = e.to_line();
        assert_eq!(
            line,
            r#"{"v":1,"time":"2026-01-02T03:04:05.678Z","serial":21,"event":"PROCESS_STATE_EXITED","process":"web:web_00","group":"web","from":"RUNNING","to":"EXITED","pid":1234,"expected":false,"exitstatus":3}"#
        );
        assert_eq!(JournalEvent::parse(&line), Some(e));
        let unknown = exited(None);
        assert!(unknown.to_line().ends_with(r#""expected":false,"exitstatus":null}"#));
        assert_eq!(JournalEvent::parse(&unknown.to_line()), Some(unknown.clone()));
        assert!(unknown.is(Kind::Crash) && unknown.is(Kind::Exit) && !unknown.is(Kind::Start));
    }

    #[test]
    fn reading_tolerates_later_versions_and_skips_what_is_not_ours() {
        let later = r#"{"v":2,"time":"2026-01-02T03:04:05.678Z","serial":5,"event":"PROCESS_GROUP_ADDED","group":"g","new_field":[1,2]}"#;
        let e = JournalEvent::parse(later);
        assert_eq!(
            e.map(|e| e.what),
            Some(What::Group {
                group: "g".into(),
                added: true
            })
        );
        let other = r#"{"v":1,"time":"2026-01-02T03:04:05Z","serial":6,"event":"TICK_5"}"#;
        assert_eq!(
            JournalEvent::parse(other).map(|e| e.what),
            Some(What::Other { event: "TICK_5".into() })
        );
        let error = r#"{"v":1,"time":"2026-01-02T03:04:05Z","error":"bad header"}"#;
        assert!(JournalEvent::parse(error).is_some_and(|e| e.is(Kind::Error)));
        for foreign in [
            "",
            "plain text",
            "{not json",
            r#"{"time":"2026-01-02T03:04:05Z"}"#,
            r#"{"v":1}"#,
        ] {
            assert_eq!(JournalEvent::parse(foreign), None, "{foreign:?}");
        }
        assert_eq!(Kind::from_name("CRASH"), Some(Kind::Crash));
        assert_eq!(Kind::Crash.name(), "crash");
    }
}
