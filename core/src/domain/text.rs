//! User-written text: titles, bodies and choice labels, cleaned and bounded.
//!
//! One-line text (a title, a choice label, a recipient's name) loses its
//! control characters and its Unicode format characters (general category
//! Cf: bidi embeddings, overrides and isolates, zero-width spaces and
//! joiners, the soft hyphen, tag characters), then is trimmed; text left
//! empty is refused. Format characters are stripped rather than refused:
//! they are invisible, so a writer could not see what to remove (chat
//! clients and copied web text carry them unasked), and what they can do in
//! a line is only harm: a right-to-left override shows `For` as `roF` and
//! reorders what follows it on the page or in a chat, a zero-width space
//! makes `For` and `F\u{200B}or` two labels that look the same. The cost is
//! that an emoji built with zero-width joiners shows as its parts.
//!
//! A body (Markdown, many lines) keeps its format characters: there they
//! shape scripts (the zero-width non-joiner of Persian) and emoji, and the
//! body is shown as blocks of its own, whose paragraph ends close any
//! override.

use std::fmt;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};

/// Why a piece of user text was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TextError {
    /// Nothing left after trimming.
    #[error("the {field} is empty")]
    Empty {
        /// Which field.
        field: &'static str,
    },
    /// Longer than the field's limit, in characters.
    #[error("the {field} is {len} characters long; the limit is {max}")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// Its length after cleaning.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// A Unicode format character (general category Cf).
pub(crate) fn is_format(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
}

/// A decimal digit of any script (general category Nd): `3`, `٣`, `３`.
pub(crate) fn is_digit(c: char) -> bool {
    c.general_category() == GeneralCategory::DecimalNumber
}

/// Removes control characters (keeping newlines and tabs where `multiline`)
/// and, in one-line text, format characters; trims; then checks the length
/// in characters.
fn clean(field: &'static str, raw: &str, max: usize, multiline: bool) -> Result<String, TextError> {
    let kept: String =
        raw.chars()
            .filter(|&c| {
                if multiline { !c.is_control() || c == '\n' || c == '\t' } else { !c.is_control() && !is_format(c) }
            })
            .collect();
    let text = kept.trim().to_owned();
    if text.is_empty() {
        return Err(TextError::Empty { field });
    }
    let len = text.chars().count();
    if len > max {
        return Err(TextError::TooLong { field, len, max });
    }
    Ok(text)
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:expr, $multiline:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The most characters it may hold.
            pub const MAX_CHARS: usize = $max;

            /// Cleans and checks `raw`.
            pub fn parse(raw: &str) -> Result<Self, TextError> {
                clean($field, raw, Self::MAX_CHARS, $multiline).map(Self)
            }

            /// Reads text back from the store: cleaned as [`Self::parse`]
            /// does, except that text an earlier version stored (which
            /// stripped no format characters) and that holds nothing else
            /// is kept as stored rather than refused, so that it stays
            /// readable.
            pub(crate) fn from_stored(raw: &str) -> Result<Self, TextError> {
                match Self::parse(raw) {
                    Err(TextError::Empty { .. }) if !$multiline && !raw.trim().is_empty() => {
                        Ok(Self(raw.trim().to_owned()))
                    }
                    parsed => parsed,
                }
            }

            /// The cleaned text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
    };
}

bounded_text!(
    /// A proposal's title: one line, at most 200 characters.
    Title, "title", 200, false
);
bounded_text!(
    /// A proposal's body (Markdown source): at most 20 000 characters.
    Body, "body", 20_000, true
);
bounded_text!(
    /// The label of one choice: one line, at most 100 characters.
    ChoiceLabel, "choice", 100, false
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_stripped_and_text_trimmed() {
        let t = Title::parse("  Fund\u{0007} the \u{001b}[31mdevices\n ").unwrap();
        assert_eq!(t.as_str(), "Fund the [31mdevices");
    }

    #[test]
    fn a_body_keeps_its_newlines() {
        let b = Body::parse("line one\n\tline two\r\n").unwrap();
        assert_eq!(b.as_str(), "line one\n\tline two");
    }

    #[test]
    fn a_title_of_exactly_200_characters_is_accepted_and_201_rejected() {
        let ok = "é".repeat(200);
        assert_eq!(Title::parse(&ok).unwrap().as_str().chars().count(), 200);
        let long = "é".repeat(201);
        assert_eq!(Title::parse(&long), Err(TextError::TooLong { field: "title", len: 201, max: 200 }));
    }

    #[test]
    fn an_oversized_body_names_the_limit() {
        let err = Body::parse(&"x".repeat(20_001)).unwrap_err();
        assert_eq!(err.to_string(), "the body is 20001 characters long; the limit is 20000");
    }

    #[test]
    fn bidi_controls_and_zero_width_characters_are_stripped_from_one_line_text() {
        // U+202E right-to-left override, U+2066/U+2069 an isolate, U+200B
        // zero-width space, U+200D zero-width joiner, U+FEFF byte-order
        // mark, U+00AD soft hyphen, U+E0041 a tag character.
        let t =
            Title::parse("\u{feff}Fund \u{202e}the\u{202c} de\u{200b}vi\u{00ad}ces\u{2066}!\u{2069}\u{e0041}").unwrap();
        assert_eq!(t.as_str(), "Fund the devices!");
        let l = ChoiceLabel::parse("F\u{200b}o\u{200d}r").unwrap();
        assert_eq!(l.as_str(), "For");
    }

    #[test]
    fn a_title_of_nothing_but_format_characters_is_empty() {
        assert_eq!(Title::parse(" \u{202e}\u{200b} \u{2060}"), Err(TextError::Empty { field: "title" }));
        assert_eq!(ChoiceLabel::parse("\u{200b}"), Err(TextError::Empty { field: "choice" }));
    }

    #[test]
    fn the_limit_counts_characters_after_format_characters_are_stripped() {
        let padded = format!("{}{}", "a".repeat(200), "\u{200b}".repeat(50));
        assert_eq!(Title::parse(&padded).unwrap().as_str(), "a".repeat(200));
    }

    #[test]
    fn a_body_keeps_its_format_characters() {
        // A zero-width non-joiner shapes Persian; a joiner builds an emoji.
        let b = Body::parse("می\u{200c}خواهم \u{1f469}\u{200d}\u{1f4bb}").unwrap();
        assert_eq!(b.as_str(), "می\u{200c}خواهم \u{1f469}\u{200d}\u{1f4bb}");
    }

    #[test]
    fn stored_text_of_only_format_characters_stays_readable() {
        assert_eq!(Title::from_stored("\u{200b}").unwrap().as_str(), "\u{200b}");
        assert_eq!(Title::from_stored("a\u{202e}b").unwrap().as_str(), "ab");
        assert_eq!(Title::from_stored(" "), Err(TextError::Empty { field: "title" }));
    }

    #[test]
    fn blank_text_is_empty() {
        assert_eq!(Title::parse(" \u{0000}\t"), Err(TextError::Empty { field: "title" }));
    }
}
