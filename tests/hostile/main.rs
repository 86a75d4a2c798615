//! Hostile peers, against the real binary (or the MCP server in process) and a real
//! supervisord: a daemon URL answering a redirect (never followed: nothing reaches its
//! `Location`, so `read_only` and `--allow` hold), targets answering huge replies (a
//! fan-out's reply memory is bounded for all targets together) and a listener whose
//! backlog is full (a connect timeout, said as such).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/mcp.rs"]
mod mcp_client;
#[path = "../common/remote.rs"]
mod remote;

mod backlog;
mod fixtures;
mod memory;
mod redirects;

use common::*;
use std::path::{Path, PathBuf};

/// Writes a targets file `fleet.toml` in `dir`: `[defaults]` text, then each target's
/// `[targets.NAME]` table (its url, then `extra` lines).
fn targets_file(dir: &Path, defaults: &str, targets: &[(&str, String, &str)]) -> PathBuf {
    let mut toml = format!("[defaults]\n{defaults}\n");
    for (name, url, extra) in targets {
        toml.push_str(&format!("[targets.{name}]\nurl = \"{url}\"\n{extra}\n"));
    }
    let file = dir.join("fleet.toml");
    std::fs::write(&file, toml).unwrap();
    file
}

/// The CLI with the targets file `file`, no selection from the environment.
fn fleet_cli(file: &Path) -> assert_cmd::Command {
    let mut c = bare_cli();
    c.arg("--fleet")
        .arg(file)
        .env_remove("SUPERVISORD_MCP_TARGET")
        .env_remove("SUPERVISORD_MCP_FLEET");
    c
}

/// target name -> the entry of a `--json` fleet answer.
fn entries(o: &std::process::Output) -> Vec<(String, serde_json::Value)> {
    json(o)["targets"]
        .as_array()
        .unwrap_or_else(|| panic!("no targets: {}{}", stdout(o), stderr(o)))
        .iter()
        .map(|e| (e["target"].as_str().unwrap().to_owned(), e.clone()))
        .collect()
}
