//! Recipients (gauges) and allocation votes across them.

use std::fmt;

use super::{Address, Bps, Category, Quoted};

/// A recipient's number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize)]
#[serde(transparent)]
pub struct RecipientId(i64);

impl RecipientId {
    /// The id the store handed out. Only the store calls this.
    pub(crate) const fn from_store(n: i64) -> Self {
        Self(n)
    }

    /// The number.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for RecipientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A recipient's name as it is given: one line of at most
/// [`RecipientName::MAX_CHARS`] characters, its control and Unicode format
/// characters stripped (as in titles, see [`super::text`]) and trimmed.
/// Voters name recipients by number or by name in `recipient=percent`
/// pairs, so a name is not a number and holds no space, comma or `=`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RecipientName(String);

/// Why a recipient's name was refused. Nothing is stored.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecipientNameError {
    /// Nothing left after cleaning.
    #[error("the recipient's name is empty")]
    Empty,
    /// Longer than [`RecipientName::MAX_CHARS`], in characters.
    #[error("the recipient's name is {0} characters long; the limit is 64")]
    TooLong(usize),
    /// Only digits: a voter writing it would name the recipient with that number.
    #[error(
        "the recipient's name `{0}` is only a number, which voters could not tell from a recipient's number: give it words, like `program-{0}`"
    )]
    Numeric(String),
    /// A space, comma or `=`, which separate the pairs voters write.
    #[error(
        "the recipient's name `{name}` holds {found:?}, which separates the recipient=percent pairs voters write: use a hyphen, like `solar-farms`"
    )]
    Separator {
        /// The name.
        name: String,
        /// The character.
        found: char,
    },
}

impl RecipientName {
    /// The most characters a name may hold.
    pub const MAX_CHARS: usize = 64;

    /// Cleans and checks `raw`.
    pub fn parse(raw: &str) -> Result<Self, RecipientNameError> {
        let kept: String = raw.chars().filter(|&c| !c.is_control() && !super::text::is_format(c)).collect();
        let name = kept.trim();
        if name.is_empty() {
            return Err(RecipientNameError::Empty);
        }
        let len = name.chars().count();
        if len > Self::MAX_CHARS {
            return Err(RecipientNameError::TooLong(len));
        }
        if let Some(found) = name.chars().find(|&c| c.is_whitespace() || c == ',' || c == '=') {
            return Err(RecipientNameError::Separator { name: name.to_owned(), found });
        }
        if name.chars().all(super::text::is_digit) {
            return Err(RecipientNameError::Numeric(name.to_owned()));
        }
        Ok(Self(name.to_owned()))
    }

    /// The cleaned name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecipientName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Something that can receive incentives.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct Recipient {
    /// Its number.
    pub id: RecipientId,
    /// Its unique name (also how voters refer to it).
    pub name: String,
    /// Its kind.
    pub category: Category,
    /// Where its payouts go.
    pub payout: Address,
    /// Whether it takes allocation votes and payouts.
    pub active: bool,
}

/// A voter's split of power across recipients: basis points per recipient,
/// each at least 1, summing to at most 10 000; at most one entry per recipient.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct Allocation(Vec<(RecipientId, u16)>);

/// Why an allocation was refused. Nothing is stored.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AllocationError {
    /// A `recipient=percent` pair that does not parse.
    #[error("{} is not a recipient=percent pair like 3=60 or solar-farms=40", Quoted(.0))]
    BadPair(String),
    /// No such recipient (or not active).
    #[error("{} is not an active recipient: list them to find its number or name", Quoted(.0))]
    UnknownRecipient(String),
    /// The same recipient twice.
    #[error("recipient {0} appears twice")]
    Duplicate(String),
    /// A weight of zero.
    #[error("recipient {0} has a weight of 0; leave it out instead")]
    ZeroWeight(String),
    /// Over 100 %.
    #[error("the weights add up to {}.{:02}%, more than 100%", .0 / 100, .0 % 100)]
    OverFull(u32),
}

