//! The core's log reading against a real supervisord, both ways (the log's file on
//! this host, and supervisord alone): windows that split a UTF-8 character at every
//! edge, bytes that are not UTF-8, cursors, byte caps, and permission errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use std::time::Duration;
use supervisord_mcp::supervisor::ops::logs::{self, LogSource, TailOptions, filter::LogFilter};
use supervisord_mcp::supervisor::{Channel, Client, Endpoint, ServerSettings, Transport};

fn client(d: &Daemon, via: Via) -> Client {
    Client::new(&settings(d, via)).unwrap()
}

fn settings(d: &Daemon, via: Via) -> ServerSettings {
    ServerSettings {
        endpoint: Endpoint::parse(&d.url(via)).unwrap().endpoint,
        username: None,
        password: None,
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        tls: Default::default(),
    }
}

/// Clients that read the log files on this host, and that only ask supervisord.
fn both_ways(d: &Daemon, via: Via) -> [(&'static str, Client); 2] {
    let remote = Client::from_transport(Transport::new(&settings(d, via)).unwrap().without_host_access());
    [("host file", client(d, via)), ("supervisord only", remote)]
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
    let src = LogSource::process("web:web_a", Channel::Stdout);
    for (way, c) in both_ways(&d, Via::Unix) {
        rt().block_on(async {
            for off in 0..content.len() {
                for len in [1, 2, 3, 5, 8, content.len()] {
                    let end = (off + len).min(content.len());
                    let read = logs::read_range(&c, &src, off as u64, len as u64).await.unwrap();
                    assert_eq!(read.covered as usize, end - off, "{way}: covered at {off}+{len}");
                    assert_eq!(read.covered_by_prefix(read.bytes.len()), read.covered);
                    assert_eq!(
                        String::from_utf8(read.bytes).unwrap(),
                        per_byte_lossy(&content[off..end]),
                        "{way}: at {off}+{len}"
                    );
                }
            }
        });
    }
}

#[test]
fn tail_is_exact_when_the_first_window_splits_a_character() {
    let d = Daemon::start();
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
        for (way, c) in both_ways(&d, Via::Http) {
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
                assert_eq!(t.lines, lines[lines.len() - n..], "{way}: shift {shift}, {n} lines");
            }
        }
    }
}

/// `caf\xe9 cr\xe8me line N` for N in `from..to`: two bytes a line are not UTF-8.
fn latin1_lines(from: usize, to: usize) -> Vec<u8> {
    (from..to)
        .flat_map(|i| [&b"caf\xe9 cr\xe8me line "[..], format!("{i}").as_bytes(), b"\n"].concat())
        .collect()
}

fn shown(i: usize) -> String {
    format!("caf\u{FFFD} cr\u{FFFD}me line {i}")
}

#[test]
fn cursor_reads_of_a_latin1_log_are_exact_both_ways() {
    let d = Daemon::start();
    d.append("web_a.out.log", &latin1_lines(0, 2500));
    let src = LogSource::process("web:web_a", Channel::Stdout);
    let opts = TailOptions {
        lines: 5,
        ..TailOptions::default()
    };
    let none = LogFilter::default();
    let rt = rt();
    let mut n = 2500;
    for via in BOTH {
        for (way, c) in both_ways(&d, via) {
            let t = rt.block_on(logs::tail_at_end(&c, &src, &opts)).unwrap();
            let want: Vec<String> = (n - 5..n).map(shown).collect();
            assert_eq!(t.lines, want, "{via:?}, {way}");
            let cursor = t.end_offset.unwrap();
            assert_eq!(cursor, std::fs::metadata(d.path("web_a.out.log")).unwrap().len());
            d.append("web_a.out.log", &latin1_lines(n, n + 12));
            let chunk = rt.block_on(logs::read_since(&c, &src, cursor, &opts, &none)).unwrap();
            let want: Vec<String> = (n..n + 5).map(shown).collect();
            assert_eq!(
                (chunk.lines, chunk.more, chunk.reset),
                (want, true, false),
                "{via:?}, {way}"
            );
            let rest = rt
                .block_on(logs::read_since(&c, &src, chunk.cursor, &opts, &none))
                .unwrap();
            assert_eq!(
                rest.lines,
                (n + 5..n + 10).map(shown).collect::<Vec<_>>(),
                "{via:?}, {way}"
            );
            // The cursor is a file offset: where line n + 10 starts.
            let before: usize = latin1_lines(0, n + 10).len();
            assert_eq!(rest.cursor, before as u64, "{via:?}, {way}");
            n += 12;
        }
    }
}

#[test]
fn a_tail_too_costly_to_narrow_through_supervisord_stops_with_what_it_read() {
    let d = Daemon::start();
    d.append("web_a.out.log", &latin1_lines(0, 6000));
    let src = LogSource::process("web:web_a", Channel::Stdout);
    let opts = TailOptions {
        lines: 3000,
        ..TailOptions::default()
    };
    let rt = rt();
    let [(_, here), (_, remote)] = both_ways(&d, Via::Unix);
    let all = rt.block_on(logs::tail(&here, &src, &opts)).unwrap();
    assert_eq!((all.lines.len(), all.truncated), (3000, false));
    assert_eq!(all.lines[0], shown(3000));
    let some = rt.block_on(logs::tail(&remote, &src, &opts)).unwrap();
    let n = some.lines.len();
    assert!(some.truncated && n > 100 && n < 3000, "{n} lines");
    assert_eq!(some.lines, all.lines[3000 - n..]);
}

