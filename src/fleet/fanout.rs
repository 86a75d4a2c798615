//! One operation on many targets: asked in parallel, at most `concurrency` at a time,
//! each within its own deadline covering connect, request and reply (a frozen daemon
//! accepts connections and never answers: only a deadline on the whole call catches
//! it). One dead, frozen or misconfigured target never delays or hides the others:
//! every target has an outcome, sorted by target name, never by who finished first.
//! The replies held at once are bounded for all targets together (a
//! [`ReplyBudget`]): a target answering too much fails alone, with kind `too_large`.

use super::error::TargetError;
use super::target::Target;
use crate::supervisor::transport::ReplyBudget;
use crate::supervisor::{Client, Error, ErrorKind};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

/// What an operation on one target may fail with: the core's error, or a failure
/// already sorted (a front end that captured it).
pub trait IntoTargetError {
    fn into_target_error(self) -> TargetError;
}

impl IntoTargetError for Error {
    fn into_target_error(self) -> TargetError {
        TargetError::from_error(&self)
    }
}

impl IntoTargetError for TargetError {
    fn into_target_error(self) -> TargetError {
        self
    }
}

/// What one target gave.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetOutcome<T> {
    pub target: String,
    pub elapsed: Duration,
    pub result: Result<T, TargetError>,
}

/// How much one fan-out may take at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most targets asked at once.
    pub concurrency: usize,
    /// Bytes of replies held at once, all targets together (`--fleet-memory`,
    /// `[defaults] fleet_memory_mib`); each target is sure of this over the targets
    /// asked at once, and may borrow what is free past it.
    pub memory: usize,
}

/// Runs `op` on every target with its argument (its names, say; each target has its
/// own client, its replies counted in one [`ReplyBudget`] of `limits.memory` bytes),
/// at most `limits.concurrency` at a time, each bounded by `deadline(target)`.
/// One outcome per target, sorted by name.
pub async fn fan_out<A, T, E, F, Fut>(
    items: Vec<(Target, A)>,
    limits: Limits,
    deadline: impl Fn(&Target) -> Duration,
    op: F,
) -> Vec<TargetOutcome<T>>
where
    T: Send + 'static,
    E: IntoTargetError + Send + 'static,
    F: Fn(Target, A) -> Fut,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
{
    let concurrency = limits.concurrency.max(1);
    let usable = items.iter().filter(|(t, _)| t.unusable.is_none()).count();
    let budget = ReplyBudget::new(limits.memory, concurrency.min(usable));
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut set = JoinSet::new();
    let mut names = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    for (mut t, arg) in items {
        if let Some(e) = t.unusable.clone() {
            out.push(TargetOutcome {
                target: t.name.clone(),
                elapsed: Duration::ZERO,
                result: Err(e),
            });
            continue;
        }
        let limit = deadline(&t);
        let name = t.name.clone();
        t.client = Client::from_transport(t.client.transport().clone().with_reply_budget(budget.clone()));
        let work = op(t, arg);
        // A target whose turn is now has its deadline counted from now, not from when
        // its task first runs (a thousand tasks start one after another).
        let turn = permits.clone().try_acquire_owned().ok().map(|p| (p, Instant::now()));
        let task = set.spawn(ask_one(name.clone(), limit, permits.clone(), turn, work));
        names.insert(task.id(), name);
    }
    join_all(set, names, &mut out).await;
    out.sort_by(|a, b| a.target.cmp(&b.target));
    out
}

/// Asks one target: waits for its turn (a permit) unless `turn` already came (the
/// permit, and when), then runs `work` within `limit`, counted from the turn.
async fn ask_one<T, E, Fut>(
    name: String,
    limit: Duration,
    permits: Arc<Semaphore>,
    turn: Option<(OwnedSemaphorePermit, Instant)>,
    work: Fut,
) -> TargetOutcome<T>
where
    E: IntoTargetError,
    Fut: Future<Output = Result<T, E>>,
{
    let (_permit, started) = match turn {
        Some((permit, at)) => (Ok(permit), at),
        None => (permits.acquire_owned().await, Instant::now()),
    };
    let until = tokio::time::Instant::from_std(started + limit);
    let result = match tokio::time::timeout_at(until, work).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.into_target_error()),
        Err(_) => Err(TargetError::new(
            ErrorKind::Timeout,
            format!("no reply in {:.1} s", limit.as_secs_f64()),
        )),
    };
    TargetOutcome {
        target: name,
        elapsed: started.elapsed(),
        result,
    }
}

/// Adds the outcome of every task of `set` to `out`, as they finish. A task that
/// panicked still gets its row (named from `names`): no target is ever hidden.
async fn join_all<T: 'static>(
    mut set: JoinSet<TargetOutcome<T>>,
    mut names: HashMap<tokio::task::Id, String>,
    out: &mut Vec<TargetOutcome<T>>,
) {
    while let Some(done) = set.join_next_with_id().await {
        match done {
            Ok((_, o)) => out.push(o),
            Err(e) => out.push(TargetOutcome {
                target: names.remove(&e.id()).unwrap_or_default(),
                elapsed: Duration::ZERO,
                result: Err(TargetError::new(
                    ErrorKind::Protocol,
                    "internal error while asking this target",
                )),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::fake::{FakeDaemon, Model};

    fn target(name: &str, client: crate::supervisor::Client) -> Target {
        let mut t = Target::implicit(client, Duration::from_millis(500));
        t.name = name.to_owned();
        t
    }

    #[tokio::test]
    async fn a_frozen_target_costs_its_deadline_and_hides_no_other() {
        let d = FakeDaemon::start(Model::recorded()).await;
        // A server that accepts and never answers.
        let frozen = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = frozen.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let _hold = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = frozen.accept().await {
                held.push(s);
            }
        });
        let settings = crate::supervisor::ServerSettings {
            endpoint: crate::supervisor::Endpoint::parse(&format!("http://{addr}"))
                .unwrap_or_else(|e| panic!("{e}"))
                .endpoint,
            username: None,
            password: None,
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(30),
            tls: Default::default(),
        };
        let frozen_client = crate::supervisor::Client::new(&settings).unwrap_or_else(|e| panic!("{e}"));
        let targets = vec![
            target("zz-ok", d.client()),
            target("aa-frozen", frozen_client),
            target("mm-ok", d.client()),
        ];
        let started = Instant::now();
        let items = targets.into_iter().map(|t| (t, ())).collect();
        let limits = Limits {
            concurrency: 32,
            memory: 256 << 20,
        };
        let out = fan_out(
            items,
            limits,
            |t| t.deadline,
            |t, ()| async move { t.client.get_all_process_info().await },
        )
        .await;
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "{:?}",
            started.elapsed()
        );
        let names: Vec<&str> = out.iter().map(|o| o.target.as_str()).collect();
        assert_eq!(names, ["aa-frozen", "mm-ok", "zz-ok"]);
        assert_eq!(out[0].result.as_ref().err().map(|e| e.kind), Some(ErrorKind::Timeout));
        assert_eq!(out[1].result.as_ref().map(Vec::len), Ok(7));
    }
}
