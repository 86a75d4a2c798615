//! `https://` daemons: a TLS proxy (tokio-rustls) in front of a real supervisord's
//! HTTP port, certificates from a test CA (rcgen). Trust comes from `--ca-file` (or
//! its environment variable), never silently from nowhere; every certificate problem
//! is an error of kind TLS that says what is wrong; a client certificate is sent
//! when the proxy asks for one.

use super::*;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

/// A test CA and the files of the certificates it issued, in a temp dir.
struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate issued by a [`Pki`]: its PEM files.
struct Issued {
    cert: PathBuf,
    key: PathBuf,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        Pki { dir, ca }
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A leaf certificate for `names` (DNS names or IP addresses), as FILE.pem and FILE.key.
    fn issue(&self, file: &str, names: &[&str]) -> Issued {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &self.ca)
            .unwrap();
        let issued = Issued {
            cert: self.dir.path().join(format!("{file}.pem")),
            key: self.dir.path().join(format!("{file}.key")),
        };
        std::fs::write(&issued.cert, cert.pem()).unwrap();
        std::fs::write(&issued.key, key.serialize_pem()).unwrap();
        issued
    }
}

/// A TLS proxy on 127.0.0.1 in front of a daemon's HTTP port; stopped on drop.
struct Proxy {
    port: u16,
    _rt: tokio::runtime::Runtime,
}

impl Proxy {
    /// Serves `server`'s certificate; requires a client certificate issued by
    /// `client_ca` when given.
    fn start(server: &Issued, client_ca: Option<&Pki>, upstream: u16) -> Proxy {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                roots.add(ca.ca.der().clone()).unwrap();
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .unwrap();
                builder.with_client_cert_verifier(verifier)
            }
        };
        let chain = CertificateDer::pem_file_iter(&server.cert)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(&server.key).unwrap();
        let config = builder.with_single_cert(chain, key).unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        rt.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                });
            }
        });
        Proxy { port, _rt: rt }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

/// The CLI against the proxy. The system's roots are replaced by an unrelated CA
/// (`SSL_CERT_FILE`), so "not trusted" does not depend on the machine.
fn cli(p: &Proxy, unrelated: &Pki) -> assert_cmd::Command {
    let mut c = bare_cli();
    c.args(["-s", &p.url()]).env("SSL_CERT_FILE", unrelated.ca_file());
    c
}

fn answered(o: &std::process::Output) {
    assert!(
        matches!(o.status.code(), Some(0 | 3)) && stdout(o).contains("sleeper"),
        "status failed: {}{}",
        stdout(o),
        stderr(o)
    );
}

fn tls_error(o: &std::process::Output) -> String {
    let e = json_error(o);
    assert_eq!(e["kind"], "TLS", "{e}");
    e["message"].as_str().unwrap().to_owned()
}

