//! The watchers of one server: a [`Watcher`] per daemon it speaks to, shared by
//! every session and listener, and the routing of a resource URI to one of them.
//!
//! Without a targets file there is one daemon and one watcher. With one, URIs
//! qualified by a target (`supervisor://process/TARGET/NAME[/stream]`) go to that
//! target's watcher, and unqualified ones to the server's own daemon (the first
//! selected target, whose watcher is the same as its qualified one, so it is polled
//! once). Watchers poll nothing until subscribed to, so a target nobody watches
//! costs nothing.

use super::uri::{PREFIX, parse_uri, split_qualified};
use super::watcher::{MAX_URIS_PER_SUBSCRIBER, Watcher};
use crate::fleet::Fleet;
use crate::supervisor::Client;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The server's own daemon (`None`) or a target, as URIs are routed.
type TargetKey = Option<Arc<str>>;

/// Where a resource URI leads.
#[derive(Debug, Clone)]
pub struct Route {
    /// The target the URI is qualified by; `None` for the server's own daemon.
    pub target: TargetKey,
    /// The watcher of that daemon (its client reads the resource).
    pub watcher: Watcher,
    /// The URI as that daemon's own: `supervisor://process/NAME[/stream]`.
    pub local: String,
}

/// Why a URI leads nowhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error(
        "unknown resource {0:?}: use {PREFIX}NAME, {PREFIX}NAME/stdout or {PREFIX}NAME/stderr (with a targets file, also {PREFIX}TARGET/NAME...)"
    )]
    Unknown(String),
    /// The target's own settings are unusable (a missing password, a TLS file).
    #[error("{target}: {message}")]
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

    /// The watcher of the server's own daemon (unqualified URIs, `resources/list`,
    /// list changes).
    pub fn first(&self) -> &Watcher {
        &self.first
    }

    /// Where `uri` leads: a target's watcher when its first segment names a target
    /// (`supervisor://process/TARGET/NAME[/stream]`; a target's name wins over a
    /// process's), else the server's own. Errors: a URI that names no resource; a
    /// target that cannot be asked.
    pub fn resolve(&self, uri: &str) -> Result<Route, RouteError> {
        if let Some((name, local)) = split_qualified(uri)
            && let Some((name, w)) = self.targets.get_key_value(name)
        {
            let watcher = w.clone().map_err(|message| RouteError::Unusable {
                target: name.clone(),
                message,
            })?;
            if parse_uri(&local).is_none() {
                return Err(RouteError::Unknown(uri.to_owned()));
            }
            return Ok(Route {
                target: Some(Arc::from(name.as_str())),
                watcher,
                local,
            });
        }
        match parse_uri(uri) {
            Some(_) => Ok(Route {
                target: None,
                watcher: self.first.clone(),
                local: uri.to_owned(),
            }),
            None => Err(RouteError::Unknown(uri.to_owned())),
        }
    }

    /// Which of `uris` a new subscriber may watch, in the order asked: resource URIs
    /// of a daemon that can be asked, each once, at most [`MAX_URIS_PER_SUBSCRIBER`]
    /// in all, each within its daemon's cap (see [`Watcher::admit`]).
    pub fn admit(&self, uris: &[String]) -> Vec<String> {
        // By daemon: its watcher, and the URIs asked with their local forms.
        let mut groups: BTreeMap<TargetKey, (Watcher, Vec<(String, String)>)> = BTreeMap::new();
        for uri in uris {
            if let Ok(r) = self.resolve(uri) {
                let g = groups.entry(r.target).or_insert_with(|| (r.watcher, Vec::new()));
                g.1.push((uri.clone(), r.local));
            }
        }
        let mut admitted: Vec<String> = Vec::new();
        for (watcher, asked) in groups.values() {
            let locals: Vec<String> = asked.iter().map(|(_, l)| l.clone()).collect();
            let ok = watcher.admit(&locals);
            admitted.extend(asked.iter().filter(|(_, l)| ok.contains(l)).map(|(u, _)| u.clone()));
        }
        let mut out: Vec<String> = Vec::new();
        for uri in uris {
            if out.len() < MAX_URIS_PER_SUBSCRIBER && admitted.contains(uri) && !out.contains(uri) {
                out.push(uri.clone());
            }
        }
        out
    }

    /// Every distinct watcher.
    fn all(&self) -> impl Iterator<Item = &Watcher> {
        std::iter::once(&self.first).chain(self.targets.values().filter_map(|w| w.as_ref().ok()))
    }

    /// Reads every daemon's process list again at the next chance (after this
    /// server's own `program`/`reload` calls).
    pub fn refresh_lists(&self) {
        self.all().for_each(Watcher::refresh_list);
    }

    /// Ends every `subscriptions/listen` gracefully (server shutdown) and stops polling.
    pub fn close(&self) {
        self.all().for_each(Watcher::close);
    }

    /// Resolves once [`Self::close`] was called.
    pub async fn closed(&self) {
        self.first.closed().await;
    }
}