/// The byte cap bounds the raw bytes read, exactly: each line of `latin1_lines` is
/// 19 bytes on disk (its two Latin-1 bytes shown as U+FFFD), so a cap of 100 gives
/// the last 5 lines (95 bytes) and no more, a cap of 1 at most one byte's worth; a
/// filter scans back no further than the cap either.
#[test]
fn any_byte_cap_is_honoured_exactly() {
    let d = Daemon::start();
    d.append("web_a.out.log", &latin1_lines(0, 100));
    let src = LogSource::process("web:web_a", Channel::Stdout);
    let rt = rt();
    // What a shown line was on disk: U+FFFD stands for one byte; plus its newline.
    let raw = |l: &String| l.len() - 2 * l.matches('\u{FFFD}').count() + 1;
    let last = |n: usize| -> Vec<String> { (100 - n..100).map(shown).collect() };
    for (way, c) in both_ways(&d, Via::Unix) {
        for max_bytes in [0u64, 1, 38, 100, 4095] {
            let opts = TailOptions {
                lines: 5,
                max_bytes,
                ..TailOptions::default()
            };
            let t = rt.block_on(logs::tail(&c, &src, &opts)).unwrap();
            let read: usize = t.lines.iter().map(raw).sum();
            assert!(read as u64 <= max_bytes.max(1), "{way}, cap {max_bytes}: {t:?}");
            // Whole lines only: the byte before a line (a newline) must be read too.
            let whole = (max_bytes.saturating_sub(1) / 19).min(5) as usize;
            if whole > 0 {
                assert_eq!(t.lines, last(whole), "{way}, cap {max_bytes}");
            }
            // Lines 90 to 94 are 114 to 20 bytes back from the end: found with a cap
            // that reaches them, never past one that does not.
            let grep = LogFilter::from_args(Some("line 9[0-4]$"), 0, None, None, &[], None).unwrap();
            let f = rt.block_on(logs::tail_filtered(&c, &src, &opts, &grep)).unwrap();
            let want: Vec<String> = if max_bytes >= 190 {
                (90..95).map(shown).collect()
            } else {
                Vec::new()
            };
            if max_bytes >= 190 || max_bytes <= 100 {
                assert_eq!(f.lines, want, "{way}, cap {max_bytes}: {f:?}");
            }
        }
    }
}

#[test]
fn logs_are_read_from_their_files_only_when_the_daemon_provably_is_here() {
    let d = Daemon::start();
    d.append("web_a.out.log", b"a line\n");
    let rt = rt();
    let out = LogSource::process("web:web_a", Channel::Stdout);
    for via in BOTH {
        let [(_, here), (_, remote)] = both_ways(&d, via);
        let file = |c: &Client, src: &LogSource| rt.block_on(logs::host_file(c, src)).unwrap();
        assert_eq!(file(&here, &out), Some(d.path("web_a.out.log")), "{via:?}");
        assert_eq!(
            file(&here, &LogSource::Main),
            Some(d.path("supervisord.log")),
            "{via:?}"
        );
        // stderr redirected to stdout: no file (the daemon answers NO_FILE).
        let quiet = LogSource::process("quiet", Channel::Stderr);
        assert_eq!(file(&here, &quiet), None, "{via:?}");
        assert_eq!(file(&remote, &out), None, "{via:?}");
        assert_eq!(file(&remote, &LogSource::Main), None, "{via:?}");
    }
}

/// A hostile daemon names a real supervisord's pid and a secret file as its log:
/// the file is not read, because that pid does not hold the socket it answers on.
#[test]
fn a_daemon_that_names_another_ones_pid_gets_no_file_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let d = Daemon::start();
    let secret = d.path("secret.txt");
    std::fs::write(&secret, "the secret\n").unwrap();
    let body = format!(
        "<?xml version='1.0'?><methodResponse><params><param><value><array><data>\
         <value><int>{}</int></value><value><struct><member><name>stdout_logfile</name>\
         <value><string>{}</string></value></member></struct></value></data></array></value>\
         </param></params></methodResponse>",
        d.pid(),
        secret.display()
    );
    let reply = format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    rt().block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = l.accept().await {
                let mut buf = vec![0u8; 65536];
                let _ = sock.read(&mut buf).await;
                let _ = sock.write_all(reply.as_bytes()).await;
                let _ = sock.shutdown().await;
            }
        });
        let c = Client::new(&ServerSettings {
            endpoint: Endpoint::parse(&url).unwrap().endpoint,
            ..settings(&d, Via::Http)
        })
        .unwrap();
        let src = LogSource::process("web:web_a", Channel::Stdout);
        assert_eq!(logs::host_file(&c, &src).await.unwrap(), None);
        // The same claim from the real daemon's own socket would be believed.
        assert!(supervisord_mcp::supervisor::host::LocalHost::from_pid(i64::from(d.pid())).is_some());
    });
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
