//! Logs across targets: the last lines of each target's log, one section each; with
//! `-f`, every target followed at once, the lines interleaved as they come, each
//! prefixed with its target.

use super::{failed_lines, json, or_failed, typed};
use crate::cli::LogsArgs;
use crate::cli::exit::ExitStatus;
use crate::cli::output::Printer;
use crate::fleet::exec::{self, Call, LogsRead, Op, Output, Report};
use crate::fleet::report::failed_line;
use crate::fleet::{Fleet, Target};
use crate::supervisor::Channel;
use crate::supervisor::ops::logs::{self, FollowEvent, FollowOptions, LogTail, TailOptions};
use crate::supervisor::text::shown;
use anyhow::Result;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// `logs NAME` (not followed): the last lines of the process's log on each target.
pub fn logs_op(a: &LogsArgs) -> Result<Op> {
    Ok(Op::Logs(LogsRead {
        channel: channel(a),
        opts: tail_options(a),
        filter: crate::cli::cmd::logs::filter_of(a)?,
        cursor: None,
        at_end: false,
    }))
}

fn channel(a: &LogsArgs) -> Channel {
    if a.stderr { Channel::Stderr } else { Channel::Stdout }
}

fn tail_options(a: &LogsArgs) -> TailOptions {
    TailOptions {
        lines: a.lines.get(),
        max_bytes: a.max_bytes,
        raw: a.raw,
    }
}

/// `logs -f NAME` across targets: each target's process followed at once.
pub async fn follow_logs(fleet: &Fleet, p: Printer, a: &LogsArgs) -> Result<ExitStatus> {
    let call = Call::new(logs_op(a)?, vec![a.name.clone()]);
    let planned = exec::plan(fleet, &call)?;
    let fopts = FollowOptions {
        tail: tail_options(a),
        poll: Duration::from_millis(200),
        filter: crate::cli::cmd::logs::filter_of(a)?,
    };
    let channel = channel(a);
    follow(planned, p, move |t, names, tx| {
        let fopts = fopts.clone();
        async move {
            let name = names.first().cloned().unwrap_or_default();
            let prefix = format!("{}/{}", t.name, shown(&name));
            logs::follow(&t.client, &name, channel, &fopts, |ev| send(&tx, &prefix, ev)).await
        }
    })
    .await
}

/// `maintail -f` across targets: supervisord's own log of each, followed at once.
pub async fn follow_main(fleet: &Fleet, p: Printer, lines: usize, raw: bool) -> Result<ExitStatus> {
    let call = Call::new(super::main_log_op(lines, raw), Vec::new());
    let planned = exec::plan(fleet, &call)?;
    follow(planned, p, move |t, _, tx| async move {
        let prefix = t.name.clone();
        logs::follow_stream(&t.client, "/mainlogtail", raw, |ev| send(&tx, &prefix, ev)).await
    })
    .await
}

/// `==> target/name stdout <==` (`==> target supervisord <==` for its own log) and
/// the lines, per target; failed targets; summary.
pub fn sections(p: Printer, report: &Report, channel: Channel) -> Result<ExitStatus> {
    let outcomes = typed(report, |o| matches!(o, Output::Tail(..)).then_some(o));
    if p.json {
        json(p, report)?;
        return Ok(or_failed(&outcomes, ExitStatus::Success));
    }
    for o in &outcomes {
        if let Ok(Output::Tail(name, t)) = &o.result {
            print_section(p, &o.target, name, channel, t)?;
        }
    }
    let mut tail = failed_lines(&outcomes);
    tail.push(report.summary.line());
    p.lines(&tail)?;
    Ok(or_failed(&outcomes, ExitStatus::Success))
}

fn print_section(p: Printer, target: &str, name: &str, channel: Channel, t: &LogTail) -> Result<()> {
    let (who, what) = if name.is_empty() {
        (target.to_owned(), "supervisord")
    } else {
        (format!("{target}/{}", shown(name)), channel.name())
    };
    p.line(&format!("==> {who} {what} <=="))?;
    p.log_lines(&t.lines)?;
    Ok(())
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
