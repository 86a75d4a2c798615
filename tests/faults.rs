//! Faults a real supervisord cannot produce, from a fake server on loopback: HTTP
//! 400/411/500, a reply cut off mid-body, a 100 MB reply, malformed XML, values nested
//! 100,000 deep, a server that never answers. Each gives a clear error within its
//! bound: no panic, no crash, no hang, no unbounded memory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use supervisord_mcp::supervisor::{Client, Endpoint, Error, ServerSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `reply` (raw HTTP) to every connection, after reading the request.
async fn fake(reply: impl Fn() -> Vec<u8> + Send + Sync + 'static) -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    let reply = std::sync::Arc::new(reply);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = l.accept().await {
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = sock.read(&mut buf).await;
                let _ = sock.write_all(&reply()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    url
}

fn client(url: &str, timeout: Duration) -> Client {
    Client::new(&ServerSettings {
        endpoint: Endpoint::parse(url).unwrap().endpoint,
        username: None,
        password: None,
        connect_timeout: timeout,
        timeout,
        tls: Default::default(),
    })
    .unwrap()
}

fn http(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: text/html\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn http_errors_name_their_status() {
    for (status, code) in [
        ("400 Bad Request", 400),
        ("411 Length Required", 411),
        ("500 Internal Server Error", 500),
    ] {
        let url = fake(move || http(status, "<html>error</html>")).await;
        let e = client(&url, Duration::from_secs(5)).get_state().await.unwrap_err();
        assert!(
            matches!(e, Error::HttpStatus { status, .. } if status == code),
            "{status}: {e:?}"
        );
        assert!(e.to_string().contains(&code.to_string()));
    }
}

#[tokio::test]
async fn a_reply_cut_off_mid_body_is_an_error() {
    let url = fake(|| {
        let body = "<?xml version='1.0'?><methodResponse><params><param><value><string>half";
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len() + 500).into_bytes()
    })
    .await;
    let e = client(&url, Duration::from_secs(5))
        .get_supervisor_version()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { .. } | Error::Decode { .. }), "{e:?}");
}

#[tokio::test]
async fn malformed_xml_is_a_decode_error() {
    for body in [
        "<methodResponse><params><param><value><int>x</int></value></param></params></methodResponse>",
        "not xml at all",
        "",
    ] {
        let url = fake(move || http("200 OK", body)).await;
        let e = client(&url, Duration::from_secs(5)).get_pid().await.unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{body:?}: {e:?}");
    }
}

#[tokio::test]
async fn a_100_mb_reply_is_refused_without_buffering_it() {
    let url = fake(|| {
        let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 104857600\r\n\r\n<?xml version='1.0'?><methodResponse><params><param><value><string>".to_vec();
        r.resize(100 * 1024 * 1024, b'x');
        r
    })
    .await;
    let started = Instant::now();
    let e = client(&url, Duration::from_secs(30)).read_log(0, 0).await.unwrap_err();
    assert!(e.to_string().contains("larger than 64 MiB"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s); // accept, never answer
        }
    });
    let started = Instant::now();
    let e = client(&url, Duration::from_millis(500)).get_state().await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// A well-formed reply whose value is `depth` arrays deep (100,000 levels: 3.8 MB).
fn deeply_nested(depth: usize) -> Vec<u8> {
    let mut body = String::from("<?xml version='1.0'?><methodResponse><params><param>");
    body.push_str(&"<value><array><data>".repeat(depth));
    body.push_str(&"</data></array></value>".repeat(depth));
    body.push_str("</param></params></methodResponse>");
    http("200 OK", &body)
}

#[tokio::test(flavor = "multi_thread")]
async fn values_nested_100_000_deep_are_refused_by_the_cli_without_a_crash() {
    let url = fake(|| deeply_nested(100_000)).await;
    for cmd in ["status", "info"] {
        let out = tokio::task::spawn_blocking({
            let url = url.clone();
            move || common::bare_cli().args(["-s", &url, cmd]).output().unwrap()
        })
        .await
        .unwrap();
        let err = common::stderr(&out);
        // Before the depth limit, dropping the decoded value overflowed the stack (SIGABRT).
        assert!(
            out.status.code().is_some(),
            "{cmd} died by a signal: {:?}\n{err}",
            out.status
        );
        assert_ne!(out.status.code(), Some(0), "{cmd}");
        assert!(err.contains("deeper than 64 levels"), "{cmd}: {err}");
    }
}

/// A child process killed on drop (so that a failed assertion leaves none behind).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn values_nested_100_000_deep_do_not_crash_the_http_bridge() {
    let url = fake(|| deeply_nested(100_000)).await;
    let dir = tempfile::tempdir().unwrap();
    let (child, port) = common::spawn_on_free_port(
        |port| {
            let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"));
            cmd.args(["-s", &url, "mcp", "--http", &format!("127.0.0.1:{port}")])
                .env_remove("SUPERVISORD_MCP_TOKEN")
                .env("XDG_CONFIG_HOME", dir.path())
                .stdout(Stdio::null());
            cmd
        },
        &dir.path().join("stderr"),
    );
    let mut bridge = Killed(child);
    // Unauthenticated, twice: the first must not have killed the bridge.
    for _ in 0..2 {
        supervisord_mcp::supervisor::transport::install_default_provider();
        let resp = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await;
        let exited = bridge.0.try_wait().unwrap();
        assert!(exited.is_none(), "GET /health killed the bridge: {exited:?}");
        let body: serde_json::Value = serde_json::from_slice(&resp.unwrap().bytes().await.unwrap()).unwrap();
        assert_eq!(body["supervisord"]["reachable"], false, "{body}");
    }
}

