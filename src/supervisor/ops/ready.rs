//! Readiness: "started" in Supervisord only means `startsecs` passed. An agent needs
//! "ready": the process is RUNNING and its HTTP URL answers, its TCP port accepts
//! connections, or a log line written since the call matches a pattern. A process
//! that leaves RUNNING while we wait fails at once, with its stderr tail.

use super::logs::{self, LogSource, TailOptions};
use super::poll::WaitProgress;
use super::result::{Failure, Outcome, POLL, ProcessResult, failure_details};
use crate::supervisor::Client;
use crate::supervisor::error::{Error, FaultCode, Result};
use crate::supervisor::transport::redact_url;
use crate::supervisor::types::{Channel, ProcessInfo, ProcessState};
use std::time::{Duration, Instant};

/// What "ready" means for one process. Every check given must pass.
#[derive(Debug, Clone, Default)]
pub struct ReadyCheck {
    /// An `http://` URL that must answer (any status below 400, or `expect_status`).
    pub url: Option<String>,
    pub expect_status: Option<u16>,
    /// A TCP address that must accept a connection: a port (on 127.0.0.1) or `host:port`.
    pub port: Option<String>,
    /// A regex that a stdout or stderr line written after the call starts must match.
    pub pattern: Option<regex::Regex>,
}

impl ReadyCheck {
    /// A check from its parts as people and agents give them; `pattern` is compiled
    /// here. Errors: [`Error::Usage`] for a pattern that is not a valid regex.
    pub fn new(
        url: Option<String>,
        expect_status: Option<u16>,
        port: Option<String>,
        pattern: Option<&str>,
    ) -> Result<ReadyCheck> {
        let pattern = pattern
            .map(regex::Regex::new)
            .transpose()
            .map_err(|e| Error::Usage(format!("the pattern is not a valid regex: {e}")))?;
        Ok(ReadyCheck {
            url,
            expect_status,
            port,
            pattern,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.url.is_none() && self.port.is_none() && self.pattern.is_none()
    }
}

/// Bound on one URL or port probe.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1000);
/// Probes `url`; what it says is shown without the URL's credentials.
async fn url_ok(http: &reqwest::Client, url: &str, expect: Option<u16>) -> std::result::Result<(), String> {
    let answer = http.get(url).timeout(PROBE_TIMEOUT).send().await;
    let url = redact_url(url);
    match answer {
        Ok(resp) => {
            let code = resp.status().as_u16();
            let good = match expect {
                Some(e) => code == e,
                None => code < 400,
            };
            if good {
                Ok(())
            } else {
                Err(format!("{url} answered {code}"))
            }
        }
        Err(e) if e.is_timeout() => Err(format!("{url} did not answer within {} ms", PROBE_TIMEOUT.as_millis())),
        Err(e) if e.is_connect() => Err(format!("{url}: connection refused")),
        Err(e) => Err(format!("{url}: {}", redact_url(&e.to_string()))),
    }
}

async fn port_ok(addr: &str) -> std::result::Result<(), String> {
    let target = if addr.contains(':') {
        addr.to_owned()
    } else {
        format!("127.0.0.1:{addr}")
    };
    match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(&target)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("{target}: {e}")),
        Err(_) => Err(format!("{target}: no answer within {} ms", PROBE_TIMEOUT.as_millis())),
    }
}

