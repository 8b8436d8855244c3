//! User-written text: titles, bodies and choice labels, cleaned and bounded.

use std::fmt;

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

/// Removes control characters (keeping newlines and tabs where `multiline`)
/// and trims; then checks the length in characters.
fn clean(field: &'static str, raw: &str, max: usize, multiline: bool) -> Result<String, TextError> {
    let kept: String = raw.chars().filter(|c| !c.is_control() || (multiline && (*c == '\n' || *c == '\t'))).collect();
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
    fn blank_text_is_empty() {
        assert_eq!(Title::parse(" \u{0000}\t"), Err(TextError::Empty { field: "title" }));
    }
}
