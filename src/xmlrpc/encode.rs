//! Request encoding: `<methodCall>` with `<int>`, `<boolean>1|0</boolean>` and `<string>`.

use super::Value;
use std::fmt::Write;

/// Encodes a call as the body of a `POST /RPC2`.
///
/// Strings escape `&`, `<` and `>` only; everything else (`\r` and C1 controls
/// included) goes out as is, which is what the daemon's parser accepts. A C0 control
/// it refuses ([`carries`]): callers check first.
pub fn encode_call(method: &str, params: &[Value]) -> String {
    let mut out = String::with_capacity(128 + params.len() * 48);
    out.push_str("<?xml version=\"1.0\"?>\n<methodCall><methodName>");
    escape_into(&mut out, method);
    out.push_str("</methodName><params>");
    for p in params {
        out.push_str("<param>");
        encode_value(&mut out, p);
        out.push_str("</param>");
    }
    out.push_str("</params></methodCall>\n");
    out
}

/// Encodes a `<methodResponse>` carrying `value`, as a server would (for fake servers
/// in tests, and the codec's round-trip property).
pub fn encode_response(value: &Value) -> String {
    let mut out = String::from("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n");
    encode_value(&mut out, value);
    out.push_str("\n</param>\n</params>\n</methodResponse>\n");
    out
}

/// Encodes a `<methodResponse>` carrying a fault, as a server would (for fake servers
/// in tests).
pub fn encode_fault(code: i64, text: &str) -> String {
    let mut m = std::collections::BTreeMap::new();
    m.insert("faultCode".to_owned(), Value::Int(code));
    m.insert("faultString".to_owned(), Value::String(text.to_owned()));
    let mut out = String::from("<?xml version='1.0'?>\n<methodResponse>\n<fault>\n");
    encode_value(&mut out, &Value::Struct(m));
    out.push_str("\n</fault>\n</methodResponse>\n");
    out
}

fn encode_value(out: &mut String, v: &Value) {
    out.push_str("<value>");
    match v {
        Value::Int(i) => {
            let _ = write!(out, "<int>{i}</int>");
        }
        Value::Bool(b) => out.push_str(if *b {
            "<boolean>1</boolean>"
        } else {
            "<boolean>0</boolean>"
        }),
        Value::String(s) => {
            out.push_str("<string>");
            escape_into(out, s);
            out.push_str("</string>");
        }
        Value::Double(d) => {
            let _ = write!(out, "<double>{d}</double>");
        }
        Value::DateTime(s) => {
            out.push_str("<dateTime.iso8601>");
            escape_into(out, s);
            out.push_str("</dateTime.iso8601>");
        }
        Value::Base64(s) => {
            out.push_str("<base64>");
            escape_into(out, s);
            out.push_str("</base64>");
        }
        Value::Nil => out.push_str("<nil/>"),
        Value::Array(items) => {
            out.push_str("<array><data>");
            for item in items {
                encode_value(out, item);
            }
            out.push_str("</data></array>");
        }
        Value::Struct(members) => {
            out.push_str("<struct>");
            for (name, value) in members {
                out.push_str("<member><name>");
                escape_into(out, name);
                out.push_str("</name>");
                encode_value(out, value);
                out.push_str("</member>");
            }
            out.push_str("</struct>");
        }
    }
    out.push_str("</value>");
}

/// True when a request can carry `s`: XML 1.0 has no way to write a C0 control
/// character other than tab, line feed and carriage return (nor U+FFFE, U+FFFF),
/// raw or escaped, and the daemon's parser refuses a request holding one (HTTP 400).
pub fn carries(s: &str) -> bool {
    !s.chars()
        .any(|c| (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}'))
}

/// True when a request can carry every string in `v` ([`carries`]).
pub fn carries_value(v: &Value) -> bool {
    match v {
        Value::String(s) | Value::DateTime(s) | Value::Base64(s) => carries(s),
        Value::Array(items) => items.iter().all(carries_value),
        Value::Struct(members) => members.iter().all(|(k, v)| carries(k) && carries_value(v)),
        Value::Int(_) | Value::Bool(_) | Value::Double(_) | Value::Nil => true,
    }
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_supervisord_types() {
        let body = encode_call(
            "ns.method",
            &[Value::from("a&b<c>"), Value::Bool(false), Value::Int(-1600)],
        );
        assert_eq!(
            body,
            "<?xml version=\"1.0\"?>\n<methodCall><methodName>ns.method</methodName>\
             <params><param><value><string>a&amp;b&lt;c&gt;</string></value></param>\
             <param><value><boolean>0</boolean></value></param>\
             <param><value><int>-1600</int></value></param></params></methodCall>\n"
        );
    }

    #[test]
    fn c0_controls_but_whitespace_cannot_be_carried() {
        assert!(carries("web:web_a\t\r\n\u{9b}é"));
        assert!(!carries("evil\x1b[31m") && !carries("bell\x07"));
        let nested = Value::Array(vec![Value::Struct(
            [("methodName".to_owned(), Value::from("x\x1b"))].into(),
        )]);
        assert!(!carries_value(&nested));
    }

    #[test]
    fn offsets_beyond_i32_are_sent_as_digits() {
        let body = encode_call("ns.read", &[Value::Int(3_000_000_000), Value::Int(5)]);
        assert!(body.contains("<int>3000000000</int>"));
    }

    #[test]
    fn calls_and_faults_decode_back() -> Result<(), crate::xmlrpc::DecodeError> {
        use crate::xmlrpc::{WireFault, decode_call, decode_response};
        let params = vec![Value::from("web:*"), Value::Bool(true), Value::Int(-7)];
        let (method, got) = decode_call(encode_call("ns.method", &params).as_bytes())?;
        assert_eq!((method.as_str(), got), ("ns.method", params));
        let fault = decode_response(encode_fault(10, "BAD_NAME: x").as_bytes())?;
        assert_eq!(
            fault,
            Err(WireFault {
                code: 10,
                text: "BAD_NAME: x".into()
            })
        );
        Ok(())
    }
}
