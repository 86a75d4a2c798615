//! Logs across targets: the last lines of each target's log, one section each; with
//! `-f`, every target followed at once, the lines interleaved as they come, each
//! prefixed with its target.

use super::{each, envelope, every, failed_lines, or_failed};
use crate::cli::LogsArgs;
use crate::cli::exit::ExitStatus;
use crate::cli::output::Printer;
use crate::fleet::report::failed_line;
use crate::fleet::{Fleet, Summary, Target};
use crate::supervisor::Channel;
use crate::supervisor::ops::logs::{self, FollowEvent, FollowOptions, LogSource, LogTail, TailOptions};
use crate::supervisor::text::shown;
use anyhow::Result;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

pub async fn logs(fleet: &Fleet, p: Printer, a: &LogsArgs) -> Result<ExitStatus> {
    let planned = fleet.plan(std::slice::from_ref(&a.name), false)?;
    let channel = if a.stderr { Channel::Stderr } else { Channel::Stdout };
    let opts = TailOptions {
        lines: a.lines.get(),
        max_bytes: a.max_bytes,
        raw: a.raw,
    };
    let filter = crate::cli::cmd::logs::filter_of(a)?;
    if a.follow {
        let fopts = FollowOptions {
            tail: opts,
            poll: Duration::from_millis(200),
            filter,
        };
        return follow(planned, p, move |t, names, tx| {
            let fopts = fopts.clone();
            async move {
                let name = names.first().cloned().unwrap_or_default();
                let prefix = format!("{}/{}", t.name, shown(&name));
                logs::follow(&t.client, &name, channel, &fopts, |ev| send(&tx, &prefix, ev)).await
            }
        })
        .await;
    }
    let outcomes = each(fleet, planned, Duration::ZERO, |t, names| {
        let (opts, filter) = (opts.clone(), filter.clone());
        async move {
            let name = names.first().cloned().unwrap_or_default();
            let src = LogSource::process(&name, channel);
            let tail = if filter.is_empty() {
                logs::tail(&t.client, &src, &opts).await?
            } else {
                logs::tail_filtered(&t.client, &src, &opts, &filter).await?
            };
            Ok((name, tail))
        }
    })
    .await;
    print_sections(p, &outcomes, channel.name())
}

pub async fn maintail(fleet: &Fleet, p: Printer, lines: usize, follow_it: bool, raw: bool) -> Result<ExitStatus> {
    let planned = every(fleet)?;
    if follow_it {
        return follow(planned, p, move |t, _, tx| async move {
            let prefix = t.name.clone();
            logs::follow_stream(&t.client, "/mainlogtail", raw, |ev| send(&tx, &prefix, ev)).await
        })
        .await;
    }
    let opts = TailOptions {
        lines,
        raw,
        ..TailOptions::default()
    };
    let outcomes = each(fleet, planned, Duration::ZERO, |t, _| {
        let opts = opts.clone();
        async move { Ok((String::new(), logs::tail(&t.client, &LogSource::Main, &opts).await?)) }
    })
    .await;
    print_sections(p, &outcomes, "supervisord")
}

/// `==> target/name stdout <==` and the lines, per target; failed targets; summary.
fn print_sections(p: Printer, outcomes: &[crate::fleet::Outcome<(String, LogTail)>], what: &str) -> Result<ExitStatus> {
    if p.json {
        p.json(&envelope(outcomes, serde_json::json!({})))?;
        return Ok(or_failed(outcomes, ExitStatus::Success));
    }
    for o in outcomes {
        if let Ok((name, t)) = &o.result {
            let who = if name.is_empty() {
                o.target.clone()
            } else {
                format!("{}/{}", o.target, shown(name))
            };
            p.line(&format!("==> {who} {what} <=="))?;
            p.log_lines(&t.lines)?;
        }
    }
    let mut tail = failed_lines(outcomes);
    tail.push(Summary::of(outcomes).line());
    p.lines(&tail)?;
    Ok(or_failed(outcomes, ExitStatus::Success))
}

