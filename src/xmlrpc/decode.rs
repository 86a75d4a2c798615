//! Response decoding: lenient and byte-exact.
//!
//! quick-xml is used as a tokenizer only. Text is taken with `into_inner()`, never
//! `xml10_content()` (which turns `\r\n` into `\n` and would corrupt log bytes and the
//! byte offsets computed from them). Control characters are not rejected.
//!
//! Nesting is bounded: a reply whose `<value>`s nest deeper than [`MAX_DEPTH`] is
//! refused with [`DecodeError::TooDeep`] as soon as the first level too many opens.
//! The decoder itself keeps its open elements on a heap stack (no recursion), and
//! because no decoded [`Value`] is deeper than [`MAX_DEPTH`], every later recursion
//! over one (its `Drop`, `Clone`, `PartialEq`, encoding, and serde reading it into a
//! typed struct) is bounded by it too: a hostile peer cannot overflow the stack.

use super::{DecodeError, MAX_DEPTH, Response, Value};
use quick_xml::Reader;
use quick_xml::events::Event;
use scalar::Scalar;
use std::collections::BTreeMap;

enum Frame {
    /// `<methodName>` of a call.
    MethodName(String),
    Value {
        kind: Option<Scalar>,
        text: String,
        done: Option<Value>,
        in_scalar: bool,
    },
    Array(Vec<Value>),
    Struct(BTreeMap<String, Value>),
    Member {
        name: Option<String>,
        value: Option<Value>,
    },
    Name(String),
}

impl Frame {
    fn value() -> Frame {
        Frame::Value {
            kind: None,
            text: String::new(),
            done: None,
            in_scalar: false,
        }
    }
}

/// The most open elements a response can have: a value [`MAX_DEPTH`] deep has at most
/// three per level (`<value><struct><member>`) and a `<name>`.
const MAX_FRAMES: usize = 3 * MAX_DEPTH + 1;

struct Decoder {
    stack: Vec<Frame>,
    /// Open `<value>` elements (frames of kind `Frame::Value` on `stack`).
    depth: usize,
    /// Top-level values: a response's one result, or a call's parameters.
    values: Vec<Value>,
    /// A call's `<methodName>`.
    method: Option<String>,
    fault: bool,
}

fn malformed(msg: impl Into<String>) -> DecodeError {
    DecodeError::Malformed(msg.into())
}

impl Decoder {
    /// Appends text to whatever is capturing it (a `<name>`, a scalar, an untyped value).
    fn text(&mut self, s: &str) {
        match self.stack.last_mut() {
            Some(Frame::Name(n) | Frame::MethodName(n)) => n.push_str(s),
            Some(Frame::Value {
                kind,
                text,
                done: None,
                in_scalar,
            }) if *in_scalar || kind.is_none() => text.push_str(s),
            _ => {}
        }
    }

    /// Opens a frame. Errors: a `<value>` past [`MAX_DEPTH`], or more open elements
    /// than a value [`MAX_DEPTH`] deep can have (`<array>` in `<array>`…, which would
    /// only cost memory).
    fn push(&mut self, frame: Frame) -> Result<(), DecodeError> {
        let is_value = matches!(frame, Frame::Value { .. });
        if self.stack.len() >= MAX_FRAMES || (is_value && self.depth >= MAX_DEPTH) {
            return Err(DecodeError::TooDeep { limit: MAX_DEPTH });
        }
        self.depth += usize::from(is_value);
        self.stack.push(frame);
        Ok(())
    }

    fn open(&mut self, tag: &str) -> Result<(), DecodeError> {
        match tag {
            "value" => self.push(Frame::value())?,
            "array" => self.push(Frame::Array(Vec::new()))?,
            "struct" => self.push(Frame::Struct(BTreeMap::new()))?,
            "member" => self.push(Frame::Member {
                name: None,
                value: None,
            })?,
            "name" => self.push(Frame::Name(String::new()))?,
            "methodName" if self.stack.is_empty() => self.push(Frame::MethodName(String::new()))?,
            "fault" => self.fault = true,
            _ => {
                if let Some(k) = Scalar::from_tag(tag) {
                    match self.stack.last_mut() {
                        Some(Frame::Value {
                            kind, text, in_scalar, ..
                        }) => {
                            *kind = Some(k);
                            text.clear();
                            *in_scalar = true;
                        }
                        _ => return Err(malformed(format!("<{tag}> outside <value>"))),
                    }
                }
            }
        }
        Ok(())
    }

