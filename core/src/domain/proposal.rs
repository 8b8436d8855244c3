//! Proposals: what is asked, how it is voted, and the lifecycle.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::text::{Body, ChoiceLabel, TextError, Title};
use super::{Address, Amount, Bps, Quoted, Tally, VotingMethod};

/// A proposal's number: positive, assigned by the store.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ProposalId(i64);

/// Why a string is not a proposal id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{} is not a proposal id: use its number, like 12 or #12", Quoted(.0))]
pub struct ProposalIdError(pub String);

impl ProposalId {
    /// Parses `12` or `#12`.
    pub fn parse(s: &str) -> Result<Self, ProposalIdError> {
        let t = s.trim();
        let digits = t.strip_prefix('#').unwrap_or(t);
        match digits.parse::<i64>() {
            Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(Self(n)),
            _ => Err(ProposalIdError(t.to_owned())),
        }
    }

    /// The id the store handed out. Only the store calls this.
    pub(crate) const fn from_store(n: i64) -> Self {
        Self(n)
    }

    /// The number.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl FromStr for ProposalId {
    type Err = ProposalIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ProposalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl fmt::Debug for ProposalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProposalId({})", self.0)
    }
}

/// The choices of a proposal: 2 to 20 distinct labels.
///
/// A choice labelled "Abstain" counts towards quorum but not towards the
/// pass threshold.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(transparent)]
pub struct Choices(Vec<ChoiceLabel>);

/// Why a list of choices is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChoicesError {
    /// Fewer than 2 or more than 20.
    #[error("a proposal needs 2 to 20 choices; {0} were given")]
    Count(usize),
    /// One label is empty or too long.
    #[error(transparent)]
    Label(#[from] TextError),
    /// Two labels are the same (ignoring case).
    #[error("the choice {} appears twice", Quoted(.0))]
    Duplicate(String),
    /// A label that is only a number: a voter typing it could mean that
    /// label or the choice at that position.
    #[error(
        "the choice `{0}` is only a number, which voters could not tell from a choice's number: give it words, like `Option {0}`"
    )]
    Numeric(String),
}

/// True for a label that is a number: decimal digits of any script (`2`,
/// `٣`, `３`), perhaps after a `+`. Voters pick choices by number, so such
/// a label would be read as a position (`2` is always the second choice,
/// whatever its label); in another script it reads as one to a human.
fn is_number(label: &str) -> bool {
    let digits = label.strip_prefix('+').unwrap_or(label);
    !digits.is_empty() && digits.chars().all(super::text::is_digit)
}

impl Choices {
    /// The fewest choices a proposal may have.
    pub const MIN: usize = 2;
    /// The most choices a proposal may have.
    pub const MAX: usize = 20;

    /// For / Against / Abstain.
    pub fn for_against_abstain() -> Self {
        Self::parse(["For", "Against", "Abstain"]).expect("the standard choices are valid")
    }

