//! `/metrics`: what `promtool check metrics` lints clean, a frozen target down within
//! its deadline, and a real Prometheus (Debian's `prometheus`, started here on
//! loopback with a 1 s scrape interval) scraping it with a read token: it sees
//! `supervisord_up`, a process's state, and a restart counter that grows while a
//! program crashes.

use super::*;

/// A program that crashes about every second, restarted by supervisord.
pub const CRASHY: &str = r#"
[program:crashy]
command=sh -c 'sleep 0.5; exit 3'
startsecs=0
autorestart=true
stdout_logfile=%(here)s/crashy.out.log
stderr_logfile=%(here)s/crashy.err.log
"#;

/// A targets file naming `targets` (name, url), in `dir`.
pub fn fleet_file(dir: &std::path::Path, targets: &[(&str, String)]) -> String {
    let mut toml = String::new();
    for (name, url) in targets {
        toml.push_str(&format!("[targets.{name}]\nurl = \"{url}\"\n"));
    }
    let file = dir.join("fleet.toml");
    std::fs::write(&file, toml).unwrap();
    file.display().to_string()
}

async fn get(url: &str, token: Option<&str>, accept: Option<&str>) -> (u16, String, String) {
    let mut r = client().get(format!("{url}/metrics"));
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    if let Some(a) = accept {
        r = r.header("accept", a);
    }
    let r = r.send().await.unwrap();
    let kind = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), kind, r.text().await.unwrap())
}

/// A tool of Debian's `prometheus` package; fails with how to install it.
fn prometheus_tool(name: &str) -> std::path::PathBuf {
    let p = std::path::PathBuf::from("/usr/bin").join(name);
    assert!(
        p.is_file(),
        "{} is missing: these tests need Debian's Prometheus: \
         apt-get install -y --no-install-recommends prometheus",
        p.display()
    );
    p
}

/// The line of `text` for `metric` whose labels include all of `labels`.
fn sample<'a>(text: &'a str, metric: &str, labels: &[&str]) -> Option<&'a str> {
    text.lines()
        .find(|l| l.starts_with(&format!("{metric}{{")) && labels.iter().all(|x| l.contains(x)))
}

#[tokio::test]
async fn metrics_lint_clean_and_a_frozen_target_is_down_within_its_deadline() {
    let a = Daemon::start();
    let b = Daemon::start_programs(false, CRASHY, "");
    let dir = tempfile::tempdir().unwrap();
    let fleet = fleet_file(dir.path(), &[("a", a.url(Via::Unix)), ("b", b.url(Via::Http))]);
    // Every scrape asks the targets (no background refresh).
    let s = serve(&fleet, &["--rpc-timeout", "2", "--metrics-refresh", "0"]);
    assert_eq!(get(&s.url, None, None).await.0, 401);
    let (status, kind, text) = get(&s.url, Some(READ), None).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    // promtool finds nothing.
    let mut lint = Command::new(prometheus_tool("promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut lint.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let out = lint.wait_with_output().unwrap();
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}\n{text}"
    );
    for (metric, labels) in [
        ("supervisord_up", vec!["target=\"a\""]),
        ("supervisord_up", vec!["target=\"b\""]),
        ("supervisord_state", vec!["target=\"a\"", "state=\"RUNNING\""]),
        (
            "supervisord_process_state",
            vec!["name=\"web_a\"", "group=\"web\"", "state=\"STOPPED\""],
        ),
        (
            "supervisord_process_cpu_seconds_total",
            vec!["target=\"a\"", "name=\"sleeper\""],
        ),
        ("supervisord_process_resident_memory_bytes", vec!["name=\"sleeper\""]),
        ("supervisord_build_info", vec!["version=\"4.3.0\""]),
    ] {
        let line = sample(&text, metric, &labels).unwrap_or_else(|| panic!("no {metric} {labels:?} in\n{text}"));
        if metric != "supervisord_process_cpu_seconds_total" && metric != "supervisord_process_resident_memory_bytes" {
            assert!(line.ends_with(" 1"), "{line}");
        }
    }
    // OpenMetrics when asked (as Prometheus does).
    let (_, kind, om) = get(
        &s.url,
        Some(OPERATE),
        Some("application/openmetrics-text;version=1.0.0"),
    )
    .await;
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    assert!(om.trim_end().ends_with("# EOF") && om.contains("# TYPE supervisord_process_restarts counter"));
    // A frozen target: down, within its deadline, and the other still up.
    b.signal("STOP");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let started = Instant::now();
    let (_, _, text) = get(&s.url, Some(READ), None).await;
    let took = started.elapsed();
    b.signal("CONT");
    assert!(
        took < Duration::from_secs(5),
        "a frozen target held the scrape {took:?}"
    );
    assert!(
        sample(&text, "supervisord_up", &["target=\"b\""]).is_some_and(|l| l.ends_with(" 0")),
        "{text}"
    );
    assert!(sample(&text, "supervisord_up", &["target=\"a\""]).is_some_and(|l| l.ends_with(" 1")));
    assert!(
        sample(&text, "supervisord_scrape_error", &["target=\"b\"", "kind=\"timeout\""]).is_some(),
        "{text}"
    );
}

