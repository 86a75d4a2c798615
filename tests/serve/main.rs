//! `supervisord-mcp serve` against the real binary and real supervisord daemons:
//! named tokens and their scopes on /mcp, the audit log (`mcp.rs`); /metrics, linted
//! by promtool and scraped by a real Prometheus (`metrics.rs`); the dashboard's
//! pages, login, CSRF and live updates over plain HTTP (`dashboard.rs`) and in a real
//! headless Chromium (`browser.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod browser;
#[path = "../common/mod.rs"]
mod common;
mod dashboard;
mod hardening;
mod mcp;
mod metrics;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A read token and an operate token (random-looking: they pass the strength check).
pub const READ: &str = "5d0c8e2b7a9f41c6b3e8d2a7f0c9b4e1a6d3f8c2";
pub const OPERATE: &str = "e7a1c4f9b2d6083e5a7c1f4b9d2e6a08c3f5b7d1";

/// A running `serve`, killed on drop; its config and state homes are temp dirs.
pub struct Server {
    child: Child,
    pub url: String,
    pub port: u16,
    pub home: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.home.path().join("stderr")).unwrap_or_default()
    }

    /// The audit log's lines, parsed.
    pub fn audit(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.home.path().join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The audit log as written.
    pub fn audit_text(&self) -> String {
        std::fs::read_to_string(self.home.path().join("audit.jsonl")).unwrap_or_default()
    }
}

/// A tokens file with `grafana` (read) and `oncall` (operate), 0600, in `dir`.
pub fn tokens_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("tokens.toml");
    std::fs::write(
        &path,
        format!(
            "[tokens.grafana]\ntoken = \"{READ}\"\nscope = \"read\"\n\n\
             [tokens.oncall]\ntoken = \"{OPERATE}\"\nscope = \"operate\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// `serve` in front of `target` (`-s URL`, or `--fleet FILE` when it ends in
/// `.toml`) with the tokens file, and `args`.
pub fn serve(target: &str, args: &[&str]) -> Server {
    let home = tempfile::tempdir().unwrap();
    let tokens = tokens_file(home.path());
    let mut all = vec!["--tokens-file", tokens.to_str().unwrap()];
    all.extend_from_slice(args);
    serve_in(home, target, &all)
}

/// `serve` in front of `target` with `args` alone (no tokens file), its homes in
/// `home`.
pub fn serve_in(home: tempfile::TempDir, target: &str, args: &[&str]) -> Server {
    supervisord_mcp::supervisor::transport::install_default_provider();
    let audit = home.path().join("audit.jsonl");
    let (child, port) = spawn_on_free_port(
        |port| {
            let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"));
            if target.ends_with(".toml") {
                cmd.args(["--fleet", target]);
            } else {
                cmd.args(["-s", target]);
            }
            cmd.args(["serve", "--http", &format!("127.0.0.1:{port}")])
                .arg("--audit-log")
                .arg(&audit)
                .args(args)
                .env_remove("SUPERVISORD_MCP_TOKEN")
                .env("XDG_CONFIG_HOME", home.path())
                .env("XDG_STATE_HOME", home.path())
                .env("XDG_CACHE_HOME", home.path().join("cache"))
                .stdout(Stdio::null());
            cmd
        },
        &home.path().join("stderr"),
    );
    Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        port,
        home,
    }
}

/// Waits until `cond` holds, at most `secs`; panics saying `what` otherwise.
pub fn eventually(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An HTTP client that never follows redirects (cookies are passed by hand).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `application/x-www-form-urlencoded` bodies (reqwest's `form` is not built here).
pub trait Formed {
    fn form(self, pairs: &[(&str, &str)]) -> Self;
}

impl Formed for reqwest::RequestBuilder {
    fn form(self, pairs: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }
}
