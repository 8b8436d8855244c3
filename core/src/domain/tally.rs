//! Counting votes exactly: totals per choice in wei, quorum and threshold
//! decided with integer arithmetic.

use alloy_primitives::U512;

use super::{Amount, Bps, Choice, Choices, Outcome};

/// Power per choice (0-based, in the proposal's order) and the number of voters.
#[derive(Clone, PartialEq, Eq, Debug, Default, serde::Serialize)]
pub struct Tally {
    totals: Vec<Amount>,
    voters: u64,
}

/// A tally that cannot take a vote: a sum past 2^256 wei or a choice the
/// proposal does not have. Both mean corrupt input, never a voter's mistake.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TallyError {
    /// A total would exceed 2^256 − 1 wei.
    #[error("the tally of choice {0} overflowed 256 bits")]
    Overflow(usize),
    /// A vote names a choice past the end of the list.
    #[error("a vote names choice {choice} but the proposal has {count}")]
    NoSuchChoice {
        /// 1-based choice in the vote.
        choice: usize,
        /// Choices of the proposal.
        count: usize,
    },
    /// Removing a vote that was never added.
    #[error("the tally of choice {0} would go below zero")]
    Underflow(usize),
}

impl Tally {
    /// An empty tally for `choices` choices.
    pub fn empty(choices: usize) -> Self {
        Self { totals: vec![Amount::ZERO; choices], voters: 0 }
    }

    /// A tally from known totals (voters unknown: counted as zero).
    pub fn from_totals(totals: Vec<Amount>) -> Self {
        Self { totals, voters: 0 }
    }

    /// A tally from totals and a voter count, as the store keeps them.
    pub fn from_parts(totals: Vec<Amount>, voters: u64) -> Self {
        Self { totals, voters }
    }

    /// Counts one voter's vote.
    pub fn add(&mut self, choice: usize, power: Amount) -> Result<(), TallyError> {
        let count = self.totals.len();
        let slot = self.totals.get_mut(choice).ok_or(TallyError::NoSuchChoice { choice: choice + 1, count })?;
        *slot = slot.checked_add(power).ok_or(TallyError::Overflow(choice + 1))?;
        self.voters += 1;
        Ok(())
    }

    /// Takes back a vote counted earlier (when a voter changes it).
    pub fn remove(&mut self, choice: usize, power: Amount) -> Result<(), TallyError> {
        let count = self.totals.len();
        let slot = self.totals.get_mut(choice).ok_or(TallyError::NoSuchChoice { choice: choice + 1, count })?;
        *slot = slot.checked_sub(power).ok_or(TallyError::Underflow(choice + 1))?;
        self.voters = self.voters.saturating_sub(1);
        Ok(())
    }

    /// Power per choice.
    pub fn totals(&self) -> &[Amount] {
        &self.totals
    }

    /// The power behind `choice`.
    pub fn total(&self, choice: Choice) -> Amount {
        self.totals.get(choice.index()).copied().unwrap_or_default()
    }

    /// How many voters have a current vote.
    pub const fn voters(&self) -> u64 {
        self.voters
    }

    /// All power that took part, abstain included (what quorum measures).
    pub fn participation(&self) -> U512 {
        self.totals.iter().map(|a| U512::from(a.wei())).fold(U512::ZERO, |s, x| s + x)
    }

    /// Power that took a side: everything but the abstain choice.
    pub fn decisive(&self, choices: &Choices) -> U512 {
        let abstain = choices.abstain().map(Choice::index);
        self.totals
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != abstain)
            .map(|(_, a)| U512::from(a.wei()))
            .fold(U512::ZERO, |s, x| s + x)
    }

    /// The non-abstain choice with strictly the most power, if one leads alone.
    pub fn leader(&self, choices: &Choices) -> Option<Choice> {
        let abstain = choices.abstain().map(Choice::index);
        let mut best: Option<(usize, Amount)> = None;
        let mut tied = false;
        for (i, a) in self.totals.iter().enumerate().filter(|(i, _)| Some(*i) != abstain) {
            match best {
                Some((_, b)) if *a == b => tied = true,
                Some((_, b)) if *a < b => {}
                _ => {
                    best = Some((i, *a));
                    tied = false;
                }
            }
        }
        match best {
            Some((i, a)) if !tied && !a.is_zero() => choices.at(i),
            _ => None,
        }
    }

    /// The rule, exactly:
    ///
    /// - quorum is met when participation (every choice, abstain included)
    ///   is **at least** `quorum`;
    /// - a yes/no proposal (For, Against[, Abstain]) passes when
    ///   `For × 10 000 > threshold_bps × (For + Against)`: **strictly more**
    ///   than the threshold, so a 50 % threshold is a strict majority and a
    ///   tie fails;
    /// - any other proposal passes when one non-abstain choice leads alone
    ///   and its power × 10 000 is strictly more than
    ///   `threshold_bps × decisive power`.
    ///
    /// All products are taken in 512 bits, so no sum of 256-bit amounts can
    /// overflow.
    pub fn outcome(&self, choices: &Choices, quorum: Amount, threshold: Bps) -> Outcome {
        if self.participation() < U512::from(quorum.wei()) {
            return Outcome::QuorumNotMet;
        }
        let deciding = if choices.is_yes_no() { choices.at(0) } else { self.leader(choices) };
        let Some(choice) = deciding else { return Outcome::Rejected };
        let share = U512::from(self.total(choice).wei()) * U512::from(Bps::MAX);
        let bar = U512::from(threshold.get()) * self.decisive(choices);
        if share > bar && !self.total(choice).is_zero() { Outcome::Passed } else { Outcome::Rejected }
    }
}

