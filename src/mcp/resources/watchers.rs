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
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// The server's own daemon (`None`) or a target, as URIs are routed.
pub type TargetKey = Option<Arc<str>>;

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
    /// `targets`: the server has a targets file (the message then names the
    /// qualified form too).
    #[error("unknown resource {uri:?}: use {PREFIX}NAME, {PREFIX}NAME/stdout or {PREFIX}NAME/stderr{}", qualified_hint(*.targets))]
    Unknown { uri: String, targets: bool },
    /// The target's own settings are unusable (a missing password, a TLS file);
    /// the message names the target (`target web-1: ...`) and never a secret.
    #[error("{message}")]
    Unusable { target: String, message: String },
}

fn qualified_hint(targets: bool) -> String {
    if targets {
        format!(", or {PREFIX}TARGET/NAME[/stdout|/stderr] with a target of supervisor://targets")
    } else {
        String::new()
    }
}

/// What a listen asks of one daemon: its watcher, its own URIs in the order asked,
/// and the URIs asked for each.
struct Asked<'a> {
    watcher: Watcher,
    locals: Vec<String>,
    by_local: HashMap<String, Vec<&'a str>>,
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
                return Err(self.unknown(uri));
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
            None => Err(self.unknown(uri)),
        }
    }

    fn unknown(&self, uri: &str) -> RouteError {
        RouteError::Unknown {
            uri: uri.to_owned(),
            targets: !self.targets.is_empty(),
        }
    }

    /// Which of `uris` a new subscriber may watch, in the order asked: resource URIs
    /// of a daemon that can be asked, each once, at most [`MAX_URIS_PER_SUBSCRIBER`]
    /// in all, each within its daemon's cap (see [`Watcher::admit`]; a daemon
    /// reached both unqualified and qualified counts once). Linear in `uris`.
    pub fn admit(&self, uris: &[String]) -> Vec<String> {
        let mut asked: HashSet<&str> = HashSet::new();
        let mut daemons: Vec<Asked<'_>> = Vec::new();
        for uri in uris {
            if !asked.insert(uri) {
                continue;
            }
            let Ok(r) = self.resolve(uri) else { continue };
            let i = match daemons.iter().position(|d| d.watcher.same(&r.watcher)) {
                Some(i) => i,
                None => {
                    daemons.push(Asked {
                        watcher: r.watcher,
                        locals: Vec::new(),
                        by_local: HashMap::new(),
                    });
                    daemons.len() - 1
                }
            };
            let d = &mut daemons[i];
            let by = d.by_local.entry(r.local.clone()).or_default();
            if by.is_empty() {
                d.locals.push(r.local);
            }
            by.push(uri);
        }
        let mut admitted: HashSet<&str> = HashSet::new();
        for d in &daemons {
            for local in d.watcher.admit(&d.locals) {
                admitted.extend(d.by_local.get(&local).into_iter().flatten().copied());
            }
        }
        let mut out: Vec<String> = Vec::new();
        for uri in uris {
            if out.len() < MAX_URIS_PER_SUBSCRIBER && admitted.remove(uri.as_str()) {
                out.push(uri.clone());
            }
        }
        out
    }

    /// Every distinct watcher (the first selected target's is the first's).
    fn all(&self) -> impl Iterator<Item = &Watcher> {
        let targets = self.targets.values().filter_map(|w| w.as_ref().ok());
        std::iter::once(&self.first).chain(targets.filter(|w| !w.same(&self.first)))
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
                Err(RouteError::Unknown {
                    uri: nowhere.into(),
                    targets: true
                })
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

    #[test]
    fn a_huge_listen_is_admitted_in_linear_time() {
        let w = three();
        let mut asked = vec![format!("{PREFIX}x/a"); 100_000];
        asked.extend((0..100_000).map(|i| format!("{PREFIX}q/{i}")));
        asked.extend(uris("y/", 5));
        let mut want = vec![format!("{PREFIX}x/a")];
        want.extend(uris("y/", 5));
        assert_eq!(w.admit(&asked), want);
    }

    #[tokio::test]
    async fn the_first_target_is_one_daemon_under_both_uris() {
        let first = Watcher::new(nowhere());
        let w = Watchers {
            first: first.clone(),
            targets: Arc::new([("x".to_owned(), Ok(first.clone()))].into_iter().collect()),
        };
        let both = vec![format!("{PREFIX}a"), format!("{PREFIX}x/a")];
        assert_eq!(w.admit(&both), both);
        let s = Subscriber::new(&w, false);
        s.add(&both).await.unwrap();
        assert_eq!(first.stats().watched_uris, 1, "one URI of one daemon");
        first.lock().deliver(&[format!("{PREFIX}a")], false);
        let mut got = s.next().await.unwrap();
        got.sort_by_key(|e| format!("{e:?}"));
        let want: Vec<Event> = both.iter().cloned().map(Event::Updated).collect();
        assert_eq!(got, want, "each under the URI subscribed to");
        assert_eq!(w.all().count(), 1);
    }

    #[tokio::test]
    async fn concurrent_adds_share_the_100_uris() {
        let w = three();
        let s = Subscriber::new(&w, false);
        let (x, y) = (uris("x/", 60), uris("y/", 60));
        let (a, b) = tokio::join!(s.add(&x), s.add(&y));
        assert!(a.is_ok() != b.is_ok(), "one of them is refused: {a:?} {b:?}");
        let watched: usize = ["x", "y"]
            .iter()
            .map(|t| w.targets[*t].as_ref().unwrap().stats().watched_uris)
            .sum();
        assert_eq!(watched, 60);
    }
}
