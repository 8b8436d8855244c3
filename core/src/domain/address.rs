//! A 20-byte account address, in either of IoTeX's two spellings.

use std::fmt;
use std::str::FromStr;

use alloy_primitives::Address as EvmAddress;
use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32, Hrp};

use super::Quoted;

/// The human-readable part of IoTeX's bech32 addresses.
const IO_HRP: Hrp = Hrp::parse_unchecked("io");

/// An account address. Parsed from `0x…` (EIP-55 checksum enforced when the
/// hex is mixed-case) or `io1…` (bech32, hrp `io`); once built it is valid.
///
/// `Display` prints the EIP-55 form; [`Address::to_io`] gives the `io1…` form.
/// Both round-trip exactly through [`Address::parse`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(EvmAddress);

/// Why a string is not an address.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddressError {
    /// Neither `0x` nor `io1` starts the string.
    #[error("{} is not an address: expected 0x… (40 hex digits) or io1… (bech32)", Quoted(.0))]
    UnknownForm(String),
    /// `0x` form with the wrong length or a non-hex digit.
    #[error("{} is not a valid 0x address: expected exactly 40 hex digits", Quoted(.0))]
    BadHex(String),
    /// Mixed-case hex whose case does not match EIP-55.
    #[error("{} has a wrong EIP-55 checksum: check for a typo, or write it all lower-case", Quoted(.0))]
    BadChecksum(String),
    /// `io1` form that is not valid bech32 (covers checksum errors).
    #[error("{} is not a valid io1 address: {}", Quoted(.0), .1)]
    BadBech32(String, String),
    /// Valid bech32, but the payload is not 20 bytes or the hrp is not `io`.
    #[error("{} is not an IoTeX address: expected hrp `io` and a 20-byte payload", Quoted(.0))]
    NotIotex(String),
}

impl Address {
    /// Parses `0x…` or `io1…`; surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        let s = input.trim();
        if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            Self::parse_hex(s, hex)
        } else if s.len() > 3 && s.get(..3).is_some_and(|head| head.eq_ignore_ascii_case("io1")) {
            Self::parse_io(s)
        } else {
            Err(AddressError::UnknownForm(s.to_owned()))
        }
    }

    fn parse_hex(s: &str, hex: &str) -> Result<Self, AddressError> {
        if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AddressError::BadHex(s.to_owned()));
        }
        let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
        let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
        if has_lower && has_upper {
            // Mixed case is a claim of an EIP-55 checksum: hold it to it.
            let with_prefix = format!("0x{hex}");
            EvmAddress::parse_checksummed(&with_prefix, None)
                .map(Self)
                .map_err(|_| AddressError::BadChecksum(s.to_owned()))
        } else {
            EvmAddress::from_str(hex).map(Self).map_err(|_| AddressError::BadHex(s.to_owned()))
        }
    }

    fn parse_io(s: &str) -> Result<Self, AddressError> {
        // IoTeX uses the original bech32 checksum (BIP-173), not bech32m.
        let checked =
            CheckedHrpstring::new::<Bech32>(s).map_err(|e| AddressError::BadBech32(s.to_owned(), e.to_string()))?;
        if checked.hrp() != IO_HRP {
            return Err(AddressError::NotIotex(s.to_owned()));
        }
        let bytes: Vec<u8> = checked.byte_iter().collect();
        let array: [u8; 20] = bytes.try_into().map_err(|_| AddressError::NotIotex(s.to_owned()))?;
        Ok(Self(EvmAddress::from(array)))
    }

    /// The EIP-55 checksummed `0x…` form.
    pub fn to_hex(&self) -> String {
        self.0.to_checksum(None)
    }

    /// The bech32 `io1…` form.
    pub fn to_io(&self) -> String {
        bech32::encode::<Bech32>(IO_HRP, self.0.as_slice()).expect("20 bytes always fit in a bech32 string")
    }

    /// The underlying EVM address, for the chain adapter.
    pub const fn as_evm(&self) -> EvmAddress {
        self.0
    }

    /// The raw 20 bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        self.0.as_ref()
    }
}

impl From<EvmAddress> for Address {
    fn from(a: EvmAddress) -> Self {
        Self(a)
    }
}

impl From<[u8; 20]> for Address {
    fn from(bytes: [u8; 20]) -> Self {
        Self(EvmAddress::from(bytes))
    }
}

