//! The typed operations against the scripted fake daemon: what is a change, the one
//! gate (a read-only target, `--allow` per target), a typed report sorted by target.

use super::*;
use crate::fleet::select::{Selector, Term};
use crate::supervisor::fake::{FakeDaemon, Model};
use crate::supervisor::ops::control::{Outcome as Done, WaitOptions};
use crate::supervisor::{ErrorKind, Policy};
use std::path::PathBuf;
use std::time::Duration;

/// A fleet of the fake daemons, by name; `read_only` names the read-only ones.
fn fleet(daemons: &[(&str, &FakeDaemon)], read_only: &[&str]) -> Fleet {
    let targets = daemons
        .iter()
        .map(|(name, d)| {
            let mut t = Target::implicit(d.client(), Duration::from_secs(5));
            t.name = (*name).to_owned();
            t.read_only = read_only.contains(name);
            t
        })
        .collect();
    Fleet {
        targets,
        selector: Selector {
            include: vec![Term::All],
            exclude: Vec::new(),
        },
        selection: "all".into(),
        explicit: true,
        concurrency: 4,
        memory: 64 << 20,
        path: PathBuf::from("fleet.toml"),
    }
}

fn names(n: &[&str]) -> Vec<String> {
    n.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn rereads_and_dry_runs_are_changes_and_waits_take_their_time() {
    let none: [String; 0] = [];
    for op in [
        Op::Reread,
        Op::Update {
            groups: Vec::new(),
            dry_run: true,
        },
        Op::Clear,
    ] {
        assert!(op.changes(&none).is_some(), "{}", op.what());
    }
    for op in [
        Op::Health,
        Op::Diagnose {
            lines: 1,
            cpu_sample: None,
        },
        Op::Pid,
        Op::Avail,
    ] {
        assert!(op.changes(&none).is_none(), "{}", op.what());
    }
    let opts = WaitOptions {
        timeout: Duration::from_secs(42),
        ..WaitOptions::default()
    };
    assert_eq!(Op::Restart(opts).extra_time(), Duration::from_secs(42));
    assert_eq!(Op::Info.extra_time(), Duration::ZERO);
    assert_eq!(
        Op::Run {
            request: crate::supervisor::ops::programs::RunRequest {
                command: "true".into(),
                directory: None,
                environment: Default::default(),
                timeout: Duration::from_secs(9),
                lines: 1,
            },
            include_dir: None,
        }
        .reach(),
        Reach::One
    );
}

/// A read-only target refuses a change before anything is sent anywhere, the
/// others' included; a read goes on.
#[tokio::test]
async fn a_read_only_target_refuses_the_whole_change_before_anything_is_sent() {
    let (a, b) = (
        FakeDaemon::start(Model::recorded()).await,
        FakeDaemon::start(Model::recorded()).await,
    );
    let f = fleet(&[("a", &a), ("b", &b)], &["b"]);
    for op in [
        Op::Start(WaitOptions::default()),
        Op::Update {
            groups: Vec::new(),
            dry_run: true,
        },
    ] {
        let what = op.what();
        let e = run(&f, &Policy::default(), Call::new(op, names(&["colors"])))
            .await
            .err();
        let Some(e) = e else { panic!("{what}: not refused") };
        assert_eq!(e.kind(), ErrorKind::Refused, "{e}");
        assert!(e.to_string().contains("target b is read-only"), "{e}");
    }
    for d in [&a, &b] {
        let m = d.model();
        assert_eq!(
            m.count("supervisor.startProcess") + m.count("supervisor.reloadConfig"),
            0
        );
    }
    let r = run(&f, &Policy::default(), Call::new(Op::Health, Vec::new()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.summary.ok, 2);
}

/// `--allow` qualified by target: the target it names acts, the other refuses
/// alone (kind `refused`), known only by asking its daemon; the report is typed and
/// sorted by target.
#[tokio::test]
async fn allow_refuses_per_target_and_the_report_is_typed_and_sorted() {
    let (a, b) = (
        FakeDaemon::start(Model::recorded()).await,
        FakeDaemon::start(Model::recorded()).await,
    );
    let f = fleet(&[("zz", &a), ("aa", &b)], &[]);
    let policy = Policy::new(false, &["zz/ticker".into()]).unwrap_or_default();
    let opts = WaitOptions {
        wait: false,
        ..WaitOptions::default()
    };
    let r = run(&f, &policy, Call::new(Op::Stop(opts), names(&["ticker"])))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let targets: Vec<&str> = r.outcomes.iter().map(|o| o.target.as_str()).collect();
    assert_eq!(targets, ["aa", "zz"]);
    let refused = r.outcomes[0].result.as_ref().err().map(|e| e.kind);
    assert_eq!(refused, Some(ErrorKind::Refused), "{:?}", r.outcomes[0]);
    match &r.outcomes[1].result {
        Ok(Output::Results(rs)) => assert_eq!(rs[0].outcome, Done::Requested, "{rs:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(b.model().count("supervisor.stopProcess"), 0);
    assert_eq!(a.model().count("supervisor.stopProcess"), 1);
    assert_eq!(r.summary.line(), "2 targets: 1 ok, 1 refused (aa)");
}