    /// Cleans and checks each label: 2 to 20 of them, none empty after
    /// cleaning, none a number, no two the same.
    pub fn parse<I, S>(labels: I) -> Result<Self, ChoicesError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let labels = labels.into_iter().map(|l| ChoiceLabel::parse(l.as_ref())).collect::<Result<Vec<_>, _>>()?;
        if !(Self::MIN..=Self::MAX).contains(&labels.len()) {
            return Err(ChoicesError::Count(labels.len()));
        }
        if let Some(n) = labels.iter().find(|l| is_number(l.as_str())) {
            return Err(ChoicesError::Numeric(n.to_string()));
        }
        for (i, a) in labels.iter().enumerate() {
            if labels[..i].iter().any(|b| b.as_str().eq_ignore_ascii_case(a.as_str())) {
                return Err(ChoicesError::Duplicate(a.to_string()));
            }
        }
        Ok(Self(labels))
    }

    /// Reads stored labels back. A proposal stored by an earlier version
    /// stays readable: a numeric label is kept (a number typed by a voter
    /// still means a position), and labels are not compared again (format
    /// characters now stripped may make two of them look alike; each keeps
    /// its number).
    pub(crate) fn from_stored<I, S>(labels: I) -> Result<Self, ChoicesError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let labels = labels.into_iter().map(|l| ChoiceLabel::from_stored(l.as_ref())).collect::<Result<Vec<_>, _>>()?;
        if !(Self::MIN..=Self::MAX).contains(&labels.len()) {
            return Err(ChoicesError::Count(labels.len()));
        }
        Ok(Self(labels))
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never true (there are at least two); here for clippy's sake.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The labels in order.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(ChoiceLabel::as_str)
    }

    /// The label of `choice`.
    pub fn label(&self, choice: Choice) -> &str {
        self.0[choice.index()].as_str()
    }

    /// The abstain choice, if there is one.
    pub fn abstain(&self) -> Option<Choice> {
        self.0.iter().position(|l| l.as_str().eq_ignore_ascii_case("abstain")).map(Choice)
    }

    /// True when the first two choices are For and Against (or Yes and No):
    /// then the proposal passes on the first choice alone.
    pub fn is_yes_no(&self) -> bool {
        let is = |i: usize, names: &[&str]| {
            self.0.get(i).is_some_and(|l| names.iter().any(|n| l.as_str().eq_ignore_ascii_case(n)))
        };
        is(0, &["for", "yes"]) && is(1, &["against", "no"]) && self.0.len() <= 2 + usize::from(self.abstain().is_some())
    }

    /// Parses a voter's choice: its number (1-based) or its label.
    pub fn choice(&self, input: &str) -> Result<Choice, ChoiceError> {
        let t = input.trim();
        if let Ok(n) = t.parse::<usize>() {
            return if (1..=self.len()).contains(&n) {
                Ok(Choice(n - 1))
            } else {
                Err(ChoiceError::OutOfRange { given: t.to_owned(), count: self.len() })
            };
        }
        self.0.iter().position(|l| l.as_str().eq_ignore_ascii_case(t)).map(Choice).ok_or_else(|| ChoiceError::Unknown {
            given: t.to_owned(),
            options: self.labels().collect::<Vec<_>>().join(", "),
        })
    }

    /// The choice at a 0-based index read from the store.
    pub(crate) fn at(&self, index: usize) -> Option<Choice> {
        (index < self.len()).then_some(Choice(index))
    }
}

/// One of a proposal's choices (0-based inside, shown 1-based).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize)]
#[serde(transparent)]
pub struct Choice(usize);

impl Choice {
    /// 0-based position.
    pub const fn index(self) -> usize {
        self.0
    }

    /// 1-based number, as voters see it.
    pub const fn number(self) -> usize {
        self.0 + 1
    }
}

/// Why a voter's choice was not understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChoiceError {
    /// A number outside 1 ..= count.
    #[error("choice {} does not exist: pick a number from 1 to {count}", Quoted(given))]
    OutOfRange {
        /// What was given.
        given: String,
        /// How many choices there are.
        count: usize,
    },
    /// A label that is not one of the choices.
    #[error("{} is not a choice: pick one of {options}", Quoted(given))]
    Unknown {
        /// What was given.
        given: String,
        /// The labels, comma-separated.
        options: String,
    },
}

/// When votes are accepted: from `start` (inclusive) to `end` (exclusive).
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
pub struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// Why a window is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the voting window must end after it starts (start {start}, end {end})")]
pub struct WindowError {
    /// The start given.
    pub start: DateTime<Utc>,
    /// The end given.
    pub end: DateTime<Utc>,
}

