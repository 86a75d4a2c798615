//! `logs` (and `logs -f`), `maintail` and `clear`.

use super::invalid_as_usage;
use crate::cli::LogsArgs;
use crate::cli::exit::{self, ExitStatus};
use crate::cli::output::Printer;
use crate::supervisor::ops::logs::filter::LogFilter;
use crate::supervisor::ops::logs::{self, FollowEvent, FollowOptions, LogSource, TailOptions};
use crate::supervisor::{Channel, Client};
use anyhow::Result;
use serde::Serialize;
use std::time::Duration;

#[derive(Serialize)]
struct LogsJson<'a> {
    name: &'a str,
    channel: Channel,
    #[serde(flatten)]
    tail: &'a logs::LogTail,
}

/// `logs NAME`: the last lines of a process's stdout (or `--stderr`, or `--both`),
/// filtered when asked, as text or JSON; `-f` follows until interrupted.
pub async fn cmd_logs(c: &Client, p: Printer, a: &LogsArgs) -> Result<ExitStatus> {
    let opts = TailOptions {
        lines: a.lines.get(),
        max_bytes: a.max_bytes,
        raw: a.raw,
    };
    let channel = if a.stderr { Channel::Stderr } else { Channel::Stdout };
    let filter = filter_of(a)?;
    if a.follow {
        let fopts = FollowOptions {
            tail: opts,
            poll: Duration::from_millis(200),
            filter,
        };
        let follow = logs::follow(c, &a.name, channel, &fopts, |ev| emit(p, ev));
        return follow_until_interrupted(follow).await;
    }
    let channels: &[Channel] = if a.both {
        &[Channel::Stdout, Channel::Stderr]
    } else {
        std::slice::from_ref(&channel)
    };
    let mut docs = Vec::new();
    for ch in channels {
        let src = LogSource::process(&a.name, *ch);
        let t = if filter.is_empty() {
            logs::tail(c, &src, &opts).await?
        } else {
            logs::tail_filtered(c, &src, &opts, &filter).await?
        };
        if !p.json {
            print_tail(p, a, *ch, &t)?;
        }
        docs.push((*ch, t));
    }
    if p.json {
        print_json(p, &a.name, &docs)?;
    }
    Ok(ExitStatus::Success)
}

/// The filter the arguments ask for (`--grep`, `--level`, `--where`, `--since`…); a
/// bad one is a usage error (exit 2), on one daemon or across targets.
pub(crate) fn filter_of(a: &LogsArgs) -> Result<LogFilter> {
    LogFilter::from_args(
        a.grep.as_deref(),
        a.context.get(),
        a.level.as_deref(),
        a.min_level.as_deref(),
        &a.wheres,
        a.since.as_deref(),
    )
    .map_err(invalid_as_usage)
}

/// One channel's lines as text (under a `==> NAME CHANNEL <==` header with `--both`),
/// and on stderr a note when the byte window ran out before the lines asked for.
fn print_tail(p: Printer, a: &LogsArgs, ch: Channel, t: &logs::LogTail) -> Result<()> {
    if a.both {
        p.line(&format!(
            "==> {} {} <==",
            crate::supervisor::text::shown(&a.name),
            ch.name()
        ))?;
    }
    p.log_lines(&t.lines)?;
    if t.truncated {
        eprintln!(
            "(stopped at {} bytes before finding {} lines; raise --max-bytes for more)",
            t.window_bytes,
            a.lines.get()
        );
    }
    Ok(())
}

/// The tails as JSON: one document for one channel, `{"logs": [...]}` for both.
fn print_json(p: Printer, name: &str, docs: &[(Channel, logs::LogTail)]) -> Result<()> {
    let docs: Vec<LogsJson> = docs
        .iter()
        .map(|(ch, t)| LogsJson {
            name,
            channel: *ch,
            tail: t,
        })
        .collect();
    match docs.as_slice() {
        [one] => p.json(one)?,
        many => p.json(&serde_json::json!({ "logs": many }))?,
    }
    Ok(())
}

/// Writes follow output; false (stop) when stdout is gone (e.g. `| head`).
fn emit(p: Printer, ev: FollowEvent) -> bool {
    match ev {
        FollowEvent::Lines(lines) => {
            if p.json {
                lines.iter().all(|l| p.json(&serde_json::json!({ "line": l })).is_ok())
            } else {
                p.log_lines(&lines).is_ok()
            }
        }
        FollowEvent::Truncated => {
            eprintln!("(log truncated or rotated; reading from its start)");
            true
        }
    }
}

/// Runs a follow until it ends, Ctrl-C, or stdout's reader goes away (`| head`):
/// at once, not when the next line would fail to be written.
async fn follow_until_interrupted(
    follow: impl std::future::Future<Output = crate::supervisor::Result<()>>,
) -> Result<ExitStatus> {
    tokio::select! {
        r = follow => { r?; Ok(ExitStatus::Success) }
        _ = tokio::signal::ctrl_c() => Ok(ExitStatus::Success),
        _ = stdout_closed() => Ok(ExitStatus::Success),
    }
}

/// Resolves when stdout is a pipe whose read end closed (Linux reports POLLERR on
/// the write end then). Never resolves for a terminal or a file, which cannot be
/// polled for that.
pub(crate) async fn stdout_closed() {
    use std::os::fd::{AsRawFd, RawFd};
    use tokio::io::Interest;
    use tokio::io::unix::AsyncFd;
    /// fd 1, borrowed: never closed here.
    struct Stdout;
    impl AsRawFd for Stdout {
        fn as_raw_fd(&self) -> RawFd {
            1
        }
    }
    // SAFETY: fd 1 stays open, on the same file description, for the whole life of
    // the process (nothing here closes or replaces stdout), so for this AsyncFd's too.
    let Ok(fd) = (unsafe { AsyncFd::register_with_interest(Stdout, Interest::ERROR) }) else {
        return std::future::pending().await;
    };
    loop {
        match fd.ready(Interest::ERROR).await {
            Ok(guard) if guard.ready().is_error() => return,
            Ok(mut guard) => guard.clear_ready(),
            Err(_) => return std::future::pending().await,
        }
    }
}

pub async fn cmd_maintail(c: &Client, p: Printer, lines: usize, follow: bool, raw: bool) -> Result<ExitStatus> {
    if follow {
        let f = logs::follow_stream(c, "/mainlogtail", raw, |ev| emit(p, ev));
        return follow_until_interrupted(f).await;
    }
    let opts = TailOptions {
        lines,
        raw,
        ..TailOptions::default()
    };
    let t = logs::tail(c, &LogSource::Main, &opts).await?;
    if p.json {
        p.json(&t)?;
    } else {
        p.log_lines(&t.lines)?;
    }
    Ok(ExitStatus::Success)
}

pub async fn cmd_clear(c: &Client, p: Printer, names: &[String]) -> Result<ExitStatus> {
    let r = logs::clear(c, names).await?;
    p.results(&r)?;
    Ok(exit::for_results(&r))
}
