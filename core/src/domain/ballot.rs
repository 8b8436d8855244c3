//! Voting methods and what a voter selects under each, with the exact rule
//! by which a selection turns a voter's power into counts per choice.

use std::fmt;

use alloy_primitives::{U256, U512};

use super::{Amount, Bps, Choice, ChoiceError, Choices, Quoted};

/// How votes are cast and counted. Every rule is integer arithmetic on wei.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VotingMethod {
    /// One choice; it counts the voter's whole power.
    SingleChoice,
    /// Any non-empty subset of choices; each chosen choice counts the voter's
    /// whole power.
    Approval,
    /// Power split across choices in basis points summing to at most 10 000;
    /// a choice counts `⌊power × bps / 10 000⌋`.
    Weighted,
    /// Split like weighted, but a choice counts `⌊√⌊power × bps / 10 000⌋⌋`
    /// (as Snapshot's quadratic voting, in √wei).
    Quadratic,
}

impl VotingMethod {
    /// All methods.
    pub const ALL: [Self; 4] = [Self::SingleChoice, Self::Approval, Self::Weighted, Self::Quadratic];

    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SingleChoice => "single-choice",
            Self::Approval => "approval",
            Self::Weighted => "weighted",
            Self::Quadratic => "quadratic",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// How a voter writes a selection under this method.
    pub const fn syntax(self) -> &'static str {
        match self {
            Self::SingleChoice => "one choice, by number or label: 2 or Against",
            Self::Approval => "the choices you approve, separated by commas: 1,3",
            Self::Weighted | Self::Quadratic => "choice=percent pairs summing to at most 100: 1=60 2=40",
        }
    }
}

impl fmt::Display for VotingMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A voter's selection: (choice, basis points) pairs in choice order, each
/// choice at most once. Single-choice and approval selections carry 10 000
/// bps per chosen choice.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Selection(Vec<(Choice, u16)>);

