//! Serde for wei as decimal text, the form the store and the published
//! epoch bundles use (never a float, never hex).

use alloy_primitives::U256;
use serde::{Deserialize, Deserializer, Serializer, de::Error};

/// Writes decimal text.
pub fn serialize<S: Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Reads decimal text (digits only).
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    parse(&text).map_err(D::Error::custom)
}

/// Parses decimal wei: digits only, no sign, no exponent, at most 78 digits.
pub fn parse(text: &str) -> Result<U256, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{text}` is not an amount of wei (decimal digits only)"));
    }
    U256::from_str_radix(text, 10).map_err(|_| format!("`{text}` is more wei than fits in 256 bits"))
}

/// The same for `Option<U256>`.
pub mod option {
    use super::*;

    /// Writes decimal text or nothing.
    pub fn serialize<S: Serializer>(v: &Option<U256>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    /// Reads decimal text or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<U256>, D::Error> {
        let text = <Option<std::borrow::Cow<'de, str>>>::deserialize(d)?;
        text.map(|t| parse(&t).map_err(D::Error::custom)).transpose()
    }
}
