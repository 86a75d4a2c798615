//! What a bug report needs from the binary: `--version` and `info` name the version,
//! the git commit it was built from (this checkout's HEAD) and the target triple,
//! `info` beside a real supervisord's version.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use std::process::Command;

/// `git` in this checkout, its trimmed stdout.
fn git(args: &[&str]) -> String {
    let o = Command::new("git")
        .arg("-C")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e}: install git (Debian: apt-get install git)"));
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
    stdout(&o).trim().to_owned()
}

/// Checks a commit as the binary shows it against this checkout: HEAD's short hash,
/// `+dirty` only when tracked files differ from it (a build from a dirty tree that
/// was since cleaned is not possible in CI's fresh clone; the other way round, files
/// changed after the build, is allowed).
fn assert_is_head(commit: &str) {
    let head = git(&["rev-parse", "--short", "HEAD"]);
    let clean = git(&["status", "--porcelain", "--untracked-files=no"]).is_empty();
    let ok = commit == head || (!clean && commit == format!("{head}+dirty"));
    assert!(ok, "commit {commit:?}, but HEAD is {head} (clean: {clean})");
}

/// A target triple for this machine: `ARCH-...-OS...`.
fn assert_is_this_target(target: &str) {
    let (arch, os) = (std::env::consts::ARCH, std::env::consts::OS);
    assert!(
        target.starts_with(&format!("{arch}-")) && target.contains(&format!("-{os}")),
        "target {target:?} on {arch}/{os}"
    );
}

/// `supervisord-mcp 0.1.0 (commit 1a2b3c4, x86_64-unknown-linux-gnu)`, parsed.
fn parse_long(line: &str) -> (String, String, String) {
    let rest = line
        .strip_prefix("supervisord-mcp ")
        .unwrap_or_else(|| panic!("{line:?}"));
    let (version, rest) = rest.split_once(" (commit ").unwrap_or_else(|| panic!("{line:?}"));
    let (commit, target) = rest
        .trim_end_matches(')')
        .split_once(", ")
        .unwrap_or_else(|| panic!("{line:?}"));
    (version.into(), commit.into(), target.into())
}

#[test]
fn version_names_the_release_the_commit_and_the_target() {
    for flag in ["--version", "-V"] {
        let o = bare_cli().arg(flag).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        assert_eq!(out.lines().count(), 1, "{out}");
        let (version, commit, target) = parse_long(out.trim_end());
        assert_eq!(version, env!("CARGO_PKG_VERSION"));
        assert_is_head(&commit);
        assert_is_this_target(&target);
    }
}

#[test]
fn info_shows_this_build_beside_supervisords_version() {
    let d = Daemon::start();
    let o = d.cli(Via::Unix).arg("info").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    assert!(field("supervisor ").starts_with('4'), "{text}");
    let long = bare_cli().arg("--version").output().unwrap();
    assert_eq!(field("client "), stdout(&long).trim_end());

    let v = json(&d.cli(Via::Unix).args(["info", "--json"]).output().unwrap());
    assert!(v["supervisor_version"].as_str().unwrap().starts_with('4'), "{v}");
    let client = &v["client"];
    assert_eq!(client["version"], env!("CARGO_PKG_VERSION"), "{v}");
    assert_is_head(client["commit"].as_str().unwrap_or_else(|| panic!("{v}")));
    assert_is_this_target(client["target"].as_str().unwrap_or_else(|| panic!("{v}")));
}
