//! The replies of one fan-out are bounded for all its targets together (default
//! 256 MiB, `--fleet-memory`, `[defaults] fleet_memory_mib`): targets answering 60 MB
//! each fail alone with kind `too_large`, and the normal target answers. Before, each
//! reply could hold 64 MiB, times up to 1,024 targets at once.

use super::fixtures::{Server, flood};
use super::*;

const HUGE: usize = 60_000_000;

#[test]
fn targets_answering_huge_replies_fail_too_large_alone_and_the_others_answer() {
    let d = Daemon::start();
    let floods: Vec<Server> = (0..8).map(|_| flood(HUGE)).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut targets = vec![("normal".to_owned(), d.url(Via::Http))];
    targets.extend(floods.iter().enumerate().map(|(i, f)| (format!("huge-{i}"), f.url())));
    let list: Vec<(&str, String, &str)> = targets.iter().map(|(n, u)| (n.as_str(), u.clone(), "")).collect();
    // 48 MiB over 9 targets: each is sure of 5.3 MiB and may borrow what is free,
    // but no 60 MB reply fits even the whole pool.
    let file = targets_file(dir.path(), "fleet_memory_mib = 48\n", &list);
    let out = fleet_cli(&file)
        .args(["-t", "all", "status", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let rows = entries(&out);
    assert_eq!(rows.len(), 9);
    for (name, row) in &rows {
        if name == "normal" {
            assert_eq!(row["ok"], true, "{row}");
            continue;
        }
        assert_eq!(row["error"]["kind"], "too_large", "{name}: {row}");
        let msg = row["error"]["message"].as_str().unwrap();
        assert!(msg.contains("48 MiB") && msg.contains("--fleet-memory"), "{msg}");
    }
    // The flag wins over the file.
    let file = targets_file(dir.path(), "fleet_memory_mib = 1024\n", &list[..2]);
    let out = fleet_cli(&file)
        .args(["-t", "all", "--fleet-memory", "16", "status", "--json"])
        .output()
        .unwrap();
    let rows = entries(&out);
    assert_eq!(rows[0].1["error"]["kind"], "too_large", "{}", rows[0].1);
    assert!(rows[0].1["error"]["message"].as_str().unwrap().contains("16 MiB"));
    assert_eq!(rows[1].1["ok"], true, "{}", rows[1].1);
    let file = targets_file(dir.path(), "fleet_memory_mib = 0\n", &list[..2]);
    let out = fleet_cli(&file).args(["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("fleet_memory_mib 0"), "{}", stderr(&out));
}
