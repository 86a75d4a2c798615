//! Fuzzes the XML-RPC response decoder: any bytes must give a value, a fault or an
//! error, never a panic or a hang. Run by hand (needs nightly):
//! `cargo +nightly fuzz run decode -- -max_total_time=600`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = supervisord_mcp::xmlrpc::decode_response(data);
});
