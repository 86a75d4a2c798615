//! TLS for `https://` daemons: the rustls client configuration (the `ring` provider,
//! TLS 1.2 and 1.3, certificates always verified) built from the trusted roots (the
//! system's, or a CA file that replaces them) and an optional client certificate.

use crate::supervisor::files::{self, FileKind, Rule};
use rustls::RootCertStore;
use rustls::client::ClientConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// How to trust an `https://` daemon, and how to prove who we are to it. Ignored for
/// other URLs (see [`super::ServerSettings::warnings`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// A PEM file of the CA certificate(s) to trust. When given it **replaces** the
    /// system's roots: only a server certificate issued by one of these is accepted.
    pub ca_file: Option<PathBuf>,
    /// A PEM file of the client certificate chain (leaf first), sent when the server
    /// asks for one. Needs [`TlsOptions::client_key`].
    pub client_cert: Option<PathBuf>,
    /// A PEM file of the client certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub client_key: Option<PathBuf>,
}

impl TlsOptions {
    /// True when any option is set.
    pub fn is_set(&self) -> bool {
        self.ca_file.is_some() || self.client_cert.is_some() || self.client_key.is_some()
    }
}

/// Largest PEM file read (bytes). A CA bundle of every public root is about 220 KB.
pub const MAX_PEM_BYTES: u64 = FileKind::CaFile.max_bytes();

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Installs `ring` as the process's default rustls provider, unless one is already
/// installed. reqwest is built without a provider of its own (its default, aws-lc-rs,
/// needs cmake); a `reqwest::Client` built without a preconfigured TLS configuration
/// (the readiness probe, tests) needs a default one. Idempotent and cheap.
pub fn install_default_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err: another provider was installed first; it is used, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The configuration reqwest is given for `http://` and `unix://` daemons: it needs
/// one, but never uses it (no handshake happens). It trusts nothing and keeps no
/// sessions (rustls's default cache preallocates about 14 KB: 14 MB for a fan-out to
/// 1,000 targets); built once, each client gets a clone (sharing its parts).
pub(super) fn unused_config() -> Result<ClientConfig, String> {
    static UNUSED: OnceLock<Result<ClientConfig, String>> = OnceLock::new();
    UNUSED
        .get_or_init(|| {
            let mut config = ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(RootCertStore::empty())
                .with_no_client_auth();
            config.resumption = rustls::client::Resumption::disabled();
            Ok(config)
        })
        .clone()
}

/// The configuration for an `https://` daemon. Errors (a sentence naming the file,
/// never its contents): a file missing, unreadable, not regular, over
/// [`MAX_PEM_BYTES`], without the PEM items it must hold; a client certificate
/// without its key (or the reverse) or not matching it; no system roots found.
pub(super) fn client_config(opts: &TlsOptions) -> Result<ClientConfig, String> {
    let roots = match &opts.ca_file {
        Some(path) => Arc::new(ca_roots(path)?),
        None => system_roots()?,
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let mut config = match (&opts.client_cert, &opts.client_key) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let chain = certificates(cert, FileKind::ClientCert)?;
            let key = private_key(key)?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                format!(
                    "client certificate {} and key {} cannot be used together: {e}",
                    cert.display(),
                    opts.client_key.as_deref().unwrap_or(Path::new("")).display()
                )
            })?
        }
        (Some(_), None) => return Err("a client certificate needs its key file too".into()),
        (None, Some(_)) => return Err("a client key needs its certificate file too".into()),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// What is trusted, for error messages: "the system's roots" or "CA file PATH".
pub(super) fn trusted(opts: &TlsOptions) -> String {
    match &opts.ca_file {
        Some(p) => format!("CA file {}", p.display()),
        None => "the system's root certificates".into(),
    }
}

/// The system's roots, loaded once per process (SSL_CERT_FILE and SSL_CERT_DIR are
/// honoured, as by OpenSSL).
fn system_roots() -> Result<Arc<RootCertStore>, String> {
    static ROOTS: OnceLock<Result<Arc<RootCertStore>, String>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut store = RootCertStore::empty();
            let (_added, _ignored) = store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                let why = found.errors.first().map(|e| format!(" ({e})")).unwrap_or_default();
                return Err(format!(
                    "no system root certificates found{why}; name the server's CA in a CA file"
                ));
            }
            Ok(Arc::new(store))
        })
        .clone()
}

fn ca_roots(path: &Path) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    for cert in certificates(path, FileKind::CaFile)? {
        store
            .add(cert)
            .map_err(|e| format!("CA file {}: a certificate cannot be used: {e}", path.display()))?;
    }
    Ok(store)
}

/// Every `CERTIFICATE` item of a PEM file; at least one.
fn certificates(path: &Path, kind: FileKind) -> Result<Vec<CertificateDer<'static>>, String> {
    let what = kind.name();
    let pem = read_pem(path, kind)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what} {}: not valid PEM ({})", path.display(), pem_error(&e)))?;
    if certs.is_empty() {
        return Err(format!(
            "{what} {}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
            path.display()
        ));
    }
    Ok(certs)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let pem = read_pem(path, FileKind::ClientKey)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        format!(
            "client key file {}: no usable private key ({})",
            path.display(),
            pem_error(&e)
        )
    })
}

