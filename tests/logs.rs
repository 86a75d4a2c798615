//! The core's log reading against a real supervisord: windows that split a UTF-8
//! character at every edge, bytes that are not UTF-8, and permission errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use std::time::Duration;
use supervisord_mcp::supervisor::ops::logs::{self, LogSource, TailOptions};
use supervisord_mcp::supervisor::{Channel, Client, Endpoint, ServerSettings};

fn client(d: &Daemon, via: Via) -> Client {
    Client::new(&ServerSettings {
        endpoint: Endpoint::parse(&d.url(via)).unwrap().endpoint,
        username: None,
        password: None,
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        tls: Default::default(),
    })
    .unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The reference: valid characters kept, every byte that does not start a valid
/// character replaced by U+FFFD on its own (what `read_range` promises).
fn per_byte_lossy(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let ch = (1..=4).rev().filter(|n| i + n <= bytes.len()).find_map(|n| {
            std::str::from_utf8(&bytes[i..i + n])
                .ok()
                .filter(|s| s.chars().count() == 1)
                .map(|s| (s.to_owned(), n))
        });
        match ch {
            Some((s, n)) => {
                out.push_str(&s);
                i += n;
            }
            None => {
                out.push('\u{FFFD}');
                i += 1;
            }
        }
    }
    out
}

#[test]
fn read_range_is_exact_at_every_window_edge() {
    let d = Daemon::start();
    // 2-, 3- and 4-byte characters, plus invalid bytes, in 42 bytes.
    let content: &[u8] = b"a\xc3\xa9b\xe2\x80\xa6c\xf0\x9f\x98\x80d\xff\xfee\xe6\xbc\xa2\n\xc3\xa9\xc3\xa9\xe2\x80\xa6\xf0\x9f\x98\x80\xfe z\n";
    d.append("web_a.out.log", content);
    let c = client(&d, Via::Unix);
    let src = LogSource::process("web:web_a", Channel::Stdout);
    rt().block_on(async {
        for off in 0..content.len() {
            for len in [1, 2, 3, 5, 8, content.len()] {
                let end = (off + len).min(content.len());
                let read = logs::read_range(&c, &src, off as u64, len as u64).await.unwrap();
                assert_eq!(read.covered as usize, end - off, "covered at {off}+{len}");
                assert_eq!(read.covered_by_prefix(read.bytes.len()), read.covered);
                assert_eq!(
                    String::from_utf8(read.bytes).unwrap(),
                    per_byte_lossy(&content[off..end]),
                    "at {off}+{len}"
                );
            }
        }
    });
}

#[test]
fn tail_is_exact_when_the_first_window_splits_a_character() {
    let d = Daemon::start();
    let c = client(&d, Via::Http);
    let rt = rt();
    // Lines of 3-byte characters; shift the content so that the 4096-byte window
    // edge falls on each byte of a character in turn.
    for (i, shift) in (0..3).enumerate() {
        let name = ["web:web_a", "web:web_b", "sleeper"][i];
        let file = ["web_a.out.log", "web_b.out.log", "sleeper.out.log"][i];
        let mut text = "x".repeat(shift);
        text.push('\n');
        let lines: Vec<String> = (0..400).map(|n| format!("{n:03} {}", "漢字…".repeat(5))).collect();
        for l in &lines {
            text.push_str(l);
            text.push('\n');
        }
        std::fs::write(d.path(file), &text).unwrap();
        let src = LogSource::process(name, Channel::Stdout);
        for n in [1, 20, 60, 399] {
            let t = rt
                .block_on(logs::tail(
                    &c,
                    &src,
                    &TailOptions {
                        lines: n,
                        ..TailOptions::default()
                    },
                ))
                .unwrap();
            assert_eq!(t.lines, lines[lines.len() - n..], "shift {shift}, {n} lines");
        }
    }
}

#[test]
fn permission_denied_on_the_socket_says_so() {
    let d = Daemon::start();
    // The socket is chmod 0700, owned by this user. Tests usually run as root, who
    // passes every permission check: run the CLI as `nobody` then.
    let bin = assert_cmd::cargo::cargo_bin("supervisord-mcp");
    let url = d.url(Via::Unix);
    let is_root = std::process::Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let out = if is_root {
        std::fs::set_permissions(d.dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        std::process::Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
            .arg(&bin)
            .args(["-s", &url, "status"])
            .env_remove("SUPERVISOR_SERVER_URL")
            .output()
            .expect("setpriv (util-linux) is needed to drop root for this test")
    } else {
        std::fs::set_permissions(&d.sock, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
        std::process::Command::new(&bin)
            .args(["-s", &url, "start", "sleeper"])
            .output()
            .unwrap()
    };
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("permission denied") && err.contains("hint: run as the socket's owner"),
        "{err}"
    );
}
