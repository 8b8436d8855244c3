//! Counting votes exactly: totals per choice in wei, quorum and threshold
//! decided with integer arithmetic.

use alloy_primitives::{U256, U512};

use super::{Amount, Bps, Choice, Choices, Outcome, Selection, VotingMethod};

/// Counts per choice (0-based, in the proposal's order, in the method's
/// units: wei, or √wei for quadratic), the power of everyone who voted (each
/// voter once, whatever they chose: what quorum measures) and the number of
/// voters.
#[derive(Clone, PartialEq, Eq, Debug, Default, serde::Serialize)]
pub struct Tally {
    totals: Vec<Amount>,
    power: Amount,
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
    /// The participating power would exceed 2^256 − 1 wei.
    #[error("the participating power overflowed 256 bits")]
    ParticipationOverflow,
    /// Removing a voter who was never counted.
    #[error("the participating power or voter count would go below zero")]
    ParticipationUnderflow,
}

impl Tally {
    /// An empty tally for `choices` choices.
    pub fn empty(choices: usize) -> Self {
        Self { totals: vec![Amount::ZERO; choices], power: Amount::ZERO, voters: 0 }
    }

    /// A single-choice tally from its totals (participating power is their
    /// sum; voters unknown: zero). For tests and examples.
    pub fn from_totals(totals: Vec<Amount>) -> Self {
        let power = totals.iter().fold(Amount::ZERO, |s, a| s.checked_add(*a).unwrap_or(Amount::from_wei(U256::MAX)));
        Self { totals, power, voters: 0 }
    }

    /// A tally from its parts, as the store keeps them.
    pub fn from_parts(totals: Vec<Amount>, power: Amount, voters: u64) -> Self {
        Self { totals, power, voters }
    }

    /// Counts one voter's vote of `power` with `selection` under `method`.
    pub fn add_vote(&mut self, method: VotingMethod, selection: &Selection, power: Amount) -> Result<(), TallyError> {
        for (choice, count) in selection.contributions(method, power) {
            let i = choice.index();
            let n = self.totals.len();
            let slot = self.totals.get_mut(i).ok_or(TallyError::NoSuchChoice { choice: i + 1, count: n })?;
            *slot = slot.checked_add(count).ok_or(TallyError::Overflow(i + 1))?;
        }
        self.power = self.power.checked_add(power).ok_or(TallyError::ParticipationOverflow)?;
        self.voters += 1;
        Ok(())
    }

