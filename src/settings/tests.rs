use super::daemon::{self, Daemon};
use super::*;
use crate::supervisor::Secret;
use clap::Parser;
use std::collections::HashMap;
use std::path::Path;

/// An environment of these variables only.
pub(crate) fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| m.get(k).cloned()
}

/// The global options of `supervisord-mcp ARGS... status`.
fn global(args: &[&str]) -> GlobalOpts {
    let argv = ["x"].iter().chain(args).chain(&["status"]).copied();
    Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{e}")).global
}

fn resolve(args: &[&str], env: &dyn Fn(&str) -> Option<String>) -> Result<Daemon, SettingsError> {
    daemon::resolve(&global(args), env)
}

fn password(d: &Daemon) -> Option<&str> {
    d.server.password.as_ref().map(Secret::expose)
}

#[test]
fn precedence_flags_then_file_then_env() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let conf = dir.path().join("s.conf");
    std::fs::write(
        &conf,
        "[supervisorctl]\nserverurl=http://127.0.0.1:7000\nusername=fileuser\n",
    )?;
    let conf = conf.to_string_lossy();
    let env = env_of(&[(ENV_SERVER_URL, "unix:///env.sock"), (ENV_PASSWORD, "envpw")]);
    let r = resolve(&["-c", &conf], &env)?;
    assert_eq!(r.server.endpoint.display(), "http://127.0.0.1:7000");
    assert_eq!(r.server.username.as_deref(), Some("fileuser"));
    assert_eq!(password(&r), Some("envpw"));
    let r = resolve(&["-c", &conf, "-s", "http://u:urlpw@h:1", "-u", "flaguser"], &env)?;
    assert_eq!(r.server.endpoint.display(), "http://h:1");
    assert_eq!(r.server.username.as_deref(), Some("flaguser"));
    assert_eq!(password(&r), Some("urlpw"));
    assert_eq!(r.url_source, "--serverurl");
    let r = resolve(&["-u", "flaguser"], &env)?;
    assert_eq!(r.server.endpoint.display(), "unix:///env.sock");
    Ok(())
}

/// The credentials in the `-s` URL are flags: they win over the file's and the
/// environment's, and lose to `-u`/`-p`. Those in a lower place's URL count there.
#[test]
fn credentials_in_a_url_count_where_the_url_comes_from() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let conf = dir.path().join("s.conf");
    std::fs::write(&conf, "[supervisorctl]\nusername=fileuser\npassword=filepw\n")?;
    let conf = conf.to_string_lossy();
    let env = env_of(&[(ENV_USERNAME, "envuser"), (ENV_PASSWORD, "envpw")]);
    let url = "http://urluser:urlpw@h:1";
    let r = resolve(&["-s", url], &env)?;
    assert_eq!(
        (r.server.username.as_deref(), password(&r)),
        (Some("urluser"), Some("urlpw"))
    );
    let r = resolve(&["-s", url, "-c", &conf], &env)?;
    assert_eq!(
        (r.server.username.as_deref(), password(&r)),
        (Some("urluser"), Some("urlpw"))
    );
    let r = resolve(&["-s", url, "-p", "flagpw"], &env)?;
    assert_eq!(
        (r.server.username.as_deref(), password(&r)),
        (Some("urluser"), Some("flagpw"))
    );
    let r = resolve(&["-s", url, "-u", "flaguser"], &env)?;
    assert_eq!(
        (r.server.username.as_deref(), password(&r)),
        (Some("flaguser"), Some("urlpw"))
    );
    // A URL from the environment: its credentials lose to the -c file's, beat none.
    let env = env_of(&[(ENV_SERVER_URL, url)]);
    let r = resolve(&["-c", &conf], &env)?;
    assert_eq!(
        (r.server.username.as_deref(), password(&r)),
        (Some("fileuser"), Some("filepw"))
    );
    let r = resolve(&[], &env)?;
    assert_eq!(
        (r.server.username.as_deref(), password(&r)),
        (Some("urluser"), Some("urlpw"))
    );
    Ok(())
}

#[test]
fn tls_files_from_flags_then_env_and_in_pairs() -> Result<(), SettingsError> {
    let env = env_of(&[(ENV_CA_FILE, "/env/ca.pem"), (ENV_CLIENT_KEY, "/env/key.pem")]);
    let e = resolve(&["-s", "https://h:1"], &env).unwrap_err();
    assert!(matches!(e, SettingsError::Usage(_)), "{e}");
    let args = [
        "-s",
        "https://h:1",
        "--client-cert",
        "/flag/cert.pem",
        "--ca-file",
        "/flag/ca.pem",
    ];
    let tls = resolve(&args, &env)?.server.tls;
    assert_eq!(tls.ca_file.as_deref(), Some(Path::new("/flag/ca.pem")));
    assert_eq!(tls.client_cert.as_deref(), Some(Path::new("/flag/cert.pem")));
    assert_eq!(tls.client_key.as_deref(), Some(Path::new("/env/key.pem")));
    Ok(())
}

#[test]
fn missing_file_is_a_clear_error() {
    let e = resolve(&["-c", "/nonexistent/supervisord.conf"], &env_of(&[]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/supervisord.conf"), "{e}");
}

/// One value for everything: the policy and the front end of `mcp`, the output mode,
/// timeouts and warnings; the CLI's policy is open.
#[test]
fn settings_gather_the_policy_the_front_end_and_the_warnings() -> Result<(), SettingsError> {
    let cli = Cli::try_parse_from([
        "x",
        "-s",
        "http://u:pw@192.0.2.1:9001",
        "--json",
        "--rpc-timeout",
        "3",
        "mcp",
        "--read-only",
        "--allow",
        "web:*",
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let s = Settings::resolve(&cli, &env_of(&[]))?;
    assert!(s.policy.read_only && s.policy.restricted);
    assert!(matches!(s.front_end, FrontEnd::Stdio));
    assert!(matches!(s.scope, Scope::One(_)));
    assert!(s.json);
    assert_eq!(s.rpc_timeout, Duration::from_secs(3));
    let [w] = s.warnings.as_slice() else {
        panic!("{:?}", s.warnings)
    };
    assert!(
        w.to_string()
            .starts_with("supervisord-mcp: warning: the username and password go in clear text")
    );
    assert!(!w.to_string().contains("pw@"), "{w}");
    let cli = Cli::try_parse_from(["x", "-s", "unix:///s.sock", "status"]).unwrap_or_else(|e| panic!("{e}"));
    let s = Settings::resolve(&cli, &env_of(&[]))?;
    assert!(!s.policy.read_only && !s.policy.restricted && !s.json);
    assert!(matches!(s.front_end, FrontEnd::Cli) && s.warnings.is_empty());
    Ok(())
}
