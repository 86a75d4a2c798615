//! The XML-RPC codec: encodes calls, decodes responses. No I/O, and nothing about
//! Supervisord beyond its wire quirks.
//!
//! Why our own (see docs/supervisord-api.md, "Values"):
//! Supervisord writes control characters (ANSI ESC, NUL) raw into `<string>`, so its
//! responses are not well-formed XML 1.0, and it sends `\r` that a conforming parser
//! would normalise away. This decoder is lenient on purpose: strings come back
//! byte-exact (no trimming, no end-of-line normalisation, no character validation).
//! Requests use only `<int>`, `<boolean>1|0</boolean>`, `<string>`, `<array>` and
//! `<struct>`, which is all the daemon needs.
//!
//! Hostile replies are bounded: the decoder refuses `<value>`s nested deeper than
//! [`MAX_DEPTH`], so no recursion over a decoded [`Value`] (drop, clone, compare,
//! reading it into a typed struct, encoding, rendering) can be driven deep by the
//! peer. Its size is bounded by the transport (`MAX_REPLY_BYTES`).

mod de;
mod decode;
mod encode;

pub use decode::{decode_call, decode_response};
pub use encode::{carries, carries_value, encode_call, encode_fault, encode_response};

use std::collections::BTreeMap;

/// An XML-RPC value, as sent or received.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `<int>`, `<i4>` or `<i8>`. Supervisord only sends values that fit an i32, but
    /// requests may carry larger ones (log offsets beyond 2 GiB; the daemon accepts them).
    Int(i64),
    /// `<boolean>`: encoded as `1`/`0` (the daemon reads `true` as false).
    Bool(bool),
    /// `<string>`, or an untyped `<value>`; byte-exact.
    String(String),
    /// `<double>`.
    Double(f64),
    /// `<dateTime.iso8601>`, kept as its text.
    DateTime(String),
    /// `<base64>`, kept as its (undecoded) text.
    Base64(String),
    /// `<nil/>` (never sent by Supervisord; accepted from other servers).
    Nil,
    /// `<array><data>…</data></array>`.
    Array(Vec<Value>),
    /// `<struct>`: member name to value.
    Struct(BTreeMap<String, Value>),
}

impl Value {
    /// The fault carried by this value when it is a struct whose keys are exactly
    /// `faultCode` (int) and `faultString` (string): how `system.multicall` reports a
    /// failed entry.
    pub fn as_fault(&self) -> Option<WireFault> {
        let Value::Struct(m) = self else { return None };
        if m.len() != 2 {
            return None;
        }
        match (m.get("faultCode"), m.get("faultString")) {
            (Some(Value::Int(code)), Some(Value::String(text))) => Some(WireFault {
                code: *code,
                text: text.clone(),
            }),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// An XML-RPC fault as it came over the wire: the raw `faultCode` number and
/// `faultString`, as the server sent them. Supervisord's `faultString` is `NAME` or
/// `NAME: detail`. The client turns it into a [`crate::supervisor::Fault`] (typed
/// `FaultCode`, plus the method that failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireFault {
    pub code: i64,
    pub text: String,
}

/// The deepest nesting of `<value>` elements a response may have (the outermost
/// value is level 1). Supervisord's deepest reply (`reloadConfig`) has 4 levels;
/// anything deeper than this is refused, so that no recursion over a decoded
/// [`Value`] can exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// Why a response could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    #[error("malformed XML-RPC response: {0}")]
    Malformed(String),
    #[error("XML-RPC response has no value")]
    Empty,
    /// `<value>`s nested deeper than [`MAX_DEPTH`]: refused before decoding further.
    #[error("XML-RPC response nests values deeper than {limit} levels; refused")]
    TooDeep { limit: usize },
}

/// What a response decodes to: the returned value, or the server's fault.
pub type Response = Result<Value, WireFault>;