impl Window {
    /// A window that ends strictly after it starts.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, WindowError> {
        if end > start { Ok(Self { start, end }) } else { Err(WindowError { start, end }) }
    }

    /// First instant a vote counts.
    pub const fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// First instant a vote no longer counts.
    pub const fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// Where `now` falls.
    pub fn position(&self, now: DateTime<Utc>) -> WindowPosition {
        if now < self.start {
            WindowPosition::Before
        } else if now < self.end {
            WindowPosition::Open
        } else {
            WindowPosition::After
        }
    }
}

/// Where an instant falls relative to a window.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WindowPosition {
    /// Not yet open.
    Before,
    /// Votes count.
    Open,
    /// Closed.
    After,
}

/// How a closed proposal ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Quorum met and the threshold exceeded.
    Passed,
    /// Quorum met, threshold not exceeded.
    Rejected,
    /// Too little power took part.
    QuorumNotMet,
}

/// Where a proposal is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "outcome")]
pub enum ProposalState {
    /// Created; voting has not started.
    Pending,
    /// Voting is open; the snapshot block is fixed.
    Active,
    /// Voting is over.
    Closed(Outcome),
    /// Passed and carried out.
    Executed,
    /// Withdrawn before it closed.
    Cancelled,
}

impl ProposalState {
    /// The stored name: `pending`, `active`, `passed`, `rejected`,
    /// `quorum-not-met`, `executed`, `cancelled`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Closed(Outcome::Passed) => "passed",
            Self::Closed(Outcome::Rejected) => "rejected",
            Self::Closed(Outcome::QuorumNotMet) => "quorum-not-met",
            Self::Executed => "executed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name (also used for filters).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "active" => Self::Active,
            "passed" => Self::Closed(Outcome::Passed),
            "rejected" => Self::Closed(Outcome::Rejected),
            "quorum-not-met" => Self::Closed(Outcome::QuorumNotMet),
            "executed" => Self::Executed,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }
}

impl fmt::Display for ProposalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lifecycle step that the proposal's state does not allow.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TransitionError {
    /// The step is not allowed from this state at all.
    #[error("proposal {id} is {from}; it cannot be {action}")]
    Illegal {
        /// Which proposal.
        id: ProposalId,
        /// Its state.
        from: ProposalState,
        /// The step, as a past participle ("activated").
        action: &'static str,
    },
    /// Activation before the window opens.
    #[error("proposal {id} opens for voting at {opens}; it cannot be activated before")]
    TooEarly {
        /// Which proposal.
        id: ProposalId,
        /// When it opens.
        opens: DateTime<Utc>,
    },
    /// Closing before the window ends.
    #[error("proposal {id} is open for voting until {closes}; it cannot be closed before")]
    StillOpen {
        /// Which proposal.
        id: ProposalId,
        /// When it closes.
        closes: DateTime<Utc>,
    },
}

/// What an author submits; every field already valid.
#[derive(Clone, Debug)]
pub struct NewProposal {
    /// One line.
    pub title: Title,
    /// Markdown source.
    pub body: Body,
    /// Who proposes.
    pub author: Address,
    /// What voters pick from.
    pub choices: Choices,
    /// How votes count.
    pub method: VotingMethod,
    /// When votes count.
    pub window: Window,
    /// Least total power (all choices, abstain included) for a valid result.
    pub quorum: Amount,
    /// Share of non-abstain power the winning choice must exceed.
    pub threshold: Bps,
}

