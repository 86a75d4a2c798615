//! The dashboard's actions: start, stop or restart a process, or a group, on one
//! target or across several (`t`: a selection, `n`: a namespec or `group:*`).
//!
//! - `GET /action?op=&t=&n=`: the confirmation page (what will run where), with the
//!   form that does it.
//! - `POST /action` (`op`, `t`, `n`, and `csrf` as a field or `X-CSRF-Token`): the
//!   CSRF token checked (with a session cookie), then the same typed operation the
//!   CLI and MCP build ([`crate::fleet::exec`]), through the policy gate narrowed by
//!   the token's scope, each target within its deadline. With `Accept:
//!   application/x-ndjson` (`app.js`), each target's outcome is a line as soon as it
//!   is known (`{"target","ok","text"}`), then `{"summary","ok"}`; else a result page.
//!
//! Every `POST`, refused or done, is one line of the audit log.

use super::Web;
use super::login::{Viewer, csrf_ok};
use super::pages::{self, overview::failure};
use crate::fleet::exec::{self, Call, Op, Output};
use crate::fleet::{Fleet, Summary, Target, TargetOutcome};
use crate::server::audit::{Entry, Failed, Outcome};
use crate::server::guard::forbidden;
use crate::supervisor::ops::control::WaitOptions;
use crate::supervisor::{ErrorKind, Policy};
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// An action as asked (query string or form).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Ask {
    pub op: String,
    #[serde(default)]
    pub t: String,
    pub n: String,
    #[serde(default)]
    pub csrf: String,
}

/// The operation `op` names: start, stop or restart, waiting for the end state.
fn operation(op: &str) -> Option<Op> {
    let wait = WaitOptions::default();
    match op {
        "start" => Some(Op::Start(wait)),
        "stop" => Some(Op::Stop(wait)),
        "restart" => Some(Op::Restart(wait)),
        _ => None,
    }
}

/// The fleet with the action's selection, made explicit (the page names it).
fn selected(w: &Web, t: &str) -> Result<Fleet, String> {
    let mut f = w.fleet.clone();
    if !t.is_empty() {
        f.selector = crate::fleet::Selector::parse(t).map_err(|e| e.to_string())?;
        f.selection = t.to_owned();
    }
    f.explicit = true;
    Ok(f)
}

/// An action ready to run: the fleet with its selection, the operation, the
/// targets it goes to with their names.
struct Planned {
    fleet: Fleet,
    op: Op,
    planned: Vec<(Target, Vec<String>)>,
}

/// The targets the action goes to, each with its names. Errors: why not.
fn plan(w: &Web, a: &Ask) -> Result<Planned, String> {
    let op = operation(&a.op).ok_or("the actions are start, stop and restart")?;
    let fleet = selected(w, &a.t)?;
    let planned = exec::plan(&fleet, &Call::new(op.clone(), vec![a.n.clone()])).map_err(|e| e.to_string())?;
    Ok(Planned { fleet, op, planned })
}

/// `GET /action`: the confirmation page.
pub async fn confirm(State(w): State<Arc<Web>>, Extension(v): Extension<Viewer>, Query(a): Query<Ask>) -> Response {
    let planned = match plan(&w, &a) {
        Ok(p) => p.planned,
        Err(why) => return pages::error(&v, StatusCode::BAD_REQUEST, "Cannot do that", &why),
    };
    let targets: Vec<&str> = planned.iter().map(|(t, _)| t.name.as_str()).collect();
    let body = html! {
        h1 { "Confirm: " (a.op) " " (a.n) }
        p { (a.op) " " strong { (a.n) } " on " (targets.len()) " target(s): " (targets.join(", ")) "." }
        form method="post" action="/action" {
            input type="hidden" name="op" value=(a.op);
            input type="hidden" name="t" value=(a.t);
            input type="hidden" name="n" value=(a.n);
            input type="hidden" name="csrf" value=(v.csrf.as_deref().unwrap_or(""));
            button type="submit" { (a.op) }
            " " a href="/" { "Cancel" }
        }
    };
    pages::page("Confirm", Some(&v), StatusCode::OK, body)
}

/// One target's outcome in words: each process's end state, or the failure.
fn said(o: &TargetOutcome<Output>) -> (bool, String) {
    match &o.result {
        Ok(Output::Results(rs)) => {
            let ok = rs.iter().all(|r| r.outcome.is_success());
            let text: Vec<String> = rs
                .iter()
                .map(|r| {
                    format!(
                        "{} {}",
                        r.name,
                        r.state.map_or_else(|| r.message.clone(), |s| s.to_string())
                    )
                })
                .collect();
            (ok, text.join("; "))
        }
        Ok(_) => (true, "done".into()),
        Err(e) => (false, failure(e)),
    }
}

