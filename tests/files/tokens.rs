//! Issue 17 item 7: a weak configured token is refused at start (exit 2) with how to
//! make a good one, and is never printed.

use super::*;

/// `mcp --http` with `extra` args and `env`: exit code and stderr.
fn start(extra: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let home = tempfile::tempdir().unwrap();
    let o = bare_cli()
        .args(["-s", "unix:///nonexistent.sock", "mcp", "--http", "127.0.0.1:0"])
        .args(extra)
        .env_remove("SUPERVISORD_MCP_TOKEN")
        .env("XDG_CONFIG_HOME", home.path())
        .envs(env.iter().copied())
        .timeout(Duration::from_secs(10))
        .output()
        .unwrap();
    (o.status.code(), all(&o))
}

#[test]
fn weak_tokens_are_refused_at_start_with_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    for weak in [
        "t0ken-for-tests",
        "7426852883914e85766e56053a147c3", // 31 hex digits
        "password1234567890password123456",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        let file = write(dir.path(), "token", &format!("{weak}\n"));
        chmod(&file, 0o600);
        let in_file = format!("in the token file {}", file.display());
        for (from, (code, out)) in [
            (
                "in SUPERVISORD_MCP_TOKEN",
                start(&[], &[("SUPERVISORD_MCP_TOKEN", weak)]),
            ),
            (in_file.as_str(), start(&["--token-file", file.to_str().unwrap()], &[])),
        ] {
            assert_eq!(code, Some(2), "{weak}: {out}");
            assert!(out.contains(&format!("the token {from} is too weak")), "{out}");
            assert!(out.contains("openssl rand -hex 32"), "{out}");
            assert!(!out.contains(weak), "the token was printed: {out}");
        }
    }
}