/// Why a selection was not understood. Nothing is stored.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SelectionError {
    /// A choice that does not exist.
    #[error(transparent)]
    Choice(#[from] ChoiceError),
    /// Nothing was selected.
    #[error("nothing was selected: write {0}")]
    Empty(&'static str),
    /// The same choice twice.
    #[error("choice {0} is selected twice")]
    Duplicate(usize),
    /// More than one choice on a single-choice proposal.
    #[error("this proposal takes one choice; write {0}")]
    NotSingle(&'static str),
    /// A `choice=weight` pair that does not parse.
    #[error("{} is not a choice=percent pair like 1=60", Quoted(.0))]
    BadPair(String),
    /// A weight of zero.
    #[error("choice {0} has a weight of 0; leave it out instead")]
    ZeroWeight(usize),
    /// Weights over 100 % (the total, in basis points).
    #[error("the weights add up to {}.{:02}%, more than 100%", .0 / 100, .0 % 100)]
    OverFull(u32),
}

impl Selection {
    /// Parses what a voter typed, for `method` over `choices`.
    pub fn parse(input: &str, choices: &Choices, method: VotingMethod) -> Result<Self, SelectionError> {
        let syntax = method.syntax();
        let mut picked: Vec<(Choice, u16)> = match method {
            VotingMethod::SingleChoice => {
                let t = input.trim();
                if t.is_empty() {
                    return Err(SelectionError::Empty(syntax));
                }
                if t.contains(',') || t.contains('=') {
                    return Err(SelectionError::NotSingle(syntax));
                }
                vec![(choices.choice(t)?, Bps::MAX)]
            }
            VotingMethod::Approval => input
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| Ok((choices.choice(p)?, Bps::MAX)))
                .collect::<Result<_, SelectionError>>()?,
            VotingMethod::Weighted | VotingMethod::Quadratic => input
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (c, w) = pair.split_once('=').ok_or_else(|| SelectionError::BadPair(pair.to_owned()))?;
                    let choice = choices.choice(c)?;
                    let bps = Bps::parse_percent(w).map_err(|_| SelectionError::BadPair(pair.to_owned()))?;
                    if bps.get() == 0 {
                        return Err(SelectionError::ZeroWeight(choice.number()));
                    }
                    Ok((choice, bps.get()))
                })
                .collect::<Result<_, SelectionError>>()?,
        };
        if picked.is_empty() {
            return Err(SelectionError::Empty(syntax));
        }
        picked.sort_by_key(|(c, _)| *c);
        if let Some(w) = picked.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(SelectionError::Duplicate(w[0].0.number()));
        }
        if matches!(method, VotingMethod::Weighted | VotingMethod::Quadratic) {
            let total: u32 = picked.iter().map(|(_, b)| u32::from(*b)).sum();
            if total > u32::from(Bps::MAX) {
                return Err(SelectionError::OverFull(total));
            }
        }
        Ok(Self(picked))
    }

    /// The stored form: `number=bps` pairs joined by commas, e.g. `1=6000,2=4000`.
    pub fn to_stored(&self) -> String {
        self.0.iter().map(|(c, b)| format!("{}={b}", c.number())).collect::<Vec<_>>().join(",")
    }

    /// Reads the stored form back; `None` if it is not valid for `choices`.
    pub fn from_stored(s: &str, choices: &Choices) -> Option<Self> {
        let mut out = Vec::new();
        for pair in s.split(',') {
            let (c, b) = pair.split_once('=')?;
            let n: usize = c.parse().ok()?;
            let choice = choices.at(n.checked_sub(1)?)?;
            let bps: u16 = b.parse().ok()?;
            if bps == 0 || bps > Bps::MAX {
                return None;
            }
            out.push((choice, bps));
        }
        (!out.is_empty()).then_some(Self(out))
    }

    /// A single-choice selection of `choice`.
    pub fn single(choice: Choice) -> Self {
        Self(vec![(choice, Bps::MAX)])
    }

    /// The one choice of a single-choice selection.
    pub fn as_single(&self) -> Option<Choice> {
        match self.0.as_slice() {
            [(c, b)] if *b == Bps::MAX => Some(*c),
            _ => None,
        }
    }

    /// The (choice, bps) pairs.
    pub fn entries(&self) -> &[(Choice, u16)] {
        &self.0
    }

    /// What the counts per choice are for a voter with `power`, under `method`.
    pub fn contributions(&self, method: VotingMethod, power: Amount) -> impl Iterator<Item = (Choice, Amount)> + '_ {
        self.0.iter().map(move |(c, bps)| {
            let share = || {
                let wide = U512::from(power.wei()) * U512::from(*bps) / U512::from(Bps::MAX);
                U256::from(wide) // ≤ power, so it fits
            };
            let count = match method {
                VotingMethod::SingleChoice | VotingMethod::Approval => power.wei(),
                VotingMethod::Weighted => share(),
                VotingMethod::Quadratic => share().root(2),
            };
            (*c, Amount::from_wei(count))
        })
    }

    /// Human form with labels: `Against`, `For, Abstain`, `For 60%, Against 40%`.
    pub fn describe(&self, choices: &Choices, method: VotingMethod) -> String {
        self.0
            .iter()
            .map(|(c, b)| match method {
                VotingMethod::SingleChoice | VotingMethod::Approval => choices.label(*c).to_owned(),
                VotingMethod::Weighted | VotingMethod::Quadratic => {
                    format!("{} {}", choices.label(*c), Bps::new(*b).map_or_else(String::new, |b| b.to_string()))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl serde::Serialize for Selection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_stored())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices() -> Choices {
        Choices::parse(["Red", "Green", "Blue", "Abstain"]).unwrap()
    }

    fn wei(n: u64) -> Amount {
        Amount::from_wei(U256::from(n))
    }

    fn counts(input: &str, method: VotingMethod, power: u64) -> Vec<(usize, u64)> {
        let s = Selection::parse(input, &choices(), method).unwrap();
        s.contributions(method, wei(power)).map(|(c, a)| (c.number(), a.wei().to::<u64>())).collect()
    }

    #[test]
    fn single_choice_counts_the_whole_power_once() {
        assert_eq!(counts("green", VotingMethod::SingleChoice, 1000), vec![(2, 1000)]);
        assert_eq!(
            Selection::parse("1,2", &choices(), VotingMethod::SingleChoice),
            Err(SelectionError::NotSingle(VotingMethod::SingleChoice.syntax()))
        );
    }

    #[test]
    fn approval_counts_the_whole_power_for_each_approved_choice() {
        assert_eq!(counts("3, 1", VotingMethod::Approval, 1000), vec![(1, 1000), (3, 1000)]);
        assert_eq!(Selection::parse("1,red", &choices(), VotingMethod::Approval), Err(SelectionError::Duplicate(1)));
        assert!(matches!(Selection::parse(" , ", &choices(), VotingMethod::Approval), Err(SelectionError::Empty(_))));
    }

    #[test]
    fn weighted_rounds_each_share_down_to_the_wei() {
        // 1000 wei at 33.33 % = 333.3 → 333; at 66.67 % = 666.7 → 666: 1 wei of dust, never more.
        assert_eq!(counts("1=33.33 2=66.67", VotingMethod::Weighted, 1000), vec![(1, 333), (2, 666)]);
        // Leaving power unallocated is allowed.
        assert_eq!(counts("2=25", VotingMethod::Weighted, 1000), vec![(2, 250)]);
    }

    #[test]
    fn weights_over_one_hundred_percent_are_refused() {
        let e = Selection::parse("1=60 2=40.01", &choices(), VotingMethod::Weighted).unwrap_err();
        assert_eq!(e, SelectionError::OverFull(10_001));
        assert_eq!(e.to_string(), "the weights add up to 100.01%, more than 100%");
        assert!(Selection::parse("1=60 2=40", &choices(), VotingMethod::Weighted).is_ok(), "exactly 100 % is fine");
        assert_eq!(Selection::parse("1=0", &choices(), VotingMethod::Weighted), Err(SelectionError::ZeroWeight(1)));
        assert_eq!(
            Selection::parse("1:60", &choices(), VotingMethod::Weighted),
            Err(SelectionError::BadPair("1:60".into()))
        );
    }

    #[test]
    fn quadratic_counts_the_integer_square_root_of_each_share() {
        // 10 000 wei: 64 % → 6400 → 80; 36 % → 3600 → 60.
        assert_eq!(counts("1=64 2=36", VotingMethod::Quadratic, 10_000), vec![(1, 80), (2, 60)]);
        // Not a perfect square: ⌊√99⌋ = 9.
        assert_eq!(counts("3=100", VotingMethod::Quadratic, 99), vec![(3, 9)]);
        // The largest power does not overflow.
        let s = Selection::parse("1=100", &choices(), VotingMethod::Quadratic).unwrap();
        let (_, max) = s.contributions(VotingMethod::Quadratic, Amount::from_wei(U256::MAX)).next().unwrap();
        assert_eq!(max.wei(), U256::MAX.root(2));
    }

    #[test]
    fn the_stored_form_round_trips() {
        for (input, method) in [
            ("Blue", VotingMethod::SingleChoice),
            ("1,4", VotingMethod::Approval),
            ("2=12.5 4=50", VotingMethod::Weighted),
        ] {
            let s = Selection::parse(input, &choices(), method).unwrap();
            assert_eq!(Selection::from_stored(&s.to_stored(), &choices()), Some(s));
        }
        assert_eq!(Selection::from_stored("5=10000", &choices()), None);
        assert_eq!(Selection::from_stored("1=10001", &choices()), None);
        assert_eq!(Selection::from_stored("", &choices()), None);
    }

    #[test]
    fn describe_uses_labels() {
        let s = Selection::parse("1=60 2=40", &choices(), VotingMethod::Weighted).unwrap();
        assert_eq!(s.describe(&choices(), VotingMethod::Weighted), "Red 60%, Green 40%");
        let s = Selection::parse("1,4", &choices(), VotingMethod::Approval).unwrap();
        assert_eq!(s.describe(&choices(), VotingMethod::Approval), "Red, Abstain");
    }
}
