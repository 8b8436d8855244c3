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
