//! Decoder tests: real replies (fixtures), quirks, garbage and hostile nesting.

use super::*;
use crate::xmlrpc::{Fault, MAX_DEPTH};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/xmlrpc/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn decoded(body: &[u8]) -> Value {
    match decode_response(body) {
        Ok(Ok(v)) => v,
        other => panic!("not a value: {other:?}"),
    }
}

fn ok(name: &str) -> Value {
    decoded(&fixture(name))
}

#[test]
fn real_get_all_process_info() {
    let Value::Array(procs) = ok("getAllProcessInfo.xml") else {
        panic!("not an array")
    };
    assert_eq!(procs.len(), 7);
    let Value::Struct(first) = &procs[0] else {
        panic!("not a struct")
    };
    assert_eq!(first.get("name"), Some(&Value::from("colors")));
    assert_eq!(first.get("state"), Some(&Value::Int(20)));
    assert_eq!(first.get("spawnerr"), Some(&Value::from("")));
}

#[test]
fn real_fault_is_decoded_with_code_and_text() {
    let fault = decode_response(&fixture("fault_bad_name.xml"));
    assert_eq!(
        fault,
        Ok(Err(Fault {
            code: 10,
            text: "BAD_NAME: nope".into()
        }))
    );
}

#[test]
fn control_characters_and_carriage_returns_are_kept_byte_exact() {
    // Supervisord sends ESC, NUL and \r raw (not well-formed XML); we keep them.
    let Value::String(s) = ok("readLog_controls.xml") else {
        panic!("not a string")
    };
    assert_eq!(
        s,
        "line one\r\nprogress 10%\rprogress 100%\nnul\0byte & <tag>\n\x1b[1mbold\x1b[0m\n"
    );
}

#[test]
fn ansi_and_multibyte_log_text() {
    let Value::String(s) = ok("readLog_ansi.xml") else {
        panic!("not a string")
    };
    assert!(s.starts_with("\x1b[32mINFO\x1b[0m request 1 served in 1 ms — ok é\n"));
    assert_eq!(s.len(), 300, "300 bytes were asked for, 300 bytes came back");
}

#[test]
fn multicall_results_are_unwrapped_values_or_fault_structs() {
    let Value::Array(items) = ok("multicall.xml") else {
        panic!("not an array")
    };
    assert_eq!(items[0], Value::from("3.0"));
    assert_eq!(
        items[1].as_fault(),
        Some(Fault {
            code: 10,
            text: "BAD_NAME: nope".into()
        })
    );
}

#[test]
fn reload_config_is_nested_one_level_deeper() {
    let Value::Array(outer) = ok("reloadConfig.xml") else {
        panic!("not an array")
    };
    let Value::Array(inner) = &outer[0] else {
        panic!("not nested")
    };
    assert_eq!(inner.len(), 3);
}

#[test]
fn tail_returns_string_offset_overflow() {
    let Value::Array(items) = ok("tailLog.xml") else {
        panic!("not an array")
    };
    assert!(matches!(items[..], [Value::String(_), Value::Int(_), Value::Bool(_)]));
}

#[test]
fn untyped_values_entities_and_empty_elements() {
    let body = b"<?xml version='1.0'?><methodResponse><params><param><value><array><data>\
        <value>plain &amp; &#233;&#x41; &lt;x&gt;</value><value><string/></value><value/>\
        <value><i4>7</i4></value><value><i8>3000000000</i8></value><value><nil/></value>\
        <value><boolean>0</boolean></value><value><double>1.5</double></value>\
        <value><struct></struct></value></data></array></value></param></params></methodResponse>";
    let Value::Array(items) = decoded(body) else { panic!() };
    assert_eq!(
        items,
        vec![
            Value::from("plain & éA <x>"),
            Value::from(""),
            Value::from(""),
            Value::Int(7),
            Value::Int(3_000_000_000),
            Value::Nil,
            Value::Bool(false),
            Value::Double(1.5),
            Value::Struct(BTreeMap::new()),
        ]
    );
}

#[test]
fn whitespace_inside_strings_is_significant() {
    let body =
        b"<methodResponse><params><param><value><string>  two\n\n</string></value></param></params></methodResponse>";
    assert_eq!(decoded(body), Value::from("  two\n\n"));
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for body in [
        &fixture("http500_split_utf8.html")[..],
        b"",
        b"<methodResponse><params><param><value><string>cut off",
        b"<methodResponse><params><param><value><int>x</int></value></param></params></methodResponse>",
        b"<methodResponse><fault><value><string>no struct</string></value></fault></methodResponse>",
        b"<methodResponse></member></methodResponse>",
        b"\xff\xfe<<<>>>",
    ] {
        assert!(decode_response(body).is_err(), "{:?}", String::from_utf8_lossy(body));
    }
}

/// A reply whose outermost value wraps `depth - 1` arrays, each holding one value.
fn nested_arrays(depth: usize) -> Vec<u8> {
    let mut body = String::from("<?xml version='1.0'?><methodResponse><params><param>");
    body.push_str(&"<value><array><data>".repeat(depth - 1));
    body.push_str("<value><int>1</int></value>");
    body.push_str(&"</data></array></value>".repeat(depth - 1));
    body.push_str("</param></params></methodResponse>");
    body.into_bytes()
}

#[test]
fn nesting_up_to_the_limit_decodes() {
    let mut v = decoded(&nested_arrays(MAX_DEPTH));
    let mut levels = 1;
    while let Value::Array(mut items) = v {
        v = items.pop().unwrap_or(Value::Nil);
        levels += 1;
    }
    assert_eq!((levels, v), (MAX_DEPTH, Value::Int(1)));
}

#[test]
fn nesting_past_the_limit_is_refused_not_a_crash() {
    for depth in [MAX_DEPTH + 1, 100_000] {
        let e = decode_response(&nested_arrays(depth)).unwrap_err();
        assert_eq!(e, DecodeError::TooDeep { limit: MAX_DEPTH });
        assert!(e.to_string().contains("deeper than 64 levels"), "{e}");
    }
    // Structs count as well, and an unclosed flood of <value> is refused the same way.
    let member = "<value><struct><member><name>m</name>";
    let body = format!("<methodResponse><params><param>{}", member.repeat(100_000));
    let e = decode_response(body.as_bytes()).unwrap_err();
    assert_eq!(e, DecodeError::TooDeep { limit: MAX_DEPTH });
    // An empty <value/> is a level too (found by the `nested` fuzz target).
    let body = String::from_utf8(nested_arrays(MAX_DEPTH)).unwrap().replace(
        "<value><int>1</int></value>",
        "<value><array><data><value/></data></array></value>",
    );
    let e = decode_response(body.as_bytes()).unwrap_err();
    assert_eq!(e, DecodeError::TooDeep { limit: MAX_DEPTH });
    // Elements that hold no value cannot pile up either (memory, not the stack).
    for tag in ["<array>", "<struct>", "<member>", "<value><array><array>"] {
        let body = format!("<methodResponse><params><param><value>{}", tag.repeat(1_000_000));
        let e = decode_response(body.as_bytes()).unwrap_err();
        assert_eq!(e, DecodeError::TooDeep { limit: MAX_DEPTH }, "{tag}");
    }
}
