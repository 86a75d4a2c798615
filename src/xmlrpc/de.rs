//! A decoded [`Value`] read straight into typed structs with serde: a struct becomes
//! a map, an array a sequence, a scalar what it holds. No intermediate document (the
//! replies of a fan-out to 1,000 daemons went through `serde_json::Value` first: a
//! second tree of every reply, about 5% of that call's CPU).
//!
//! Bounded like the values themselves: no value is deeper than [`super::MAX_DEPTH`],
//! so neither is the recursion here.

use super::Value;
use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};

impl<'de> IntoDeserializer<'de, Error> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = Error;

    /// Ints as `i64`, booleans, strings (dates and base64 as their text), doubles as
    /// `f64`, `<nil/>` as unit, arrays as sequences, structs as maps (member name,
    /// value). Errors: the visitor's (`invalid type`, `missing field`…), and a
    /// sequence or map it did not read to the end (`invalid length`).
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Int(i) => visitor.visit_i64(i),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::String(s) | Value::DateTime(s) | Value::Base64(s) => visitor.visit_string(s),
            Value::Double(d) => visitor.visit_f64(d),
            Value::Nil => visitor.visit_unit(),
            Value::Array(a) => {
                let mut seq = SeqDeserializer::new(a.into_iter());
                let v = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(v)
            }
            Value::Struct(m) => {
                let mut map = MapDeserializer::new(m.into_iter());
                let v = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(v)
            }
        }
    }

    /// `<nil/>` is `None`; anything else is `Some`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Nil => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    /// A unit variant from a string (`"RUNNING"`); anything else is refused by the
    /// visitor.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(default)]
    struct Proc {
        name: String,
        pid: i64,
        load: f64,
        ok: bool,
        tags: Vec<String>,
        note: Option<String>,
    }

    fn proc_value() -> Value {
        let mut m = BTreeMap::new();
        m.insert("name".to_owned(), Value::from("web"));
        m.insert("pid".to_owned(), Value::Int(42));
        m.insert("load".to_owned(), Value::Int(2));
        m.insert("ok".to_owned(), Value::Bool(true));
        m.insert(
            "tags".to_owned(),
            Value::Array(vec![Value::from("a"), Value::from("b")]),
        );
        m.insert("note".to_owned(), Value::Nil);
        m.insert("unknown".to_owned(), Value::Struct(BTreeMap::new()));
        Value::Struct(m)
    }

    #[test]
    fn a_struct_reads_into_typed_fields_ignoring_unknown_members() {
        let p = Proc::deserialize(proc_value()).unwrap();
        let want = Proc {
            name: "web".into(),
            pid: 42,
            load: 2.0,
            ok: true,
            tags: vec!["a".into(), "b".into()],
            note: None,
        };
        assert_eq!(p, want);
    }

    #[test]
    fn a_member_of_the_wrong_type_is_an_error_naming_both() {
        let Value::Struct(mut m) = proc_value() else {
            unreachable!()
        };
        m.insert("pid".to_owned(), Value::from("forty-two"));
        let e = Proc::deserialize(Value::Struct(m)).unwrap_err().to_string();
        assert!(
            e.contains("invalid type") && e.contains("forty-two") && e.contains("i64"),
            "{e}"
        );
    }

    #[test]
    fn a_tuple_with_more_elements_than_it_reads_is_refused() {
        let v = Value::Array(vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
        let e = <(i64, i64)>::deserialize(v).unwrap_err().to_string();
        assert!(e.contains("invalid length"), "{e}");
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "UPPERCASE")]
    enum State {
        Running,
        Fatal,
    }

    #[test]
    fn a_string_names_a_unit_variant() {
        assert_eq!(State::deserialize(Value::from("FATAL")).unwrap(), State::Fatal);
        assert!(State::deserialize(Value::from("running")).is_err());
        assert!(State::deserialize(Value::Int(1)).is_err());
        assert_eq!(State::deserialize(Value::from("RUNNING")).unwrap(), State::Running);
    }
}
