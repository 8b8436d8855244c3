//! Hostile text for property tests of parsers.
//!
//! Random strings alone rarely get past a parser's first check, so the text
//! here is built from pieces: the parser's own valid examples (whole, cut at
//! any character, repeated), the fragments its grammar is made of, and the
//! characters that break careless string code — multi-byte and combining
//! characters, controls, bidi overrides, zero-width spaces, the byte-order
//! mark — up to [`MAX_BYTES`] long. [`check`] runs a property over at least
//! [`MIN_CASES`] of them (more when `PROPTEST_CASES` asks for more: the fuzz
//! campaign) and reports the smallest input that failed or panicked.

use std::fmt::Debug;

use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Every parser gets at least this many cases in every run, CI's included.
pub const MIN_CASES: u32 = 10_000;

/// The longest text generated, in bytes (10 kB).
pub const MAX_BYTES: usize = 10 * 1024;

/// Characters that break string code that assumes one byte per character,
/// printable text or left-to-right order.
const TRICKY: &[&str] = &[
    "é",
    "e\u{301}",
    "ß",
    "İ",
    "ﬃ",
    "中",
    "🦀",
    "👩\u{200d}👩\u{200d}👧",
    "\u{fffd}",
    "٣",
    "３",
    "\u{202e}",
    "\u{202d}",
    "\u{2066}",
    "\u{2069}",
    "\u{200e}",
    "\u{200f}",
    "\u{61c}",
    "\u{200b}",
    "\u{200d}",
    "\u{2060}",
    "\u{feff}",
    "\u{ad}",
    "\u{e0041}",
    "\0",
    "\u{7}",
    "\u{1b}[31m",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "\r\n",
    "\r",
    "\n",
    "\t",
    "\u{a0}",
    "\u{3000}",
];

/// The punctuation and words most grammars here are made of.
const FRAGMENTS: &[&str] = &[
    " ",
    "  ",
    "=",
    ",",
    ".",
    "..",
    "%",
    "#",
    "-",
    "+",
    "_",
    ":",
    "@",
    "/",
    "\\",
    "'",
    "\"",
    "`",
    "<",
    ">",
    "&",
    ";",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "*",
    "?",
    "0",
    "1",
    "9",
    "00",
    "100",
    "-1",
    "1e18",
    "0x",
    "0X",
    "io1",
    "IO1",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "115792089237316195423570985008687907853269984665640564039457584007913129639936",
    "0.000000000000000001",
    "0.0000000000000000001",
    "NaN",
    "inf",
    "none",
    "For",
    "Against",
    "Abstain",
    "true",
    "null",
];

/// One piece of text: a seed (whole or cut), a tricky character, a fragment,
/// any character at all, or a little printable ASCII.
fn piece(seeds: &[&str]) -> BoxedStrategy<String> {
    let fragments = prop_oneof![
        3 => select(TRICKY).prop_map(str::to_owned),
        3 => select(FRAGMENTS).prop_map(str::to_owned),
        2 => any::<char>().prop_map(String::from),
        1 => "[ -~]{0,12}",
    ];
    if seeds.is_empty() {
        return fragments.boxed();
    }
    let seeds: Vec<String> = seeds.iter().map(|s| (*s).to_owned()).collect();
    prop_oneof![
        3 => select(seeds.clone()),
        2 => (select(seeds), any::<Index>(), any::<Index>()).prop_map(|(s, a, b)| {
            let n = s.chars().count() + 1;
            cut(&s, a.index(n), b.index(n))
        }),
        5 => fragments,
    ]
    .boxed()
}

/// The characters of `s` between character positions `i` and `j`.
fn cut(s: &str, i: usize, j: usize) -> String {
    s.chars().skip(i.min(j)).take(i.max(j) - i.min(j)).collect()
}

