//! Settings resolved once: the credentials in the `-s` URL against every other place
//! a password can come from (a real supervisord with basic auth), and `--json` for
//! argument errors (the real binary).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

const WRONG: &str = "not-the-password";

/// Where the password other than the URL's is given.
#[derive(Debug, Clone, Copy)]
enum Elsewhere {
    /// `-p`.
    Flag,
    /// `SUPERVISOR_PASSWORD`.
    Env,
    /// `-c FILE`, `[supervisorctl] password`.
    File,
    /// `./supervisord.conf` on supervisorctl's search path.
    SearchPath,
}

/// `status` with `url_password` in the `-s` URL and `other` given `elsewhere`.
fn status(d: &Daemon, url_password: &str, elsewhere: Elsewhere, other: &str) -> std::process::Output {
    let encoded = url_password.replace(':', "%3A").replace('#', "%23");
    let url = format!("http://{USER}:{encoded}@127.0.0.1:{}", d.port);
    let dir = tempfile::tempdir().unwrap();
    let section = format!("[supervisorctl]\nusername={USER}\npassword={other}\n");
    let mut c = bare_cli();
    c.env("XDG_CACHE_HOME", d.path("cache")).args(["-s", &url]);
    match elsewhere {
        Elsewhere::Flag => {
            c.args(["-p", other]);
        }
        Elsewhere::Env => {
            c.env("SUPERVISOR_USERNAME", USER).env("SUPERVISOR_PASSWORD", other);
        }
        Elsewhere::File => {
            let conf = dir.path().join("ctl.conf");
            std::fs::write(&conf, section).unwrap();
            c.arg("-c").arg(conf);
        }
        Elsewhere::SearchPath => {
            std::fs::write(dir.path().join("supervisord.conf"), section).unwrap();
            c.current_dir(dir.path());
        }
    }
    c.arg("status").output().unwrap()
}

/// Asserts `status` exited `code`; a refusal says 401 and shows no password.
fn assert_status(o: &std::process::Output, code: i32, case: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{case}: {err}");
    if code == 4 {
        assert!(err.contains("401"), "{case}: {err}");
    }
    for secret in [PASSWORD, WRONG] {
        assert!(
            !err.contains(secret) && !stdout(o).contains(secret),
            "{case}: a password was printed"
        );
    }
}

/// The credentials of the `-s` URL are flags: a wrong password there fails (401,
/// exit 4) whatever the environment, a `-c` file or the search path hold, and a right
/// one wins over wrong ones there.
#[test]
fn the_password_in_the_url_wins_over_the_environment_and_files() {
    let d = Daemon::start_programs(true, "", "");
    for elsewhere in [Elsewhere::Env, Elsewhere::File, Elsewhere::SearchPath] {
        let o = status(&d, WRONG, elsewhere, PASSWORD);
        assert_status(&o, 4, &format!("wrong in the URL, right in {elsewhere:?}"));
        let o = status(&d, PASSWORD, elsewhere, WRONG);
        assert_status(&o, 0, &format!("right in the URL, wrong in {elsewhere:?}"));
    }
}

/// `-p` (and `-u`) given with a URL holding credentials win over the URL's, both being
/// flags (the README's precedence list).
#[test]
fn an_explicit_password_flag_wins_over_the_url_s() {
    let d = Daemon::start_programs(true, "", "");
    assert_status(
        &status(&d, WRONG, Elsewhere::Flag, PASSWORD),
        0,
        "wrong in the URL, right -p",
    );
    assert_status(
        &status(&d, PASSWORD, Elsewhere::Flag, WRONG),
        4,
        "right in the URL, wrong -p",
    );
}

/// The one JSON error document of an argument error: kind `usage`, exit 2, nothing
/// else on stdout, at most a short line on stderr.
fn assert_usage_json(args: &[&str]) -> serde_json::Value {
    let o = bare_cli().args(args).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["error"]["kind"], "usage", "{args:?}: {v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    let err = stderr(&o);
    assert!(err.lines().count() <= 1 && err.len() < 200, "{args:?}: {err}");
    v
}

/// `--json` anywhere on the line (before `--`) makes argument errors one JSON
/// document on stdout; `--help` and `--version` stay text.
#[test]
fn json_argument_errors_are_one_json_document() {
    let v = assert_usage_json(&["--json", "status", "--bogus"]);
    assert!(v["error"]["message"].as_str().unwrap().contains("--bogus"), "{v}");
    let v = assert_usage_json(&["logs", "x", "-n", "0", "--json"]);
    assert!(v["error"]["message"].as_str().unwrap().contains("--lines"), "{v}");
    assert_usage_json(&["status", "--json", "-t"]);
    let v = assert_usage_json(&["--json", "program"]);
    assert!(v["error"]["hint"].as_str().unwrap().contains("program"), "{v}");
    // A selection that is not one, with a targets file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.toml");
    std::fs::write(&file, "[targets.web-1]\nurl = \"unix:///nonexistent.sock\"\n").unwrap();
    let file = file.to_string_lossy();
    let v = assert_usage_json(&["--json", "--fleet", &file, "-t", "web-[", "status"]);
    assert!(v["error"]["message"].as_str().unwrap().contains("web-["), "{v}");
    // After `--`, `--json` is an argument, not the option: clap's text as ever.
    let o = bare_cli().args(["run", "--bogus", "--", "--json"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty() && stderr(&o).contains("--bogus"), "{}", stderr(&o));
    for (arg, says) in [("--help", "Usage:"), ("--version", "supervisord-mcp ")] {
        let o = bare_cli().args(["--json", arg]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{arg}");
        assert!(
            stdout(&o).starts_with(says) || stdout(&o).contains(says),
            "{arg}: {}",
            stdout(&o)
        );
    }
}
