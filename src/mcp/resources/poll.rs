//! The watcher's polling task: each tick, what is due (the process list every
//! [`LIST_INTERVAL`](super::watcher::LIST_INTERVAL) or longer, subscribed URIs every
//! [`WATCH_INTERVAL`]), compared with the last look, changes handed to the
//! subscribers that watch them.

use super::probe::{self, Seen, fingerprint};
use super::uri::{Target, parse_uri};
use super::watcher::{Inner, WATCH_INTERVAL};
use crate::supervisor::ProcessInfo;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// What one tick polls.
struct Plan {
    uris: Vec<String>,
    list: bool,
}

impl Inner {
    /// What to poll now; `None` (and the task marked stopped) when nothing is
    /// watched. Forgets the last looks at URIs no one watches any more.
    fn plan(&self) -> Option<Plan> {
        let mut st = self.lock();
        let watched = st.watched();
        st.seen.retain(|u, _| watched.contains(u));
        let wants_list = st.subs.values().any(|s| s.list_changed);
        if (watched.is_empty() && !wants_list) || self.closing.is_cancelled() {
            st.polling = false;
            return None;
        }
        let due = st.list_stale || st.list_tried.is_none_or(|t| t.elapsed() >= st.list_every);
        let list = wants_list && due;
        if list {
            st.list_tried = Some(Instant::now());
            st.list_stale = false;
        }
        Some(Plan {
            uris: watched.into_iter().collect(),
            list,
        })
    }

    /// One tick: the list when due (which also gives the subscribed processes), then
    /// one multicall for the rest; changes go to the subscribers' mailboxes.
    async fn poll(&self, plan: Plan) {
        let mut seen = HashMap::new();
        let mut list_changed = false;
        let mut processes_seen = false;
        if plan.list
            && let Ok(all) = self.list_all().await
        {
            list_changed = self.update_listing(all.iter().map(ProcessInfo::namespec).collect());
            seen.extend(from_list(&plan.uris, &all));
            processes_seen = true;
        }
        let rest: Vec<String> = plan
            .uris
            .into_iter()
            .filter(|u| !(processes_seen && matches!(parse_uri(u), Some(Target::Process(_)))))
            .collect();
        if !rest.is_empty() {
            self.lock().probes += 1;
            if let Ok(s) = probe::probe(&self.client, &rest).await {
                seen.extend(s);
            }
        }
        let mut st = self.lock();
        let mut changed = Vec::new();
        for (uri, v) in seen {
            if !st.subs.values().any(|s| s.uris.contains(&uri)) {
                continue; // unsubscribed while we looked
            }
            if st.seen.insert(uri.clone(), v).is_some_and(|old| old != v) {
                changed.push(uri);
            }
        }
        st.deliver(&changed, list_changed);
    }
}

/// The subscribed processes' last looks, taken from a full list: a process is
/// found by its namespec or as `group:name`; one not listed is unknown.
fn from_list(uris: &[String], all: &[ProcessInfo]) -> Vec<(String, Seen)> {
    let mut by_name: HashMap<String, &ProcessInfo> = HashMap::new();
    for p in all {
        by_name.insert(p.namespec(), p);
        by_name.insert(format!("{}:{}", p.group, p.name), p);
    }
    uris.iter()
        .filter_map(|u| match parse_uri(u) {
            Some(Target::Process(n)) => Some((
                u.clone(),
                by_name.get(&n).map_or(Seen::Process(None), |p| fingerprint(p)),
            )),
            _ => None,
        })
        .collect()
}

/// The polling task: a tick, then [`WATCH_INTERVAL`] of sleep (cut short by
/// [`Watcher::refresh_list`]), until nothing is watched or the watcher is closed.
pub(super) async fn run(inner: Arc<Inner>) {
    while let Some(plan) = inner.plan() {
        inner.poll(plan).await;
        tokio::select! {
            () = tokio::time::sleep(WATCH_INTERVAL) => {}
            () = inner.wake.notified() => {}
            () = inner.closing.cancelled() => {}
        }
    }
}