    /// Closes an element: the frame it opened is popped and its content handed to the
    /// enclosing one. Errors: a closing tag that does not match what is open.
    fn close(&mut self, tag: &str) -> Result<(), DecodeError> {
        match tag {
            "value" => self.close_value(),
            "array" | "struct" => self.close_container(tag),
            "methodName" => self.close_method_name(),
            "name" => self.close_name(),
            "member" => self.close_member(),
            _ => match Scalar::from_tag(tag) {
                Some(k) => self.close_scalar(tag, k),
                None => Ok(()),
            },
        }
    }

    /// `</value>`: its content (a container, a typed scalar, or untyped text, which
    /// is a string) goes to the enclosing array, member or top level.
    fn close_value(&mut self) -> Result<(), DecodeError> {
        let Some(Frame::Value { kind, text, done, .. }) = self.stack.pop() else {
            return Err(malformed("</value> without <value>"));
        };
        self.depth -= 1;
        let v = match (done, kind) {
            (Some(v), _) => v,
            (None, Some(k)) => k.parse(text)?,
            (None, None) => Value::String(text),
        };
        self.attach(v)
    }

    /// `</array>` or `</struct>`: the container becomes its `<value>`'s content.
    fn close_container(&mut self, tag: &str) -> Result<(), DecodeError> {
        let v = match self.stack.pop() {
            Some(Frame::Array(a)) if tag == "array" => Value::Array(a),
            Some(Frame::Struct(m)) if tag == "struct" => Value::Struct(m),
            _ => return Err(malformed(format!("unexpected </{tag}>"))),
        };
        self.set_done(v)
    }

    /// `</methodName>`: a call's method name.
    fn close_method_name(&mut self) -> Result<(), DecodeError> {
        let Some(Frame::MethodName(n)) = self.stack.pop() else {
            return Err(malformed("</methodName> without <methodName>"));
        };
        self.method = Some(n);
        Ok(())
    }

    /// `</name>`: the name of the enclosing `<member>`.
    fn close_name(&mut self) -> Result<(), DecodeError> {
        let Some(Frame::Name(n)) = self.stack.pop() else {
            return Err(malformed("</name> without <name>"));
        };
        match self.stack.last_mut() {
            Some(Frame::Member { name, .. }) => *name = Some(n),
            _ => return Err(malformed("<name> outside <member>")),
        }
        Ok(())
    }

    /// `</member>`: its name and value go into the enclosing `<struct>`.
    fn close_member(&mut self) -> Result<(), DecodeError> {
        let Some(Frame::Member { name, value }) = self.stack.pop() else {
            return Err(malformed("</member> without <member>"));
        };
        let (Some(name), Some(value)) = (name, value) else {
            return Err(malformed("<member> without a name or a value"));
        };
        match self.stack.last_mut() {
            Some(Frame::Struct(m)) => {
                m.insert(name, value);
            }
            _ => return Err(malformed("<member> outside <struct>")),
        }
        Ok(())
    }

    /// `</int>`, `</string>`…: the text parsed as that type becomes the enclosing
    /// `<value>`'s content.
    fn close_scalar(&mut self, tag: &str, k: Scalar) -> Result<(), DecodeError> {
        let Some(Frame::Value {
            text, done, in_scalar, ..
        }) = self.stack.last_mut()
        else {
            return Err(malformed(format!("</{tag}> outside <value>")));
        };
        *in_scalar = false;
        *done = Some(k.parse(std::mem::take(text))?);
        Ok(())
    }

    /// An empty element `<x/>`.
    fn empty(&mut self, tag: &str) -> Result<(), DecodeError> {
        match tag {
            // A level of its own, like `<value></value>`.
            "value" if self.depth >= MAX_DEPTH => Err(DecodeError::TooDeep { limit: MAX_DEPTH }),
            "value" => self.attach(Value::String(String::new())),
            "nil" => self.set_done(Value::Nil),
            "array" => self.set_done(Value::Array(Vec::new())),
            "struct" => self.set_done(Value::Struct(BTreeMap::new())),
            "name" => match self.stack.last_mut() {
                Some(Frame::Member { name, .. }) => {
                    *name = Some(String::new());
                    Ok(())
                }
                _ => Err(malformed("<name/> outside <member>")),
            },
            _ => match Scalar::from_tag(tag) {
                Some(k) => {
                    let v = k.parse(String::new())?;
                    self.set_done(v)
                }
                None => Ok(()),
            },
        }
    }