/// The value of `metric` with `labels` in `text`.
fn value(text: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    sample(text, metric, labels)?.rsplit(' ').next()?.parse().ok()
}

/// Seconds since the Unix epoch, now.
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Scrapes until `until` holds for an answer (at most `secs`); every answer must be
/// under 4 s old (a 1 s refresh: two periods, plus room for a loaded machine's
/// fan-out). Returns the answer.
async fn scrape_until(url: &str, secs: u64, until: impl Fn(&str) -> bool) -> String {
    let since = Instant::now();
    loop {
        let (_, _, text) = get(url, Some(READ), None).await;
        let at = value(&text, "supervisord_scrape_timestamp_seconds", &["target=\"default\""])
            .unwrap_or_else(|| panic!("no time of asking in\n{text}"));
        assert!(unix_now() - at < 4.0, "served an answer {:.1} s old", unix_now() - at);
        if until(&text) {
            return text;
        }
        assert!(
            since.elapsed() < Duration::from_secs(secs),
            "never as expected:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// With a background refresh, a scrape is answered from a fan-out made before it
/// came (no daemon on its path), and the refresh follows the daemon: a program
/// stopped shows STOPPED within a few periods, and no answer is much older.
#[tokio::test]
async fn scrapes_are_answered_from_the_background_refresh_which_follows_the_daemon() {
    let d = Daemon::start();
    let s = serve(&d.url(Via::Unix), &["--metrics-refresh", "1"]);
    let state_is = |state: &'static str| {
        move |text: &str| {
            let labels = ["name=\"sleeper\"", &format!("state=\"{state}\"")];
            value(text, "supervisord_process_state", &labels) == Some(1.0)
        }
    };
    scrape_until(&s.url, 10, state_is("RUNNING")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sent = unix_now();
    let (_, _, text) = get(&s.url, Some(READ), None).await;
    let asked = value(&text, "supervisord_scrape_timestamp_seconds", &["target=\"default\""]);
    assert!(
        asked.is_some_and(|at| at < sent && sent - at < 4.0),
        "asked at {asked:?}, scraped at {sent}: not answered from the refresh"
    );
    let stopped = d.cli(Via::Unix).args(["stop", "sleeper"]).output().unwrap();
    assert!(stopped.status.success(), "{}", stderr(&stopped));
    scrape_until(&s.url, 5, state_is("STOPPED")).await;
}

/// A Prometheus started on loopback, scraping `serve` every second with a bearer
/// token from a file; killed (with its data dir) on drop.
struct Prometheus {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(target_port: u16, token: &str) -> Prometheus {
        let bin = prometheus_tool("prometheus");
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("token");
        std::fs::write(&token_file, token).unwrap();
        let conf = dir.path().join("prometheus.yml");
        std::fs::write(
            &conf,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
                 scrape_configs:\n  - job_name: supervisord\n    authorization:\n      credentials_file: {}\n\
                 \x20   static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n",
                token_file.display()
            ),
        )
        .unwrap();
        let (child, port) = spawn_on_free_port(
            |port| {
                let mut c = Command::new(&bin);
                c.arg(format!("--config.file={}", conf.display()))
                    .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
                    .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                    .stdout(Stdio::null());
                c
            },
            &dir.path().join("stderr"),
        );
        Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    /// The value of the one series `query` gives (`None` while there is none).
    async fn value(&self, query: &str) -> Option<f64> {
        let q: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
        let r = client()
            .get(format!("{}/api/v1/query?query={q}", self.url))
            .send()
            .await
            .ok()?;
        let v: serde_json::Value = r.json().await.ok()?;
        v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    }

    /// Waits (at most `secs`) until `query`'s value passes `ok`; returns it.
    async fn wait(&self, secs: u64, query: &str, ok: impl Fn(f64) -> bool) -> f64 {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(v) = self.value(query).await
                && ok(v)
            {
                return v;
            }
            assert!(Instant::now() < deadline, "Prometheus never saw {query} as expected");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

#[tokio::test]
async fn prometheus_scrapes_it_and_sees_a_restart_counter_grow() {
    let d = Daemon::start_programs(
        false,
        &format!("{CRASHY}\n[program:sleeper]\ncommand=sleep 100000\nstdout_logfile=NONE\nstderr_logfile=NONE\n"),
        "",
    );
    let installed = d.cli(Via::Unix).args(["events", "install"]).output().unwrap();
    assert!(installed.status.success(), "{}", stderr(&installed));
    let s = serve(&d.url(Via::Unix), &[]);
    let p = Prometheus::start(s.port, READ);
    p.wait(60, "supervisord_up", |v| v == 1.0).await;
    p.wait(
        30,
        r#"supervisord_process_state{name="sleeper",state="RUNNING"}"#,
        |v| v == 1.0,
    )
    .await;
    let restarts = r#"supervisord_process_restarts_total{name="crashy"}"#;
    let first = p.wait(30, restarts, |v| v >= 1.0).await;
    p.wait(30, restarts, |v| v >= first + 3.0).await;
    p.wait(
        30,
        r#"supervisord_process_unexpected_exits_total{name="crashy"}"#,
        |v| v >= 2.0,
    )
    .await;
}