/// The log channels that exist for `name`, with their current size (where new
/// lines will start).
async fn log_cursors(client: &Client, name: &str) -> Result<Vec<(LogSource, u64)>> {
    let mut out = Vec::new();
    for ch in [Channel::Stdout, Channel::Stderr] {
        let src = LogSource::process(name, ch);
        match logs::size(client, &src).await {
            Ok(size) => out.push((src, size)),
            Err(Error::Fault(f)) if f.code == FaultCode::NoFile => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Where the checks of one wait stand: which have passed, the log line that
/// matched, and where each log channel's new lines start.
struct Checks<'a> {
    check: &'a ReadyCheck,
    http: reqwest::Client,
    cursors: Vec<(LogSource, u64)>,
    url_done: bool,
    port_done: bool,
    pattern_done: bool,
    matched_line: Option<String>,
}

impl<'a> Checks<'a> {
    /// Nothing passed yet; the log cursors are taken now, so only lines written from
    /// here on can match. Errors: the daemon's, reading log sizes.
    async fn start(client: &Client, name: &str, check: &'a ReadyCheck) -> Result<Checks<'a>> {
        let cursors = if check.pattern.is_some() {
            log_cursors(client, name).await?
        } else {
            Vec::new()
        };
        crate::supervisor::transport::install_default_provider();
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| Error::Invalid(format!("HTTP client: {e}")))?;
        Ok(Checks {
            check,
            http,
            cursors,
            url_done: check.url.is_none(),
            port_done: check.port.is_none(),
            pattern_done: check.pattern.is_none(),
            matched_line: None,
        })
    }

    /// How many checks there are, RUNNING included.
    fn total(&self) -> usize {
        1 + usize::from(self.check.url.is_some())
            + usize::from(self.check.port.is_some())
            + usize::from(self.check.pattern.is_some())
    }

    /// How many checks have passed, RUNNING included.
    fn passed(&self, state: ProcessState) -> usize {
        usize::from(state == ProcessState::Running)
            + usize::from(self.check.url.is_some() && self.url_done)
            + usize::from(self.check.port.is_some() && self.port_done)
            + usize::from(self.check.pattern.is_some() && self.pattern_done)
    }

    /// True when the URL, port and pattern checks have all passed.
    fn all_done(&self) -> bool {
        self.url_done && self.port_done && self.pattern_done
    }

    /// Probes the URL and the port not yet seen to answer; why each still fails
    /// goes to `missing`.
    async fn probe_network(&mut self, missing: &mut Vec<String>) {
        if !self.url_done
            && let Some(url) = &self.check.url
        {
            match url_ok(&self.http, url, self.check.expect_status).await {
                Ok(()) => self.url_done = true,
                Err(why) => missing.push(why),
            }
        }
        if !self.port_done
            && let Some(addr) = &self.check.port
        {
            match port_ok(addr).await {
                Ok(()) => self.port_done = true,
                Err(why) => missing.push(why),
            }
        }
    }

    /// Reads the log lines written since the last round and looks for one that
    /// matches the pattern; when none has yet, says so in `missing`.
    /// Errors: the daemon's, reading the logs.
    async fn scan_logs(&mut self, client: &Client, missing: &mut Vec<String>) -> Result<()> {
        let Some(re) = &self.check.pattern else {
            return Ok(());
        };
        if self.pattern_done {
            return Ok(());
        }
        for (src, cursor) in self.cursors.iter_mut() {
            let options = TailOptions {
                lines: 10_000,
                ..TailOptions::default()
            };
            let chunk = logs::read_since(client, src, *cursor, &options, &Default::default()).await?;
            *cursor = chunk.cursor;
            if let Some(line) = chunk.lines.iter().find(|l| re.is_match(l)) {
                self.matched_line = Some(line.clone());
                self.pattern_done = true;
                break;
            }
        }
        if !self.pattern_done {
            missing.push(format!("no log line matched /{re}/ yet"));
        }
        Ok(())
    }
}

/// The process's info, or the `no_such_process` result (with the closest name)
/// when the daemon does not know it.
async fn process_info(client: &Client, name: &str) -> Result<std::result::Result<ProcessInfo, ProcessResult>> {
    match client.get_process_info(name).await {
        Ok(i) => Ok(Ok(i)),
        Err(Error::Fault(f)) if f.code == FaultCode::BadName => {
            let all = client.get_all_process_info().await.unwrap_or_default();
            Ok(Err(ProcessResult::unknown(name, super::names::suggest(&all, name))))
        }
        Err(e) => Err(e),
    }
}

/// The `failed` result of a process that is neither RUNNING nor STARTING: it left
/// RUNNING (or never was started), with its failure details.
async fn not_running(client: &Client, name: &str, info: &ProcessInfo, seen_running: bool) -> ProcessResult {
    let state = info.state();
    let why = if seen_running || state != ProcessState::Stopped {
        format!("left RUNNING: {state}")
    } else {
        "is not running; start it first".to_owned()
    };
    let mut r = ProcessResult::new(name, Outcome::Failed, Some(state), why);
    r.failure = Some(failure_details(client, info, "ABNORMAL_TERMINATION").await);
    r.fault = Some(FaultCode::AbnormalTermination);
    r
}

/// The `reached` result, naming the log line that matched, if any.
fn ready(name: &str, started: Instant, matched_line: Option<String>) -> ProcessResult {
    let mut msg = format!("ready after {:.1} s", started.elapsed().as_secs_f64());
    if let Some(line) = matched_line {
        msg.push_str(&format!(" (log: {line})"));
    }
    ProcessResult::new(name, Outcome::Reached, Some(ProcessState::Running), msg)
}

/// The `timed_out` result, with what was still missing and the failure details.
async fn timed_out(
    client: &Client,
    info: &ProcessInfo,
    name: &str,
    timeout: Duration,
    missing: &[String],
) -> ProcessResult {
    let mut r = ProcessResult::new(
        name,
        Outcome::TimedOut,
        Some(info.state()),
        format!("not ready after {:.0} s: {}", timeout.as_secs_f64(), missing.join("; ")),
    );
    r.fault = Some(FaultCode::Failed);
    let f: Failure = failure_details(client, info, "TIMEOUT").await;
    r.failure = Some(f);
    r
}

/// Waits until `name` is RUNNING and `check` passes, or `timeout` passes.
/// Returns one result: `reached` (ready), `failed` (left RUNNING: with spawnerr,
/// exit status and stderr tail), `timed_out` (with what was still missing), or
/// `no_such_process`. `progress` is called after every round.
pub async fn wait_ready(
    client: &Client,
    name: &str,
    check: &ReadyCheck,
    timeout: Duration,
    mut progress: impl FnMut(&WaitProgress),
) -> Result<ProcessResult> {
    let started = Instant::now();
    let deadline = started + timeout;
    let mut checks = Checks::start(client, name, check).await?;
    let total = checks.total();
    let mut seen_running = false;
    loop {
        let info = match process_info(client, name).await? {
            Ok(info) => info,
            Err(unknown) => return Ok(unknown),
        };
        let state = info.state();
        let mut missing = Vec::new();
        match state {
            ProcessState::Running => {
                seen_running = true;
                checks.probe_network(&mut missing).await;
            }
            ProcessState::Starting => missing.push("still STARTING".into()),
            ProcessState::Backoff
            | ProcessState::Fatal
            | ProcessState::Exited
            | ProcessState::Stopped
            | ProcessState::Unknown
            | ProcessState::Stopping => return Ok(not_running(client, name, &info, seen_running).await),
        }
        checks.scan_logs(client, &mut missing).await?;
        progress(&WaitProgress {
            elapsed: started.elapsed(),
            timeout,
            settled: checks.passed(state),
            total,
        });
        if state == ProcessState::Running && checks.all_done() {
            return Ok(ready(name, started, checks.matched_line));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(timed_out(client, &info, name, timeout, &missing).await);
        }
        tokio::time::sleep(POLL.min(deadline - now)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::fake::{FakeDaemon, Model};

    fn append(d: &FakeDaemon, name: &str, line: &str) {
        d.model()
            .logs
            .entry((name.to_owned(), Channel::Stdout))
            .or_default()
            .extend_from_slice(line.as_bytes());
    }

    #[tokio::test]
    async fn ready_when_a_line_written_after_the_call_matches() {
        let d = FakeDaemon::start(Model::recorded()).await;
        append(&d, "colors", "listening on :8000 (an old line)\n");
        let check = ReadyCheck::new(None, None, None, Some("listening on")).unwrap_or_default();
        let model = d.model.clone();
        let writer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            if let Ok(mut m) = model.lock() {
                m.logs
                    .entry(("colors".to_owned(), Channel::Stdout))
                    .or_default()
                    .extend_from_slice(b"booting\nlistening on :8000\n");
            }
        });
        let r = wait_ready(&d.client(), "colors", &check, Duration::from_secs(5), |_| {}).await;
        let _ = writer.await;
        let r = r.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.outcome, Outcome::Reached, "{r:?}");
        assert!(r.message.contains("(log: listening on :8000)"), "{}", r.message);
    }

    #[tokio::test]
    async fn a_process_that_is_not_running_fails_at_once_and_a_typo_is_named() {
        let d = FakeDaemon::start(Model::recorded()).await;
        let check = ReadyCheck::new(None, None, Some("1".into()), None).unwrap_or_default();
        let r = wait_ready(&d.client(), "crasher", &check, Duration::from_secs(30), |_| {})
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (r.outcome, r.fault),
            (Outcome::Failed, Some(FaultCode::AbnormalTermination))
        );
        let r = wait_ready(&d.client(), "colours", &check, Duration::from_secs(30), |_| {})
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.outcome, Outcome::NoSuchProcess);
        assert_eq!(r.did_you_mean.as_deref(), Some("colors"));
        assert!(ReadyCheck::new(None, None, None, Some("(")).is_err());
    }
}
