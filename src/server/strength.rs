//! Whether a configured bearer token (`SUPERVISORD_MCP_TOKEN`, `--token-file`) looks
//! strong enough to guard process control: refused at start otherwise (exit 2).
//!
//! A token passes when all of these hold:
//! 1. at least [`MIN_CHARS`] (32) characters;
//! 2. **apparent entropy** of at least [`MIN_BITS`] (128) bits: its length × log2 of
//!    the alphabet its character classes imply: only digits 10; only hex digits
//!    (one case) 16; otherwise the sum over the classes present of lowercase 26,
//!    uppercase 26, digits 10, anything else 33. So `openssl rand -hex 16` (32 hex
//!    digits) is exactly 128 bits and `openssl rand -base64 24` about 190;
//! 3. a Shannon entropy of its characters of at least 2.5 bits per character
//!    (`aaaa…` has 0, `abab…` 1; 32 random hex digits about 3.6);
//! 4. at most half of its characters in patterns: runs of 4 or more characters each
//!    equal to or next to the one before (`aaaa`, `abcd`, `4321`), or a stretch of 4
//!    or more that already appeared earlier (`password…password`).
//!
//! Random tokens pass these rules; typed ones mostly do not.

use std::collections::{HashMap, HashSet};

/// Fewest characters of a configured token.
pub const MIN_CHARS: usize = 32;
/// Fewest bits of apparent entropy (length × log2 of the implied alphabet).
pub const MIN_BITS: f64 = 128.0;
/// Lowest Shannon entropy, bits per character.
const MIN_SHANNON: f64 = 2.5;
/// Shortest run or repeat counted as a pattern (characters).
const PATTERN: usize = 4;

/// How to make a good token, said with every refusal.
pub const ADVICE: &str = "generate one with `openssl rand -hex 32 > FILE` (or `head -c 32 /dev/urandom | base64`) and pass --token-file FILE";

/// Why `token` is too weak (a sentence that never quotes it), or `None` when it
/// passes the rules above.
pub fn weakness(token: &str) -> Option<String> {
    let chars: Vec<char> = token.chars().collect();
    let n = chars.len();
    if n < MIN_CHARS {
        return Some(format!("{n} characters, fewer than {MIN_CHARS}"));
    }
    let bits = n as f64 * (alphabet(&chars) as f64).log2();
    if bits < MIN_BITS {
        return Some(format!(
            "about {bits:.0} bits of apparent entropy ({n} characters of few kinds), fewer than {MIN_BITS:.0}"
        ));
    }
    if shannon(&chars) < MIN_SHANNON {
        return Some("too few different characters (repetitive)".into());
    }
    if 2 * patterned(&chars) > n {
        return Some("mostly runs or repeats (e.g. `abcd`, `1234`, a word twice)".into());
    }
    None
}

/// The alphabet the character classes of `chars` imply.
fn alphabet(chars: &[char]) -> u32 {
    let all = |f: fn(&char) -> bool| chars.iter().all(f);
    if all(char::is_ascii_digit) {
        return 10;
    }
    if all(|c| c.is_ascii_digit() || ('a'..='f').contains(c)) || all(|c| c.is_ascii_digit() || ('A'..='F').contains(c))
    {
        return 16;
    }
    let any = |f: fn(&char) -> bool| chars.iter().any(f);
    [
        (any(char::is_ascii_lowercase), 26),
        (any(char::is_ascii_uppercase), 26),
        (any(char::is_ascii_digit), 10),
        (any(|c| !c.is_ascii_alphanumeric()), 33),
    ]
    .iter()
    .filter(|(present, _)| *present)
    .map(|(_, size)| size)
    .sum()
}

/// Shannon entropy of the characters, bits per character.
fn shannon(chars: &[char]) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in chars {
        *counts.entry(*c).or_default() += 1;
    }
    let n = chars.len() as f64;
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// How many characters lie in a run or a repeat of [`PATTERN`] or more.
fn patterned(chars: &[char]) -> usize {
    let n = chars.len();
    let mut covered = vec![false; n];
    let mut start = 0;
    for i in 1..=n {
        let continues = i < n && (chars[i] as i64 - chars[i - 1] as i64).abs() <= 1;
        if !continues {
            if i - start >= PATTERN {
                covered[start..i].fill(true);
            }
            start = i;
        }
    }
    let mut seen: HashSet<&[char]> = HashSet::new();
    for i in 0..n.saturating_sub(PATTERN - 1) {
        let window = &chars[i..i + PATTERN];
        if !seen.insert(window) {
            covered[i..i + PATTERN].fill(true);
        }
    }
    covered.iter().filter(|c| **c).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_pass_and_typed_ones_fail() {
        for good in [
            "5f0c9b7e21d84a63be0f4c1d97a2e856", // openssl rand -hex 16
            "3A94F1C07BE2D865A1F09C3E7D2B4A60", // the same, upper case
            "qL2m+W8xZr0v/Tn5YbKc1Hs9PdQe4Ufa", // openssl rand -base64 24
            "0d3b6f2a9c8e1f4b7a5d2c9e8f1a3b6d4c7e0f9a2b5d8c1e4f7a0b3d6c9e2f5a", // generated
        ] {
            assert_eq!(weakness(good), None, "{good}");
        }
        for (bad, why) in [
            ("5f0c9b7e21d84a63be0f4c1d97a2e85", "31 characters"),
            (&"a".repeat(40), "repetitive"),
            (&"ab".repeat(20), "repetitive"),
            ("password1234567890password123456", "runs or repeats"),
            ("abcdefghabcdefghabcdefghabcdefgh", "runs or repeats"),
            ("12345678901234567890123456789012", "bits"),
            ("t0ken-for-tests", "15 characters"),
        ] {
            let w = weakness(bad).unwrap_or_default();
            assert!(w.contains(why), "{bad}: {w}");
            assert!(!w.contains(bad), "the token is quoted: {w}");
        }
    }

    #[test]
    fn random_hex_of_128_bits_always_passes() -> Result<(), getrandom::Error> {
        for _ in 0..20_000 {
            let mut raw = [0u8; 16];
            getrandom::fill(&mut raw)?;
            let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(weakness(&hex), None, "{hex}");
        }
        Ok(())
    }
}
