//! Micro-benchmarks of the XML-RPC decoder (criterion; prints MB/s): the reply of
//! getAllProcessInfo for 10, 300 and 3,000 processes, and a 1 MB log string with
//! ANSI escapes and multibyte characters; and how fast a hostile reply nested 100,000
//! deep (3.8 MB) is refused. Run: `cargo bench --bench codec`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::collections::BTreeMap;
use std::hint::black_box;
use supervisord_mcp::xmlrpc::{Value, decode_response, encode_response};

/// A process struct with the fields and sizes supervisord sends.
fn process(i: usize) -> Value {
    let s = |v: &str| Value::String(v.to_owned());
    let mut m = BTreeMap::new();
    m.insert("name".into(), s(&format!("worker_{i:04}")));
    m.insert("group".into(), s("worker"));
    m.insert("description".into(), s(&format!("pid {}, uptime 1:02:03", 10000 + i)));
    for k in ["start", "stop", "now"] {
        m.insert(k.into(), Value::Int(1_795_240_000 + i as i64));
    }
    m.insert("state".into(), Value::Int(20));
    m.insert("statename".into(), s("RUNNING"));
    m.insert("spawnerr".into(), s(""));
    m.insert("exitstatus".into(), Value::Int(0));
    for k in ["logfile", "stdout_logfile", "stderr_logfile"] {
        m.insert(k.into(), s(&format!("/var/log/supervisor/worker_{i:04}-{k}.log")));
    }
    m.insert("pid".into(), Value::Int(10000 + i as i64));
    Value::Struct(m)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    for n in [10usize, 300, 3000] {
        let body = encode_response(&Value::Array((0..n).map(process).collect()));
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(
            format!("getAllProcessInfo/{n} processes ({} KB)", body.len() / 1024),
            |b| b.iter(|| decode_response(black_box(body.as_bytes())).unwrap()),
        );
    }
    let line = "\x1b[32mINFO\x1b[0m 2026-11-21 06:12:01 request served in 5 ms — café ok\n";
    let log: String = line.repeat(1_048_576 / line.len());
    let body = encode_response(&Value::String(log));
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("1 MB log string", |b| {
        b.iter(|| decode_response(black_box(body.as_bytes())).unwrap())
    });
    let depth = 100_000;
    let mut deep = String::from("<?xml version='1.0'?><methodResponse><params><param>");
    deep.push_str(&"<value><array><data>".repeat(depth));
    deep.push_str(&"</data></array></value>".repeat(depth));
    deep.push_str("</param></params></methodResponse>");
    g.throughput(Throughput::Bytes(deep.len() as u64));
    g.bench_function("100,000-deep reply (refused at 64 levels)", |b| {
        b.iter(|| decode_response(black_box(deep.as_bytes())).unwrap_err())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
