//! The dashboard as people use it: a real headless Chromium (Debian's `chromium`,
//! driven through Debian's `chromedriver` by fantoccini) against two real supervisord
//! daemons, in one browser session: log in, see every target and process, follow a
//! log, stop and start a process and see its state change without reloading, a
//! cross-site POST refused, a read token's action refused. Takes the screenshots
//! of docs/ (written there when `UPDATE_SCREENSHOTS=1`). Chromedriver and every
//! Chromium process it started are killed when the test ends, however it ends.

use super::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::io::{Read, Write};

/// Chromium's flags here: headless as root, no network of its own.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1300,1000",
];

/// Where Debian puts the browser and its driver; fails with how to install them.
fn installed(path: &str) -> &str {
    assert!(
        std::path::Path::new(path).is_file(),
        "{path} is missing: the browser tests need Debian's Chromium and its driver: \
         apt-get install -y --no-install-recommends chromium chromium-driver"
    );
    path
}

/// A chromedriver; on drop it and every process it started (Chromium and its
/// helpers carry `MARK` in their environment) are killed.
struct Driver {
    child: std::process::Child,
    port: u16,
    mark: String,
    dir: tempfile::TempDir,
}

const MARK: &str = "SUPERVISORD_MCP_BROWSER_TEST";

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let wanted = format!("{MARK}={}", self.mark);
        for _ in 0..3 {
            for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                    continue;
                };
                let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
                if env.split(|b| *b == 0).any(|v| v == wanted.as_bytes()) {
                    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Driver {
    fn start() -> Driver {
        installed("/usr/bin/chromium");
        let bin = installed("/usr/bin/chromedriver");
        let dir = tempfile::tempdir().unwrap();
        let mark = format!("{}-{}", std::process::id(), Instant::now().elapsed().as_nanos());
        let (child, port) = spawn_on_free_port(
            |port| {
                let mut c = Command::new(bin);
                c.arg(format!("--port={port}")).env(MARK, &mark).stdout(Stdio::null());
                c
            },
            &dir.path().join("stderr"),
        );
        Driver { child, port, mark, dir }
    }

    async fn session(&self) -> Client {
        let mut args: Vec<String> = FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", self.dir.path().join("profile").display()));
        let caps =
            json!({"browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}});
        let Value::Object(caps) = caps else { unreachable!() };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|e| panic!("no Chromium session: {e}"))
    }
}

/// Runs `script` in the page (its `return`).
async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Waits (at most `secs`) until `script` returns true in the page.
async fn until(c: &Client, secs: u64, what: &str, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if js(c, script).await == Value::Bool(true) {
            return;
        }
        if Instant::now() > deadline {
            let body = js(c, "return document.body.innerText").await;
            panic!("timed out waiting for {what}; the page says:\n{body}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An expression: the state shown in the overview row of `target`/`name`.
fn shown_state(target: &str, name: &str) -> String {
    format!(
        "([...document.querySelectorAll('tr.proc')].find(r => r.dataset.target === {t} && r.dataset.name === {n})\
         ?.querySelector('.state')?.innerText.trim())",
        t = json!(target),
        n = json!(name)
    )
}

/// Clicks the element `css` finds.
async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

async fn log_in(c: &Client, url: &str, token: &str) {
    c.goto(&format!("{url}/")).await.unwrap();
    until(c, 10, "the login page", "return !!document.querySelector('#token')").await;
    c.find(Locator::Css("#token"))
        .await
        .unwrap()
        .send_keys(token)
        .await
        .unwrap();
    click(c, "form button[type=submit]").await;
    until(
        c,
        10,
        "the overview",
        "return location.pathname === '/' && !!document.querySelector('#processes')",
    )
    .await;
}

/// Clicks the action link `css` and accepts its confirmation.
async fn act(c: &Client, css: &str) {
    click(c, css).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.accept_alert()
        .await
        .unwrap_or_else(|e| panic!("no confirmation for {css}: {e}"));
}

/// A page on another origin (another port) whose form posts to `target` at once.
fn evil_site(target: &str) -> (u16, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let page = format!(
        "<!doctype html><form id=f method=post action=\"{target}/action\">\
         <input name=op value=stop><input name=t value=web-1><input name=n value=sleeper></form>\
         <script>document.getElementById('f').submit()</script>"
    );
    let handle = std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let r = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = s.write_all(r.as_bytes());
        }
    });
    (port, handle)
}

/// Saves a screenshot under target/, and into docs/ with `UPDATE_SCREENSHOTS=1`.
async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), &png).unwrap();
    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs").join(name),
            &png,
        )
        .unwrap();
    }
}

const PROGRAMS: &str = r#"
[program:sleeper]
command=sleep 100000
stdout_logfile=NONE
stderr_logfile=NONE

[program:ticker]
command=sh -c 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.3; done'
stdout_logfile=%(here)s/ticker.out.log
stderr_logfile=%(here)s/ticker.err.log

[program:crasher]
command=sh -c 'echo "crasher: cannot open /etc/app/config.toml: No such file or directory" >&2; exit 3'
startsecs=1
startretries=0
stdout_logfile=%(here)s/crasher.out.log
stderr_logfile=%(here)s/crasher.err.log

[program:api]
command=sleep 100000
numprocs=2
process_name=%(program_name)s_%(process_num)d
stdout_logfile=NONE
stderr_logfile=NONE
"#;