/// A fake `/mainlogtail`: `GET` gets headers and two lines, then silence (the
/// connection held open); `POST /RPC2` (the liveness probe) gets `getState`'s reply
/// when `alive`, no answer at all otherwise.
async fn silent_stream(alive: bool) -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    let state =
        std::fs::read_to_string(format!("{}/fixtures/xmlrpc/getState.xml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = l.accept().await {
            let state = state.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                if buf[..n].starts_with(b"GET") {
                    let lines = "first line\nsecond line\n";
                    let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
                    let _ = sock
                        .write_all(format!("{head}{:x}\r\n{lines}\r\n", lines.len()).as_bytes())
                        .await;
                } else if alive {
                    let _ = sock.write_all(&http("200 OK", &state)).await;
                }
                // Hold the connection: a stream that stays silent, or a probe never answered.
                tokio::time::sleep(Duration::from_secs(60)).await;
            });
        }
    });
    url
}

/// Runs `maintail -f` with `--rpc-timeout 1` against `url` for at most `for_at_most`.
/// Returns its output and how long it ran, or None if it was still following then
/// (it is killed).
async fn maintail_follow(url: &str, for_at_most: Duration) -> (Option<std::process::Output>, Duration) {
    let mut child = Killed(
        Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"))
            .args(["-s", url, "--rpc-timeout", "1", "maintail", "-f"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while child.0.try_wait().unwrap().is_none() {
        if started.elapsed() > for_at_most {
            return (None, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took = started.elapsed();
    let mut out = std::process::Output {
        status: child.0.wait().unwrap(),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    use std::io::Read;
    child.0.stdout.take().unwrap().read_to_end(&mut out.stdout).unwrap();
    child.0.stderr.take().unwrap().read_to_end(&mut out.stderr).unwrap();
    (Some(out), took)
}

#[tokio::test(flavor = "multi_thread")]
async fn maintail_follow_against_a_server_that_never_answers_times_out() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s); // accept, never answer
        }
    });
    let (out, took) = maintail_follow(&url, Duration::from_secs(20)).await;
    let out = out.unwrap_or_else(|| panic!("maintail -f still hangs after {took:?}"));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = common::stderr(&out);
    assert!(err.contains("did not answer GET /mainlogtail within 1.0 s"), "{err}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn maintail_follow_detects_a_stream_gone_silent_with_a_dead_peer() {
    let url = silent_stream(false).await;
    let (out, took) = maintail_follow(&url, Duration::from_secs(20)).await;
    let out = out.unwrap_or_else(|| panic!("maintail -f still hangs after {took:?}"));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(common::stdout(&out).contains("second line"), "{out:?}");
    let err = common::stderr(&out);
    assert!(err.contains("did not answer supervisor.getState within 1.0 s"), "{err}");
    // 1 s of silence, then 1 s for the unanswered probe.
    assert!(took < Duration::from_secs(8), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn maintail_follow_keeps_following_a_silent_but_alive_peer() {
    let url = silent_stream(true).await;
    // Four times the rpc timeout of silence: still following, no error.
    let (out, _) = maintail_follow(&url, Duration::from_secs(4)).await;
    assert!(out.is_none(), "maintail -f stopped following a live daemon: {out:?}");
}

/// Every fault code of the installed supervisor (`supervisor.xmlrpc.Faults`) has our
/// name for it, the same as supervisord's, and ours name no code it lacks: two names
/// swapped, a code mistyped or a fault added upstream fails here.
#[test]
fn fault_codes_and_names_are_the_installed_supervisor_s() {
    use supervisord_mcp::supervisor::FaultCode;
    let out = Command::new(common::python())
        .args([
            "-c",
            "from supervisor.xmlrpc import Faults\n\
             for k, v in sorted(vars(Faults).items()):\n    \
             if k.isupper(): print(v, k)",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs: Vec<(i64, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let (code, name) = l.split_once(' ').unwrap();
            (code.parse().unwrap(), name.to_owned())
        })
        .collect();
    assert!(theirs.len() >= 18, "{theirs:?}");
    for (code, name) in &theirs {
        assert_eq!(&FaultCode::from_code(*code).name(), name, "code {code}");
    }
    // Round trip: a name of ours maps back to its code through supervisord's table.
    for code in 0..200 {
        let ours = FaultCode::from_code(code).name();
        if !ours.starts_with("FAULT_") {
            assert!(
                theirs.contains(&(code, ours.clone())),
                "{code} {ours} is not supervisord's"
            );
        }
    }
}
