//! Watching many daemons: the [`Watcher`] of every target of a targets file, shared
//! by every consumer, and one [`Subscriber`] per consumer across them. What is
//! watched is a target (`None`: the server's own daemon) and a [`Key`] there; each
//! event says which target (as subscribed) and which key, nothing more: how a front
//! end names them (an MCP URI, say) is its own business.
//!
//! Without a targets file there is one daemon and one watcher. With one, the server's
//! own daemon is the first selected target, whose watcher is the same as that
//! target's, so it is polled once however it is named. Watchers poll nothing until
//! something is watched, so a target nobody watches costs nothing.

mod subscriber;
#[cfg(test)]
mod tests;

pub use subscriber::{SubscribeError, Subscriber};

use crate::fleet::Fleet;
use crate::supervisor::Client;
use crate::supervisor::watch::{Key, MAX_KEYS_PER_SUBSCRIBER, Watcher};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use tokio::task::JoinSet;

/// The server's own daemon (`None`) or a target, by name.
pub type TargetKey = Option<Arc<str>>;

/// Why a target cannot be watched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("no target named {target:?}: see the targets file")]
    Unknown { target: String },
    /// The target's own settings are unusable (a missing password, a TLS file);
    /// the message names the target (`target web-1: ...`) and never a secret.
    #[error("{message}")]
    Unusable { target: String, message: String },
}

/// The watchers of a server; clones share them.
#[derive(Debug, Clone)]
pub struct Watchers {
    first: Watcher,
    /// By target name: its watcher, or why it cannot be asked.
    targets: Arc<BTreeMap<String, Result<Watcher, String>>>,
}

impl From<Watcher> for Watchers {
    /// One daemon, no targets.
    fn from(first: Watcher) -> Watchers {
        Watchers {
            first,
            targets: Arc::default(),
        }
    }
}

/// What a subscriber asks of one daemon: its watcher, its keys in the order asked,
/// and for each key the indexes of the entries that asked for it.
struct Asked {
    watcher: Watcher,
    keys: Vec<Key>,
    by_key: HashMap<Key, Vec<usize>>,
}

impl Watchers {
    /// The watchers of the daemon behind `client` (the server's own) and of every
    /// target of `fleet`; `client` is taken to be the first selected target's. No I/O.
    pub fn new(client: Client, fleet: Option<&Fleet>) -> Watchers {
        let first = Watcher::new(client);
        let first_name = fleet
            .and_then(|f| f.selected().ok())
            .and_then(|s| s.into_iter().next())
            .map(|t| t.name);
        let targets = fleet
            .map(|f| &f.targets[..])
            .unwrap_or_default()
            .iter()
            .map(|t| {
                let w = match t.usable() {
                    Err(e) => Err(e.message),
                    Ok(_) if first_name.as_deref() == Some(&t.name) => Ok(first.clone()),
                    Ok(c) => Ok(Watcher::new(c.clone())),
                };
                (t.name.clone(), w)
            })
            .collect();
        Watchers {
            first,
            targets: Arc::new(targets),
        }
    }

    #[cfg(test)]
    pub(crate) fn with_targets(first: Watcher, targets: Vec<(&str, Result<Watcher, String>)>) -> Watchers {
        let targets = targets.into_iter().map(|(n, w)| (n.to_owned(), w)).collect();
        Watchers {
            first,
            targets: Arc::new(targets),
        }
    }

    /// The watcher of the server's own daemon.
    pub fn first(&self) -> &Watcher {
        &self.first
    }

    /// Whether the server has targets (a targets file).
    pub fn has_targets(&self) -> bool {
        !self.targets.is_empty()
    }

    /// Whether `name` names a target.
    pub fn is_target(&self, name: &str) -> bool {
        self.targets.contains_key(name)
    }

    /// The watcher of `target` (`None`: the server's own daemon). Errors: no such
    /// target, or one whose settings are unusable.
    pub fn watcher(&self, target: Option<&str>) -> Result<&Watcher, RouteError> {
        let Some(name) = target else {
            return Ok(&self.first);
        };
        match self.targets.get(name) {
            Some(Ok(w)) => Ok(w),
            Some(Err(message)) => Err(RouteError::Unusable {
                target: name.to_owned(),
                message: message.clone(),
            }),
            None => Err(RouteError::Unknown {
                target: name.to_owned(),
            }),
        }
    }

