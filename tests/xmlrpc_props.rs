//! Properties of the codec: what is encoded decodes to the same value (strings
//! byte-exact, control characters and `\r` included), no input makes the decoder
//! panic, and nesting is accepted up to `MAX_DEPTH` levels and refused past it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use std::collections::BTreeMap;
use supervisord_mcp::xmlrpc::{DecodeError, MAX_DEPTH, Value, decode_response, encode_response};

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
        any::<String>().prop_map(Value::String),
        "[\\x00-\\x1f<>&\\]\\r\\n é…😀]{0,40}".prop_map(Value::String),
        (-1e12f64..1e12).prop_map(Value::Double),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,12}", inner, 0..8)
                .prop_map(|m: BTreeMap<String, Value>| Value::Struct(m)),
        ]
    })
}

/// A value `depth` levels deep: arrays and structs (one member) as `kinds` says, level
/// by level, around an int.
fn nested(depth: usize, kinds: &[bool]) -> Value {
    let mut v = Value::Int(1);
    for level in 1..depth {
        v = if kinds[level % kinds.len()] {
            Value::Struct(BTreeMap::from([("m".to_owned(), v)]))
        } else {
            Value::Array(vec![v])
        };
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn nesting_up_to_max_depth_decodes_and_deeper_is_refused(
        depth in 1usize..(3 * MAX_DEPTH),
        kinds in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        let v = nested(depth, &kinds);
        let decoded = decode_response(encode_response(&v).as_bytes());
        if depth <= MAX_DEPTH {
            prop_assert_eq!(decoded, Ok(Ok(v)));
        } else {
            prop_assert_eq!(decoded, Err(DecodeError::TooDeep { limit: MAX_DEPTH }));
        }
    }

    #[test]
    fn what_is_encoded_decodes_to_the_same_value(v in value()) {
        let body = encode_response(&v);
        let decoded = decode_response(body.as_bytes()).unwrap().unwrap();
        prop_assert_eq!(decoded, v);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode_response(&bytes);
    }

    #[test]
    fn mutated_real_responses_never_panic(
        which in 0usize..9,
        cut in 0usize..20000,
        flips in prop::collection::vec((0usize..20000, any::<u8>()), 0..8),
    ) {
        let names = ["getAllProcessInfo", "getAllConfigInfo", "fault_bad_name", "multicall", "readLog_ansi",
                     "readLog_controls", "reloadConfig", "stopGroup", "tailLog"];
        let path = format!("{}/fixtures/xmlrpc/{}.xml", env!("CARGO_MANIFEST_DIR"), names[which]);
        let mut bytes = std::fs::read(path).unwrap();
        for (at, b) in flips {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = b;
            }
        }
        bytes.truncate(cut.min(bytes.len()));
        let _ = decode_response(&bytes);
    }
}