    /// Records the content of the innermost `<value>` (an array, a struct, a nil).
    fn set_done(&mut self, v: Value) -> Result<(), DecodeError> {
        match self.stack.last_mut() {
            Some(Frame::Value { done, .. }) => {
                *done = Some(v);
                Ok(())
            }
            _ => Err(malformed("a value outside <value>")),
        }
    }

    /// Gives a finished `<value>` to its parent: an array, a member, or the response.
    fn attach(&mut self, v: Value) -> Result<(), DecodeError> {
        match self.stack.last_mut() {
            Some(Frame::Array(a)) => a.push(v),
            Some(Frame::Member { value, .. }) => *value = Some(v),
            None => self.values.push(v),
            Some(_) => return Err(malformed("<value> in an unexpected place")),
        }
        Ok(())
    }
}

fn named_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => return None,
    })
}

/// Decodes a `<methodResponse>` body.
///
/// Returns `Ok(Ok(value))` for a result, `Ok(Err(fault))` for a `<fault>`, and
/// `Err(DecodeError)` when the body is not an XML-RPC response (truncated, HTML, ...).
/// Bytes that are not UTF-8 (never sent by Supervisord) are replaced by U+FFFD.
/// `<value>`s nested deeper than [`MAX_DEPTH`] give [`DecodeError::TooDeep`].
pub fn decode_response(body: &[u8]) -> Result<Response, DecodeError> {
    let d = parse(body, "methodResponse")?;
    let value = d.values.into_iter().next().ok_or(DecodeError::Empty)?;
    if d.fault {
        let fault = value
            .as_fault()
            .ok_or_else(|| malformed("<fault> without faultCode and faultString"))?;
        return Ok(Err(fault));
    }
    Ok(Ok(value))
}

/// Decodes a `<methodCall>` body into its method name and parameters (for servers:
/// the fake daemons of tests). Same leniency and bounds as [`decode_response`].
pub fn decode_call(body: &[u8]) -> Result<(String, Vec<Value>), DecodeError> {
    let d = parse(body, "methodCall")?;
    let method = d.method.ok_or_else(|| malformed("a call without <methodName>"))?;
    Ok((method, d.values))
}

/// Reads a whole body whose root element is `root`.
fn parse(body: &[u8], root: &str) -> Result<Decoder, DecodeError> {
    // Validated whole first (the fast path); replaced only when not UTF-8.
    let text = match std::str::from_utf8(body) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(body),
    };
    let mut reader = Reader::from_str(&text);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = false;
    let mut d = Decoder {
        stack: Vec::new(),
        depth: 0,
        values: Vec::new(),
        method: None,
        fault: false,
    };
    let mut saw_root = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(format!("{e} at byte {}", reader.buffer_position())))?;
        match event {
            Event::Start(e) => {
                let name = e.name();
                let tag = name.as_ref();
                if tag == root {
                    saw_root = true;
                }
                d.open(tag)?;
            }
            Event::Empty(e) => {
                let name = e.name();
                d.empty(name.as_ref())?;
            }
            Event::End(e) => {
                let name = e.name();
                d.close(name.as_ref())?;
            }
            Event::Text(t) => d.text(&t.into_inner()),
            Event::CData(c) => d.text(&c.into_inner()),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    d.text(c.encode_utf8(&mut [0; 4]));
                } else {
                    let name = r.into_inner();
                    match named_entity(&name) {
                        Some(s) => d.text(s),
                        None => d.text(&format!("&{name};")),
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(malformed(format!("not an XML-RPC {root} (no <{root}>)")));
    }
    if !d.stack.is_empty() {
        return Err(malformed("the body ended inside an element (truncated?)"));
    }
    Ok(d)
}

mod scalar;
#[cfg(test)]
mod tests;