    /// Which of `asked` a new subscriber may watch (a mask in the same order): keys
    /// of a daemon that can be asked, each once, at most [`MAX_KEYS_PER_SUBSCRIBER`]
    /// in all, each within its daemon's cap (see [`Watcher::admit`]; a daemon reached
    /// both as the server's own and as a target counts once). Linear in `asked`.
    pub fn admit(&self, asked: &[(TargetKey, Key)]) -> Vec<bool> {
        let mut admitted = vec![false; asked.len()];
        let mut count = 0;
        for d in self.by_daemon(asked) {
            for key in d.watcher.admit(&d.keys) {
                for i in d.by_key.get(&key).into_iter().flatten() {
                    admitted[*i] = true;
                }
            }
        }
        for (ok, (_, key)) in admitted.iter_mut().zip(asked) {
            if *ok && *key != Key::Processes {
                *ok = count < MAX_KEYS_PER_SUBSCRIBER;
                count += usize::from(*ok);
            }
        }
        admitted
    }

    /// `asked` by daemon, each entry once (later repeats are left out), entries of a
    /// target that cannot be asked left out.
    fn by_daemon(&self, asked: &[(TargetKey, Key)]) -> Vec<Asked> {
        let mut once: HashSet<&(TargetKey, Key)> = HashSet::new();
        let mut daemons: Vec<Asked> = Vec::new();
        for (i, entry) in asked.iter().enumerate() {
            let Ok(w) = self.watcher(entry.0.as_deref()) else {
                continue;
            };
            if !once.insert(entry) {
                continue;
            }
            let d = match daemons.iter().position(|d| d.watcher.same(w)) {
                Some(d) => &mut daemons[d],
                None => {
                    daemons.push(Asked {
                        watcher: w.clone(),
                        keys: Vec::new(),
                        by_key: HashMap::new(),
                    });
                    let last = daemons.len() - 1;
                    &mut daemons[last]
                }
            };
            let by = d.by_key.entry(entry.1.clone()).or_default();
            if by.is_empty() {
                d.keys.push(entry.1.clone());
            }
            by.push(i);
        }
        daemons
    }

    /// Which of `asked` name a process its daemon does not know (BAD_NAME), all
    /// daemons asked in parallel (see [`Watcher::unknown`]: no `getAllProcessInfo`).
    /// Entries of a target that cannot be asked are not among them.
    pub async fn unknown(&self, asked: &[(TargetKey, Key)]) -> HashSet<(TargetKey, Key)> {
        let mut tasks = JoinSet::new();
        for d in self.by_daemon(asked) {
            tasks.spawn(async move {
                let unknown = d.watcher.unknown(&d.keys).await;
                let entries = unknown.iter().filter_map(|k| d.by_key.get(k));
                entries.flatten().copied().collect::<Vec<usize>>()
            });
        }
        let mut out = HashSet::new();
        while let Some(r) = tasks.join_next().await {
            out.extend(r.into_iter().flatten().filter_map(|i| asked.get(i).cloned()));
        }
        out
    }

    /// Every distinct watcher (the first selected target's is the first's).
    fn all(&self) -> impl Iterator<Item = &Watcher> {
        let targets = self.targets.values().filter_map(|w| w.as_ref().ok());
        std::iter::once(&self.first).chain(targets.filter(|w| !w.same(&self.first)))
    }

    /// Reads every daemon's process list again at the next chance (after our own
    /// changes to programs).
    pub fn refresh_lists(&self) {
        self.all().for_each(Watcher::refresh_list);
    }

    /// Stops every watcher's polling for good (server shutdown).
    pub fn close(&self) {
        self.all().for_each(Watcher::close);
    }

    /// Resolves once [`Self::close`] was called.
    pub async fn closed(&self) {
        self.first.closed().await;
    }
}