#[cfg(test)]
mod tests {
    use super::super::subscriber::{SubscribeError, Subscriber};
    use super::super::test_support::nowhere;
    use super::super::watcher::{Event, WatchError};
    use super::*;

    /// The first daemon, targets `x` and `y`, and `bad` (a missing password).
    fn three() -> Watchers {
        let targets = [
            ("x", Ok(Watcher::new(nowhere()))),
            ("y", Ok(Watcher::new(nowhere()))),
            ("bad", Err("no password: set PW".to_owned())),
        ];
        Watchers {
            first: Watcher::new(nowhere()),
            targets: Arc::new(targets.into_iter().map(|(n, w)| (n.to_owned(), w)).collect()),
        }
    }

    fn uris(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{PREFIX}{prefix}p{i}")).collect()
    }

    #[test]
    fn uris_lead_to_their_target_or_to_the_first_daemon() {
        let w = three();
        let r = w.resolve("supervisor://process/x/web:a/stderr").unwrap();
        assert_eq!(
            (r.target.as_deref(), r.local.as_str()),
            (Some("x"), "supervisor://process/web:a/stderr")
        );
        let r = w.resolve("supervisor://process/web:a").unwrap();
        assert_eq!((r.target, r.local.as_str()), (None, "supervisor://process/web:a"));
        assert!(matches!(
            w.resolve("supervisor://process/bad/a"),
            Err(RouteError::Unusable { target, .. }) if target == "bad"
        ));
        for nowhere in [
            "supervisor://process/zz/a",
            "supervisor://process/x/a/b",
            "file:///etc/passwd",
        ] {
            assert_eq!(
                w.resolve(nowhere).map(|r| r.local),
                Err(RouteError::Unknown(nowhere.into()))
            );
        }
    }

    #[test]
    fn a_listen_is_admitted_100_uris_across_targets() {
        let w = three();
        let mut asked = uris("x/", 60);
        asked.extend(uris("", 60));
        asked.push(format!("{PREFIX}bad/a"));
        asked.push(asked[0].clone());
        let admitted = w.admit(&asked);
        assert_eq!(admitted.len(), MAX_URIS_PER_SUBSCRIBER);
        assert_eq!(admitted[..60], uris("x/", 60)[..], "in the order asked, each once");
    }

    #[tokio::test]
    async fn a_subscriber_has_100_uris_in_all_and_hears_each_target_under_its_uri() {
        let w = three();
        let s = Subscriber::new(&w, false);
        s.add(&uris("x/", 60)).await.unwrap();
        assert_eq!(
            s.add(&uris("y/", 41)).await,
            Err(SubscribeError::Watch(WatchError::TooMany))
        );
        assert_eq!(
            w.targets["y"].as_ref().unwrap().stats().watched_uris,
            0,
            "nothing half-added"
        );
        s.add(&uris("y/", 40)).await.unwrap();
        assert!(matches!(
            s.add(&[format!("{PREFIX}bad/p0")]).await,
            Err(SubscribeError::Route(RouteError::Unusable { .. }))
        ));
        let x = w.targets["x"].as_ref().unwrap();
        x.lock().deliver(&[format!("{PREFIX}p0")], false);
        assert_eq!(s.next().await, Some(vec![Event::Updated(format!("{PREFIX}x/p0"))]));
        s.remove(&format!("{PREFIX}x/p0"));
        assert_eq!(x.stats().watched_uris, 59);
        drop(s);
        assert_eq!(x.stats().subscribers, 0, "dropping it unsubscribes everywhere");
    }
}
