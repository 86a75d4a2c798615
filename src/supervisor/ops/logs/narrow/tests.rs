//! [`Narrower`] against a fake daemon that decodes windows of a byte string as
//! supervisord does (strict UTF-8), for every kind of content.

use super::*;
use proptest::prelude::*;

/// What supervisord answers for `len` bytes at `offset` of `data`.
fn daemon(data: &[u8], r: Req) -> Reply {
    let from = usize::try_from(r.offset).unwrap_or(usize::MAX).min(data.len());
    let to = usize::try_from(r.offset + r.len).unwrap_or(usize::MAX).min(data.len());
    match std::str::from_utf8(&data[from..to]) {
        Ok(s) => Reply::Text(s.to_owned()),
        Err(_) => Reply::Undecodable,
    }
}

/// Runs a narrower to the end: the result, rounds and reads.
fn run(data: &[u8], n: &mut Narrower) -> (RangeRead, usize, usize) {
    let (mut rounds, mut reads) = (0, 0);
    loop {
        let batch = n.next_batch();
        if batch.is_empty() {
            break;
        }
        rounds += 1;
        reads += batch.len();
        assert!(rounds < 100, "no progress");
        let replies: Vec<Reply> = batch.iter().map(|r| daemon(data, *r)).collect();
        n.feed(&replies).unwrap_or_else(|e| panic!("{e}"));
    }
    (n.finish().unwrap_or_else(|e| panic!("{e}")), rounds, reads)
}

/// The reference: every byte that does not start a valid character replaced.
fn per_byte_lossy(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let ch = (1..=4)
            .filter(|n| i + n <= bytes.len())
            .find_map(|n| std::str::from_utf8(&bytes[i..i + n]).ok().map(|s| (s.to_owned(), n)));
        match ch {
            Some((s, n)) => {
                out.push_str(&s);
                i += n;
            }
            None => {
                out.push('\u{FFFD}');
                i += 1;
            }
        }
    }
    out
}

fn check(data: &[u8], start: u64, end: u64, known_bad: bool) -> (usize, usize) {
    let mut n = Narrower::new(start, end, known_bad);
    let (got, rounds, reads) = run(data, &mut n);
    let (s, e) = ((start as usize).min(data.len()), (end as usize).min(data.len()));
    let want = per_byte_lossy(&data[s..e]);
    assert_eq!(
        String::from_utf8_lossy(&got.bytes),
        want,
        "window {start}..{end} of {data:?}"
    );
    assert_eq!(got.covered, (e - s) as u64);
    assert_eq!(got.covered_by_prefix(got.bytes.len()), got.covered);
    assert_eq!(super::super::read::lossy(&data[s..e]), got, "the host path agrees");
    (rounds, reads)
}

/// Pieces of log text: ASCII, newlines, 2-, 3- and 4-byte characters, bytes that are
/// not UTF-8 (Latin-1, lone continuation bytes, cut sequences).
fn token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => "[a-z ]{1,12}".prop_map(String::into_bytes),
        1 => Just(b"\n".to_vec()),
        2 => Just("é".as_bytes().to_vec()),
        2 => Just("漢字…".as_bytes().to_vec()),
        1 => Just("😀".as_bytes().to_vec()),
        1 => Just(vec![0xe9]),
        1 => Just(vec![0xff, 0xfe]),
        1 => Just(vec![0x80]),
        1 => Just(vec![0xe2, 0x80]),
        1 => Just(vec![0xf0, 0x9f, 0x98]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_window_reads_as_its_bytes_do(
        tokens in prop::collection::vec(token(), 0..120),
        a in 0usize..1200,
        len in 0usize..1200,
        known_bad in any::<bool>(),
    ) {
        let data: Vec<u8> = tokens.concat();
        let start = a.min(data.len() + 3) as u64;
        check(&data, start, start + len as u64, known_bad);
    }

    #[test]
    fn a_widened_window_reads_as_a_fresh_one(
        tokens in prop::collection::vec(token(), 1..120),
        cut in 0usize..1000,
        widen in 1usize..1000,
    ) {
        let data: Vec<u8> = tokens.concat();
        let end = data.len() as u64;
        let first = (end as usize).saturating_sub(cut) as u64;
        let wide = first.saturating_sub(widen as u64);
        let mut n = Narrower::new(first, end, false);
        run(&data, &mut n);
        n.extend_left(wide);
        let (got, _, _) = run(&data, &mut n);
        prop_assert_eq!(String::from_utf8_lossy(&got.bytes), per_byte_lossy(&data[wide as usize..]));
        prop_assert_eq!(got.covered, end - wide);
    }
}

#[test]
fn hostile_replies_are_refused_not_trusted() {
    let mut n = Narrower::new(0, 10, true);
    let batch = n.next_batch();
    let mut replies: Vec<Reply> = batch.iter().map(|_| Reply::Undecodable).collect();
    replies[0] = Reply::Text("far more than was asked for".into());
    assert!(n.feed(&replies).is_err());
    let mut n = Narrower::new(0, 10, true);
    let batch = n.next_batch();
    assert!(n.feed(&vec![Reply::Undecodable; batch.len() + 1]).is_err());
}

/// Prints what windows cost (reads and rounds), and bounds them generously.
#[test]
fn cost_of_latin1_and_of_rare_bad_bytes_in_multibyte_text() {
    let latin1: Vec<u8> = (0..2500)
        .flat_map(|i| {
            format!("caf\u{e9} cr\u{e8}me line {i}\n")
                .chars()
                .map(|c| c as u8)
                .collect::<Vec<u8>>()
        })
        .collect();
    let end = latin1.len() as u64;
    for window in [160u64, 320, 1280] {
        let (rounds, reads) = check(&latin1, end - window, end, true);
        eprintln!("latin-1, {window} bytes: {reads} reads in {rounds} rounds");
        assert!(
            reads as u64 <= window * 2 && rounds <= 12,
            "{reads} reads, {rounds} rounds"
        );
    }
    let mut cjk: Vec<u8> = "漢字テキスト and some text\n".repeat(40_000).into_bytes();
    let len = cjk.len();
    for at in [len / 7, len / 2, len - 100] {
        cjk[at] = 0xff;
    }
    let (rounds, reads) = check(&cjk, 0, len as u64, true);
    eprintln!("{len} bytes of CJK text with 3 bad bytes: {reads} reads in {rounds} rounds");
    assert!(reads <= 3000 && rounds <= 40, "{reads} reads, {rounds} rounds");
}
