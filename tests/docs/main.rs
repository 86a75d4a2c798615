//! The docs, checked against the binary. Every ```console example of README.md and
//! docs/*.md is run by trycmd (`$ supervisord-mcp ...`, then its exit status `? N`
//! and its output, stdout and stderr together, `[..]` and `...` standing for what
//! varies) against a fresh demo daemon per page (supervisord.conf.example, see
//! [`demo`]); MCP's raw JSON-RPC example is sent to the server; every flag of every
//! command and every argument of every tool must be documented ([`coverage`]).
//! Examples that cannot run here (remote hosts, MCP hosts) use another fence
//! (```sh, ```text). `TRYCMD=overwrite cargo test --test docs` rewrites the expected
//! outputs in place (check the diff: it keeps `[..]` where it can).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;
mod coverage;
mod demo;
mod markdown;
mod mcp_example;

use demo::{Demo, root};
use std::time::Duration;

/// Every page of the docs, the landing page first.
pub const PAGES: [&str; 10] = [
    "README.md",
    "docs/install.md",
    "docs/cli.md",
    "docs/mcp.md",
    "docs/fleet.md",
    "docs/security.md",
    "docs/performance.md",
    "docs/architecture.md",
    "docs/development.md",
    "docs/supervisord-api.md",
];

/// Environment that would send the examples to another daemon than the demo.
const FOREIGN_ENV: [&str; 2] = ["SUPERVISORD_MCP_FLEET", "SUPERVISORD_MCP_TARGET"];

fn read(page: &str) -> String {
    std::fs::read_to_string(root().join(page)).unwrap_or_else(|e| panic!("{page}: {e}"))
}

/// trycmd would skip, silently, a command whose program it does not know: every
/// example runs `supervisord-mcp`.
#[test]
fn every_example_runs_supervisord_mcp() {
    for page in PAGES {
        for (line, command) in markdown::commands(&read(page)) {
            assert_eq!(
                markdown::program(&command),
                "supervisord-mcp",
                "{page}:{line}: `$ {command}` runs another program: trycmd would skip it; \
                 use a ```sh or ```text fence for an example that cannot run here"
            );
        }
    }
}

#[test]
fn console_examples_run_against_the_demo_daemon() {
    for var in FOREIGN_ENV {
        assert!(
            std::env::var_os(var).is_none(),
            "unset {var}: it would send the examples elsewhere"
        );
    }
    let mut failed = Vec::new();
    let mut ran = 0;
    for page in PAGES {
        let commands = markdown::commands(&read(page)).len();
        if commands == 0 {
            continue;
        }
        ran += commands;
        let demo = Demo::start();
        // trycmd runs a markdown page's commands in the current directory.
        std::env::set_current_dir(demo.dir()).expect("cd to the demo");
        let run = std::panic::catch_unwind(|| {
            trycmd::TestCases::new()
                .register_bin(
                    "supervisord-mcp",
                    std::path::Path::new(env!("CARGO_BIN_EXE_supervisord-mcp")),
                )
                .env("XDG_CACHE_HOME", demo.dir().join("cache").display().to_string())
                .env("XDG_CONFIG_HOME", demo.dir().join("config").display().to_string())
                .timeout(Duration::from_secs(120))
                .case(root().join(page))
                .run();
        });
        std::env::set_current_dir(root()).expect("cd back");
        drop(demo);
        if run.is_err() {
            failed.push(page);
        }
    }
    assert!(ran >= 30, "only {ran} examples found to run");
    assert!(
        failed.is_empty(),
        "examples that do not do what they say, in {failed:?} (above)"
    );
}

/// The JSON-RPC lines docs/mcp.md shows for `subscriptions/listen` subscribe, and the
/// update arrives when the process stops.
#[test]
fn the_mcp_page_s_listen_example_subscribes() {
    let demo = Demo::start();
    mcp_example::check(&demo, &read("docs/mcp.md"));
}

/// docs/fleet.md shows the demo's targets file as it is (its examples run with it).
#[test]
fn the_fleet_page_shows_the_demo_targets_file_as_it_is() {
    let file = read("fixtures/docs/fleet.demo.toml");
    let shown = markdown::blocks(&read("docs/fleet.md"))
        .into_iter()
        .any(|b| b.lang == "toml" && b.body == file);
    assert!(
        shown,
        "docs/fleet.md must show fixtures/docs/fleet.demo.toml, as it is, in a ```toml block"
    );
}

/// Every link between the pages goes to a file that exists, and to a heading of it.
#[test]
fn every_link_between_the_pages_arrives() {
    let mut broken = Vec::new();
    for page in PAGES {
        let dir = root().join(page).parent().expect("a directory").to_path_buf();
        for link in markdown::links(&read(page)) {
            let (path, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if path.is_empty() {
                root().join(page)
            } else {
                dir.join(path)
            };
            let Ok(text) = std::fs::read_to_string(&target) else {
                if !target.exists() {
                    broken.push(format!("{page}: ({link}): no such file"));
                }
                continue;
            };
            if !anchor.is_empty() && !markdown::anchors(&text).iter().any(|a| a == anchor) {
                broken.push(format!("{page}: ({link}): no such heading"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