/// Keeps at most [`MAX_BYTES`], cut at a character boundary.
fn bounded(mut s: String) -> String {
    if s.len() > MAX_BYTES {
        let mut end = MAX_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Hostile text around a parser's valid examples `seeds`: mostly a few
/// pieces joined, sometimes one piece repeated up to [`MAX_BYTES`],
/// sometimes thousands of arbitrary characters.
pub fn text(seeds: &[&str]) -> BoxedStrategy<String> {
    let p = piece(seeds);
    prop_oneof![
        12 => prop::collection::vec(p.clone(), 0..12).prop_map(|v| v.concat()),
        2 => (p, 1..=MAX_BYTES).prop_map(|(s, n)| bounded(s.repeat(n.div_ceil(s.len().max(1))))),
        1 => prop::collection::vec(any::<char>(), 0..=MAX_BYTES / 4).prop_map(|v| v.into_iter().collect()),
    ]
    .prop_map(bounded)
    .boxed()
}

/// Hostile words: pieces joined by (sometimes odd) whitespace, for parsers
/// that split their input into words or pairs.
pub fn words(seeds: &[&str]) -> BoxedStrategy<String> {
    let sep = select(&[" ", " ", " ", "  ", "\t", "\n", "\u{a0}", "\u{3000}", ",", ", "][..]);
    prop::collection::vec((text(seeds), sep), 0..8)
        .prop_map(|v| bounded(v.into_iter().flat_map(|(w, s)| [w, s.to_owned()]).collect()))
        .boxed()
}

/// The configuration every hostile-input property runs with: at least
/// [`MIN_CASES`] cases, or `PROPTEST_CASES` if that asks for more; no
/// regression files (the failure message carries the input).
pub fn config() -> Config {
    let mut c = Config { failure_persistence: None, ..Config::default() };
    c.cases = c.cases.max(MIN_CASES);
    c
}

/// Runs `property` over [`config`]'s cases of `strategy`. A panic inside
/// `property` (in the code under test) fails like an assertion, with the
/// smallest input found. On success it prints how many cases ran, which the
/// fuzz campaign collects.
///
/// # Panics
/// When the property fails or panics for some input.
pub fn check<S>(name: &str, strategy: S, property: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: Debug,
{
    let config = config();
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    if let Err(e) = runner.run(&strategy, property) {
        panic!("{name}: {e}");
    }
    eprintln!("hostile input: {name}: {cases} cases, 0 failures");
}

/// The longest error message a refusal may show, in characters: errors
/// quote a bounded part of what they refuse, never all ten kilobytes.
pub const MAX_ERROR_CHARS: usize = 2_000;

/// Fails unless `message` (an error's text, as people will see it) is
/// non-empty, at most [`MAX_ERROR_CHARS`] long, and free of the characters
/// that hide or reorder text: controls and bidi overrides and isolates.
///
/// # Errors
/// The failed check, for [`check`] to report.
pub fn readable(message: &str) -> Result<(), TestCaseError> {
    prop_assert!(!message.trim().is_empty(), "an empty error message");
    let n = message.chars().count();
    prop_assert!(n <= MAX_ERROR_CHARS, "an error message of {} characters: {:.200}…", n, message);
    let hidden = message
        .chars()
        .find(|c| (c.is_control() && *c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'));
    prop_assert!(hidden.is_none(), "an error message shows {:?} raw: {:?}", hidden, message);
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;

    use super::*;

    fn sample(s: &BoxedStrategy<String>, n: usize) -> Vec<String> {
        let mut runner = TestRunner::deterministic();
        (0..n).map(|_| s.new_tree(&mut runner).expect("value").current()).collect()
    }

    #[test]
    fn hostile_text_stays_within_the_bound_and_reaches_it() {
        let all = sample(&text(&["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"]), 2_000);
        assert!(all.iter().all(|s| s.len() <= MAX_BYTES));
        assert!(all.iter().any(|s| s.len() > MAX_BYTES - 64), "some text is close to 10 kB");
        assert!(all.iter().any(String::is_empty));
    }

    #[test]
    fn hostile_text_carries_seeds_multi_byte_and_invisible_characters() {
        let all = sample(&text(&["io1seed"]), 2_000);
        assert!(all.iter().any(|s| s.contains("io1seed")));
        assert!(all.iter().any(|s| s.contains("io1") && !s.contains("io1seed")));
        assert!(all.iter().any(|s| s.chars().any(|c| c.len_utf8() > 1)));
        assert!(all.iter().any(|s| s.contains('\u{202e}')));
        assert!(all.iter().any(|s| s.chars().any(char::is_control)));
    }

    #[test]
    fn a_cut_never_splits_a_character() {
        assert_eq!(cut("ioé1", 1, 3), "oé");
        assert_eq!(cut("ioé1", 3, 2), "é");
        assert_eq!(cut("ioé1", 2, 9), "é1");
    }

    #[test]
    #[should_panic(expected = "always fails")]
    fn check_reports_a_panic_in_the_property_as_a_failure() {
        check("always fails", text(&[]), |s| {
            assert!(s.len() > MAX_BYTES, "never true");
            Ok(())
        });
    }
}
