//! `events [NAME...]`: the journal's history, oldest first, one line per event,
//! merged across targets by time; `-f` then prints new events as they come: from the
//! journal, or, for a daemon without one, from the core's watch engine (said so).

use super::Ctx;
use crate::cli::EventsArgs;
use crate::cli::exit::ExitStatus;
use crate::fleet::report::envelope;
use crate::fleet::{Target, TargetOutcome};
use crate::supervisor::journal::follow::{Via, follow};
use crate::supervisor::journal::time::{format_ms, now_ms, parse_when};
use crate::supervisor::journal::{self, Filter, History, JournalEvent, What};
use crate::supervisor::text::shown;
use anyhow::Result;
use std::time::Duration;
use tokio::sync::mpsc;

/// Events shown without `-n` or `--since`.
const DEFAULT_LIMIT: usize = 50;
/// How often `-f` polls the journal.
const FOLLOW_POLL: Duration = Duration::from_millis(200);

pub(super) async fn show(ctx: &Ctx, a: &EventsArgs) -> Result<ExitStatus> {
    let now = now_ms();
    let when = |v: &Option<String>| v.as_deref().map(|s| parse_when(s, now)).transpose();
    let since = when(&a.since).map_err(crate::cli::cmd::invalid_as_usage)?;
    let until = when(&a.until).map_err(crate::cli::cmd::invalid_as_usage)?;
    let limit = a.limit.map(|n| n.get()).or((since.is_none()).then_some(DEFAULT_LIMIT));
    let filter = Filter {
        since_ms: since,
        until_ms: until,
        kinds: a.kinds.clone(),
        limit,
        ..Filter::default()
    };
    let planned = if a.names.is_empty() {
        ctx.fleet.selected()?.into_iter().map(|t| (t, Vec::new())).collect()
    } else {
        ctx.fleet.plan(&a.names, false)?
    };
    if a.follow {
        return follow_all(ctx, planned, filter).await;
    }
    let outcomes = ctx
        .each(planned, Duration::ZERO, |t, names| {
            let filter = Filter {
                names,
                ..filter.clone()
            };
            async move { journal::history(&t.client, &filter).await }
        })
        .await?;
    print_history(ctx, &outcomes, limit)?;
    ctx.finish(&outcomes, ExitStatus::Success)
}

/// The events of every target, merged by time (the last `limit`), then what was not
/// read.
fn print_history(ctx: &Ctx, outcomes: &[TargetOutcome<History>], limit: Option<usize>) -> Result<()> {
    let mut all: Vec<(&str, &JournalEvent)> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok().map(|h| (o.target.as_str(), h)))
        .flat_map(|(t, h)| h.events.iter().map(move |e| (t, e)))
        .collect();
    all.sort_by_key(|(t, e)| (e.time_ms, *t, e.serial));
    let skip = limit.map_or(0, |n| all.len().saturating_sub(n));
    if ctx.p.json {
        let events: Vec<serde_json::Value> = all.iter().skip(skip).map(|(t, e)| as_json(ctx.many, t, e)).collect();
        let per_target: Vec<TargetOutcome<serde_json::Value>> = outcomes
            .iter()
            .map(|o| TargetOutcome {
                target: o.target.clone(),
                elapsed: o.elapsed,
                result: o.result.as_ref().map(notes_json).map_err(Clone::clone),
            })
            .collect();
        let doc = if ctx.many {
            let mut env = envelope(&per_target, serde_json::json!({}));
            env["events"] = serde_json::Value::Array(events);
            env
        } else {
            let mut one = per_target
                .into_iter()
                .next()
                .and_then(|o| o.result.ok())
                .unwrap_or_default();
            one["events"] = serde_json::Value::Array(events);
            one
        };
        ctx.p.json(&doc)?;
        return Ok(());
    }
    let lines: Vec<String> = all.iter().skip(skip).map(|(t, e)| line(ctx.many, t, e)).collect();
    ctx.p.log_lines(&lines)?;
    for o in outcomes {
        if let Ok(h) = &o.result {
            let at = if ctx.many {
                format!("{}: ", o.target)
            } else {
                String::new()
            };
            if h.truncated {
                eprintln!("({at}older events not read: {} bytes read, the bound)", h.bytes_read);
            } else if h.older_unread {
                eprintln!("({at}older events, if any, are in rotated journal files only the daemon's host can read)");
            }
        }
    }
    Ok(())
}

/// A history's facts for `--json` (its events go in one merged list).
fn notes_json(h: &History) -> serde_json::Value {
    serde_json::json!({
        "span": {
            "from": h.span.from_ms.map(format_ms),
            "to": h.span.to_ms.map(format_ms),
        },
        "truncated": h.truncated,
        "older_unread": h.older_unread,
    })
}

/// An event as its journal line's object (the documented format), with its target
/// across a fleet.
fn as_json(many: bool, target: &str, e: &JournalEvent) -> serde_json::Value {
    let mut v = e.to_value();
    if many {
        v["target"] = target.into();
    }
    v
}

