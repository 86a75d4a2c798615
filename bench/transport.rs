//! Prints figures (not a pass/fail test): the cost of one `getAllProcessInfo`
//! (12 processes, a ~16 KB reply) against the same real supervisord, in the same run,
//! over:
//! - TCP reusing a keep-alive connection (what the Python peer does);
//! - TCP with a fresh connection per call (what supervisord-mcp does over HTTP);
//! - the unix socket, pooled (what supervisord-mcp does over unix://).
//!
//! Run: `cargo bench --bench transport` (needs scripts/setup.sh first).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};
use supervisord_mcp::supervisor::{Client, Endpoint, ServerSettings, Transport};

fn settings(url: &str) -> ServerSettings {
    ServerSettings {
        endpoint: Endpoint::parse(url).unwrap().endpoint,
        username: None,
        password: None,
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        tls: Default::default(),
    }
}

async fn measure(name: &str, client: &Client, n: usize) {
    client.get_all_process_info().await.unwrap(); // connect and warm up
    client.get_state().await.unwrap(); // a small call first, as the Python peer's probe
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let procs = client.get_all_process_info().await.unwrap();
        times.push(t.elapsed());
        assert!(procs.len() >= 10);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<44} median {:>7.3} ms   p90 {:>7.3} ms   min {:>7.3} ms   (n={n})",
        ms(times[n / 2]),
        ms(times[n * 9 / 10]),
        ms(times[0])
    );
}

fn main() {
    let d = common::Daemon::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let http = settings(&d.url(common::Via::Http));
        let unix = settings(&d.url(common::Via::Unix));
        let n = 100;
        println!("getAllProcessInfo, 12 processes, same daemon, same run:");
        measure(
            "TCP, reused keep-alive connection",
            &Client::from_transport(Transport::with_pooling(&http, true).unwrap()),
            n,
        )
        .await;
        measure(
            "TCP, fresh connection per call (our default)",
            &Client::from_transport(Transport::new(&http).unwrap()),
            n,
        )
        .await;
        measure(
            "unix socket, pooled (our default)",
            &Client::from_transport(Transport::new(&unix).unwrap()),
            n,
        )
        .await;
    });
}
