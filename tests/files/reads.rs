//! Issue 17 items 4, 10b, 10c: no file read can hang the server or grow without
//! bound; each file's errors speak of that file and never quote a value.

use super::*;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// A running `mcp --http` in front of `d`, killed on drop.
struct Bridge {
    child: Child,
    url: String,
    _home: tempfile::TempDir,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bridge(d: &Daemon, cache: &Path) -> Bridge {
    let home = tempfile::tempdir().unwrap();
    let (child, port) = spawn_on_free_port(
        |port| {
            let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"));
            cmd.args(["-s", &d.url(Via::Unix), "mcp", "--http", &format!("127.0.0.1:{port}")])
                .env("SUPERVISORD_MCP_TOKEN", TOKEN)
                .env("XDG_CONFIG_HOME", home.path())
                .env("XDG_CACHE_HOME", cache)
                .env_remove("SUPERVISORD_MCP_NO_CACHE")
                .stdout(Stdio::null());
            cmd
        },
        &home.path().join("stderr"),
    );
    Bridge {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _home: home,
    }
}

/// One JSON-RPC message to `/mcp` (in session `sid`), answered within 30 s: status,
/// session id, body.
async fn post(b: &Bridge, sid: Option<&str>, body: serde_json::Value) -> (u16, Option<String>, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/mcp", b.url))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {TOKEN}"))
        .timeout(Duration::from_secs(30))
        .body(body.to_string());
    if let Some(sid) = sid {
        req = req.header("mcp-session-id", sid);
    }
    let r = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("the bridge did not answer within 30 s: {e}"));
    let sid = r
        .headers()
        .get("mcp-session-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let status = r.status().as_u16();
    let body = r
        .text()
        .await
        .unwrap_or_else(|e| panic!("no whole answer within 30 s: {e}"));
    (status, sid, body)
}

fn tool(name: &str, args: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": name, "arguments": args}})
}

/// The diagnose cache files of `cache` (`supervisord-mcp/config/*.json`).
fn cache_files(cache: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(cache.join("supervisord-mcp/config"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fifo_at_the_diagnose_cache_path_does_not_stop_the_http_bridge() {
    supervisord_mcp::supervisor::transport::install_default_provider();
    let d = Daemon::start();
    d.wait_for(10, "sleeper to run", |_| d.state("sleeper") == "RUNNING");
    let cache = tempfile::tempdir().unwrap();
    let o = d
        .cli(Via::Unix)
        .env("XDG_CACHE_HOME", cache.path())
        .args(["diagnose", "sleeper"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", all(&o));
    let files = cache_files(cache.path());
    assert_eq!(files.len(), 1, "diagnose kept no cache file");
    std::fs::remove_file(&files[0]).unwrap();
    nix::unistd::mkfifo(&files[0], nix::sys::stat::Mode::S_IRWXU).unwrap();
    let b = bridge(&d, cache.path());
    let init = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let (status, sid, _) = post(&b, None, init).await;
    assert_eq!(status, 200);
    let sid = sid.unwrap();
    let done = serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    post(&b, Some(&sid), done).await;
    let (status, _, body) = post(&b, Some(&sid), tool("diagnose", serde_json::json!({"name": "sleeper"}))).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("sleeper") && body.contains("sleep 100000"),
        "diagnose without its cache: {body}"
    );
    let health = reqwest::Client::new()
        .get(format!("{}/health", b.url))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap_or_else(|e| panic!("/health did not answer within 30 s: {e}"));
    assert_eq!(health.status(), 200);
    let (status, _, body) = post(&b, Some(&sid), tool("status", serde_json::json!({}))).await;
    assert!(status == 200 && body.contains("sleeper"), "{body}");
}

#[test]
fn a_cache_directory_others_can_write_is_not_used_and_diagnose_still_works() {
    let d = Daemon::start();
    d.wait_for(10, "sleeper to run", |_| d.state("sleeper") == "RUNNING");
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    let diagnose = || {
        let o = d
            .cli(Via::Unix)
            .env("XDG_CACHE_HOME", &cache)
            .args(["diagnose", "sleeper"])
            .output()
            .unwrap();
        assert!(o.status.success() && stdout(&o).contains("sleep 100000"), "{}", all(&o));
    };
    chmod(&cache, 0o777);
    diagnose();
    assert!(
        cache_files(&cache).is_empty(),
        "a cache file was written below a directory others can write"
    );
    // The same, private: the cache is kept.
    chmod(&cache, 0o700);
    diagnose();
    assert_eq!(cache_files(&cache).len(), 1);
}

/// Runs the bridge with `--token-file FILE` (memory capped at 1 GiB): it must exit
/// 2 within 10 s, naming the token file and why.
fn refused_token_file(file: &Path, why: &str) {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"));
    cmd.args([
        "-s",
        "unix:///nonexistent.sock",
        "mcp",
        "--http",
        "127.0.0.1:0",
        "--token-file",
    ])
    .arg(file)
    .env_remove("SUPERVISORD_MCP_TOKEN")
    .env("XDG_CONFIG_HOME", home.path())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    let gib = 1 << 30;
    // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(move || {
            nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_AS, gib, gib)
                .map_err(std::io::Error::from)
        });
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("--token-file {} still running after 10 s", file.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{}: {err}", file.display());
    assert!(
        err.contains(&format!("token file {}: ", file.display())) && err.contains(why),
        "{err}"
    );
}

#[test]
fn a_token_file_that_is_a_device_or_a_fifo_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("token");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    refused_token_file(Path::new("/dev/zero"), "not a regular file (a character device)");
    refused_token_file(&fifo, "not a regular file (a FIFO)");
    let big = dir.path().join("big");
    std::fs::File::create(&big).unwrap().set_len(1 << 20).unwrap();
    refused_token_file(&big, "larger than 64 KiB");
}

#[test]
fn a_2_gb_sparse_targets_file_is_refused_at_once_as_a_targets_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.toml");
    std::fs::File::create(&file).unwrap().set_len(2 << 30).unwrap();
    let started = Instant::now();
    let o = User::Root.run(&["--fleet", file.to_str().unwrap(), "status"], &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("targets file {}: larger than 1 MiB", file.display()))
            && !err.contains("supervisord.conf"),
        "{err}"
    );
    // Generous: it reads nothing, where reading 2 GB takes seconds.
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}

#[test]
fn wrong_typed_values_in_the_targets_file_are_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    for (text, key) in [
        ("[defaults]\ntimeout_s = \"hunter2\"\n", "defaults.timeout_s (line 2)"),
        (
            "[targets.web]\nurl = \"unix:///s\"\nusername = \"ops\"\ntimeout_s = \"hunter2\"\n",
            "targets.web.timeout_s",
        ),
        (
            "[targets.web]\nurl = \"unix:///s\"\ntags = [\"hunter2\", 7]\nread_only = \"hunter2\"\n",
            "targets.web.",
        ),
    ] {
        let file = write(dir.path(), "fleet.toml", text);
        for json in [false, true] {
            let mut args = vec!["--fleet", file.to_str().unwrap(), "status"];
            if json {
                args.push("--json");
            }
            let o = User::Root.run(&args, &[]);
            assert_eq!(o.status.code(), Some(2), "{}", all(&o));
            let out = all(&o);
            assert!(out.contains(key) && out.contains("expected"), "{text}: {out}");
            assert!(!out.contains("hunter2"), "a value was echoed: {out}");
        }
    }
}
