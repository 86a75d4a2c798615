//! Log lines as people and agents read them in a summary: identical consecutive lines
//! (a crash loop printing the same error) once, with how many times they came.

/// Consecutive identical lines folded into `(line, count)`, in order.
pub fn fold_repeats(lines: &[String]) -> Vec<(&str, usize)> {
    let mut out: Vec<(&str, usize)> = Vec::new();
    for l in lines {
        match out.last_mut() {
            Some((last, n)) if *last == l.as_str() => *n += 1,
            _ => out.push((l.as_str(), 1)),
        }
    }
    out
}

/// The folded lines as text: `line`, or `line (×N)` for a run of N.
pub fn folded(lines: &[String]) -> Vec<String> {
    fold_repeats(lines)
        .into_iter()
        .map(|(l, n)| {
            if n > 1 {
                format!("{l} (\u{d7}{n})")
            } else {
                l.to_owned()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_fold_with_a_count() {
        let lines: Vec<String> = ["boom", "boom", "boom", "ok", "boom"].map(String::from).to_vec();
        assert_eq!(folded(&lines), ["boom (\u{d7}3)", "ok", "boom"]);
        assert!(folded(&[]).is_empty());
    }
}
