//! A daemon URL that answers a redirect (301, 302, 303, 307, 308; over `http://` and
//! `https://`) is an error of kind `protocol` (on one daemon too) naming
//! the status, and no request reaches its `Location`: there a counting proxy in
//! front of a real supervisord, whose `sleeper` must go on running. Before, reqwest
//! followed redirects: `-t evil stop web` stopped `web` on a read-only target.

use super::fixtures::{Server, counting_proxy, redirector};
use super::*;
use remote::{Pki, Proxy};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use supervisord_mcp::fleet::{Common, FleetArgs};
use supervisord_mcp::mcp::SupervisorMcp;
use supervisord_mcp::supervisor::transport::TlsOptions;
use supervisord_mcp::supervisor::{Client, Endpoint, Policy, ServerSettings};

const STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

/// A real daemon behind a counting proxy: where every redirect points.
struct Elsewhere {
    daemon: Daemon,
    proxy: Server,
}

impl Elsewhere {
    fn start() -> Elsewhere {
        let daemon = Daemon::start();
        daemon.wait_for(10, "sleeper to run", |_| daemon.state("sleeper") == "RUNNING");
        let proxy = counting_proxy(daemon.port);
        Elsewhere { daemon, proxy }
    }

    fn location(&self) -> String {
        format!("{}/RPC2", self.proxy.url())
    }

    /// Nothing reached the daemon through the redirect; its sleeper still runs.
    fn untouched(&self, case: &str) {
        assert_eq!(self.proxy.hits(), 0, "{case}: a request reached the Location");
        assert_eq!(self.daemon.state("sleeper"), "RUNNING", "{case}");
    }
}

/// A redirecting daemon URL over `http://` or `https://` (a TLS proxy in front of
/// the redirector), and the CA file to trust for it.
struct Evil {
    redirector: Server,
    tls: Option<(Proxy, Pki)>,
}

impl Evil {
    fn start(status: u16, location: &str, https: bool) -> Evil {
        let redirector = redirector(status, location);
        let tls = https.then(|| {
            let pki = Pki::new("Test CA");
            (
                Proxy::start(&pki.issue("server", &["127.0.0.1"]), None, redirector.port),
                pki,
            )
        });
        Evil { redirector, tls }
    }

    fn url(&self) -> String {
        match &self.tls {
            Some((p, _)) => p.url(),
            None => self.redirector.url(),
        }
    }

    fn ca_file(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(|(_, pki)| pki.ca_file())
    }

    /// A targets file in `dir`: `db` (the real daemon, with `db_extra` lines) and
    /// `evil` (this URL, its CA file for `https://`).
    fn targets_file(&self, dir: &Path, elsewhere: &Elsewhere, db_extra: &str) -> PathBuf {
        let ca = self
            .ca_file()
            .map(|f| format!("ca_file = \"{}\"\n", f.display()))
            .unwrap_or_default();
        targets_file(
            dir,
            "",
            &[
                ("db", elsewhere.daemon.url(Via::Http), db_extra),
                ("evil", self.url(), &ca),
            ],
        )
    }

    fn name(&self, status: u16) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{status} over {scheme}")
    }
}

fn says_redirect(message: &str, status: u16) {
    assert!(
        message.contains(&format!("HTTP {status}")) && message.contains("redirects are never followed"),
        "{message}"
    );
}

#[test]
fn one_daemon_behind_a_redirect_is_an_error_and_nothing_reaches_the_location() {
    let elsewhere = Elsewhere::start();
    for https in [false, true] {
        for status in STATUSES {
            let evil = Evil::start(status, &elsewhere.location(), https);
            let case = evil.name(status);
            let cli = || {
                let mut c = bare_cli();
                c.args(["-s", &evil.url()]);
                if let Some(ca) = evil.ca_file() {
                    c.arg("--ca-file").arg(ca);
                }
                c
            };
            for (args, code) in [(&["stop", "sleeper", "--json"][..], 1), (&["status", "--json"][..], 4)] {
                let out = cli().args(args).output().unwrap();
                assert_eq!(out.status.code(), Some(code), "{case} {args:?}: {}", stderr(&out));
                let e = &json(&out)["error"];
                assert_eq!(e["kind"], "protocol", "{case}: {e}");
                says_redirect(e["message"].as_str().unwrap(), status);
            }
            // The stream of `maintail -f` (a GET) is not followed either.
            let out = cli()
                .args(["maintail", "-f"])
                .timeout(Duration::from_secs(20))
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{case}: {}", stderr(&out));
            says_redirect(&stderr(&out), status);
            elsewhere.untouched(&case);
        }
    }
}

