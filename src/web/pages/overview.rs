//! `GET /`: the fleet at a glance. Each selected target asked once, in parallel,
//! each within its deadline (`ops::status::query`: one `system.multicall` of
//! `getAllProcessInfo` and the daemon's state): the targets (unreachable first,
//! counts by state), the groups across targets with their actions (`operate`
//! tokens), then the processes, unhealthy first, filtered by target, group, state
//! and text (`?t=&g=&s=&q=`, a plain form: it works without JavaScript).

use super::{ago, page, state_badge};
use crate::fleet::{TargetError, TargetOutcome, fan_out};
use crate::supervisor::ProcessState;
use crate::supervisor::ops::info::DaemonInfo;
use crate::supervisor::ops::status::{self, ProcessStatus, StatusQuery, is_unhealthy};
use crate::web::Web;
use crate::web::login::Viewer;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One target's answer: its daemon and processes.
pub type Answer = (DaemonInfo, Vec<ProcessStatus>);

/// Every selected target's daemon and processes, in parallel, each within its
/// deadline; sorted by target name.
pub async fn ask_all(w: &Web) -> Vec<TargetOutcome<Answer>> {
    let items = w
        .fleet
        .selected()
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t, ()))
        .collect();
    fan_out(
        items,
        w.fleet.limits(),
        |t| t.deadline,
        |t, ()| async move {
            let q = StatusQuery {
                daemon: true,
                ..StatusQuery::default()
            };
            let r = status::query(&t.client, &q).await?;
            Ok::<_, crate::supervisor::Error>((r.daemon.unwrap_or_default(), r.processes))
        },
    )
    .await
}

/// The filters of the overview (`?t=&g=&s=&q=`).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub t: String,
    #[serde(default)]
    pub g: String,
    #[serde(default)]
    pub s: String,
    #[serde(default)]
    pub q: String,
}

impl Filter {
    fn keeps(&self, target: &str, p: &ProcessStatus) -> bool {
        (self.t.is_empty() || self.t == target)
            && (self.g.is_empty() || self.g == p.group)
            && (self.s.is_empty() || self.s.eq_ignore_ascii_case(p.state.name()))
            && (self.q.is_empty() || p.name.to_lowercase().contains(&self.q.to_lowercase()))
    }
}

/// `GET /`.
pub async fn overview(State(w): State<Arc<Web>>, Extension(v): Extension<Viewer>, Query(f): Query<Filter>) -> Response {
    let answers = ask_all(&w).await;
    let operate = v.id.may_operate(&w.policy);
    let body = html! {
        h1 { "Overview" }
        (targets(&answers))
        (filter_form(&answers, &f))
        @if operate { (groups(&answers)) }
        (processes(&answers, &f, operate))
        div #progress role="status" aria-live="polite" {}
    };
    page("Overview", Some(&v), StatusCode::OK, body)
}

/// Counts by state, in state order: `5 RUNNING · 1 FATAL`.
pub fn counts(ps: &[ProcessStatus]) -> String {
    let report = status::StatusReport {
        processes: ps.to_vec(),
        ..Default::default()
    };
    let parts: Vec<String> = report.counts().iter().map(|(s, n)| format!("{n} {s}")).collect();
    if parts.is_empty() {
        "no process".into()
    } else {
        parts.join(" · ")
    }
}

fn targets(answers: &[TargetOutcome<Answer>]) -> Markup {
    let mut sorted: Vec<&TargetOutcome<Answer>> = answers.iter().collect();
    sorted.sort_by_key(|o| {
        (
            o.result.is_ok(),
            o.result
                .as_ref()
                .map_or(0, |(_, ps)| usize::from(!ps.iter().any(is_unhealthy))),
        )
    });
    html! {
        section #targets {
            h2 { "Targets (" (answers.len()) ")" }
            table {
                thead { tr { th { "Target" } th { "supervisord" } th { "Processes" } th { "Answered in" } } }
                tbody {
                    @for o in sorted {
                        tr class=(if o.result.is_ok() { "up" } else { "down" }) data-target=(o.target) {
                            td { a href={ "/?t=" (enc(&o.target)) } { (o.target) } }
                            @match &o.result {
                                Ok((d, ps)) => {
                                    td { (d.state) " " (d.supervisor_version) }
                                    td.counts data-target=(o.target) { (counts(ps)) }
                                }
                                Err(e) => {
                                    td.error colspan="2" { (failure(e)) }
                                }
                            }
                            td { (o.elapsed.as_millis()) " ms" }
                        }
                    }
                }
            }
        }
    }
}

