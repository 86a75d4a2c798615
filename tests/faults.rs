//! Faults a real supervisord cannot produce, from a fake server on loopback: HTTP
//! 400/411/500, a reply cut off mid-body, a 100 MB reply, malformed XML, a server that
//! never answers. Each gives a clear error within its bound: no panic, no hang, no
//! unbounded memory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};
use supervisord_mcp::supervisor::{Client, Endpoint, Error, ServerSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `reply` (raw HTTP) to every connection, after reading the request.
async fn fake(reply: impl Fn() -> Vec<u8> + Send + Sync + 'static) -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    let reply = std::sync::Arc::new(reply);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = l.accept().await {
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = sock.read(&mut buf).await;
                let _ = sock.write_all(&reply()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    url
}

fn client(url: &str, timeout: Duration) -> Client {
    Client::new(&ServerSettings {
        endpoint: Endpoint::parse(url).unwrap().endpoint,
        username: None,
        password: None,
        connect_timeout: timeout,
        timeout,
    })
    .unwrap()
}

fn http(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: text/html\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn http_errors_name_their_status() {
    for (status, code) in [
        ("400 Bad Request", 400),
        ("411 Length Required", 411),
        ("500 Internal Server Error", 500),
    ] {
        let url = fake(move || http(status, "<html>error</html>")).await;
        let e = client(&url, Duration::from_secs(5)).get_state().await.unwrap_err();
        assert!(
            matches!(e, Error::HttpStatus { status, .. } if status == code),
            "{status}: {e:?}"
        );
        assert!(e.to_string().contains(&code.to_string()));
    }
}

#[tokio::test]
async fn a_reply_cut_off_mid_body_is_an_error() {
    let url = fake(|| {
        let body = "<?xml version='1.0'?><methodResponse><params><param><value><string>half";
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len() + 500).into_bytes()
    })
    .await;
    let e = client(&url, Duration::from_secs(5))
        .get_supervisor_version()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { .. } | Error::Decode { .. }), "{e:?}");
}

#[tokio::test]
async fn malformed_xml_is_a_decode_error() {
    for body in [
        "<methodResponse><params><param><value><int>x</int></value></param></params></methodResponse>",
        "not xml at all",
        "",
    ] {
        let url = fake(move || http("200 OK", body)).await;
        let e = client(&url, Duration::from_secs(5)).get_pid().await.unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{body:?}: {e:?}");
    }
}

#[tokio::test]
async fn a_100_mb_reply_is_refused_without_buffering_it() {
    let url = fake(|| {
        let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 104857600\r\n\r\n<?xml version='1.0'?><methodResponse><params><param><value><string>".to_vec();
        r.resize(100 * 1024 * 1024, b'x');
        r
    })
    .await;
    let started = Instant::now();
    let e = client(&url, Duration::from_secs(30)).read_log(0, 0).await.unwrap_err();
    assert!(e.to_string().contains("larger than 64 MiB"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s); // accept, never answer
        }
    });
    let started = Instant::now();
    let e = client(&url, Duration::from_millis(500)).get_state().await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}
