//! `GET /process?t=TARGET&n=NAME`: one process: its state, uptime, pid, exit
//! status and description; its actions (`operate` tokens); the last lines of its
//! stdout and stderr (followed live by `app.js` from the byte offset the page was
//! read at); its history from the event journal; and the diagnosis of
//! `ops::diagnose` (why it does not run). Everything is asked at once, each part
//! within the target's deadline.

use super::overview::{action, enc};
use super::{ago, error, page, state_badge};
use crate::supervisor::journal::{self, Filter, JournalEvent, What};
use crate::supervisor::ops::logs::filter::LogFilter;
use crate::supervisor::ops::logs::{self, LogSource, LogTail, TailOptions};
use crate::supervisor::ops::{diagnose, status};
use crate::supervisor::{Channel, Client, Error};
use crate::web::Web;
use crate::web::login::Viewer;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use std::sync::Arc;
use std::time::Duration;

/// Lines of each log shown.
const LOG_LINES: usize = 50;
/// Journal events shown.
const HISTORY: usize = 30;

/// `?t=&n=`.
#[derive(Debug, serde::Deserialize)]
pub struct Which {
    #[serde(default)]
    pub t: String,
    pub n: String,
}

/// `f` within `limit`, its timeout an error like any other.
async fn within<T>(limit: Duration, f: impl Future<Output = Result<T, Error>>) -> Result<T, String> {
    match tokio::time::timeout(limit, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(crate::supervisor::text::shown(&e.to_string()).to_string()),
        Err(_) => Err(format!("no reply in {:.1} s", limit.as_secs_f64())),
    }
}

/// A log's last lines, with the offset to follow it from.
async fn tail(c: &Client, name: &str, ch: Channel) -> Result<LogTail, Error> {
    let opts = TailOptions {
        lines: LOG_LINES,
        ..TailOptions::default()
    };
    logs::tail_filtered(c, &LogSource::process(name, ch), &opts, &LogFilter::default()).await
}

/// The process's last journal events, newest last.
async fn history(c: &Client, name: &str) -> Result<Vec<JournalEvent>, Error> {
    let f = Filter {
        names: vec![name.to_owned()],
        limit: Some(HISTORY),
        ..Filter::default()
    };
    Ok(journal::history(c, &f).await?.events)
}

/// `GET /process`.
pub async fn process(
    State(w): State<Arc<Web>>,
    Extension(v): Extension<Viewer>,
    Query(which): Query<Which>,
) -> Response {
    let Some(t) = w.target(&which.t) else {
        return error(
            &v,
            StatusCode::NOT_FOUND,
            "No such target",
            &format!("no target named {:?}", which.t),
        );
    };
    let Ok(c) = t.usable() else {
        return error(
            &v,
            StatusCode::BAD_GATEWAY,
            "Target unusable",
            "its settings are unusable: see the targets file",
        );
    };
    let (n, limit) = (which.n.as_str(), t.deadline);
    let q = status::StatusQuery {
        names: vec![n.to_owned()],
        ..Default::default()
    };
    let (st, out, err, hist, diag) = tokio::join!(
        within(limit, status::query(c, &q)),
        within(limit, tail(c, n, Channel::Stdout)),
        within(limit, tail(c, n, Channel::Stderr)),
        within(limit, history(c, n)),
        within(limit, diagnose::diagnose(c, n, 10, None)),
    );
    let p = match st {
        Ok(r) if !r.processes.is_empty() => r.processes[0].clone(),
        Ok(r) => {
            let hint = r
                .did_you_mean
                .values()
                .next()
                .map(|s| format!("; did you mean {s}?"))
                .unwrap_or_default();
            return error(
                &v,
                StatusCode::NOT_FOUND,
                "No such process",
                &format!("{} has no process {n}{hint}", t.name),
            );
        }
        Err(e) => return error(&v, StatusCode::BAD_GATEWAY, "Target down", &e),
    };
    let operate = v.id.may_operate(&w.policy);
    let body = html! {
        h1 { (p.name) " on " (t.name) }
        section #process data-target=(t.name) data-name=(p.name) data-start=(p.start) {
            table.facts {
                tr { th { "State" } td.state { (state_badge(p.state)) } }
                tr { th { "Uptime" } td.uptime { @if let Some(u) = p.uptime_secs { (ago(u)) } } }
                tr { th { "Pid" } td.pid { @if p.pid > 0 { (p.pid) } } }
                tr { th { "Exit status" } td.exit { (p.exitstatus) } }
                tr { th { "Description" } td.desc { (p.description) } }
                @if !p.spawnerr.is_empty() { tr { th { "Spawn error" } td { (p.spawnerr) } } }
            }
            @if operate {
                p.actions { (action("start", &t.name, &p.name)) " " (action("stop", &t.name, &p.name)) " " (action("restart", &t.name, &p.name)) }
            }
        }
        div #progress role="status" aria-live="polite" {}
        (log_section("stdout", &t.name, &p.name, &out))
        (log_section("stderr", &t.name, &p.name, &err))
        (history_section(&hist))
        section #diagnosis {
            h2 { "Diagnosis" }
            @match &diag {
                Ok(d) => pre { (d.summary()) },
                Err(e) => p.error { (e) },
            }
        }
        p { a href={ "/?t=" (enc(&t.name)) } { "All processes of " (t.name) } }
    };
    page(&p.name, Some(&v), StatusCode::OK, body)
}

/// A log's last lines, and the offset `app.js` follows it from.
fn log_section(ch: &str, target: &str, name: &str, t: &Result<LogTail, String>) -> Markup {
    html! {
        section.log {
            h2 { (ch) }
            @match t {
                Ok(t) => {
                    label.follow { input type="checkbox" class="follow" checked data-t=(target) data-n=(name) data-ch=(ch) data-from=(t.end_offset.unwrap_or(0)); " follow" }
                    pre.lines data-ch=(ch) { @for l in &t.lines { (l) "\n" } }
                }
                Err(e) => p.error { (e) },
            }
        }
    }
}

fn history_section(h: &Result<Vec<JournalEvent>, String>) -> Markup {
    html! {
        section #history {
            h2 { "History" }
            @match h {
                Ok(events) if events.is_empty() => p { "No event in the journal for this process." },
                Ok(events) => table {
                    thead { tr { th { "Time (UTC)" } th { "From" } th { "To" } th { "Pid" } th { "Exit status" } } }
                    tbody { @for e in events.iter().rev() { (event_row(e)) } }
                },
                Err(e) if e.contains("has no event journal") => p {
                    "This daemon keeps no event journal: run " code { "supervisord-mcp events install" } " to record every start, exit and crash."
                },
                Err(e) => p.error { (e) },
            }
        }
    }
}

fn event_row(e: &JournalEvent) -> Markup {
    let time = journal::time::format_ms(e.time_ms);
    match &e.what {
        What::Process(p) => html! {
            tr {
                td { (time) }
                td { @if let Some(f) = p.from { (f) } }
                td { (state_badge(p.to)) }
                td { @if let Some(pid) = p.pid { (pid) } }
                td {
                    @if let Some(x) = p.exitstatus { (x) }
                    @if p.expected == Some(false) { " (unexpected)" }
                }
            }
        },
        _ => html! {},
    }
}
