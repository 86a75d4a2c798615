//! A target whose listen backlog is full (a listener that never accepts) is a connect
//! timeout: said as such ("could not connect ... within 2.0 s"), within about the
//! connect timeout, kind `timeout`. Before, it read "did not answer ... within 10.0 s".

use super::fixtures::FullBacklog;
use super::*;
use std::time::{Duration, Instant};
use supervisord_mcp::supervisor::{Client, Endpoint, Error, ServerSettings};

#[test]
fn a_full_backlog_is_a_connect_timeout_said_as_such() {
    let b = FullBacklog::start();
    let client = Client::new(&ServerSettings {
        endpoint: Endpoint::parse(&b.url()).unwrap().endpoint,
        username: None,
        password: None,
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(30),
        tls: Default::default(),
    })
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let e = rt.block_on(client.get_state()).unwrap_err();
    let took = started.elapsed();
    assert!(matches!(e, Error::ConnectTimeout { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("could not connect") && msg.contains("within 2.0 s"),
        "{msg}"
    );
    assert_eq!(e.kind().as_str(), "timeout");
    // The connect timeout's bound, far from the call's 30 s.
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(15),
        "{took:?}"
    );
    // A fleet target: the same, kind timeout.
    let dir = tempfile::tempdir().unwrap();
    let file = targets_file(
        dir.path(),
        "timeout_s = 30\nconnect_timeout_s = 2\n",
        &[("full", b.url(), "")],
    );
    let started = Instant::now();
    let out = fleet_cli(&file)
        .args(["-t", "full", "--rpc-timeout", "30", "status", "--json"])
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    let rows = entries(&out);
    let e = &rows[0].1["error"];
    assert_eq!(e["kind"], "timeout", "{e}");
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("could not connect") && msg.contains("within 2.0 s"),
        "{msg}"
    );
}