#[tokio::test]
async fn the_dashboard_in_a_real_chromium() {
    let (a, b) = (
        Daemon::start_programs(false, PROGRAMS, ""),
        Daemon::start_programs(false, PROGRAMS, ""),
    );
    let dir = tempfile::tempdir().unwrap();
    let fleet = super::metrics::fleet_file(dir.path(), &[("web-1", a.url(Via::Unix)), ("web-2", b.url(Via::Http))]);
    let s = serve(&fleet, &[]);
    let driver = Driver::start();
    let c = driver.session().await;
    a.wait_for(20, "crasher FATAL", |v| v.to_string().contains("FATAL"));
    b.wait_for(20, "crasher FATAL", |v| v.to_string().contains("FATAL"));
    // Log in; every target and process is there.
    log_in(&c, &s.url, OPERATE).await;
    let rows = js(&c, "return document.querySelectorAll('tr.proc').length").await;
    assert_eq!(rows, json!(10), "5 processes on each of 2 targets");
    let targets = js(
        &c,
        "return [...document.querySelectorAll('#targets tbody tr')].map(r => r.dataset.target)",
    )
    .await;
    assert_eq!(targets, json!(["web-1", "web-2"]));
    until(&c, 10, "live updates", "return document.body.dataset.live === 'on'").await;
    screenshot(&c, "dashboard-overview.png").await;
    // Stop and start a process: its state changes with no reload.
    js(&c, "window.__same_page = 42; return true").await;
    act(
        &c,
        "tr.proc[data-target='web-1'] a.act[data-op='stop'][data-n='sleeper']",
    )
    .await;
    let sleeper = shown_state("web-1", "sleeper");
    until(&c, 20, "sleeper STOPPED", &format!("return {sleeper} === 'STOPPED'")).await;
    assert_eq!(a.state("sleeper"), "STOPPED");
    act(
        &c,
        "tr.proc[data-target='web-1'] a.act[data-op='start'][data-n='sleeper']",
    )
    .await;
    until(&c, 20, "sleeper RUNNING", &format!("return {sleeper} === 'RUNNING'")).await;
    // A group across both targets, with progress per target.
    act(&c, "#groups a.act[data-op='restart'][data-n='api:*']").await;
    let newest = "document.querySelector('#progress .run')";
    until(
        &c,
        30,
        "both targets done",
        &format!("return {newest}.querySelectorAll('li.ok').length === 2 && {newest}.querySelector('p.ok') !== null"),
    )
    .await;
    let progress = js(&c, &format!("return {newest}.innerText")).await;
    let progress = progress.as_str().unwrap_or("");
    assert!(
        progress.contains("web-1: api:api_0 RUNNING") && progress.contains("2 targets: 2 ok"),
        "{progress}"
    );
    assert_eq!(
        js(&c, "return window.__same_page").await,
        json!(42),
        "the page was not reloaded"
    );
    // A cross-site POST (another origin's form, with the browser's cookie): refused.
    let (evil, server) = evil_site(&s.url);
    c.goto(&format!("http://127.0.0.1:{evil}/")).await.unwrap();
    until(
        &c,
        10,
        "the forged POST's answer",
        "return location.pathname === '/action'",
    )
    .await;
    let said = js(&c, "return document.body.innerText").await;
    assert!(said.as_str().unwrap_or("").contains("Forbidden"), "{said}");
    server.join().unwrap();
    assert_eq!(a.state("sleeper"), "RUNNING", "the forged stop did nothing");
    // Follow a log: new lines appear without reloading.
    c.goto(&format!("{}/process?t=web-1&n=ticker", s.url)).await.unwrap();
    let last = "Number((document.querySelector('pre.lines[data-ch=stdout]').innerText.trim().split('\\n').pop() || '').split(' ')[1] || 0)";
    let first = js(&c, &format!("return {last}")).await.as_i64().unwrap_or(0);
    until(&c, 15, "new log lines", &format!("return {last} >= {}", first + 3)).await;
    // A crashed process, for the docs.
    c.goto(&format!("{}/process?t=web-2&n=crasher", s.url)).await.unwrap();
    until(
        &c,
        10,
        "the crasher's page",
        "return document.body.innerText.includes('cannot open /etc/app/config.toml')",
    )
    .await;
    screenshot(&c, "dashboard-crashed-process.png").await;
    // A read token: no actions offered, and one asked for anyway is refused.
    c.goto(&format!("{}/", s.url)).await.unwrap();
    click(&c, "form.logout button").await;
    until(&c, 10, "the login page", "return location.pathname === '/login'").await;
    log_in(&c, &s.url, READ).await;
    assert_eq!(
        js(&c, "return document.querySelectorAll('a.act').length").await,
        json!(0)
    );
    c.goto(&format!("{}/action?op=stop&t=web-1&n=sleeper", s.url))
        .await
        .unwrap();
    click(&c, "main form button[type=submit]").await;
    until(
        &c,
        10,
        "the refusal",
        "return document.body.innerText.includes('REFUSED')",
    )
    .await;
    let said = js(&c, "return document.body.innerText").await;
    assert!(
        said.as_str().unwrap_or("").contains("the token grafana has scope read"),
        "{said}"
    );
    assert_eq!(a.state("sleeper"), "RUNNING");
    c.close().await.unwrap();
}
