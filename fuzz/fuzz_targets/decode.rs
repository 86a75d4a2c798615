//! Fuzzes the XML-RPC response decoder: any bytes must give a value, a fault or an
//! error, never a panic, a hang or a stack overflow. Run by hand (needs nightly), with
//! room for deeply nested seeds (`corpus/decode/nested_*.xml`):
//! `cargo +nightly fuzz run decode -- -max_len=4000000 -max_total_time=600`
//! The `nested` target reaches 100,000-deep replies from a few bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = supervisord_mcp::xmlrpc::decode_response(data);
});