    /// Takes back a vote counted earlier with [`Tally::add_vote`] (when a
    /// voter changes it): the same rule, subtracted, so it is exact.
    pub fn remove_vote(
        &mut self,
        method: VotingMethod,
        selection: &Selection,
        power: Amount,
    ) -> Result<(), TallyError> {
        for (choice, count) in selection.contributions(method, power) {
            let i = choice.index();
            let n = self.totals.len();
            let slot = self.totals.get_mut(i).ok_or(TallyError::NoSuchChoice { choice: i + 1, count: n })?;
            *slot = slot.checked_sub(count).ok_or(TallyError::Underflow(i + 1))?;
        }
        self.power = self.power.checked_sub(power).ok_or(TallyError::ParticipationUnderflow)?;
        self.voters = self.voters.checked_sub(1).ok_or(TallyError::ParticipationUnderflow)?;
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

    /// All power that took part, each voter once, abstain included (what
    /// quorum measures).
    pub const fn participation(&self) -> Amount {
        self.power
    }

    /// What the winner's share is measured against: for approval, the power
    /// of everyone who voted; otherwise the counts of every choice but abstain.
    pub fn decisive(&self, choices: &Choices, method: VotingMethod) -> U512 {
        if method == VotingMethod::Approval {
            return U512::from(self.power.wei());
        }
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
    /// - quorum is met when participation (the power of everyone who voted,
    ///   abstainers included, each once) is **at least** `quorum`;
    /// - a yes/no proposal (For, Against[, Abstain]) passes when
    ///   `For × 10 000 > threshold_bps × decisive`: **strictly more** than
    ///   the threshold, so a 50 % threshold is a strict majority and a tie
    ///   fails;
    /// - any other proposal passes when one non-abstain choice leads alone
    ///   and its count × 10 000 is strictly more than
    ///   `threshold_bps × decisive`;
    /// - decisive is the sum of the non-abstain counts (single-choice,
    ///   weighted, quadratic) or, for approval, the participating power.
    ///
    /// All products are taken in 512 bits, so no sum of 256-bit amounts can
    /// overflow.
    pub fn outcome(&self, choices: &Choices, method: VotingMethod, quorum: Amount, threshold: Bps) -> Outcome {
        if self.participation() < quorum {
            return Outcome::QuorumNotMet;
        }
        let deciding = if choices.is_yes_no() { choices.at(0) } else { self.leader(choices) };
        let Some(choice) = deciding else { return Outcome::Rejected };
        let share = U512::from(self.total(choice).wei()) * U512::from(Bps::MAX);
        let bar = U512::from(threshold.get()) * self.decisive(choices, method);
        if share > bar && !self.total(choice).is_zero() { Outcome::Passed } else { Outcome::Rejected }
    }
}

/// Who took part in a proposal and with how much power: the part of its
/// live tally a list of proposals shows, so a page of them is read without
/// each one's per-choice counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Turnout {
    /// Voters with a current vote.
    pub voters: u64,
    /// All power that took part (each voter once, abstain included), in wei.
    pub participation: Amount,
}

/// A tally as front-ends show it: one row per choice with its share, the
/// quorum's progress and the outcome the votes so far would give.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TallyReport {
    /// One row per choice, in the proposal's order.
    pub choices: Vec<ChoiceRow>,
    /// Voters with a current vote.
    pub voters: u64,
    /// All power that took part (each voter once, abstain included), in wei.
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
    /// Its share of all counts (of participation, for approval) in basis
    /// points, rounded down (display only).
    pub share_bps: u16,
}