/// A PEM parse error in words that never quote the file (a key must not leak).
fn pem_error(e: &rustls::pki_types::pem::Error) -> &'static str {
    use rustls::pki_types::pem::Error as E;
    match e {
        E::NoItemsFound => "no PEM item of the expected kind",
        E::MissingSectionEnd { .. } => "a section has no END line",
        E::IllegalSectionStart { .. } => "a BEGIN line is malformed",
        E::Base64Decode(_) => "bad base64",
        _ => "unreadable PEM",
    }
}

/// Reads a PEM file through [`files::read`]: a regular file (a FIFO or a device is
/// refused without blocking), at most [`MAX_PEM_BYTES`], yours ([`Rule::Yours`]:
/// whoever can change a CA file chooses whom we trust).
fn read_pem(path: &Path, kind: FileKind) -> Result<Vec<u8>, String> {
    Ok(files::read(path, kind, Rule::Yours).map_err(|e| e.to_string())?.bytes)
}

/// A rustls error in words: what failed in the handshake, with what to check.
pub(super) fn explain(err: &rustls::Error, opts: &TlsOptions) -> String {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    let trusting = trusted(opts);
    match err {
        E::InvalidCertificate(C::UnknownIssuer) => format!(
            "the server's certificate is not issued by a trusted CA (trusting {trusting}); \
             name its CA in a CA file"
        ),
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            "the server's certificate is not valid for this host name".into()
        }
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => "the server's certificate has expired".into(),
        E::InvalidCertificate(C::Other(o)) => match o.0.downcast_ref::<webpki::Error>() {
            Some(webpki::Error::CaUsedAsEndEntity) => {
                "the server's certificate is a CA certificate (CA:TRUE, as `openssl req -x509` makes by \
                 default), which TLS never accepts as a server's own: issue the server a certificate from a \
                 CA, and name that CA in the CA file"
                    .into()
            }
            Some(other) => format!("the server's certificate is invalid ({other:?}; trusting {trusting})"),
            None => format!("the server's certificate is invalid ({o}; trusting {trusting})"),
        },
        E::InvalidCertificate(other) => format!("the server's certificate is invalid: {other:?} (trusting {trusting})"),
        E::AlertReceived(A::CertificateRequired) => {
            "the server requires a client certificate; give one (and its key)".into()
        }
        E::AlertReceived(A::BadCertificate | A::UnknownCA | A::CertificateUnknown) => {
            "the server rejected the client certificate (or requires one)".into()
        }
        E::AlertReceived(a) => format!("the server refused the handshake ({a:?})"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client of an `http://` or `unix://` daemon never makes a TLS handshake: its
    /// configuration keeps no session cache (14 KB each, per target of a fan-out).
    #[test]
    fn the_unused_configuration_keeps_no_sessions() {
        let c = unused_config().unwrap_or_else(|e| panic!("{e}"));
        let resumption = format!("{:?}", c.resumption);
        assert!(resumption.contains("NoClientSessionStorage"), "{resumption}");
    }

    fn opts(ca: &Path) -> TlsOptions {
        TlsOptions {
            ca_file: Some(ca.to_owned()),
            ..Default::default()
        }
    }

    #[test]
    fn unusable_files_are_named_never_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = client_config(&opts(&missing)).unwrap_err();
        assert!(e.contains("CA file") && e.contains("missing.pem"), "{e}");
        let fifo = dir.path().join("fifo.pem");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let e = client_config(&opts(&fifo)).unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
        let big = dir.path().join("big.pem");
        std::fs::File::create(&big).unwrap().set_len(MAX_PEM_BYTES + 1).unwrap();
        let e = client_config(&opts(&big)).unwrap_err();
        assert!(e.contains("larger than 1 MiB"), "{e}");
        let secret = dir.path().join("secret.pem");
        std::fs::write(&secret, "password=hunter2\n").unwrap();
        let e = client_config(&opts(&secret)).unwrap_err();
        assert!(e.contains("no PEM certificate") && !e.contains("hunter2"), "{e}");
    }

    #[test]
    fn errors_say_what_is_trusted_and_what_to_do() {
        use rustls::{CertificateError, Error as E};
        let e = explain(
            &E::InvalidCertificate(CertificateError::UnknownIssuer),
            &opts(Path::new("/x/ca.pem")),
        );
        assert!(e.contains("CA file /x/ca.pem"), "{e}");
        let e = explain(
            &E::InvalidCertificate(CertificateError::UnknownIssuer),
            &TlsOptions::default(),
        );
        assert!(e.contains("system's root certificates") && e.contains("CA file"), "{e}");
        let e = explain(
            &E::AlertReceived(rustls::AlertDescription::CertificateRequired),
            &TlsOptions::default(),
        );
        assert!(e.contains("requires a client certificate"), "{e}");
    }
}
