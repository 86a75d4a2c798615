//! How a value is written into a `[program:x]` section so that supervisord reads back
//! exactly that value, or why it cannot be.
//!
//! What supervisord does to a line (supervisor 4.x `options.py`, Python's
//! `configparser` with `inline_comment_prefixes=(';', '#')`):
//! - `;` or `#` right after whitespace starts a comment: the rest of the line is lost;
//! - the value is `strip()`ped: whitespace at either end is lost;
//! - `%(here)s` is replaced by the file's directory in every value, before anything
//!   else, so it can never be written literally; then `%` expansion turns `%%` into `%`;
//! - `environment=` is split by `shlex` in non-POSIX mode: no escapes, a quoted value
//!   ends at the first matching quote, and quotes at both ends of a value are stripped;
//! - the XML-RPC replies that carry the value (`getAllConfigInfo`) break on control
//!   characters, and a terminal that shows them (`diagnose`) obeys them.
//!
//! Every writer here refuses what would not come back unchanged, with a message that
//! says why and what to do instead; everything else is written exactly.

use crate::supervisor::error::{Error, Result};

/// Most bytes in one value (a command, a directory, an environment value).
pub const MAX_VALUE_BYTES: usize = 8192;

const HERE: &str = "%(here)s";

pub(super) fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

/// Why `c` may never be written: control characters (C0 but tab, DEL, C1), line and
/// paragraph separators, bidirectional overrides, and the two non-characters XML
/// refuses.
fn forbidden(c: char) -> Option<&'static str> {
    match c {
        '\n' | '\r' | '\u{2028}' | '\u{2029}' => Some("a line break (it would inject configuration)"),
        '\0' => Some("NUL"),
        '\t' => None,
        c if c.is_control() => Some("a control character (it would reach terminals and break XML-RPC replies)"),
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            Some("a bidirectional override (it would make the text display as something else)")
        }
        '\u{fffe}' | '\u{ffff}' => Some("a Unicode non-character (XML-RPC cannot carry it)"),
        _ => None,
    }
}

/// Checks the characters and the length of any value: no control characters, at most
/// [`MAX_VALUE_BYTES`].
pub fn check_chars(what: &str, v: &str) -> Result<()> {
    if v.len() > MAX_VALUE_BYTES {
        return Err(invalid(format!(
            "{what}: {} bytes, more than the {MAX_VALUE_BYTES} allowed: put it in a script or a file",
            v.len()
        )));
    }
    if let Some((i, c, why)) = v.char_indices().find_map(|(i, c)| forbidden(c).map(|w| (i, c, w))) {
        return Err(invalid(format!(
            "{what}: character {:?} (U+{:04X}) at byte {i} is {why}; remove it, or put the command in a script",
            c, c as u32
        )));
    }
    Ok(())
}

/// The checks every written value needs on top of [`check_chars`]: no `;`/`#` after
/// whitespace, no literal `%(here)s`.
fn check_line(what: &str, v: &str) -> Result<()> {
    check_chars(what, v)?;
    let mut prev_space = false;
    for c in v.chars() {
        if prev_space && (c == ';' || c == '#') {
            return Err(invalid(format!(
                "{what}: supervisord reads whitespace followed by {c:?} as the start of a comment and drops \
                 the rest; put the command in a script, or write {c:?} without a space before it"
            )));
        }
        prev_space = c.is_whitespace();
    }
    if v.contains(HERE) {
        return Err(invalid(format!(
            "{what}: supervisord replaces {HERE} with the file's directory and has no way to escape it; \
             write the path itself"
        )));
    }
    Ok(())
}

/// A plain value (`command`, `directory`, a log file path) as written after `key=`:
/// checked, `%` doubled. Errors: empty, whitespace at an end, or any refusal above.
pub fn ini_value(what: &str, v: &str) -> Result<String> {
    if v.is_empty() {
        return Err(invalid(format!(
            "{what}: empty; give a value, or leave the setting out"
        )));
    }
    check_line(what, v)?;
    if v.starts_with(char::is_whitespace) || v.ends_with(char::is_whitespace) {
        return Err(invalid(format!(
            "{what}: supervisord drops whitespace at the start and end of a value; remove it"
        )));
    }
    Ok(v.replace('%', "%%"))
}

/// Checks an environment variable name: `[A-Za-z_][A-Za-z0-9_]*`, at most 128 bytes.
pub fn check_env_key(k: &str) -> Result<()> {
    let ok = !k.is_empty()
        && k.len() <= 128
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !k.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "environment: {k:?} is not a variable name (letters, digits and '_', not a digit first, at most 128)"
        )))
    }
}