/// `POST /action`: see the module doc.
pub async fn act(
    State(w): State<Arc<Web>>,
    Extension(v): Extension<Viewer>,
    headers: HeaderMap,
    Form(a): Form<Ask>,
) -> Response {
    let given = headers
        .get("x-csrf-token")
        .and_then(|h| h.to_str().ok())
        .or(Some(a.csrf.as_str()).filter(|c| !c.is_empty()));
    if !csrf_ok(&v, given) {
        record(&w, &v, &a, asked(&a), Outcome::Refused, Vec::new());
        return forbidden("the form's CSRF token is missing or wrong: reload the page");
    }
    let policy = v.id.policy(&w.policy);
    let p = match plan(&w, &a) {
        Ok(p) => p,
        Err(why) => {
            record(&w, &v, &a, asked(&a), Outcome::Refused, Vec::new());
            return (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response();
        }
    };
    if let Err(e) = exec::gate(&p.fleet, &policy, &p.op, &p.planned) {
        record(&w, &v, &a, target_names(&p.planned), Outcome::Refused, Vec::new());
        return (StatusCode::FORBIDDEN, format!("{}: {e}\n", ErrorKind::Refused.label())).into_response();
    }
    let ndjson = headers
        .get(header::ACCEPT)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.contains("application/x-ndjson"));
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(64);
    let run = tokio::spawn(run(w.clone(), v.clone(), a.clone(), p, policy, ndjson.then_some(tx)));
    if ndjson {
        let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
        return ([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response();
    }
    let outcomes = run.await.unwrap_or_default();
    let body = html! {
        h1 { (a.op) " " (a.n) }
        ul { @for o in &outcomes { @let (ok, text) = said(o); li class=(if ok { "ok" } else { "error" }) { (o.target) ": " (text) } } }
        p { (Summary::of(&outcomes).line()) }
        p { a href="/" { "Back to the overview" } }
    };
    pages::page("Done", Some(&v), StatusCode::OK, body)
}

/// Runs the action on each planned target at once (each through its own gate,
/// within its deadline plus the wait), sending each outcome to `tx` as it comes,
/// then the summary; records it in the audit log. Returns the outcomes, sorted.
async fn run(
    w: Arc<Web>,
    v: Viewer,
    a: Ask,
    p: Planned,
    policy: Policy,
    tx: Option<mpsc::Sender<Result<Bytes, Infallible>>>,
) -> Vec<TargetOutcome<Output>> {
    let Planned { fleet, op, planned } = p;
    let send = |line: serde_json::Value| {
        let tx = tx.clone();
        async move {
            if let Some(tx) = tx {
                let _ = tx.send(Ok(Bytes::from(format!("{line}\n")))).await;
            }
        }
    };
    let names: Vec<String> = planned.iter().map(|(t, _)| t.name.clone()).collect();
    for t in &names {
        send(serde_json::json!({ "target": t, "text": format!("{}…", a.op) })).await;
    }
    let mut set = JoinSet::new();
    for p in planned.clone() {
        let (fleet, policy, op) = (fleet.clone(), policy.clone(), op.clone());
        set.spawn(async move { exec::fan(&fleet, &policy, vec![p], op).await.outcomes });
    }
    let mut outcomes = Vec::new();
    while let Some(done) = set.join_next().await {
        for o in done.unwrap_or_default() {
            let (ok, text) = said(&o);
            send(serde_json::json!({ "target": o.target, "ok": ok, "text": text })).await;
            outcomes.push(o);
        }
    }
    outcomes.sort_by(|x, y| x.target.cmp(&y.target));
    let summary = Summary::of(&outcomes);
    let all_ok = outcomes.iter().all(|o| said(o).0);
    send(serde_json::json!({ "summary": summary.line(), "ok": all_ok })).await;
    let failed: Vec<Failed> = outcomes
        .iter()
        .filter(|o| !said(o).0)
        .map(|o| Failed {
            target: o.target.clone(),
            kind: o.result.as_ref().err().map_or(ErrorKind::Fault, |e| e.kind),
        })
        .collect();
    let result = match (failed.is_empty(), failed.len() == outcomes.len()) {
        (true, _) => Outcome::Ok,
        (false, true) if failed.iter().all(|f| f.kind == ErrorKind::Refused) => Outcome::Refused,
        (false, true) => Outcome::Failed,
        (false, false) => Outcome::Partial,
    };
    record(&w, &v, &a, target_names(&planned), result, failed);
    outcomes
}

/// The targets' names of a plan.
fn target_names(planned: &[(Target, Vec<String>)]) -> Vec<String> {
    planned.iter().map(|(t, _)| t.name.clone()).collect()
}

/// The selection as asked, for a POST refused before it is planned (as MCP's
/// audit lines give it).
fn asked(a: &Ask) -> Vec<String> {
    Some(a.t.clone()).filter(|t| !t.is_empty()).into_iter().collect()
}

/// One line of the audit log (never the CSRF token).
fn record(w: &Web, v: &Viewer, a: &Ask, targets: Vec<String>, result: Outcome, failed: Vec<Failed>) {
    w.audit.record(Entry {
        time: String::new(),
        token: v.id.name.clone(),
        client: v.client.clone(),
        via: "dashboard",
        op: a.op.clone(),
        targets,
        names: vec![a.n.clone()],
        result,
        failed,
    });
}