/// A proposal as stored.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Proposal {
    /// Its number.
    pub id: ProposalId,
    /// One line.
    pub title: Title,
    /// Markdown source.
    pub body: Body,
    /// Who proposed.
    pub author: Address,
    /// What voters pick from.
    pub choices: Choices,
    /// How votes count.
    pub method: VotingMethod,
    /// When votes count.
    pub window: Window,
    /// The block voting power is read at; fixed on activation.
    pub snapshot_block: Option<u64>,
    /// Least total power for a valid result.
    pub quorum: Amount,
    /// Share of non-abstain power the winner must exceed.
    pub threshold: Bps,
    /// Where it is in its life.
    pub state: ProposalState,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl Proposal {
    /// How `tally` reads under this proposal's choices, quorum and threshold.
    pub fn report(&self, tally: &Tally) -> super::TallyReport {
        tally.report(&self.choices, self.method, self.quorum, self.threshold)
    }

    fn illegal(&self, action: &'static str) -> TransitionError {
        TransitionError::Illegal { id: self.id, from: self.state, action }
    }

    /// Pending → Active, fixing the snapshot block. Only once the window opened.
    pub fn activate(&mut self, snapshot_block: u64, now: DateTime<Utc>) -> Result<(), TransitionError> {
        if self.state != ProposalState::Pending {
            return Err(self.illegal("activated"));
        }
        if self.window.position(now) == WindowPosition::Before {
            return Err(TransitionError::TooEarly { id: self.id, opens: self.window.start });
        }
        self.snapshot_block = Some(snapshot_block);
        self.state = ProposalState::Active;
        Ok(())
    }

    /// Active → Closed(outcome of `tally`). Only once the window ended.
    pub fn close(&mut self, tally: &Tally, now: DateTime<Utc>) -> Result<Outcome, TransitionError> {
        if self.state != ProposalState::Active {
            return Err(self.illegal("closed"));
        }
        if self.window.position(now) != WindowPosition::After {
            return Err(TransitionError::StillOpen { id: self.id, closes: self.window.end });
        }
        let outcome = tally.outcome(&self.choices, self.method, self.quorum, self.threshold);
        self.state = ProposalState::Closed(outcome);
        Ok(outcome)
    }

    /// Passed → Executed.
    pub fn mark_executed(&mut self) -> Result<(), TransitionError> {
        if self.state != ProposalState::Closed(Outcome::Passed) {
            return Err(self.illegal("executed"));
        }
        self.state = ProposalState::Executed;
        Ok(())
    }

    /// Pending or Active → Cancelled.
    pub fn cancel(&mut self) -> Result<(), TransitionError> {
        if !matches!(self.state, ProposalState::Pending | ProposalState::Active) {
            return Err(self.illegal("cancelled"));
        }
        self.state = ProposalState::Cancelled;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).single().expect("valid time")
    }

    fn proposal(state: ProposalState) -> Proposal {
        Proposal {
            id: ProposalId(1),
            title: Title::parse("t").unwrap(),
            body: Body::parse("b").unwrap(),
            author: Address::from([1u8; 20]),
            choices: Choices::for_against_abstain(),
            method: super::VotingMethod::SingleChoice,
            window: Window::new(at(100), at(200)).unwrap(),
            snapshot_block: None,
            quorum: Amount::from_iotx(10),
            threshold: Bps::new(5000).unwrap(),
            state,
            created_at: at(0),
        }
    }

    fn tally(for_: u64, against: u64, abstain: u64) -> Tally {
        Tally::from_totals(vec![Amount::from_iotx(for_), Amount::from_iotx(against), Amount::from_iotx(abstain)])
    }

    const ALL: [ProposalState; 7] = [
        ProposalState::Pending,
        ProposalState::Active,
        ProposalState::Closed(Outcome::Passed),
        ProposalState::Closed(Outcome::Rejected),
        ProposalState::Closed(Outcome::QuorumNotMet),
        ProposalState::Executed,
        ProposalState::Cancelled,
    ];

    #[test]
    fn pending_activates_once_the_window_opens_and_fixes_the_snapshot() {
        let mut p = proposal(ProposalState::Pending);
        assert_eq!(p.activate(7, at(99)), Err(TransitionError::TooEarly { id: p.id, opens: at(100) }));
        assert_eq!(p.state, ProposalState::Pending);
        p.activate(7, at(100)).unwrap();
        assert_eq!(p.state, ProposalState::Active);
        assert_eq!(p.snapshot_block, Some(7));
    }

    #[test]
    fn only_pending_can_be_activated() {
        for s in ALL.into_iter().filter(|s| *s != ProposalState::Pending) {
            let mut p = proposal(s);
            assert_eq!(
                p.activate(1, at(150)),
                Err(TransitionError::Illegal { id: p.id, from: s, action: "activated" })
            );
            assert_eq!(p.state, s, "a refused step changes nothing");
        }
    }

    #[test]
    fn active_closes_only_after_the_window_with_the_tallied_outcome() {
        let mut p = proposal(ProposalState::Active);
        assert_eq!(p.close(&tally(20, 0, 0), at(199)), Err(TransitionError::StillOpen { id: p.id, closes: at(200) }));
        assert_eq!(p.close(&tally(20, 0, 0), at(200)), Ok(Outcome::Passed));
        assert_eq!(p.state, ProposalState::Closed(Outcome::Passed));

        let mut p = proposal(ProposalState::Active);
        assert_eq!(p.close(&tally(5, 6, 0), at(300)), Ok(Outcome::Rejected));
        let mut p = proposal(ProposalState::Active);
        assert_eq!(p.close(&tally(5, 0, 0), at(300)), Ok(Outcome::QuorumNotMet));
    }

    #[test]
    fn only_active_can_be_closed() {
        for s in ALL.into_iter().filter(|s| *s != ProposalState::Active) {
            let mut p = proposal(s);
            assert_eq!(
                p.close(&tally(20, 0, 0), at(300)),
                Err(TransitionError::Illegal { id: p.id, from: s, action: "closed" })
            );
            assert_eq!(p.state, s);
        }
    }

    #[test]
    fn only_passed_can_be_executed() {
        for s in ALL {
            let mut p = proposal(s);
            let r = p.mark_executed();
            if s == ProposalState::Closed(Outcome::Passed) {
                assert_eq!(r, Ok(()));
                assert_eq!(p.state, ProposalState::Executed);
            } else {
                assert_eq!(r, Err(TransitionError::Illegal { id: p.id, from: s, action: "executed" }));
                assert_eq!(p.state, s);
            }
        }
    }

    #[test]
    fn only_pending_or_active_can_be_cancelled() {
        for s in ALL {
            let mut p = proposal(s);
            let r = p.cancel();
            if matches!(s, ProposalState::Pending | ProposalState::Active) {
                assert_eq!(r, Ok(()));
                assert_eq!(p.state, ProposalState::Cancelled);
            } else {
                assert_eq!(r, Err(TransitionError::Illegal { id: p.id, from: s, action: "cancelled" }));
                assert_eq!(p.state, s);
            }
        }
    }

    #[test]
    fn state_names_round_trip() {
        for s in ALL {
            assert_eq!(ProposalState::parse(s.as_str()), Some(s));
        }
        assert_eq!(ProposalState::parse("open"), None);
    }

    #[test]
    fn proposal_ids_parse_with_or_without_hash() {
        assert_eq!(ProposalId::parse("12").unwrap().get(), 12);
        assert_eq!(ProposalId::parse(" #12 ").unwrap().get(), 12);
        for bad in ["0", "-1", "+3", "abc", "", "#", "1.0", "99999999999999999999"] {
            assert!(ProposalId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn choices_are_parsed_by_number_or_label() {
        let c = Choices::for_against_abstain();
        assert_eq!(c.choice("1").unwrap().index(), 0);
        assert_eq!(c.choice("against").unwrap().index(), 1);
        assert_eq!(c.choice(" ABSTAIN ").unwrap().index(), 2);
        assert_eq!(c.choice("4"), Err(ChoiceError::OutOfRange { given: "4".into(), count: 3 }));
        assert_eq!(c.choice("0"), Err(ChoiceError::OutOfRange { given: "0".into(), count: 3 }));
        assert_eq!(
            c.choice("maybe").unwrap_err().to_string(),
            "`maybe` is not a choice: pick one of For, Against, Abstain"
        );
    }

    #[test]
    fn choice_lists_are_bounded_and_distinct() {
        assert_eq!(Choices::parse(["only"]), Err(ChoicesError::Count(1)));
        let many: Vec<String> = (0..21).map(|i| format!("c{i}")).collect();
        assert_eq!(Choices::parse(&many), Err(ChoicesError::Count(21)));
        assert!(Choices::parse(&many[..20]).is_ok());
        assert_eq!(Choices::parse(["Yes", "yes"]), Err(ChoicesError::Duplicate("yes".into())));
        assert!(matches!(Choices::parse(["a", " "]), Err(ChoicesError::Label(_))));
    }

    #[test]
    fn a_label_that_is_only_a_number_is_refused_and_says_why() {
        for numeric in ["2", " 3 ", "+4", "007", "\u{663}", "\u{ff13}", "1\u{200b}2"] {
            let err = Choices::parse(["Yes", numeric]).unwrap_err();
            assert!(matches!(&err, ChoicesError::Numeric(_)), "{numeric:?}: {err}");
        }
        assert_eq!(
            Choices::parse(["Yes", "2"]).unwrap_err().to_string(),
            "the choice `2` is only a number, which voters could not tell from a choice's number: give it words, like `Option 2`"
        );
        // Numbers with words, or that are not positions, are labels.
        let c = Choices::parse(["Option 2", "2nd", "1.5", "-1", "#3"]).unwrap();
        assert_eq!(c.choice("2").unwrap().index(), 1, "a number is always a position");
        assert_eq!(c.choice("option 2").unwrap().index(), 0);
    }

    #[test]
    fn format_characters_in_labels_are_stripped_before_labels_are_compared() {
        assert_eq!(Choices::parse(["For", "F\u{200b}or"]), Err(ChoicesError::Duplicate("For".into())));
        let c = Choices::parse(["\u{202e}Yes", "No\u{2069}"]).unwrap();
        assert_eq!(c.labels().collect::<Vec<_>>(), ["Yes", "No"]);
        assert!(matches!(
            Choices::parse(["Yes", "\u{200b}\u{200d}"]),
            Err(ChoicesError::Label(TextError::Empty { .. }))
        ));
    }

    #[test]
    fn stored_numeric_labels_stay_readable() {
        let c = Choices::from_stored(["1", "2"]).unwrap();
        assert_eq!(c.labels().collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(c.choice("2").unwrap().index(), 1);
    }

    #[test]
    fn yes_no_detection() {
        assert!(Choices::for_against_abstain().is_yes_no());
        assert!(Choices::parse(["Yes", "No"]).unwrap().is_yes_no());
        assert!(!Choices::parse(["Against", "For"]).unwrap().is_yes_no());
        assert!(!Choices::parse(["For", "Against", "Maybe"]).unwrap().is_yes_no());
    }

    #[test]
    fn percentages_parse_to_basis_points() {
        assert_eq!(Bps::parse_percent("50").unwrap().get(), 5000);
        assert_eq!(Bps::parse_percent("66.67%").unwrap().get(), 6667);
        assert_eq!(Bps::parse_percent("0.5").unwrap().get(), 50);
        assert_eq!(Bps::parse_percent("100").unwrap().get(), 10_000);
        for bad in ["100.01", "101", "-1", "50.", "1.234", "", "abc"] {
            assert!(Bps::parse_percent(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Bps::new(6667).unwrap().to_string(), "66.67%");
        assert_eq!(Bps::new(5000).unwrap().to_string(), "50%");
    }

    #[test]
    fn a_window_must_end_after_it_starts() {
        assert!(Window::new(at(1), at(1)).is_err());
        let w = Window::new(at(1), at(2)).unwrap();
        assert_eq!(w.position(at(0)), WindowPosition::Before);
        assert_eq!(w.position(at(1)), WindowPosition::Open);
        assert_eq!(w.position(at(2)), WindowPosition::After);
    }
}