/// A line for the printer, or a target's end.
enum Line {
    Text(String),
    Failed(String),
}

/// Lines waiting for stdout, at most; beyond, lines are counted, not kept, and the
/// count is said on stderr (memory stays bounded whatever the targets write).
const QUEUE_LINES: usize = 16_384;

/// Where the followers put their lines, and how many found the queue full.
#[derive(Clone)]
struct Queue {
    tx: mpsc::Sender<Line>,
    dropped: Arc<AtomicUsize>,
}

fn send(q: &Queue, prefix: &str, ev: FollowEvent) -> bool {
    use mpsc::error::TrySendError;
    match ev {
        FollowEvent::Lines(lines) => {
            lines
                .into_iter()
                .all(|l| match q.tx.try_send(Line::Text(format!("{prefix} | {l}"))) {
                    Ok(()) => true,
                    Err(TrySendError::Full(_)) => {
                        q.dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        true
                    }
                    Err(TrySendError::Closed(_)) => false,
                })
        }
        FollowEvent::Truncated => true,
    }
}

/// Follows every target at once until Ctrl-C, until stdout's reader goes away
/// (`| head`), or until every follower has ended; a target that fails says so on
/// stderr and the others go on.
async fn follow<F, Fut>(planned: Vec<(Target, Vec<String>)>, p: Printer, op: F) -> Result<ExitStatus>
where
    F: Fn(Target, Vec<String>, Queue) -> Fut,
    Fut: std::future::Future<Output = crate::supervisor::Result<()>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(QUEUE_LINES);
    let queue = Queue {
        tx,
        dropped: Default::default(),
    };
    let (mut tasks, unusable) = spawn_followers(planned, &queue, op);
    let dropped = queue.dropped.clone();
    drop(queue);
    let failed = print_lines(rx, p, &dropped).await;
    tasks.abort_all();
    Ok(if unusable || failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Starts one follower per usable target, writing to `queue`; a follower that fails
/// sends its error as its last line. Says on stderr why each unusable target is not
/// followed; the flag returned is true when there was one.
fn spawn_followers<F, Fut>(planned: Vec<(Target, Vec<String>)>, queue: &Queue, op: F) -> (JoinSet<()>, bool)
where
    F: Fn(Target, Vec<String>, Queue) -> Fut,
    Fut: std::future::Future<Output = crate::supervisor::Result<()>> + Send + 'static,
{
    let mut unusable = false;
    let mut tasks = JoinSet::new();
    for (t, names) in planned {
        let name = t.name.clone();
        if let Err(e) = t.usable() {
            crate::cli::output::warn(&failed_line(&name, &e));
            unusable = true;
            continue;
        }
        let done = queue.tx.clone();
        let work = op(t, names, queue.clone());
        tasks.spawn(async move {
            if let Err(e) = work.await {
                let e = crate::fleet::TargetError::from_error(&e);
                let _ = done.send(Line::Failed(failed_line(&name, &e))).await;
            }
        });
    }
    (tasks, unusable)
}

/// Prints the followers' lines as they come, and on stderr how many the queue had
/// no room for and the followers' errors, until Ctrl-C, until stdout's reader goes
/// away, or until every follower has ended. True when a follower failed.
async fn print_lines(mut rx: mpsc::Receiver<Line>, p: Printer, dropped: &AtomicUsize) -> bool {
    let mut failed = false;
    let closed = crate::cli::cmd::logs::stdout_closed();
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(closed, interrupted);
    loop {
        tokio::select! {
            line = rx.recv() => match line {
                Some(Line::Text(l)) => {
                    if p.log_lines(&[l]).is_err() {
                        break;
                    }
                    let lost = dropped.swap(0, std::sync::atomic::Ordering::Relaxed);
                    if lost > 0 {
                        eprintln!("({lost} lines not shown: the output could not keep up)");
                    }
                }
                Some(Line::Failed(m)) => {
                    failed = true;
                    crate::cli::output::warn(&m);
                }
                None => break,
            },
            _ = &mut interrupted => break,
            () = &mut closed => break,
        }
    }
    failed
}
