//! `events -f` for a daemon without a journal: the state changes the core's watch
//! engine sees (polling, once a second), shown as journal events (no exit
//! expectedness, no serial; changes undone between two looks are not seen).

use crate::supervisor::journal::time::now_ms;
use crate::supervisor::journal::{Filter, JournalEvent, ProcessChange, What};
use crate::supervisor::watch::{Event, Key, MAX_KEYS_PER_SUBSCRIBER, Watcher};
use crate::supervisor::{Client, Error, ProcessState, Result};

/// Follows the processes `filter` names (all of them when it names none; at most
/// [`MAX_KEYS_PER_SUBSCRIBER`]) until `sink` returns false. Errors: the daemon's.
pub(super) async fn follow(
    client: &Client,
    filter: &Filter,
    mut sink: impl FnMut(&JournalEvent) -> bool,
) -> Result<()> {
    let watcher = Watcher::new(client.clone());
    let all = watcher.processes().await?;
    let wanted: Vec<String> = if filter.names.is_empty() || filter.names.iter().any(|n| n == "all") {
        all
    } else {
        let mut out = Vec::new();
        for n in &filter.names {
            match n.strip_suffix(":*") {
                Some(g) => out.extend(all.iter().filter(|p| group_of(p) == g).cloned()),
                None => out.push(n.clone()),
            }
        }
        out
    };
    let keys: Vec<Key> = wanted
        .into_iter()
        .take(MAX_KEYS_PER_SUBSCRIBER)
        .map(Key::Process)
        .collect();
    let sub = watcher.subscribe();
    sub.add(&keys).await.map_err(|e| Error::Invalid(e.to_string()))?;
    while let Some(events) = sub.next().await {
        for e in events {
            let Event::State {
                name,
                from,
                to: Some(to),
            } = e
            else {
                continue;
            };
            let change = ProcessChange {
                group: group_of(&name).to_owned(),
                process: name,
                from: from.map(|f| f.state),
                to: to.state,
                pid: (to.pid > 0).then_some(to.pid),
                tries: None,
                expected: None,
                exitstatus: (to.state == ProcessState::Exited).then_some(to.exitstatus),
            };
            let event = JournalEvent {
                time_ms: now_ms(),
                serial: None,
                what: What::Process(change),
            };
            if !sink(&event) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The group of a namespec (`group:name`, or `name` itself).
fn group_of(namespec: &str) -> &str {
    namespec.split_once(':').map_or(namespec, |(g, _)| g)
}