impl FromStr for Address {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.to_hex())
    }
}

impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EIP55: [&str; 4] = [
        // Vectors from the EIP-55 specification.
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ];

    #[test]
    fn eip55_vectors_parse_and_display_unchanged() {
        for v in EIP55 {
            let a = Address::parse(v).expect(v);
            assert_eq!(a.to_hex(), v);
            assert_eq!(a.to_string(), v);
        }
    }

    #[test]
    fn a_wrong_checksum_is_rejected() {
        // Flip the case of one letter of a valid checksummed address.
        let bad = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
        assert_eq!(Address::parse(bad), Err(AddressError::BadChecksum(bad.to_owned())));
    }

    #[test]
    fn all_lower_and_all_upper_hex_are_accepted_without_checksum() {
        let lower = EIP55[0].to_lowercase();
        let upper = format!("0x{}", EIP55[0][2..].to_uppercase());
        let expected = Address::parse(EIP55[0]).unwrap();
        assert_eq!(Address::parse(&lower).unwrap(), expected);
        assert_eq!(Address::parse(&upper).unwrap(), expected);
    }

    #[test]
    fn io_form_round_trips_and_matches_the_hex_form() {
        for v in EIP55 {
            let a = Address::parse(v).unwrap();
            let io = a.to_io();
            assert!(io.starts_with("io1"), "{io}");
            assert_eq!(io.len(), 41);
            let back = Address::parse(&io).unwrap();
            assert_eq!(back, a);
            assert_eq!(back.to_io(), io);
        }
    }

    #[test]
    fn a_known_iotex_address_decodes_to_its_bytes() {
        // The zero address: 20 zero bytes, every 5-bit group `q`.
        let zero = Address::parse("io1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqd39ym7").unwrap();
        assert_eq!(zero.as_bytes(), &[0u8; 20]);
        // Computed with the BIP-173 reference implementation, independently of the bech32 crate.
        let a = Address::parse(EIP55[0]).unwrap();
        assert_eq!(a.to_io(), "io1t2htvpfl862vnwdqnuekd9p4ulh3h6hdf9mua7");
    }

    #[test]
    fn an_io_address_with_a_bad_checksum_is_rejected() {
        let good = Address::parse(EIP55[1]).unwrap().to_io();
        let mut chars: Vec<char> = good.chars().collect();
        let last = chars.len() - 1;
        chars[last] = if chars[last] == 'q' { 'p' } else { 'q' };
        let bad: String = chars.into_iter().collect();
        assert!(matches!(Address::parse(&bad), Err(AddressError::BadBech32(..))));
    }

    #[test]
    fn bech32_with_another_hrp_or_length_is_not_iotex() {
        let other = bech32::encode::<Bech32>(Hrp::parse_unchecked("bc"), &[1u8; 20]).unwrap();
        // Does not even start with io1: unknown form.
        assert!(matches!(Address::parse(&other), Err(AddressError::UnknownForm(_))));
        let short = bech32::encode::<Bech32>(IO_HRP, &[1u8; 19]).unwrap();
        assert_eq!(Address::parse(&short), Err(AddressError::NotIotex(short.clone())));
    }

    #[test]
    fn bech32m_is_not_accepted_for_io_addresses() {
        let m = bech32::encode::<bech32::Bech32m>(IO_HRP, &[7u8; 20]).unwrap();
        assert!(matches!(Address::parse(&m), Err(AddressError::BadBech32(..))));
    }

    #[test]
    fn a_multi_byte_character_where_io1_would_be_is_an_unknown_form_not_a_panic() {
        // `s[..3]` once sliced inside `é` here and panicked the process.
        for bad in ["ioé1abc", "iö1", "i\u{301}o1", "é", "io", "io1"] {
            assert_eq!(Address::parse(bad), Err(AddressError::UnknownForm(bad.to_owned())), "{bad:?}");
        }
    }

    #[test]
    fn malformed_hex_is_rejected() {
        for bad in [
            "0x",
            "0x1234",
            "0xZZaeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00",
        ] {
            assert_eq!(Address::parse(bad), Err(AddressError::BadHex(bad.to_owned())), "{bad}");
        }
        assert!(matches!(Address::parse("hello"), Err(AddressError::UnknownForm(_))));
        assert!(matches!(Address::parse(""), Err(AddressError::UnknownForm(_))));
    }
}
