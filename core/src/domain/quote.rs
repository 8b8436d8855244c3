//! Quoting what someone typed inside an error message.
//!
//! Errors echo the input they refuse, so people see their typo. The input
//! may be hostile: ten kilobytes, control characters, bidi overrides that
//! reorder the rest of the message in a chat client. [`Quoted`] shows a
//! bounded, visible form of it instead of the raw text.

use std::fmt;

/// How many characters of the input an error shows before `…`.
pub const QUOTE_CHARS: usize = 64;

/// Displays a piece of input between backticks: at most [`QUOTE_CHARS`]
/// characters, control and format characters (bidi marks, zero-width
/// spaces) written as `\u{…}` escapes.
#[derive(Clone, Copy, Debug)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`")?;
        let mut chars = self.0.chars();
        for c in chars.by_ref().take(QUOTE_CHARS) {
            if is_invisible(c) {
                write!(f, "\\u{{{:x}}}", u32::from(c))?;
            } else {
                fmt::Write::write_char(f, c)?;
            }
        }
        f.write_str(if chars.next().is_some() { "…`" } else { "`" })
    }
}

/// Characters that change how text around them shows without showing
/// themselves: controls, and Unicode's format characters (bidi embeddings,
/// overrides and isolates, zero-width joiners and spaces, the byte-order
/// mark, tags).
fn is_invisible(c: char) -> bool {
    c.is_control() || super::text::is_format(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_plain_input_is_shown_whole_between_backticks() {
        assert_eq!(Quoted("ioé1abc").to_string(), "`ioé1abc`");
    }

    #[test]
    fn long_input_is_cut_after_the_limit_with_an_ellipsis() {
        let long = "é".repeat(10_000);
        let shown = Quoted(&long).to_string();
        assert_eq!(shown, format!("`{}…`", "é".repeat(QUOTE_CHARS)));
        let exact = "a".repeat(QUOTE_CHARS);
        assert_eq!(Quoted(&exact).to_string(), format!("`{exact}`"));
    }

    #[test]
    fn controls_and_bidi_marks_are_shown_as_escapes() {
        assert_eq!(Quoted("a\u{202e}b\nc\u{200b}").to_string(), "`a\\u{202e}b\\u{a}c\\u{200b}`");
    }
}