#[test]
fn https_works_with_the_ca_file_and_is_a_tls_error_without_it() {
    let d = Daemon::start();
    let (pki, unrelated) = (Pki::new("Test CA"), Pki::new("Unrelated CA"));
    let proxy = Proxy::start(&pki.issue("server", &["127.0.0.1"]), None, d.port);
    let ca = pki.ca_file();
    let out = cli(&proxy, &unrelated)
        .arg("--ca-file")
        .arg(&ca)
        .arg("status")
        .output()
        .unwrap();
    answered(&out);
    // Also from the environment.
    let out = cli(&proxy, &unrelated)
        .env("SUPERVISOR_CA_FILE", &ca)
        .arg("status")
        .output()
        .unwrap();
    answered(&out);
    let out = cli(&proxy, &unrelated).args(["status", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let msg = tls_error(&out);
    assert!(
        msg.contains("not issued by a trusted CA") && msg.contains("system's root certificates"),
        "{msg}"
    );
    // A command other than status: exit 1, the same words on stderr.
    let out = cli(&proxy, &unrelated).args(["start", "quiet"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("TLS with https://127.0.0.1:"), "{}", stderr(&out));
}

#[test]
fn a_certificate_for_another_host_is_a_tls_error() {
    let d = Daemon::start();
    let (pki, unrelated) = (Pki::new("Test CA"), Pki::new("Unrelated CA"));
    let proxy = Proxy::start(&pki.issue("server", &["other.example"]), None, d.port);
    let out = cli(&proxy, &unrelated)
        .arg("--ca-file")
        .arg(pki.ca_file())
        .args(["status", "--json"])
        .output()
        .unwrap();
    let msg = tls_error(&out);
    assert!(msg.contains("not valid for this host name"), "{msg}");
}

#[test]
fn a_client_certificate_the_proxy_requires_is_sent_when_given() {
    let d = Daemon::start();
    let (pki, unrelated) = (Pki::new("Test CA"), Pki::new("Unrelated CA"));
    let clients = Pki::new("Client CA");
    let proxy = Proxy::start(&pki.issue("server", &["127.0.0.1"]), Some(&clients), d.port);
    let client = clients.issue("client", &["client.example"]);
    let out = cli(&proxy, &unrelated)
        .arg("--ca-file")
        .arg(pki.ca_file())
        .args(["status", "--json"])
        .output()
        .unwrap();
    let msg = tls_error(&out);
    assert!(msg.contains("client certificate"), "{msg}");
    // A certificate from another CA is rejected too.
    let stranger = unrelated.issue("stranger", &["client.example"]);
    let out = cli(&proxy, &unrelated)
        .arg("--ca-file")
        .arg(pki.ca_file())
        .arg("--client-cert")
        .arg(&stranger.cert)
        .arg("--client-key")
        .arg(&stranger.key)
        .args(["status", "--json"])
        .output()
        .unwrap();
    let msg = tls_error(&out);
    assert!(msg.contains("client certificate"), "{msg}");
    let out = cli(&proxy, &unrelated)
        .arg("--ca-file")
        .arg(pki.ca_file())
        .arg("--client-cert")
        .arg(&client.cert)
        .arg("--client-key")
        .arg(&client.key)
        .arg("status")
        .output()
        .unwrap();
    answered(&out);
    let out = cli(&proxy, &unrelated)
        .env("SUPERVISOR_CA_FILE", pki.ca_file())
        .env("SUPERVISOR_CLIENT_CERT", &client.cert)
        .env("SUPERVISOR_CLIENT_KEY", &client.key)
        .arg("status")
        .output()
        .unwrap();
    answered(&out);
    // Half a pair is a usage error, at once.
    let out = cli(&proxy, &unrelated)
        .arg("--client-cert")
        .arg(&client.cert)
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn no_password_or_key_material_in_any_output() {
    let d = Daemon::with_auth();
    let (pki, unrelated) = (Pki::new("Test CA"), Pki::new("Unrelated CA"));
    let clients = Pki::new("Client CA");
    let proxy = Proxy::start(&pki.issue("server", &["127.0.0.1"]), Some(&clients), d.port);
    let client = clients.issue("client", &["client.example"]);
    // A key file that is not a key, holding something secret-looking.
    let bad_key = pki.dir.path().join("bad.key");
    std::fs::write(
        &bad_key,
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let key_text = std::fs::read_to_string(&client.key).unwrap();
    let key_line = key_text.lines().nth(1).unwrap().to_owned();
    let run = |key: &std::path::Path, json: bool| {
        let mut c = cli(&proxy, &unrelated);
        c.env("SUPERVISOR_USERNAME", USER)
            .env("SUPERVISOR_PASSWORD", PASSWORD)
            .arg("--ca-file")
            .arg(pki.ca_file())
            .arg("--client-cert")
            .arg(&client.cert)
            .arg("--client-key")
            .arg(key)
            .arg("status");
        if json {
            c.arg("--json");
        }
        let out = c.output().unwrap();
        let all = format!("{}{}", stdout(&out), stderr(&out));
        for secret in [PASSWORD, "c2VjcmV0", "secret-key-material", key_line.as_str()] {
            assert!(!all.contains(secret), "{secret} shown:\n{all}");
        }
        out
    };
    let out = run(&bad_key, true);
    let msg = tls_error(&out);
    assert!(msg.contains("bad.key"), "{msg}");
    let out = run(&client.key, false);
    answered(&out);
    assert!(
        !stderr(&out).contains("warning"),
        "https sends nothing in clear: {}",
        stderr(&out)
    );
}

#[test]
fn a_fleet_file_gives_each_https_target_its_own_tls_files() {
    let d = Daemon::start();
    let (pki, unrelated) = (Pki::new("Test CA"), Pki::new("Unrelated CA"));
    let clients = Pki::new("Client CA");
    let open = Proxy::start(&pki.issue("server", &["127.0.0.1"]), None, d.port);
    let mutual = Proxy::start(&pki.issue("server2", &["127.0.0.1"]), Some(&clients), d.port);
    let client = clients.issue("client", &["client.example"]);
    let ca = pki.ca_file();
    let file = pki.dir.path().join("fleet.toml");
    std::fs::write(
        &file,
        format!(
            "[targets.trusted]\nurl = \"{}\"\nca_file = \"{}\"\n\n\
             [targets.untrusted]\nurl = \"{}\"\n\n\
             [targets.mutual]\nurl = \"{}\"\nca_file = \"{}\"\nclient_cert = \"{}\"\nclient_key = \"{}\"\n",
            open.url(),
            ca.display(),
            open.url(),
            mutual.url(),
            ca.display(),
            client.cert.display(),
            client.key.display()
        ),
    )
    .unwrap();
    let out = bare_cli()
        .arg("--fleet")
        .arg(&file)
        .env("SSL_CERT_FILE", unrelated.ca_file())
        .env("XDG_CACHE_HOME", pki.dir.path().join("cache"))
        .args(["status", "--json"])
        .output()
        .unwrap();
    let v = json(&out);
    let kinds: Vec<(String, Option<String>)> = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let kind = t["error"]["kind"].as_str().map(str::to_owned);
            (t["target"].as_str().unwrap().to_owned(), kind)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("mutual".to_owned(), None),
            ("trusted".to_owned(), None),
            ("untrusted".to_owned(), Some("tls".to_owned()))
        ],
        "{v}"
    );
}