/// One `KEY="value"` pair of `environment=`. The value is quoted with `"`, or with `'`
/// when it holds `"`. Errors: both quote kinds, a quote at an end (supervisord strips
/// them), or any refusal of [`check_line`].
pub fn env_pair(k: &str, v: &str) -> Result<String> {
    check_env_key(k)?;
    let what = format!("environment {k}");
    check_line(&what, v)?;
    if v.contains('"') && v.contains('\'') {
        return Err(invalid(format!(
            "{what}: a value may hold ' or \" but not both (supervisord's environment= has no escape); \
             set it in a script instead"
        )));
    }
    if v.starts_with(['"', '\'']) || v.ends_with(['"', '\'']) {
        return Err(invalid(format!(
            "{what}: supervisord strips quotes at the start and end of an environment value; \
             set it in a script instead"
        )));
    }
    let q = if v.contains('"') { '\'' } else { '"' };
    Ok(format!("{k}={q}{}{q}", v.replace('%', "%%")))
}

/// Joins arguments into one command line that supervisord splits (`shlex.split`)
/// back into exactly these arguments, and that its config parser keeps intact: each
/// argument that is not plainly safe is single-quoted, with `'`, `;`, `#` and `%(`
/// written outside the quotes. Errors: no arguments, or a forbidden character.
pub fn command_from_argv(args: &[String]) -> Result<String> {
    if args.is_empty() {
        return Err(invalid("command: no arguments; give the program to run"));
    }
    let mut out = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        check_chars(&format!("argument {}", i + 1), a)?;
        let plain = !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
        if plain {
            out.push(a.clone());
        } else {
            let inner = a
                .replace('\'', r"'\''")
                .replace(';', r"'\;'")
                .replace('#', r"'\#'")
                .replace("%(", "%''(");
            out.push(format!("'{inner}'"));
        }
    }
    let line = out.join(" ");
    check_line("command", &line)?;
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_are_refused_when_they_would_not_come_back() {
        assert_eq!(ini_value("c", "echo 100%").ok().as_deref(), Some("echo 100%%"));
        assert_eq!(ini_value("c", r"C:\dir;x#y").ok().as_deref(), Some(r"C:\dir;x#y"));
        assert_eq!(ini_value("c", "a\tb é 日本").ok().as_deref(), Some("a\tb é 日本"));
        for bad in [
            "echo A ; echo B",
            "echo A\t# C",
            "echo A\u{a0};",
            " lead",
            "trail\u{a0}",
            "",
            "a %(here)s b",
            "a\u{1b}[31m",
            "bell\u{7}",
            "v\u{b}t",
            "f\u{c}f",
            "del\u{7f}",
            "c1\u{9b}",
            "nl\nx",
            "nul\0",
            "ls\u{2028}x",
            "bidi\u{202e}x",
            "non\u{ffff}",
        ] {
            assert!(ini_value("c", bad).is_err(), "{bad:?}");
        }
        assert!(ini_value("c", &"x".repeat(MAX_VALUE_BYTES + 1)).is_err());
        let e = ini_value("command", "echo A ; echo B")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("comment") && e.contains("script"), "{e}");
    }

    #[test]
    fn environment_pairs_pick_a_quote_and_refuse_what_has_no_escape() {
        assert_eq!(env_pair("K", r"C:\dir").ok().as_deref(), Some(r#"K="C:\dir""#));
        assert_eq!(
            env_pair("K", r#"say "hi" now"#).ok().as_deref(),
            Some(r#"K='say "hi" now'"#)
        );
        assert_eq!(env_pair("K", "it's, a=b").ok().as_deref(), Some(r#"K="it's, a=b""#));
        assert_eq!(env_pair("K", "").ok().as_deref(), Some(r#"K="""#));
        assert_eq!(env_pair("K", " 5% ").ok().as_deref(), Some(r#"K=" 5%% ""#));
        for bad in [r#"a'b"c"#, "\"x", "x'", "a ;b", "%(here)s", "e\u{1b}"] {
            assert!(env_pair("K", bad).is_err(), "{bad:?}");
        }
        for bad in ["", "1A", "A B", "A=B", "É"] {
            assert!(env_pair(bad, "v").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn argv_is_quoted_so_that_nothing_reads_as_a_comment() -> Result<()> {
        let a = |v: &[&str]| command_from_argv(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(a(&["echo", "it's"])?, r"echo 'it'\''s'");
        assert_eq!(
            a(&["sh", "-c", "echo A ; echo B # C"])?,
            r"sh -c 'echo A '\;' echo B '\#' C'"
        );
        assert_eq!(
            a(&["find", ".", "-exec", "rm", "{}", ";"])?,
            r"find . -exec rm '{}' ''\;''"
        );
        assert_eq!(a(&["printf", "%(here)s"])?, "printf '%''(here)s'");
        assert_eq!(a(&["x", ""])?, "x ''");
        assert!(a(&["echo", "\u{1b}"]).is_err());
        assert!(a(&[]).is_err());
        Ok(())
    }
}