impl Allocation {
    /// Parses `recipient=percent` pairs (`3=60 solar-farms=40`), naming
    /// recipients by number or name among `known` (active ones only). An
    /// empty input is an empty allocation (it withdraws the voter's split).
    pub fn parse(input: &str, known: &[Recipient]) -> Result<Self, AllocationError> {
        let mut out: Vec<(RecipientId, u16)> = Vec::new();
        for pair in input.split(|c: char| c.is_whitespace() || c == ',').filter(|p| !p.is_empty()) {
            let (who, w) = pair.split_once('=').ok_or_else(|| AllocationError::BadPair(pair.to_owned()))?;
            let r = known
                .iter()
                .filter(|r| r.active)
                .find(|r| r.id.get().to_string() == who || r.name.eq_ignore_ascii_case(who))
                .ok_or_else(|| AllocationError::UnknownRecipient(who.to_owned()))?;
            let bps = Bps::parse_percent(w).map_err(|_| AllocationError::BadPair(pair.to_owned()))?.get();
            if bps == 0 {
                return Err(AllocationError::ZeroWeight(r.name.clone()));
            }
            if out.iter().any(|(id, _)| *id == r.id) {
                return Err(AllocationError::Duplicate(r.name.clone()));
            }
            out.push((r.id, bps));
        }
        let total: u32 = out.iter().map(|(_, b)| u32::from(*b)).sum();
        if total > u32::from(Bps::MAX) {
            return Err(AllocationError::OverFull(total));
        }
        out.sort_by_key(|(id, _)| *id);
        Ok(Self(out))
    }

    /// From stored rows (already valid).
    pub(crate) fn from_stored(entries: Vec<(RecipientId, u16)>) -> Self {
        Self(entries)
    }

    /// The (recipient, bps) pairs, by recipient id.
    pub fn entries(&self) -> &[(RecipientId, u16)] {
        &self.0
    }

    /// True when the voter allocates nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<Recipient> {
        let r = |id: i64, name: &str, active: bool| Recipient {
            id: RecipientId(id),
            name: name.into(),
            category: Category::Dapp,
            payout: Address::from([1; 20]),
            active,
        };
        vec![r(1, "solar-farms", true), r(2, "weather-net", true), r(3, "retired", false)]
    }

    #[test]
    fn pairs_by_number_or_name_parse_to_basis_points() {
        let a = Allocation::parse("weather-net=40 1=60", &known()).unwrap();
        assert_eq!(a.entries(), &[(RecipientId(1), 6000), (RecipientId(2), 4000)]);
        assert!(Allocation::parse("", &known()).unwrap().is_empty());
    }

    #[test]
    fn a_name_loses_its_format_characters_and_is_trimmed() {
        let n = RecipientName::parse(" \u{202e}solar\u{200b}-farms\u{feff} ").unwrap();
        assert_eq!(n.as_str(), "solar-farms");
        assert_eq!(RecipientName::parse("\u{200b}\u{2066}"), Err(RecipientNameError::Empty));
        assert_eq!(RecipientName::parse(&"é".repeat(65)), Err(RecipientNameError::TooLong(65)));
        assert_eq!(RecipientName::parse(&"é".repeat(64)).unwrap().as_str().chars().count(), 64);
    }

    #[test]
    fn a_name_that_voters_could_not_write_is_refused_and_says_why() {
        for numeric in ["3", " 42 ", "\u{663}", "1\u{200b}2"] {
            assert!(matches!(RecipientName::parse(numeric), Err(RecipientNameError::Numeric(_))), "{numeric:?}");
        }
        assert_eq!(
            RecipientName::parse("7").unwrap_err().to_string(),
            "the recipient's name `7` is only a number, which voters could not tell from a recipient's number: give it words, like `program-7`"
        );
        for (name, found) in [("solar farms", ' '), ("a,b", ','), ("a=b", '='), ("a\u{3000}b", '\u{3000}')] {
            assert_eq!(
                RecipientName::parse(name),
                Err(RecipientNameError::Separator { name: name.into(), found }),
                "{name:?}"
            );
        }
        assert!(RecipientName::parse("program-7").is_ok());
    }

    #[test]
    fn bad_allocations_are_refused() {
        assert_eq!(Allocation::parse("1=60 2=40.5", &known()), Err(AllocationError::OverFull(10_050)));
        assert_eq!(Allocation::parse("3=10", &known()), Err(AllocationError::UnknownRecipient("3".into())));
        assert_eq!(Allocation::parse("9=10", &known()), Err(AllocationError::UnknownRecipient("9".into())));
        assert_eq!(
            Allocation::parse("1=10 solar-farms=5", &known()),
            Err(AllocationError::Duplicate("solar-farms".into()))
        );
        assert_eq!(Allocation::parse("1=0", &known()), Err(AllocationError::ZeroWeight("solar-farms".into())));
        assert_eq!(Allocation::parse("1:50", &known()), Err(AllocationError::BadPair("1:50".into())));
    }
}
