//! Exact token amounts: wei in a U256, IOTX with 18 decimals.

use std::fmt;
use std::str::FromStr;

use super::Quoted;

use alloy_primitives::U256;

/// Decimals of IOTX (and of the ERC-20 tokens iodao pays by default).
pub const DECIMALS: usize = 18;

/// An amount of wei. Never a float: parsed from decimal text, summed with
/// overflow checks, stored as decimal text.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(U256);

/// Why a string is not an amount.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AmountError {
    /// Empty, a sign, an exponent, a second dot or a non-digit.
    #[error("{} is not a number: write plain decimal digits like 1.5", Quoted(.0))]
    NotANumber(String),
    /// More than 18 decimals: the amount would need rounding.
    #[error("{} has more than 18 decimals: IOTX cannot be split below 1 wei", Quoted(.0))]
    TooPrecise(String),
    /// Larger than 2^256 − 1 wei.
    #[error("{} is too large: amounts must fit in 256 bits of wei", Quoted(.0))]
    Overflow(String),
}

impl Amount {
    /// Zero wei.
    pub const ZERO: Self = Self(U256::ZERO);

    /// Wraps a wei value.
    pub const fn from_wei(wei: U256) -> Self {
        Self(wei)
    }

    /// The wei value.
    pub const fn wei(&self) -> U256 {
        self.0
    }

    /// Whole IOTX, for tests and demo data.
    pub fn from_iotx(whole: u64) -> Self {
        Self(U256::from(whole) * U256::from(10u64).pow(U256::from(DECIMALS)))
    }

    /// Parses a decimal count of wei (the form in the store and in JSON).
    pub fn parse_wei(s: &str) -> Result<Self, AmountError> {
        let t = s.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountError::NotANumber(t.to_owned()));
        }
        U256::from_str_radix(t, 10).map(Self).map_err(|_| AmountError::Overflow(t.to_owned()))
    }

    /// Parses IOTX written with up to 18 decimals ("1.5" is 1.5e18 wei).
    /// Underscores and commas are not accepted: they hide typos in money.
    pub fn parse_iotx(s: &str) -> Result<Self, AmountError> {
        let t = s.trim();
        let (int, frac) = match t.split_once('.') {
            Some((i, f)) => (i, f),
            None => (t, ""),
        };
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) || (t.contains('.') && frac.is_empty())
        {
            return Err(AmountError::NotANumber(t.to_owned()));
        }
        if frac.len() > DECIMALS {
            return Err(AmountError::TooPrecise(t.to_owned()));
        }
        let mut text = String::with_capacity(int.len() + DECIMALS);
        text.push_str(int);
        text.push_str(frac);
        text.extend(std::iter::repeat_n('0', DECIMALS - frac.len()));
        let trimmed = text.trim_start_matches('0');
        if trimmed.is_empty() {
            return Ok(Self::ZERO);
        }
        U256::from_str_radix(trimmed, 10).map(Self).map_err(|_| AmountError::Overflow(t.to_owned()))
    }

    /// The wei value as decimal text (the stored form).
    pub fn to_wei_string(&self) -> String {
        self.0.to_string()
    }

    /// IOTX with the decimals it needs and no more ("1.5", "100", "0.000000000000000001").
    pub fn to_iotx_string(&self) -> String {
        let wei = self.0.to_string();
        let (int, frac) = if wei.len() > DECIMALS {
            let (i, f) = wei.split_at(wei.len() - DECIMALS);
            (i.to_owned(), f.to_owned())
        } else {
            ("0".to_owned(), format!("{wei:0>DECIMALS$}"))
        };
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() { int } else { format!("{int}.{frac}") }
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// `self − other`, or `None` below zero.
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// True for zero wei.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    /// The human form: IOTX decimals.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_iotx(s)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} IOTX", self.to_iotx_string())
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({} wei)", self.0)
    }
}

/// JSON carries wei as a decimal string: exact in every language, unlike a
/// JSON number.
impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_wei_string())
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse_wei(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_and_a_half_iotx_is_exactly_1_5e18_wei() {
        let a = Amount::parse_iotx("1.5").unwrap();
        assert_eq!(a.wei(), U256::from(1_500_000_000_000_000_000u128));
        assert_eq!(a.to_iotx_string(), "1.5");
    }

    #[test]
    fn one_wei_survives_the_round_trip() {
        let a = Amount::parse_iotx("0.000000000000000001").unwrap();
        assert_eq!(a.wei(), U256::from(1));
        assert_eq!(a.to_iotx_string(), "0.000000000000000001");
        assert_eq!(a.to_wei_string(), "1");
    }

    #[test]
    fn whole_and_leading_dot_forms_parse() {
        assert_eq!(Amount::parse_iotx("100").unwrap(), Amount::from_iotx(100));
        assert_eq!(Amount::parse_iotx(".5").unwrap().to_iotx_string(), "0.5");
        assert_eq!(Amount::parse_iotx("0").unwrap(), Amount::ZERO);
        assert_eq!(Amount::parse_iotx("000.000").unwrap(), Amount::ZERO);
        assert_eq!(Amount::parse_iotx(" 7 ").unwrap(), Amount::from_iotx(7));
    }

    #[test]
    fn nineteen_decimals_are_rejected_not_rounded() {
        assert_eq!(
            Amount::parse_iotx("1.0000000000000000001"),
            Err(AmountError::TooPrecise("1.0000000000000000001".into()))
        );
    }

    #[test]
    fn non_numbers_are_rejected() {
        for bad in ["", ".", "1.", "-1", "+1", "1e18", "1.2.3", "1,5", "1_000", "abc", "0x10"] {
            assert!(matches!(Amount::parse_iotx(bad), Err(AmountError::NotANumber(_))), "{bad:?}");
        }
        for bad in ["", "1.5", "-1", "1e3"] {
            assert!(matches!(Amount::parse_wei(bad), Err(AmountError::NotANumber(_))), "{bad:?}");
        }
    }

    #[test]
    fn the_largest_u256_parses_and_one_more_overflows() {
        let max = U256::MAX.to_string();
        assert_eq!(Amount::parse_wei(&max).unwrap().wei(), U256::MAX);
        // 2^256 = max + 1: bump the last digit (max ends in 5).
        let over = format!("{}6", &max[..max.len() - 1]);
        assert_eq!(Amount::parse_wei(&over), Err(AmountError::Overflow(over.clone())));
        // In IOTX, anything above max / 1e18 overflows.
        let iotx_over = format!("{}", U256::MAX / U256::from(10u64).pow(U256::from(18)) + U256::from(1));
        assert_eq!(Amount::parse_iotx(&iotx_over), Err(AmountError::Overflow(iotx_over.clone())));
    }

    #[test]
    fn arithmetic_is_checked() {
        let max = Amount::from_wei(U256::MAX);
        assert_eq!(max.checked_add(Amount::from_wei(U256::from(1))), None);
        assert_eq!(Amount::ZERO.checked_sub(Amount::from_wei(U256::from(1))), None);
        assert_eq!(Amount::from_iotx(2).checked_sub(Amount::from_iotx(1)), Some(Amount::from_iotx(1)));
    }

    #[test]
    fn display_names_the_unit() {
        assert_eq!(Amount::parse_iotx("12.34").unwrap().to_string(), "12.34 IOTX");
    }
}
