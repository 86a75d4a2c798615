//! Structure-aware fuzzing of the XML-RPC response decoder: the input is read as
//! pairs of bytes (fragment, repeat), each expanding to one XML-RPC fragment repeated
//! 2^(repeat % 18) times (up to 131,072), so that a few bytes build replies nested
//! 100,000 deep or megabytes long, which byte-level mutation of a small input never
//! reaches. Checks: no panic, no stack overflow (decode, reading the value into typed
//! structs with serde, drop), and a decoded value is never deeper than `MAX_DEPTH`.
//! Run by hand (needs nightly):
//! `cargo +nightly fuzz run nested -- -max_total_time=600`
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde::de::IgnoredAny;
use supervisord_mcp::supervisor::ProcessInfo;
use supervisord_mcp::xmlrpc::{MAX_DEPTH, Value, decode_response};

/// Indexes 0 to 3 nest and unnest arrays and structs one level per repeat.
const FRAGMENTS: &[&str] = &[
    "<value><array><data>",
    "</data></array></value>",
    "<value><struct><member><name>m</name>",
    "</member></struct></value>",
    "<value>",
    "</value>",
    "<array><data>",
    "</data></array>",
    "<struct>",
    "</struct>",
    "<member>",
    "</member>",
    "<name>m</name>",
    "<string>s</string>",
    "<int>7</int>",
    "<nil/>",
    "<value/>",
    "<fault>",
    "</fault>",
    "<?xml version='1.0'?><methodResponse><params><param>",
    "</param></params></methodResponse>",
    "<array/>",
    "<struct/>",
    "<boolean>1</boolean>",
    "<double>1.5</double>",
    "<i8>3000000000</i8>",
    "<name>",
    "</name>",
    "<member><name>faultCode</name><value><int>1</int></value></member>",
    "<member><name>faultString</name><value><string>F</string></value></member>",
    "&amp;&#233;&bogus;",
    "<![CDATA[<value>]]>",
    "<!-- <value> -->",
    "<data>",
    "</data>",
    "<methodResponse>",
    "</methodResponse>",
    "\x1b\r\0é",
    "<",
    ">",
];

/// Expanded replies stay below this (bytes), like the transport's reply cap bounds them.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// The depth of a decoded value, without recursion.
fn depth(v: &Value) -> usize {
    let mut deepest = 0;
    let mut todo = vec![(v, 1)];
    while let Some((v, d)) = todo.pop() {
        deepest = deepest.max(d);
        match v {
            Value::Array(items) => todo.extend(items.iter().map(|i| (i, d + 1))),
            Value::Struct(m) => todo.extend(m.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    deepest
}

fuzz_target!(|data: &[u8]| {
    let mut body = String::new();
    for pair in data.chunks(2) {
        let fragment = FRAGMENTS[usize::from(pair[0]) % FRAGMENTS.len()];
        let repeat = 1usize << (pair.get(1).copied().unwrap_or(0) % 18);
        if body.len() + fragment.len() * repeat > MAX_BODY {
            break;
        }
        for _ in 0..repeat {
            body.push_str(fragment);
        }
    }
    if let Ok(Ok(v)) = decode_response(body.as_bytes()) {
        assert!(depth(&v) <= MAX_DEPTH, "decoded a value deeper than MAX_DEPTH");
        // Read as the client reads replies: typed processes (refused or not), and
        // every member walked (IgnoredAny descends into each one).
        drop(Vec::<ProcessInfo>::deserialize(v.clone()));
        drop(IgnoredAny::deserialize(v.clone()));
    }
});
