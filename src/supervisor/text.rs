//! Text from the daemon is data, not terminal control: the one sanitizer for every
//! field a front end shows (process and group names, descriptions, spawnerr, version,
//! identification, configuration values, URLs, paths, fault text). Front ends escape
//! when they render, so a name keeps its exact characters for the calls that pass it
//! back; JSON keeps them too (escaped the JSON way, see [`write_json`]).
//!
//! Shown escaped: the C0 controls, DEL and the C1 range U+0080–U+009F as `\xHH`
//! (tab, line feed and carriage return as `\t`, `\n`, `\r`), and the characters
//! that break or reorder a line (U+2028, U+2029 and the bidi controls U+061C,
//! U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) as `\u{HHHH}`. Everything else,
//! a backslash included, is shown as itself. Log lines are not this module's: they
//! are cleaned where they are read (`ops::logs::tail::display_line`), and `--raw`
//! keeps their escapes on purpose.

use std::borrow::Cow;
use std::fmt;
use std::io;

/// True for a character that is never shown as itself.
fn hostile(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

/// Whether line feeds and tabs stay (text of several lines) or are escaped too.
#[derive(Clone, Copy, PartialEq)]
enum Lines {
    One,
    Many,
}

fn needs_escape(c: char, lines: Lines) -> bool {
    hostile(c) && !(lines == Lines::Many && matches!(c, '\n' | '\t'))
}

/// Writes `s` with every character [`needs_escape`] says escaped.
fn write_escaped(out: &mut impl fmt::Write, s: &str, lines: Lines) -> fmt::Result {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if !needs_escape(c, lines) {
            continue;
        }
        out.write_str(&s[start..i])?;
        match c {
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if c.is_control() => write!(out, "\\x{:02x}", u32::from(c))?,
            c => write!(out, "\\u{{{:04x}}}", u32::from(c))?,
        }
        start = i + c.len_utf8();
    }
    out.write_str(&s[start..])
}

fn escape_as(s: &str, lines: Lines) -> Cow<'_, str> {
    if !s.chars().any(|c| needs_escape(c, lines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let _ = write_escaped(&mut out, s, lines);
    Cow::Owned(out)
}

/// A one-line field as shown: every control character escaped, line feeds and tabs
/// included (`"a\r\nb"` shows as `a\r\nb`, on one line). Borrowed when nothing
/// needs escaping.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_as(s, Lines::One)
}

/// Text of several lines as shown: as [`escape`], but line feeds and tabs stay.
/// For text already made of escaped fields, as a last guard.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    escape_as(s, Lines::Many)
}

/// A one-line field, escaped as [`escape`] when formatted (`{}`), without a copy:
/// `format!("{}: {}", shown(&name), shown(&message))`.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a>(&'a str);

/// `s` as a one-line field ([`Shown`]).
pub fn shown(s: &str) -> Shown<'_> {
    Shown(s)
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, Lines::One)
    }
}

/// serde_json's compact output, with the characters it leaves raw but a terminal
/// may act on (DEL, C1, the line and bidi controls of this module) written as
/// `\uXXXX`: the same JSON value, never terminal control.
struct SafeJson;

impl serde_json::ser::Formatter for SafeJson {
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if hostile(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                // Every such character is in the Basic Multilingual Plane: one \uXXXX.
                write!(w, "\\u{:04x}", u32::from(c))?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}

/// Writes `value` as compact JSON to `w`, no character a terminal acts on left raw
/// ([`SafeJson`]). Errors: `w`'s, or a value serde cannot write.
pub fn write_json<W: io::Write, T: serde::Serialize + ?Sized>(w: W, value: &T) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(w, SafeJson);
    value.serialize(&mut ser)
}

/// `value` as compact JSON ([`write_json`]); empty if serde cannot write it.
pub fn json_string<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut buf = Vec::new();
    if write_json(&mut buf, value).is_err() {
        return String::new();
    }
    String::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_fields_show_every_control_character_escaped() {
        assert_eq!(escape("web_1"), Cow::Borrowed("web_1"));
        assert_eq!(escape("a\x1b[31mb\x07"), "a\\x1b[31mb\\x07");
        assert_eq!(escape("x\r\ny\tz"), "x\\r\\ny\\tz");
        assert_eq!(escape("csi\u{9b}2J del\u{7f} nul\0"), "csi\\x9b2J del\\x7f nul\\x00");
        assert_eq!(escape("osc\x1b]0;title\x07"), "osc\\x1b]0;title\\x07");
        assert_eq!(escape("rtl\u{202e}txt\u{2028}"), "rtl\\u{202e}txt\\u{2028}");
        // What is not control stays: accents, CJK, emoji, a backslash, U+00B7.
        assert_eq!(escape("é 名前 🙂 C:\\dir ·"), Cow::Borrowed("é 名前 🙂 C:\\dir ·"));
        assert_eq!(shown("a\nb\u{85}").to_string(), "a\\nb\\x85");
    }

    #[test]
    fn text_of_several_lines_keeps_its_line_feeds_and_tabs_only() {
        assert_eq!(escape_lines("a\tb\nc"), Cow::Borrowed("a\tb\nc"));
        assert_eq!(escape_lines("a\r\nb\x1b[2J\u{9b}"), "a\\r\nb\\x1b[2J\\x9b");
        // Escaping twice changes nothing more: the escaped form is plain ASCII.
        let once = escape("\x1b\r\n\u{9b}").into_owned();
        assert_eq!(escape(&once), once.as_str());
        assert_eq!(escape_lines(&once), once.as_str());
    }

    #[test]
    fn json_keeps_the_value_and_leaves_no_terminal_control_raw() {
        let name = "evil\x1b]0;t\x07\u{9b}2J\u{7f}\u{2029}é\r\n";
        let doc = serde_json::json!({ "name": name });
        let text = json_string(&doc);
        assert!(!text.chars().any(|c| c.is_control() || hostile(c)), "{text:?}");
        assert!(
            text.contains("\\u009b") && text.contains("\\u001b") && text.contains('é'),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back["name"], name);
    }
}