/// `2026-01-02T03:04:05.678Z  web:web_00  RUNNING -> EXITED  exit 3, unexpected`.
pub(super) fn line(many: bool, target: &str, e: &JournalEvent) -> String {
    let who = |name: &str| super::who(many, target, name);
    let time = format_ms(e.time_ms);
    let (who, change, detail) = match &e.what {
        What::Process(p) => {
            let from = p.from.map_or("?", |s| s.name());
            let detail = match (p.to, p.exitstatus, p.expected) {
                (crate::supervisor::ProcessState::Exited, status, expected) => format!(
                    "exit {}, {}",
                    status.map_or("?".into(), |s| s.to_string()),
                    if expected == Some(false) {
                        "unexpected"
                    } else {
                        "expected"
                    }
                ),
                _ => match (p.pid, p.tries) {
                    (Some(pid), _) => format!("pid {pid}"),
                    (None, Some(t)) if t > 0 => format!("try {}", t + 1),
                    _ => String::new(),
                },
            };
            (
                who(&shown(&p.process).to_string()),
                format!("{from} -> {}", p.to),
                detail,
            )
        }
        What::Group { group, added } => (
            who(&shown(group).to_string()),
            if *added { "group added" } else { "group removed" }.into(),
            String::new(),
        ),
        What::Daemon { running } => (
            who("supervisord"),
            if *running { "RUNNING" } else { "STOPPING" }.into(),
            String::new(),
        ),
        What::Other { event } => (who("-"), shown(event).to_string(), String::new()),
        What::Error { message } => (who("relay"), "error".into(), shown(message).to_string()),
    };
    format!("{time}  {who:<24} {change:<22} {detail}").trim_end().to_owned()
}

/// `-f`: each target's last events, then its new ones, printed as they come until
/// Ctrl-C, until stdout's reader goes away, or until every target has ended.
async fn follow_all(ctx: &Ctx, planned: Vec<(Target, Vec<String>)>, filter: Filter) -> Result<ExitStatus> {
    let (tx, mut rx) = mpsc::channel::<String>(4096);
    let mut tasks = tokio::task::JoinSet::new();
    let mut failed = false;
    for (t, names) in planned {
        if let Err(e) = t.usable() {
            crate::cli::output::warn(&crate::fleet::report::failed_line(&t.name, &e));
            failed = true;
            continue;
        }
        let filter = Filter {
            names,
            ..filter.clone()
        };
        let view = View {
            many: ctx.many,
            json: ctx.p.json,
            target: t.name.clone(),
        };
        tasks.spawn(follow_one(t, filter, view, tx.clone()));
    }
    drop(tx);
    let closed = crate::cli::cmd::logs::stdout_closed();
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(closed, interrupted);
    loop {
        tokio::select! {
            l = rx.recv() => match l {
                Some(l) => if ctx.p.log_lines(&[l]).is_err() { break },
                None => break,
            },
            _ = &mut interrupted => break,
            () = &mut closed => break,
        }
    }
    while let Some(done) = tasks.try_join_next() {
        failed |= !matches!(done, Ok(true));
    }
    tasks.abort_all();
    Ok(if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// How one target's events are printed.
#[derive(Clone)]
struct View {
    many: bool,
    json: bool,
    target: String,
}

impl View {
    fn render(&self, e: &JournalEvent) -> String {
        if self.json {
            as_json(self.many, &self.target, e).to_string()
        } else {
            line(self.many, &self.target, e)
        }
    }
}

/// Follows one target: its journal, or its polled state changes; false on failure
/// (said on stderr).
async fn follow_one(t: Target, filter: Filter, view: View, tx: mpsc::Sender<String>) -> bool {
    let send = |e: &JournalEvent| {
        if filter.keeps(e) {
            // A full queue drops the line (the printer is far behind); a closed one ends.
            let _ = tx.try_send(view.render(e));
        }
        !tx.is_closed()
    };
    let r = match journal::history(&t.client, &filter).await {
        Ok(h) => {
            for e in &h.events {
                send(e);
            }
            follow(&t.client, Via::Poll(FOLLOW_POLL), Some(h.cursor), |e| send(&e)).await
        }
        Err(crate::supervisor::Error::Invalid(m)) if m.contains("has no event journal") => {
            let at = if view.many {
                format!("{}: ", t.name)
            } else {
                String::new()
            };
            crate::cli::output::warn(&format!(
                "{at}no event journal: following state changes by polling once a second (changes between two \
                 looks are not seen; `supervisord-mcp events install` keeps every one)"
            ));
            super::polled::follow(&t.client, &filter, |e| send(e)).await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => true,
        Err(e) => {
            let te = crate::fleet::TargetError::from_error(&e);
            crate::cli::output::warn(&crate::fleet::report::failed_line(&t.name, &te));
            false
        }
    }
}
