//! Build information for `--version` and `info`: the git commit the binary was built
//! from (`SUPERVISORD_MCP_BUILD_COMMIT`: short hash, "+dirty" when tracked files differ
//! from it, "unknown" outside a git checkout or without git) and the target triple
//! (`SUPERVISORD_MCP_BUILD_TARGET`). Never fails the build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=SUPERVISORD_MCP_BUILD_TARGET={target}");
    println!("cargo:rustc-env=SUPERVISORD_MCP_BUILD_COMMIT={}", commit(&dir));
    // Rerun when what the answer depends on moves: the sources (they rebuild the
    // crate anyway), HEAD, the branch it points to, and the index.
    for p in ["build.rs", "Cargo.toml", "Cargo.lock", "src"] {
        println!("cargo:rerun-if-changed={p}");
    }
    for p in git_paths(&dir) {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    println!("cargo:rerun-if-env-changed=SUPERVISORD_MCP_BUILD_COMMIT");
}

/// `git` in `dir`, its trimmed stdout when it succeeded. (`status` must not write the
/// index: that would rerun this script at every build.)
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// True when `dir` is the top of its own git checkout (not a crate unpacked inside
/// some other repository).
fn is_checkout(dir: &Path) -> bool {
    let top = git(dir, &["rev-parse", "--show-toplevel"]).map(PathBuf::from);
    match (top.and_then(|t| t.canonicalize().ok()), dir.canonicalize().ok()) {
        (Some(t), Some(d)) => t == d,
        _ => false,
    }
}

/// The commit, as `--version` shows it; a packager may set SUPERVISORD_MCP_BUILD_COMMIT.
fn commit(dir: &Path) -> String {
    if let Ok(c) = std::env::var("SUPERVISORD_MCP_BUILD_COMMIT") {
        return c;
    }
    if !is_checkout(dir) {
        return "unknown".into();
    }
    let Some(hash) = git(dir, &["rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    match git(
        dir,
        &["--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
    ) {
        Some(s) if s.is_empty() => hash,
        Some(_) => format!("{hash}+dirty"),
        None => format!("{hash}+unknown"),
    }
}

/// The files whose change moves HEAD or the index (worktrees included).
fn git_paths(dir: &Path) -> Vec<PathBuf> {
    if !is_checkout(dir) {
        return Vec::new();
    }
    let mut names = vec!["HEAD".to_owned(), "index".to_owned(), "packed-refs".to_owned()];
    if let Some(r) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        names.push(r);
    }
    names
        .iter()
        .filter_map(|n| git(dir, &["rev-parse", "--git-path", n]))
        .map(|p| dir.join(p))
        .filter(|p| p.exists())
        .collect()
}