#[test]
fn a_fleet_target_behind_a_redirect_cannot_reach_a_read_only_one() {
    let elsewhere = Elsewhere::start();
    let dir = tempfile::tempdir().unwrap();
    for https in [false, true] {
        for status in STATUSES {
            let evil = Evil::start(status, &elsewhere.location(), https);
            let case = evil.name(status);
            let file = evil.targets_file(dir.path(), &elsewhere, "read_only = true\n");
            let out = fleet_cli(&file)
                .args(["-t", "evil", "stop", "sleeper", "--json"])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{case}: {}{}", stdout(&out), stderr(&out));
            let rows = entries(&out);
            let (name, row) = &rows[0];
            assert_eq!((name.as_str(), rows.len()), ("evil", 1), "{case}");
            assert_eq!(row["error"]["kind"], "protocol", "{case}: {row}");
            says_redirect(row["error"]["message"].as_str().unwrap(), status);
            elsewhere.untouched(&case);
        }
    }
}

/// The MCP server (in process) with `--allow`: the patterns allow `sleeper` on the
/// redirecting daemon (or fleet target `evil`) only; the redirect cannot carry the
/// stop to the other daemon.
#[test]
fn mcp_with_allow_patterns_never_follows_a_redirect() {
    let elsewhere = Elsewhere::start();
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for https in [false, true] {
        for status in STATUSES {
            let evil = Evil::start(status, &elsewhere.location(), https);
            let case = evil.name(status);
            let file = evil.targets_file(dir.path(), &elsewhere, "");
            rt.block_on(async {
                for (server, args) in [
                    (one_daemon(&evil), json!({"action": "stop", "names": ["sleeper"]})),
                    (
                        fleet(&file),
                        json!({"action": "stop", "names": ["sleeper"], "targets": "evil"}),
                    ),
                ] {
                    let (a, b) = tokio::io::duplex(1 << 20);
                    tokio::spawn(async move {
                        if let Ok(s) = rmcp::ServiceExt::serve(server, a).await {
                            let _ = s.waiting().await;
                        }
                    });
                    let c = rmcp::ServiceExt::serve((), b).await.unwrap();
                    let r = mcp_client::call(&c, "control", args).await;
                    let t = mcp_client::text(&r);
                    assert!(mcp_client::is_error(&r), "{case}: {t}");
                    says_redirect(&t, status);
                    let _ = c.cancel().await;
                }
            });
            elsewhere.untouched(&case);
        }
    }
}

/// The MCP server for the redirecting daemon alone, `--allow sleeper`.
fn one_daemon(evil: &Evil) -> SupervisorMcp {
    let settings = ServerSettings {
        endpoint: Endpoint::parse(&evil.url()).unwrap().endpoint,
        username: None,
        password: None,
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        tls: TlsOptions {
            ca_file: evil.ca_file(),
            ..Default::default()
        },
    };
    let allow = Policy::new(false, &["sleeper".into()]).unwrap();
    SupervisorMcp::with_policy(Client::new(&settings).unwrap(), allow)
}

/// The MCP server for the targets file `file`, `--allow evil/sleeper`.
fn fleet(file: &Path) -> SupervisorMcp {
    let args = FleetArgs {
        file: Some(file.to_owned()),
        target: None,
    };
    let common = Common {
        rpc_timeout: Duration::from_secs(10),
        no_host_access: false,
        fleet_memory_mib: None,
    };
    let fleet = supervisord_mcp::fleet::resolve(&args, false, &common, &|_| None, &mut Vec::new())
        .unwrap()
        .unwrap();
    let allow = Policy::new(false, &["evil/sleeper".into()]).unwrap();
    SupervisorMcp::with_policy(fleet.targets[0].client.clone(), allow).with_fleet(Some(Arc::new(fleet)))
}
