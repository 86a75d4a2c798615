//! The typed scalars of XML-RPC: which tag names which type, and how its text
//! parses.

use crate::xmlrpc::{DecodeError, Value};

/// A typed XML-RPC scalar element (`<int>`, `<string>`…).
#[derive(Clone, Copy)]
pub(super) enum Scalar {
    String,
    Int,
    Bool,
    Double,
    DateTime,
    Base64,
}

impl Scalar {
    /// The scalar type a tag names (`i4` and `i8` are ints); `None` for any other tag.
    pub(super) fn from_tag(tag: &str) -> Option<Scalar> {
        Some(match tag {
            "string" => Scalar::String,
            "int" | "i4" | "i8" => Scalar::Int,
            "boolean" => Scalar::Bool,
            "double" => Scalar::Double,
            "dateTime.iso8601" => Scalar::DateTime,
            "base64" => Scalar::Base64,
            _ => return None,
        })
    }

    /// The value of a scalar of this type whose text is `text` (ints, booleans and
    /// doubles trimmed; strings, dates and base64 kept byte for byte). Errors: text
    /// that is not of the type ([`DecodeError::Malformed`]).
    pub(super) fn parse(self, text: String) -> Result<Value, DecodeError> {
        let bad = |what: &str, t: &str| DecodeError::Malformed(format!("bad <{what}> value {t:?}"));
        Ok(match self {
            Scalar::String => Value::String(text),
            Scalar::Int => Value::Int(text.trim().parse().map_err(|_| bad("int", &text))?),
            Scalar::Bool => match text.trim() {
                "1" | "true" => Value::Bool(true),
                "0" | "false" => Value::Bool(false),
                _ => return Err(bad("boolean", &text)),
            },
            Scalar::Double => Value::Double(text.trim().parse().map_err(|_| bad("double", &text))?),
            Scalar::DateTime => Value::DateTime(text),
            Scalar::Base64 => Value::Base64(text),
        })
    }
}
