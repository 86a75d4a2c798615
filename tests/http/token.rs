//! #9.1: the bearer token is always required; generated into a private file when
//! none is given.

use super::*;

/// #9.1: with no token configured, a random one is generated into a private file
/// whose path (never the token) is printed, and every /mcp request needs it.
#[tokio::test]
async fn without_a_configured_token_one_is_generated_kept_private_and_required() {
    let mut s = serve(None, None, &[]);
    let dir = s.home.path().join("supervisord-mcp");
    let file = dir.join("token");
    let token = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    assert_eq!(token.len(), 64, "256 bits in hex");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    let err = s.stderr();
    assert!(err.contains(file.to_str().unwrap()) && !err.contains(&token), "{err}");
    assert_eq!(
        post(&s.url, &[], INIT.into()).await.status(),
        401,
        "no token, loopback included"
    );
    let bearer = format!("Bearer {token}");
    assert_eq!(
        post(&s.url, &[("authorization", &bearer)], INIT.into()).await.status(),
        200
    );
    // A restart keeps the token while its file stays private and ours.
    let home = std::mem::replace(&mut s.home, tempfile::tempdir().unwrap());
    drop(s);
    let s = serve_with(
        None,
        Opts {
            home: Some(home),
            ..Opts::default()
        },
    );
    assert_eq!(
        post(&s.url, &[("authorization", &bearer)], INIT.into()).await.status(),
        200
    );
    assert!(s.stderr().contains("kept from an earlier start"));
    // Only the loudly named flag serves without a token.
    let open = serve(None, None, &["--dangerously-serve-without-token"]);
    assert_eq!(post(&open.url, &[], INIT.into()).await.status(), 200);
    assert!(open.stderr().contains("WITHOUT A TOKEN"));
}

#[test]
fn an_unsafe_token_place_refuses_to_start_and_symlinks_are_not_followed() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("supervisord-mcp");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = |extra: &[&str]| {
        bare_cli()
            .args(["-s", "unix:///nonexistent.sock", "mcp", "--http", "127.0.0.1:0"])
            .args(extra)
            .env_remove("SUPERVISORD_MCP_TOKEN")
            .env("XDG_CONFIG_HOME", home.path())
            .timeout(Duration::from_secs(10))
            .output()
            .unwrap()
    };
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("chmod 700"), "{}", stderr(&o));
    // A symlink planted at the token's place is replaced, its target untouched.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let target = home.path().join("victim");
    std::fs::write(&target, "precious\n").unwrap();
    std::os::unix::fs::symlink(&target, dir.join("token")).unwrap();
    let empty = home.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let o = run(&["--token-file", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "an empty token file: {}", stderr(&o));
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"))
        .args([
            "-s",
            "unix:///nonexistent.sock",
            "mcp",
            "--http",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .env_remove("SUPERVISORD_MCP_TOKEN")
        .env("XDG_CONFIG_HOME", home.path())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::symlink_metadata(dir.join("token"))
        .unwrap()
        .file_type()
        .is_symlink()
    {
        assert!(Instant::now() < deadline, "the token was not written");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    let meta = std::fs::symlink_metadata(dir.join("token")).unwrap();
    assert!(meta.is_file() && meta.permissions().mode() & 0o777 == 0o600);
}
