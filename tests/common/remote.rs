//! Remote daemons for tests: a test CA and a TLS proxy in front of a daemon's HTTP
//! port (`https://`), and a fake `ssh` on PATH that forwards as ssh does (`ssh://`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

/// A test CA and the files of the certificates it issued, in a temp dir.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate issued by a [`Pki`]: its PEM files.
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        Pki { dir, ca }
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A self-signed CA certificate (CA:TRUE) for `names`, as `openssl req -x509` makes
    /// by default, used as a server's own, as FILE.pem and FILE.key.
    pub fn self_signed_ca_as_server(&self, file: &str, names: &[&str]) -> Issued {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        let issued = Issued {
            cert: self.dir.path().join(format!("{file}.pem")),
            key: self.dir.path().join(format!("{file}.key")),
        };
        std::fs::write(&issued.cert, cert.pem()).unwrap();
        std::fs::write(&issued.key, key.serialize_pem()).unwrap();
        issued
    }

    /// A leaf certificate for `names` (DNS names or IP addresses), as FILE.pem and FILE.key.
    pub fn issue(&self, file: &str, names: &[&str]) -> Issued {
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
pub struct Proxy {
    pub port: u16,
    _rt: tokio::runtime::Runtime,
}

impl Proxy {
    /// Serves `server`'s certificate; requires a client certificate issued by
    /// `client_ca` when given.
    pub fn start(server: &Issued, client_ca: Option<&Pki>, upstream: u16) -> Proxy {
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

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

/// A fake `ssh` on PATH, and the temporary directory the CLI makes its tunnels in.
pub struct FakeSsh {
    pub dir: tempfile::TempDir,
}

impl FakeSsh {
    /// `body` is the shell script's body; it runs with ssh's arguments.
    pub fn new(body: &str) -> FakeSsh {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        let ssh = dir.path().join("bin/ssh");
        let pids = dir.path().join("pids");
        std::fs::write(&ssh, format!("#!/bin/sh\necho $$ >> '{}'\n{body}\n", pids.display())).unwrap();
        std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).unwrap();
        FakeSsh { dir }
    }

    /// An ssh that forwards as ssh does.
    pub fn forwarding() -> FakeSsh {
        FakeSsh::new(&format!(
            "exec '{}' '{}' \"$@\"",
            python().display(),
            py_script("fake_ssh.py").display()
        ))
    }

    /// An ssh that forwards, and ignores SIGTERM (a hung or stubborn ssh).
    pub fn forwarding_deaf_to_sigterm() -> FakeSsh {
        FakeSsh::new(&format!(
            "trap '' TERM\nexec '{}' '{}' \"$@\"",
            python().display(),
            py_script("fake_ssh.py").display()
        ))
    }

    pub fn path_var(&self) -> String {
        format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// The CLI, with this ssh first on PATH and its tunnels under [`FakeSsh::tmp`].
    pub fn command(&self) -> assert_cmd::Command {
        let mut c = bare_cli();
        c.env("PATH", self.path_var())
            .env("TMPDIR", self.tmp())
            .env_remove("XDG_RUNTIME_DIR");
        c
    }

    /// [`FakeSsh::command`] against `url`.
    pub fn cli(&self, url: &str) -> assert_cmd::Command {
        let mut c = self.command();
        c.args(["-s", url]);
        c
    }

    /// The fake ssh's pids, one per start.
    pub fn pids(&self) -> Vec<i32> {
        std::fs::read_to_string(self.dir.path().join("pids"))
            .unwrap_or_default()
            .lines()
            .map(|l| l.trim().parse().unwrap())
            .collect()
    }

    /// The tunnel directories left in [`FakeSsh::tmp`].
    pub fn tunnel_dirs(&self) -> Vec<String> {
        std::fs::read_dir(self.tmp())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("supervisord-mcp-ssh-"))
            .collect()
    }

    /// Asserts that no fake ssh runs and no tunnel directory is left.
    pub fn assert_nothing_left(&self) {
        for pid in self.pids() {
            assert!(gone(pid), "the fake ssh {pid} still runs");
        }
        assert_eq!(self.tunnel_dirs(), Vec::<String>::new(), "tunnel directories left");
    }
}

/// True when `pid` has exited (a zombie counts as exited).
pub fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

/// `ssh://` URL of a daemon's socket, through the fake ssh.
pub fn ssh_url(sock: &Path) -> String {
    format!("ssh://tester@remote.example:2222{}", sock.display())
}
