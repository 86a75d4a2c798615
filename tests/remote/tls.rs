//! `https://` daemons: a TLS proxy (tokio-rustls) in front of a real supervisord's
//! HTTP port, certificates from a test CA (rcgen). Trust comes from `--ca-file` (or
//! its environment variable), never silently from nowhere; every certificate problem
//! is an error of kind `tls` that says what is wrong; a client certificate is sent
//! when the proxy asks for one.

use super::*;

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
    assert_eq!(e["kind"], "tls", "{e}");
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

/// A self-signed CA certificate served as the server's own, and trusted as the CA
/// file: rustls refuses it (CaUsedAsEndEntity); the error says so in words.
#[test]
fn a_self_signed_ca_certificate_as_the_server_s_is_explained() {
    let d = Daemon::start();
    let (pki, unrelated) = (Pki::new("Test CA"), Pki::new("Unrelated CA"));
    let own = pki.self_signed_ca_as_server("selfsigned", &["127.0.0.1"]);
    let proxy = Proxy::start(&own, None, d.port);
    let out = cli(&proxy, &unrelated)
        .arg("--ca-file")
        .arg(&own.cert)
        .args(["status", "--json"])
        .output()
        .unwrap();
    let msg = tls_error(&out);
    assert!(
        msg.contains("is a CA certificate") && msg.contains("issue the server a certificate"),
        "{msg}"
    );
    assert!(!msg.contains("Other("), "{msg}");
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
