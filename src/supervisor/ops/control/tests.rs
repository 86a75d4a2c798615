//! Start, stop, restart and signal against the scripted fake daemon: how each
//! process's outcome is classified, and what the daemon is asked (no Python needed).

use super::*;
use crate::supervisor::Error;
use crate::supervisor::error::FaultCode;
use crate::supervisor::fake::{FakeDaemon, Model};
use crate::supervisor::types::ProcessState;

fn names(n: &[&str]) -> Vec<String> {
    n.iter().map(|s| s.to_string()).collect()
}

fn outcomes(rs: &[ProcessResult]) -> Vec<(String, Outcome)> {
    rs.iter().map(|r| (r.name.clone(), r.outcome)).collect()
}

#[tokio::test]
async fn start_is_idempotent_and_a_quick_exit_is_a_failure_with_its_status() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let c = d.client();
    let rs = start(&c, &names(&["web:*", "colors", "crasher"]), &WaitOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        outcomes(&rs),
        [
            ("colors".into(), Outcome::AlreadyRunning),
            ("crasher".into(), Outcome::Failed),
            ("web:web_a".into(), Outcome::Started),
            ("web:web_b".into(), Outcome::Started),
        ]
    );
    let crash = rs.iter().find(|r| r.name == "crasher").and_then(|r| r.failure.clone());
    let crash = crash.unwrap_or_else(|| panic!("no failure details: {rs:?}"));
    assert_eq!(crash.fault, "SPAWN_ERROR");
    // supervisord keeps no status for it; its own log has it.
    assert_eq!(crash.exitstatus, Some(3));
    assert_eq!(crash.log_tail, ["crasher: fatal error, config missing"]);
    assert_eq!(
        d.model().count("supervisor.startProcess"),
        3,
        "colors was not asked to start"
    );
}

#[tokio::test]
async fn stop_restart_and_unknown_names() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let c = d.client();
    let rs = stop(&c, &names(&["ticker", "web:web_b", "tickr"]), &WaitOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        outcomes(&rs),
        [
            ("tickr".into(), Outcome::NoSuchProcess),
            ("ticker".into(), Outcome::Stopped),
            ("web:web_b".into(), Outcome::AlreadyStopped),
        ]
    );
    assert_eq!(rs[0].did_you_mean.as_deref(), Some("ticker"));
    let rs = restart(&c, &names(&["ticker", "colors"]), &WaitOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rs.len(), 2, "{rs:?}");
    assert!(rs.iter().all(|r| r.outcome == Outcome::Restarted), "{rs:?}");
    let m = d.model();
    assert_eq!(m.process("ticker").map(|p| p.state()), Some(ProcessState::Running));
}

#[tokio::test]
async fn no_names_is_a_usage_error_never_everything() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let c = d.client();
    let e = stop(&c, &[], &WaitOptions::default()).await;
    assert!(matches!(e, Err(Error::Usage(_))), "{e:?}");
    assert_eq!(d.model().count("supervisor.stopProcess"), 0);
    let e = signal(&c, "HUP", &[]).await;
    assert!(matches!(e, Err(Error::Usage(_))), "{e:?}");
}

#[tokio::test]
async fn signals_go_only_where_they_can() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let c = d.client();
    // Through a group, stopped members are skipped; named one by one, they fail.
    let rs = signal(&c, "HUP", &names(&["worker:*", "web:*"]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rs.len(), 2, "{rs:?}");
    assert!(rs.iter().all(|r| r.outcome == Outcome::Signalled));
    let rs = signal(&c, "HUP", &names(&["web:web_a"]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcomes(&rs), [("web:web_a".into(), Outcome::Failed)]);
    assert_eq!(rs[0].fault, Some(FaultCode::NotRunning));
}

/// One process named: the daemon does what that one process costs, however many
/// it runs (issue #12.1).
#[tokio::test]
async fn a_named_process_costs_one_lookup_not_every_process() {
    let d = FakeDaemon::start(Model::recorded()).await;
    let c = d.client();
    let rs = start(&c, &names(&["ticker"]), &WaitOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcomes(&rs), [("ticker".into(), Outcome::AlreadyRunning)]);
    assert_eq!(d.model().trace(), ["multicall()", "getProcessInfo(ticker)"]);
    d.model().calls.clear();
    let rs = stop(&c, &names(&["web:web_b"]), &WaitOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcomes(&rs), [("web:web_b".into(), Outcome::AlreadyStopped)]);
    assert_eq!(d.model().trace(), ["multicall()", "getProcessInfo(web:web_b)"]);
    d.model().calls.clear();
    let rs = start(&c, &names(&["web:web_a"]), &WaitOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcomes(&rs), [("web:web_a".into(), Outcome::Started)]);
    assert_eq!(
        d.model().count("supervisor.getAllProcessInfo"),
        0,
        "{:?}",
        d.model().trace()
    );
}