/// A tally as front-ends show it: one row per choice with its share, the
/// quorum's progress and the outcome the votes so far would give.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TallyReport {
    /// One row per choice, in the proposal's order.
    pub choices: Vec<ChoiceRow>,
    /// Voters with a current vote.
    pub voters: u64,
    /// All power that took part (abstain included), in wei.
    pub participation: Amount,
    /// The proposal's quorum.
    pub quorum: Amount,
    /// Whether participation reaches the quorum.
    pub quorum_met: bool,
    /// The proposal's threshold.
    pub threshold: Bps,
    /// The outcome if the vote closed with these totals.
    pub outcome: Outcome,
    /// The single leading non-abstain choice, if any (1-based).
    pub leader: Option<usize>,
}

/// One choice's line in a [`TallyReport`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ChoiceRow {
    /// 1-based number.
    pub number: usize,
    /// Its label.
    pub label: String,
    /// Power behind it, in wei.
    pub power: Amount,
    /// Its share of participation in basis points, rounded down (display only).
    pub share_bps: u16,
}

impl Tally {
    /// The report of this tally for a proposal with these rules.
    pub fn report(&self, choices: &Choices, quorum: Amount, threshold: Bps) -> TallyReport {
        let participation = self.participation();
        let share = |a: Amount| -> u16 {
            if participation.is_zero() {
                return 0;
            }
            let bps = U512::from(a.wei()) * U512::from(Bps::MAX) / participation;
            u16::try_from(bps).unwrap_or(Bps::MAX)
        };
        TallyReport {
            choices: choices
                .labels()
                .enumerate()
                .map(|(i, label)| {
                    let power = self.totals.get(i).copied().unwrap_or_default();
                    ChoiceRow { number: i + 1, label: label.to_owned(), power, share_bps: share(power) }
                })
                .collect(),
            voters: self.voters,
            // Every total is a U256 and real supplies are far below 2^256: saturate rather than fail.
            participation: Amount::from_wei(alloy_primitives::U256::saturating_from(participation)),
            quorum,
            quorum_met: participation >= U512::from(quorum.wei()),
            threshold,
            outcome: self.outcome(choices, quorum, threshold),
            leader: self.leader(choices).map(Choice::number),
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use super::*;

    fn wei(n: u64) -> Amount {
        Amount::from_wei(U256::from(n))
    }

    fn yes_no(f: u64, a: u64, abs: u64) -> Tally {
        Tally::from_totals(vec![wei(f), wei(a), wei(abs)])
    }

    fn bps(n: u16) -> Bps {
        Bps::new(n).unwrap()
    }

    #[test]
    fn quorum_is_met_exactly_at_the_bound_and_counts_abstain() {
        let c = Choices::for_against_abstain();
        // 60 + 0 + 40 = 100 = quorum → met (and For wins 100 %).
        assert_eq!(yes_no(60, 0, 40).outcome(&c, wei(100), bps(5000)), Outcome::Passed);
        assert_eq!(yes_no(60, 0, 39).outcome(&c, wei(100), bps(5000)), Outcome::QuorumNotMet);
    }

    #[test]
    fn exactly_at_the_threshold_fails_one_wei_more_passes() {
        let c = Choices::for_against_abstain();
        // 50 % threshold: 50/50 is a tie → rejected; 51/49 passes.
        assert_eq!(yes_no(50, 50, 0).outcome(&c, wei(0), bps(5000)), Outcome::Rejected);
        assert_eq!(yes_no(51, 49, 0).outcome(&c, wei(0), bps(5000)), Outcome::Passed);
        // 66.67 %: 6667 of 10 000 sits exactly on it → rejected; 6668 passes.
        assert_eq!(yes_no(6667, 3333, 0).outcome(&c, wei(0), bps(6667)), Outcome::Rejected);
        assert_eq!(yes_no(6668, 3332, 0).outcome(&c, wei(0), bps(6667)), Outcome::Passed);
    }

    #[test]
    fn abstain_counts_for_quorum_but_not_for_the_threshold() {
        let c = Choices::for_against_abstain();
        // For 3 vs Against 2 passes 50 % even with a huge abstain.
        assert_eq!(yes_no(3, 2, 1_000).outcome(&c, wei(1_005), bps(5000)), Outcome::Passed);
    }

    #[test]
    fn everyone_abstaining_is_rejected() {
        let c = Choices::for_against_abstain();
        assert_eq!(yes_no(0, 0, 10).outcome(&c, wei(10), bps(0)), Outcome::Rejected);
    }

    #[test]
    fn a_zero_threshold_still_needs_some_for_power() {
        let c = Choices::for_against_abstain();
        assert_eq!(yes_no(0, 5, 0).outcome(&c, wei(0), bps(0)), Outcome::Rejected);
        assert_eq!(yes_no(1, 5, 0).outcome(&c, wei(0), bps(0)), Outcome::Passed);
    }

    #[test]
    fn custom_choices_pass_on_a_sole_leader_above_the_threshold() {
        let c = Choices::parse(["Red", "Green", "Blue", "Abstain"]).unwrap();
        let t = Tally::from_totals(vec![wei(40), wei(35), wei(25), wei(500)]);
        assert_eq!(t.leader(&c).map(Choice::number), Some(1));
        assert_eq!(t.outcome(&c, wei(0), bps(3999)), Outcome::Passed);
        assert_eq!(t.outcome(&c, wei(0), bps(4000)), Outcome::Rejected);
        let tie = Tally::from_totals(vec![wei(40), wei(40), wei(20), wei(0)]);
        assert_eq!(tie.leader(&c), None);
        assert_eq!(tie.outcome(&c, wei(0), bps(0)), Outcome::Rejected);
    }

    #[test]
    fn the_largest_amounts_do_not_overflow_the_decision() {
        let c = Choices::for_against_abstain();
        let max = Amount::from_wei(U256::MAX);
        let t = Tally::from_totals(vec![max, max, max]);
        assert_eq!(t.outcome(&c, max, bps(4999)), Outcome::Passed);
        assert_eq!(t.outcome(&c, max, bps(5000)), Outcome::Rejected);
    }

    #[test]
    fn the_report_shows_shares_quorum_and_the_outcome_so_far() {
        let c = Choices::for_against_abstain();
        let t = Tally::from_parts(vec![wei(600), wei(300), wei(100)], 3);
        let r = t.report(&c, wei(1000), bps(5000));
        assert_eq!(r.choices.iter().map(|c| c.share_bps).collect::<Vec<_>>(), vec![6000, 3000, 1000]);
        assert_eq!(r.choices[1].label, "Against");
        assert_eq!(r.participation, wei(1000));
        assert!(r.quorum_met);
        assert_eq!(r.outcome, Outcome::Passed);
        assert_eq!(r.leader, Some(1));
        let empty = Tally::empty(3).report(&c, wei(1), bps(5000));
        assert_eq!(empty.choices[0].share_bps, 0);
        assert!(!empty.quorum_met);
        assert_eq!(empty.outcome, Outcome::QuorumNotMet);
    }

    #[test]
    fn add_and_remove_keep_totals_and_voters() {
        let mut t = Tally::empty(3);
        t.add(0, wei(10)).unwrap();
        t.add(1, wei(5)).unwrap();
        t.remove(0, wei(10)).unwrap();
        t.add(1, wei(10)).unwrap();
        assert_eq!(t.totals(), &[wei(0), wei(15), wei(0)]);
        assert_eq!(t.voters(), 2);
        assert_eq!(t.add(3, wei(1)), Err(TallyError::NoSuchChoice { choice: 4, count: 3 }));
        assert_eq!(t.remove(0, wei(1)), Err(TallyError::Underflow(1)));
        let mut full = Tally::from_totals(vec![Amount::from_wei(U256::MAX), wei(0)]);
        assert_eq!(full.add(0, wei(1)), Err(TallyError::Overflow(1)));
    }
}
