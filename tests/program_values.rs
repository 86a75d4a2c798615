//! What is written into a program file is exactly what was asked, or nothing is
//! written: hostile strings (quotes, backslashes, `%`, `%(here)s`, ` ;`, ` #`,
//! unicode, whitespace at the ends, control characters) written through
//! `program add` to a real supervisord, read back with `getAllConfigInfo` and as the
//! program itself sees its arguments and environment; or refused with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use supervisord_mcp::supervisor::ops::programs::{self, AddOptions, IncludeDir, ProgramSettings, ProgramSpec};
use supervisord_mcp::supervisor::{Channel, Client};

/// The files in the include directory.
fn conf_d(d: &Daemon) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d.path("conf.d"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn values_supervisord_would_misread_are_refused_with_the_reason_and_nothing_is_written() {
    let d = Daemon::start();
    let cases: [(&[&str], &str); 6] = [
        (&["--command", "echo A ; echo B # C"], "comment"),
        (&["--command", "echo %(here)s"], "%(here)s"),
        (&["--command", "printf \u{1b}[2J"], "control character"),
        (&["--command", "true", "--env", "Q=say \"hi\" it's"], "not both"),
        (&["--command", "true", "--env", "P=%(here)s/x"], "%(here)s"),
        (&["--command", "true", "--directory", "/tmp/ "], "whitespace"),
    ];
    for (args, why) in cases {
        let o = d
            .cli(Via::Unix)
            .args(["program", "add", "x", "--no-start"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{args:?}: {}", stderr(&o));
        assert!(conf_d(&d).is_empty(), "{args:?} wrote {:?}", conf_d(&d));
    }
    let o = d
        .cli(Via::Unix)
        .args(["program", "add", "x", "--command", "echo A ; echo B"])
        .output()
        .unwrap();
    assert!(stderr(&o).contains("script"), "says what to do instead: {}", stderr(&o));
    // What can be written comes back exactly: a backslash, quotes, `%` and unicode in
    // the environment, and ` ;`, ` #` and `%(here)s` in a run's arguments (quoted so
    // that the config parser keeps them).
    let o = d
        .cli(Via::Unix)
        .args(["run", "--json", "--env", r"WIN=C:\dir", "--env", r#"Q=say "hi" now"#])
        .args([
            "--env",
            "P=100% é",
            "--",
            "sh",
            "-c",
            r#"printf '%s|%s|%s|%s\n' "$WIN" "$Q" "$P" "$0""#,
        ])
        .arg("echo A ; echo B # C %(here)s")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        json(&o)["stdout"],
        json!([r#"C:\dir|say "hi" now|100% é|echo A ; echo B # C %(here)s"#])
    );
    assert!(conf_d(&d).is_empty(), "{:?}", conf_d(&d));
}

/// Hostile text, made mostly of pieces that a config parser or a shell treats
/// specially, with now and then a character that must be refused.
fn hostile() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let tricky = prop::sample::select(vec![
        "\"",
        "'",
        "\\",
        "%",
        "%(here)s",
        "%(ENV_HOME)s",
        "%%",
        " ;",
        " #",
        ";",
        "#",
        ",",
        "=",
        " ",
        "\t",
        "\u{a0}",
        "é",
        "日本",
        "🦀",
        "$HOME",
        "`id`",
        "[program:x]",
        "a=b,c",
        "\u{feff}",
        ":",
        "*",
    ]);
    let forbidden = prop::sample::select(vec![
        "\u{1b}[31m",
        "\u{7}",
        "\u{b}",
        "\u{c}",
        "\n",
        "\r",
        "\u{7f}",
        "\u{85}",
        "\u{202e}",
        "\u{2028}",
    ]);
    let piece = prop_oneof![
        8 => tricky.prop_map(str::to_owned),
        6 => "[a-zA-Z0-9/._-]{1,6}",
        2 => any::<char>().prop_filter("no NUL", |c| *c != '\0').prop_map(String::from),
        1 => forbidden.prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|v| v.concat())
}

static WRITTEN: AtomicUsize = AtomicUsize::new(0);
static REFUSED: AtomicUsize = AtomicUsize::new(0);

/// Prints its arguments and `$V` as JSON (ASCII), one line.
const SCRIPT: &str = "import json,os,sys; print(json.dumps([sys.argv[1:], os.environ.get('V')]))";

/// The arguments and the environment value a started program should see.
type Expected = (Vec<String>, Option<String>);

/// One hostile string of each kind: an argument, an environment value, a directory,
/// a command line.
type Strings = (String, String, String, String);

/// A spec, or None when refused (`ProgramSpec::new` checks every value before
/// anything is written: it does no I/O); a refusal names the value it refuses and
/// says what to do instead.
fn try_spec(name: String, cmd: String, settings: ProgramSettings) -> Result<Option<ProgramSpec>, String> {
    match ProgramSpec::new(name.clone(), cmd, settings) {
        Ok(s) => Ok(Some(s)),
        Err(e) => {
            let msg = e.to_string();
            let names_it = ["command", "argument", "environment", "directory"]
                .iter()
                .any(|f| msg.starts_with(f));
            let advises = [";", "remove it", "write ", "script"].iter().any(|a| msg.contains(a));
            if !(names_it && advises) {
                return Err(format!(
                    "{name}: a refusal that does not say which value or what to do: {msg}"
                ));
            }
            REFUSED.fetch_add(1, Ordering::Relaxed);
            Ok(None)
        }
    }
}

/// The programs for one set of strings: every string of a pair in one program when
/// both can be written, else one program per string. Started programs print what they
/// see; the others are only read back.
fn specs_for(
    i: usize,
    (arg, env, directory, command): &Strings,
) -> Result<Vec<(ProgramSpec, Option<Expected>)>, String> {
    let mut specs = Vec::new();
    let once = ProgramSettings {
        startsecs: Some(0),
        autorestart: Some("false".into()),
        ..ProgramSettings::default()
    };
    let with_env = ProgramSettings {
        environment: [("V".to_owned(), env.clone())].into(),
        ..once.clone()
    };
    let with_dir = ProgramSettings {
        directory: Some(directory.clone()),
        ..ProgramSettings::default()
    };
    let argv: Vec<String> = vec!["python3".into(), "-c".into(), SCRIPT.into(), arg.clone()];
    let plain = programs::command_from_argv(&argv[..3]).unwrap();
    let full = programs::command_from_argv(&argv).ok();
    let both = match &full {
        Some(cmd) => try_spec(format!("r{i}"), cmd.clone(), with_env.clone())?,
        None => None,
    };
    if let Some(spec) = both {
        specs.push((spec, Some((vec![arg.clone()], Some(env.clone())))));
    } else {
        if let Some(cmd) = full
            && let Some(spec) = try_spec(format!("a{i}"), cmd, once)?
        {
            specs.push((spec, Some((vec![arg.clone()], None))));
        }
        if let Some(spec) = try_spec(format!("e{i}"), plain, with_env)? {
            specs.push((spec, Some((vec![], Some(env.clone())))));
        }
    }
    if let Some(spec) = try_spec(format!("c{i}"), command.clone(), with_dir.clone())? {
        specs.push((spec, None));
    } else {
        if let Some(spec) = try_spec(format!("c{i}"), command.clone(), ProgramSettings::default())? {
            specs.push((spec, None));
        }
        if let Some(spec) = try_spec(format!("d{i}"), "true".into(), with_dir)? {
            specs.push((spec, None));
        }
    }
    Ok(specs)
}

/// Compares what `getAllConfigInfo` gives back with what was written.
async fn check_config(c: &Client, written: &[ProgramSpec]) -> Result<(), String> {
    let infos = c.get_all_config_info().await.unwrap();
    for spec in written {
        let info = infos
            .iter()
            .find(|i| i.group == spec.name)
            .ok_or(format!("{} missing", spec.name))?;
        if info.command != spec.command {
            return Err(format!(
                "{}: command {:?} came back as {:?}",
                spec.name, spec.command, info.command
            ));
        }
        let got = info.directory.clone().filter(|d| d != "none");
        if got != spec.settings.directory {
            return Err(format!(
                "{}: directory {:?} came back as {got:?}",
                spec.name, spec.settings.directory
            ));
        }
    }
    Ok(())
}

/// Starts the programs and compares what each printed with what it should see.
async fn check_seen(c: &Client, started: &[(String, Expected)]) -> Result<(), String> {
    for (name, _) in started {
        c.start_process(name, false, Duration::from_secs(10)).await.unwrap();
    }
    for (name, (argv, env)) in started {
        let deadline = Instant::now() + Duration::from_secs(20);
        let log = loop {
            let log = c
                .read_process_log(name, Channel::Stdout, 0, 0)
                .await
                .unwrap_or_default();
            if log.ends_with('\n') {
                break log;
            }
            if Instant::now() > deadline {
                let err = c.read_process_log(name, Channel::Stderr, 0, 0).await;
                return Err(format!("{name}: no output; stderr {err:?}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let first = log.lines().next().unwrap_or_default();
        let seen: Expected = serde_json::from_str(first).map_err(|e| format!("{e}: {log}"))?;
        if &seen.0 != argv || (env.is_some() && &seen.1 != env) {
            return Err(format!("{name}: sent {argv:?} {env:?}, the program saw {seen:?}"));
        }
    }
    Ok(())
}

/// Takes the programs out again (not what is tested here): one reload.
async fn clean(c: &Client, dir: &IncludeDir, written: &[ProgramSpec]) {
    for spec in written {
        c.stop_process_group(&spec.name, true, Duration::from_secs(10))
            .await
            .unwrap();
        c.remove_process_group(&spec.name).await.unwrap();
        std::fs::remove_file(dir.file_for(&spec.name)).unwrap();
    }
    c.reload_config().await.unwrap();
}

/// Writes one batch through `program add` (the library's), then checks it.
async fn round_trip_batch(d: &Daemon, batch: &[Strings]) -> Result<(), String> {
    let c = d.client();
    let dir = programs::include_dir(&c, Some(&d.path("conf.d"))).await.unwrap();
    let opts = AddOptions {
        start: false,
        keep_on_failure: false,
        wait: Default::default(),
    };
    let (mut written, mut started) = (Vec::new(), Vec::new());
    for (i, strings) in batch.iter().enumerate() {
        for (spec, expected) in specs_for(i, strings)? {
            programs::add(&c, &dir, &spec, &opts)
                .await
                .map_err(|e| format!("{}: {e}", spec.name))?;
            if let Some(e) = expected {
                started.push((spec.name.clone(), e));
            }
            written.push(spec);
        }
    }
    WRITTEN.fetch_add(written.len(), Ordering::Relaxed);
    check_config(&c, &written).await?;
    check_seen(&c, &started).await?;
    clean(&c, &dir, &written).await;
    Ok(())
}

#[test]
fn hostile_values_round_trip_exactly_or_are_refused_property() {
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    let d = Daemon::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let mut runner = TestRunner::new(Config {
        cases: 8,
        failure_persistence: None,
        max_shrink_iters: 24,
        ..Config::default()
    });
    let strategy = proptest::collection::vec((hostile(), hostile(), hostile(), hostile()), 8);
    let result = runner.run(&strategy, |batch| {
        rt.block_on(round_trip_batch(&d, &batch)).map_err(TestCaseError::fail)
    });
    eprintln!(
        "64 hostile strings x 4 kinds in {:.1} s: {} programs written and read back, {} refusals",
        started.elapsed().as_secs_f64(),
        WRITTEN.load(Ordering::Relaxed),
        REFUSED.load(Ordering::Relaxed)
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    // Both ways were taken: hostile values written and read back exactly, and others
    // refused (a writer that refused everything, or nothing, would fail here).
    assert!(WRITTEN.load(Ordering::Relaxed) >= 16, "too few written and read back");
    assert!(REFUSED.load(Ordering::Relaxed) >= 4, "too few refusals");
    assert!(conf_d(&d).is_empty(), "{:?}", conf_d(&d));
}