/// `ERROR (timeout) no reply in 10.0 s`.
pub fn failure(e: &TargetError) -> String {
    format!("ERROR ({}) {}", e.kind, e.message)
}

fn filter_form(answers: &[TargetOutcome<Answer>], f: &Filter) -> Markup {
    let states = ProcessState::ALL;
    html! {
        form.filter #filter method="get" action="/" {
            label { "Target " select name="t" {
                option value="" { "all" }
                @for o in answers { option value=(o.target) selected[f.t == o.target] { (o.target) } }
            } }
            label { "Group " input name="g" value=(f.g) size="12"; }
            label { "State " select name="s" {
                option value="" { "any" }
                @for s in states { option value=(s) selected[f.s.eq_ignore_ascii_case(s.name())] { (s) } }
            } }
            label { "Name " input name="q" value=(f.q) size="16" placeholder="search"; }
            button type="submit" { "Filter" }
            " " a href="/" { "Reset" }
        }
    }
}

/// Query-string encoding.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The link of an action (the confirmation page; `app.js` confirms in place).
pub fn action(op: &str, targets: &str, name: &str) -> Markup {
    html! {
        a.act href={ "/action?op=" (op) "&t=" (enc(targets)) "&n=" (enc(name)) }
            data-op=(op) data-t=(targets) data-n=(name) { (op) }
    }
}

/// Each group with the targets that have it, and its actions across them.
fn groups(answers: &[TargetOutcome<Answer>]) -> Markup {
    let mut by_group: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for o in answers {
        if let Ok((_, ps)) = &o.result {
            let mut seen: Vec<&str> = ps.iter().map(|p| p.group.as_str()).collect();
            seen.dedup();
            for g in seen {
                by_group.entry(g).or_default().push(&o.target);
            }
        }
    }
    html! {
        section #groups {
            h2 { "Groups" }
            table {
                thead { tr { th { "Group" } th { "Targets" } th { "Actions" } } }
                tbody {
                    @for (g, ts) in &by_group {
                        @let sel = ts.join(",");
                        @let name = format!("{g}:*");
                        tr {
                            td { a href={ "/?g=" (enc(g)) } { (g) } }
                            td { (ts.join(", ")) }
                            td.actions { (action("start", &sel, &name)) " " (action("stop", &sel, &name)) " " (action("restart", &sel, &name)) }
                        }
                    }
                }
            }
        }
    }
}

/// The processes that pass `f`, unhealthy first, then not running, then by target
/// and name.
fn processes(answers: &[TargetOutcome<Answer>], f: &Filter, operate: bool) -> Markup {
    let mut rows: Vec<(&str, &ProcessStatus)> = Vec::new();
    for o in answers {
        if let Ok((_, ps)) = &o.result {
            rows.extend(
                ps.iter()
                    .filter(|p| f.keeps(&o.target, p))
                    .map(|p| (o.target.as_str(), p)),
            );
        }
    }
    let rank = |p: &ProcessStatus| u8::from(!is_unhealthy(p)) + u8::from(p.state == ProcessState::Running);
    rows.sort_by(|a, b| (rank(a.1), a.0, &a.1.name).cmp(&(rank(b.1), b.0, &b.1.name)));
    html! {
        section #processes {
            h2 { "Processes (" (rows.len()) ")" }
            table {
                thead { tr {
                    th { "Target" } th { "Group" } th { "Name" } th { "State" } th { "Uptime" } th { "Pid" } th { "Description" }
                    @if operate { th { "Actions" } }
                } }
                tbody {
                    @for (t, p) in rows {
                        tr.proc data-target=(t) data-name=(p.name) data-group=(p.group) data-start=(p.start) {
                            td { (t) }
                            td { (p.group) }
                            td { a href={ "/process?t=" (enc(t)) "&n=" (enc(&p.name)) } { (p.name) } }
                            td.state { (state_badge(p.state)) }
                            td.uptime { @if let Some(u) = p.uptime_secs { (ago(u)) } }
                            td.pid { @if p.pid > 0 { (p.pid) } }
                            td.desc { (p.description) }
                            @if operate {
                                td.actions { (action("start", t, &p.name)) " " (action("stop", t, &p.name)) " " (action("restart", t, &p.name)) }
                            }
                        }
                    }
                }
            }
        }
    }
}