impl Tally {
    /// The report of this tally for a proposal with these rules.
    pub fn report(&self, choices: &Choices, method: VotingMethod, quorum: Amount, threshold: Bps) -> TallyReport {
        let whole = if method == VotingMethod::Approval {
            U512::from(self.power.wei())
        } else {
            self.totals.iter().fold(U512::ZERO, |s, a| s + U512::from(a.wei()))
        };
        let share = |a: Amount| -> u16 {
            if whole.is_zero() {
                return 0;
            }
            let bps = U512::from(a.wei()) * U512::from(Bps::MAX) / whole;
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
            participation: self.power,
            quorum,
            quorum_met: self.power >= quorum,
            threshold,
            outcome: self.outcome(choices, method, quorum, threshold),
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
        assert_eq!(yes_no(60, 0, 40).outcome(&c, VotingMethod::SingleChoice, wei(100), bps(5000)), Outcome::Passed);
        assert_eq!(
            yes_no(60, 0, 39).outcome(&c, VotingMethod::SingleChoice, wei(100), bps(5000)),
            Outcome::QuorumNotMet
        );
    }

    #[test]
    fn exactly_at_the_threshold_fails_one_wei_more_passes() {
        let c = Choices::for_against_abstain();
        // 50 % threshold: 50/50 is a tie → rejected; 51/49 passes.
        assert_eq!(yes_no(50, 50, 0).outcome(&c, VotingMethod::SingleChoice, wei(0), bps(5000)), Outcome::Rejected);
        assert_eq!(yes_no(51, 49, 0).outcome(&c, VotingMethod::SingleChoice, wei(0), bps(5000)), Outcome::Passed);
        // 66.67 %: 6667 of 10 000 sits exactly on it → rejected; 6668 passes.
        assert_eq!(yes_no(6667, 3333, 0).outcome(&c, VotingMethod::SingleChoice, wei(0), bps(6667)), Outcome::Rejected);
        assert_eq!(yes_no(6668, 3332, 0).outcome(&c, VotingMethod::SingleChoice, wei(0), bps(6667)), Outcome::Passed);
    }

    #[test]
    fn abstain_counts_for_quorum_but_not_for_the_threshold() {
        let c = Choices::for_against_abstain();
        // For 3 vs Against 2 passes 50 % even with a huge abstain.
        assert_eq!(yes_no(3, 2, 1_000).outcome(&c, VotingMethod::SingleChoice, wei(1_005), bps(5000)), Outcome::Passed);
    }

    #[test]
    fn everyone_abstaining_is_rejected() {
        let c = Choices::for_against_abstain();
        assert_eq!(yes_no(0, 0, 10).outcome(&c, VotingMethod::SingleChoice, wei(10), bps(0)), Outcome::Rejected);
    }

    #[test]
    fn a_zero_threshold_still_needs_some_for_power() {
        let c = Choices::for_against_abstain();
        assert_eq!(yes_no(0, 5, 0).outcome(&c, VotingMethod::SingleChoice, wei(0), bps(0)), Outcome::Rejected);
        assert_eq!(yes_no(1, 5, 0).outcome(&c, VotingMethod::SingleChoice, wei(0), bps(0)), Outcome::Passed);
    }

    #[test]
    fn custom_choices_pass_on_a_sole_leader_above_the_threshold() {
        let c = Choices::parse(["Red", "Green", "Blue", "Abstain"]).unwrap();
        let t = Tally::from_totals(vec![wei(40), wei(35), wei(25), wei(500)]);
        assert_eq!(t.leader(&c).map(Choice::number), Some(1));
        assert_eq!(t.outcome(&c, VotingMethod::SingleChoice, wei(0), bps(3999)), Outcome::Passed);
        assert_eq!(t.outcome(&c, VotingMethod::SingleChoice, wei(0), bps(4000)), Outcome::Rejected);
        let tie = Tally::from_totals(vec![wei(40), wei(40), wei(20), wei(0)]);
        assert_eq!(tie.leader(&c), None);
        assert_eq!(tie.outcome(&c, VotingMethod::SingleChoice, wei(0), bps(0)), Outcome::Rejected);
    }

    #[test]
    fn the_largest_amounts_do_not_overflow_the_decision() {
        let c = Choices::for_against_abstain();
        let max = Amount::from_wei(U256::MAX);
        let t = Tally::from_totals(vec![max, max, max]);
        assert_eq!(t.outcome(&c, VotingMethod::SingleChoice, max, bps(4999)), Outcome::Passed);
        assert_eq!(t.outcome(&c, VotingMethod::SingleChoice, max, bps(5000)), Outcome::Rejected);
    }

    #[test]
    fn the_report_shows_shares_quorum_and_the_outcome_so_far() {
        let c = Choices::for_against_abstain();
        let t = Tally::from_parts(vec![wei(600), wei(300), wei(100)], wei(1000), 3);
        let r = t.report(&c, VotingMethod::SingleChoice, wei(1000), bps(5000));
        assert_eq!(r.choices.iter().map(|c| c.share_bps).collect::<Vec<_>>(), vec![6000, 3000, 1000]);
        assert_eq!(r.choices[1].label, "Against");
        assert_eq!(r.participation, wei(1000));
        assert!(r.quorum_met);
        assert_eq!(r.outcome, Outcome::Passed);
        assert_eq!(r.leader, Some(1));
        let empty = Tally::empty(3).report(&c, VotingMethod::SingleChoice, wei(1), bps(5000));
        assert_eq!(empty.choices[0].share_bps, 0);
        assert!(!empty.quorum_met);
        assert_eq!(empty.outcome, Outcome::QuorumNotMet);
    }

    fn sel(input: &str, c: &Choices, m: VotingMethod) -> Selection {
        Selection::parse(input, c, m).unwrap()
    }

    #[test]
    fn adding_and_removing_votes_keeps_counts_power_and_voters_exact() {
        let c = Choices::for_against_abstain();
        let m = VotingMethod::SingleChoice;
        let mut t = Tally::empty(3);
        t.add_vote(m, &sel("1", &c, m), wei(10)).unwrap();
        t.add_vote(m, &sel("2", &c, m), wei(5)).unwrap();
        t.remove_vote(m, &sel("1", &c, m), wei(10)).unwrap();
        t.add_vote(m, &sel("2", &c, m), wei(10)).unwrap();
        assert_eq!(t.totals(), &[wei(0), wei(15), wei(0)]);
        assert_eq!((t.participation(), t.voters()), (wei(15), 2));
        assert_eq!(t.remove_vote(m, &sel("1", &c, m), wei(1)), Err(TallyError::Underflow(1)));
        let mut full = Tally::from_totals(vec![Amount::from_wei(U256::MAX), wei(0), wei(0)]);
        assert_eq!(full.add_vote(m, &sel("1", &c, m), wei(1)), Err(TallyError::Overflow(1)));
    }

    #[test]
    fn approval_counts_each_voter_once_for_quorum_and_measures_against_participation() {
        let c = Choices::parse(["A", "B", "C"]).unwrap();
        let m = VotingMethod::Approval;
        let mut t = Tally::empty(3);
        t.add_vote(m, &sel("1,2", &c, m), wei(60)).unwrap();
        t.add_vote(m, &sel("2", &c, m), wei(40)).unwrap();
        assert_eq!(t.totals(), &[wei(60), wei(100), wei(0)]);
        assert_eq!(t.participation(), wei(100), "each voter once, not once per approval");
        assert_eq!(t.outcome(&c, m, wei(100), bps(5000)), Outcome::Passed); // B: 100 of 100
        assert_eq!(t.outcome(&c, m, wei(101), bps(5000)), Outcome::QuorumNotMet);
        let r = t.report(&c, m, wei(0), bps(9999));
        assert_eq!(r.choices.iter().map(|x| x.share_bps).collect::<Vec<_>>(), vec![6000, 10_000, 0]);
        // B has 100 % of participation: strictly above 99.99 %, not above 100 %.
        assert_eq!(t.outcome(&c, m, wei(0), bps(9999)), Outcome::Passed);
        assert_eq!(t.outcome(&c, m, wei(0), bps(10_000)), Outcome::Rejected);
    }

    #[test]
    fn weighted_and_quadratic_tallies_on_hand_computed_examples() {
        let c = Choices::parse(["A", "B", "Abstain"]).unwrap();
        // Voter 1: 10 000 wei, 64 % A, 36 % B. Voter 2: 2 500 wei, 100 % B.
        let w = VotingMethod::Weighted;
        let mut t = Tally::empty(3);
        t.add_vote(w, &sel("1=64 2=36", &c, w), wei(10_000)).unwrap();
        t.add_vote(w, &sel("2=100", &c, w), wei(2_500)).unwrap();
        assert_eq!(t.totals(), &[wei(6_400), wei(6_100), wei(0)]);
        assert_eq!(t.outcome(&c, w, wei(0), bps(5000)), Outcome::Passed); // 6400 / 12 500 = 51.2 %
        let q = VotingMethod::Quadratic;
        let mut t = Tally::empty(3);
        t.add_vote(q, &sel("1=64 2=36", &c, q), wei(10_000)).unwrap();
        t.add_vote(q, &sel("2=100", &c, q), wei(2_500)).unwrap();
        // √6400 = 80; √3600 + √2500 = 60 + 50 = 110: quadratic turns the result.
        assert_eq!(t.totals(), &[wei(80), wei(110), wei(0)]);
        assert_eq!(t.participation(), wei(12_500));
        assert_eq!(t.leader(&c).map(Choice::number), Some(2));
        assert_eq!(t.outcome(&c, q, wei(12_500), bps(5000)), Outcome::Passed); // 110 / 190
        assert_eq!(t.outcome(&c, q, wei(12_501), bps(5000)), Outcome::QuorumNotMet);
    }
}
