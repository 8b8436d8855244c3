//! The governance service: the one entry point every front-end (CLI, web,
//! Discord, Telegram) calls to create proposals, vote and read tallies.
//!
//! Lifecycle steps happen lazily when a proposal is touched (a vote on a
//! pending proposal whose window opened activates it first) and in bulk by
//! [`Governance::advance`], which the server runs on a timer.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use alloy_primitives::B256;
use alloy_sol_types::Eip712Domain;
use chrono::{DateTime, Utc};

use crate::domain::{
    Actor, Address, Amount, AuditEntry, Body, Bps, ChatAccount, Choices, ChoicesError, NewProposal, Outcome, Platform,
    Proposal, ProposalId, ProposalIdError, ProposalState, Quoted, Selection, SelectionError, Tally, TextError, Title,
    TransitionError, Turnout, Vote, VoteSource, VotingMethod, Window, WindowPosition,
};
use crate::signed::{self, SignedError};
use crate::stake::{StakeError, StakeSource};
use crate::store::{AuditError, ProposalQuery, RecordedVote, Store, StoreError, TransitionFailed};
use crate::writer::VoteWriter;

/// Why a governance call did nothing. Each message says what was wrong and,
/// where there is one, what to do.
#[derive(Debug, thiserror::Error)]
pub enum GovernanceError {
    /// The proposal id is unknown.
    #[error("proposal {0} does not exist: list proposals to find its number")]
    ProposalNotFound(ProposalId),
    /// The window has not opened yet.
    #[error("voting on proposal {id} opens at {opens}; vote again then")]
    VotingNotOpen {
        /// Which proposal.
        id: ProposalId,
        /// When it opens.
        opens: DateTime<Utc>,
    },
    /// The window has closed; nothing after the close counts.
    #[error("voting on proposal {id} closed at {closed}; votes after the close do not count")]
    VotingClosed {
        /// Which proposal.
        id: ProposalId,
        /// When it closed.
        closed: DateTime<Utc>,
    },
    /// Cancelled, executed or otherwise not taking votes.
    #[error("proposal {id} is {state} and takes no votes")]
    NotVotable {
        /// Which proposal.
        id: ProposalId,
        /// Its state.
        state: ProposalState,
    },
    /// The voter had no stake at the snapshot.
    #[error(
        "{voter} had no voting power at block {block}, the snapshot of proposal {id}: only stake held at the snapshot counts"
    )]
    NoPower {
        /// Which proposal.
        id: ProposalId,
        /// Who tried to vote.
        voter: Address,
        /// The snapshot block.
        block: u64,
    },
    /// A chat account that has not proven a wallet.
    #[error("{0} is not linked to a wallet: run /link and sign the challenge first")]
    NotLinked(ChatAccount),
    /// The author holds less power than proposing requires.
    #[error("{author} has {power} of voting power at block {block}; proposing needs at least {needed}")]
    BelowProposalThreshold {
        /// Who tried to propose.
        author: Address,
        /// Their power now.
        power: Amount,
        /// The threshold.
        needed: Amount,
        /// The block it was read at.
        block: u64,
    },
    /// The selection is not valid for the proposal's choices and method.
    #[error(transparent)]
    Selection(#[from] SelectionError),
    /// A signed message that is not valid, not fresh, or already counted.
    #[error(transparent)]
    Signed(#[from] SignedError),
    /// A title or body that is empty or too long.
    #[error(transparent)]
    Text(#[from] TextError),
    /// A list of choices that is refused.
    #[error(transparent)]
    Choices(#[from] ChoicesError),
    /// A voting method that does not exist.
    #[error("{} is not a voting method: use single-choice, approval, weighted or quadratic", Quoted(.0))]
    UnknownMethod(String),
    /// A proposal number that cannot exist (in a signed message).
    #[error(transparent)]
    ProposalId(#[from] ProposalIdError),
    /// A lifecycle step the state does not allow.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Voting power could not be read; nothing was counted.
    #[error(transparent)]
    Stake(#[from] StakeError),
    /// The database failed; nothing was changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TransitionFailed> for GovernanceError {
    fn from(e: TransitionFailed) -> Self {
        match e {
            TransitionFailed::NotFound(id) => Self::ProposalNotFound(id),
            TransitionFailed::Refused(t) => Self::Transition(t),
            TransitionFailed::Store(s) => Self::Store(s),
        }
    }
}

/// A vote as a front-end received it: who, on what, and the choice as typed.
#[derive(Clone, Debug)]
pub struct Ballot {
    /// Which proposal.
    pub proposal: ProposalId,
    /// The voter's address (already proven by the front-end).
    pub voter: Address,
    /// The selection as typed: a choice (`2`, `Against`), approvals (`1,3`)
    /// or weights (`1=60 2=40`), as the proposal's method requires.
    pub choice: String,
    /// Which front-end.
    pub source: VoteSource,
}

/// A vote that was counted.
#[derive(Clone, Debug)]
pub struct CastVote {
    /// The proposal voted on.
    pub proposal: Proposal,
    /// The stored vote (with the power counted).
    pub vote: Vote,
    /// The vote it replaced, if the voter had voted before.
    pub replaced: Option<(Selection, Amount)>,
}

/// A lifecycle step taken by [`Governance::advance`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Which proposal.
    pub id: ProposalId,
    /// Its new state.
    pub state: ProposalState,
}

/// IoTeX mainnet's chain id.
pub const IOTEX_MAINNET: u64 = 4689;

/// How long past [`signed::REPLAY_WINDOW`] a signed message's digest is kept
/// anyway: were the server's clock stepped back (an NTP correction) after
/// the digest was gone, a replay would look fresh again.
pub const DIGEST_MARGIN: chrono::Duration = chrono::Duration::hours(1);

/// Who may propose, and the terms a proposal gets when its author does not
/// set them (signed proposals never do).
#[derive(Clone, Debug)]
pub struct ProposalRules {
    /// Least voting power, at the current block, an author needs.
    pub proposal_threshold: Amount,
    /// DAO admins: they may always propose.
    pub admins: Vec<Address>,
    /// From creation to the opening of the vote.
    pub voting_delay: chrono::Duration,
    /// How long the vote stays open.
    pub voting_period: chrono::Duration,
    /// Default quorum.
    pub quorum: Amount,
    /// Default pass threshold.
    pub threshold: Bps,
}

impl Default for ProposalRules {
    fn default() -> Self {
        Self {
            proposal_threshold: Amount::ZERO,
            admins: Vec::new(),
            voting_delay: chrono::Duration::zero(),
            voting_period: chrono::Duration::days(7),
            quorum: Amount::ZERO,
            threshold: Bps::new(5000).expect("50 % is a valid fraction"),
        }
    }
}

impl ProposalRules {
    /// The window of a proposal created at `now`.
    pub fn window(&self, now: DateTime<Utc>) -> Window {
        let start = now + self.voting_delay;
        Window::new(start, start + self.voting_period.max(chrono::Duration::seconds(1)))
            .expect("a positive period ends after it starts")
    }
}

/// The governance service.
#[derive(Clone)]
pub struct Governance {
    store: Store,
    stake: Arc<dyn StakeSource>,
    rules: Arc<ProposalRules>,
    domain: Arc<Eip712Domain>,
    writer: VoteWriter,
    /// Proposals seen active, so a burst of votes does not re-read them. Safe
    /// because the vote's own transaction re-checks state and window.
    open: Arc<RwLock<HashMap<ProposalId, Proposal>>>,
}

impl Governance {
    /// A service over `store`, reading power from `stake`; anyone may propose
    /// until [`Governance::with_rules`] says otherwise. Starts the vote
    /// writer (group commit), so it must be called inside a Tokio runtime.
    pub fn new(store: Store, stake: Arc<dyn StakeSource>) -> Self {
        let writer = VoteWriter::spawn(store.clone());
        Self {
            store,
            stake,
            rules: Arc::default(),
            domain: Arc::new(signed::domain(IOTEX_MAINNET, B256::ZERO)),
            writer,
            open: Arc::default(),
        }
    }

    /// Sets the chain id and the deployment's salt signed messages are bound
    /// to (default: IoTeX mainnet, 4689, and a salt of zeros, which a
    /// deployment never keeps: the binary sets the configured or stored one,
    /// see [`Store::eip712_salt`]).
    #[must_use]
    pub fn with_eip712(mut self, chain_id: u64, salt: B256) -> Self {
        self.domain = Arc::new(signed::domain(chain_id, salt));
        self
    }

    /// The EIP-712 domain signed messages must use.
    pub fn eip712_domain(&self) -> &Eip712Domain {
        &self.domain
    }

    /// Sets who may propose.
    #[must_use]
    pub fn with_rules(mut self, rules: ProposalRules) -> Self {
        self.rules = Arc::new(rules);
        self
    }

    /// The store (for health checks and other services).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The stake source votes are weighed with, for the process's other
    /// services to share rather than build their own.
    pub fn stake(&self) -> &Arc<dyn StakeSource> {
        &self.stake
    }

    /// Creates a proposal. It starts pending, and is activated at once (its
    /// snapshot fixed at the stake source's current block) if its window is
    /// already open.
    pub async fn create_proposal(
        &self,
        new: NewProposal,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Proposal, GovernanceError> {
        self.check_author(new.author).await?;
        let proposal = self.store.insert_proposal(&new, actor, None, now).await?;
        self.after_insert(proposal, now).await
    }

    /// Creates a proposal signed by its author's wallet (EIP-712 `Proposal`),
    /// with the DAO's default window, quorum and threshold. A replay of an
    /// accepted message is refused.
    pub async fn create_signed_proposal(
        &self,
        message: signed::types::Proposal,
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<Proposal, GovernanceError> {
        let author = Address::from(message.author);
        let timestamp = message.timestamp;
        let v = signed::verify(message, author, timestamp, signature, &self.domain, now)?;
        let m = &v.message;
        let new = NewProposal {
            title: Title::parse(&m.title)?,
            body: Body::parse(&m.body)?,
            author: v.signer,
            choices: Choices::parse(&m.choices)?,
            method: VotingMethod::parse(&m.method).ok_or_else(|| GovernanceError::UnknownMethod(m.method.clone()))?,
            window: self.rules.window(now),
            quorum: self.rules.quorum,
            threshold: self.rules.threshold,
        };
        self.check_author(new.author).await?;
        let proposal = match self.store.insert_proposal(&new, &Actor::Address(v.signer), Some(v.digest), now).await {
            Err(StoreError::DuplicateSignedMessage) => return Err(SignedError::Replayed.into()),
            other => other?,
        };
        self.after_insert(proposal, now).await
    }

    /// The rules proposals are created under.
    pub fn rules(&self) -> &ProposalRules {
        &self.rules
    }

    async fn after_insert(&self, proposal: Proposal, now: DateTime<Utc>) -> Result<Proposal, GovernanceError> {
        tracing::info!(id = %proposal.id, author = %proposal.author, "proposal created");
        if proposal.window.position(now) == WindowPosition::Before {
            return Ok(proposal);
        }
        self.activate(proposal.id, now).await
    }

    /// Refuses an author below the proposal threshold (admins always pass).
    async fn check_author(&self, author: Address) -> Result<(), GovernanceError> {
        if self.rules.admins.contains(&author) || self.rules.proposal_threshold.is_zero() {
            return Ok(());
        }
        // A check, not a snapshot: a recent block and a peeked power do.
        let block = self.stake.recent_block().await?;
        let power = self.peek_power_at(author, block).await?;
        if power < self.rules.proposal_threshold {
            return Err(GovernanceError::BelowProposalThreshold {
                author,
                power,
                needed: self.rules.proposal_threshold,
                block,
            });
        }
        Ok(())
    }

    /// The stake source's current block.
    pub async fn current_block(&self) -> Result<u64, GovernanceError> {
        Ok(self.stake.current_block().await?)
    }

    /// `voter`'s voting power at `block` (a proposal's snapshot, say).
    pub async fn power_at(&self, voter: Address, block: u64) -> Result<Amount, GovernanceError> {
        Ok(self.stake.power_at(voter, block).await?)
    }

    /// A recent block for reads that fix no snapshot (see
    /// [`StakeSource::recent_block`]).
    pub async fn recent_block(&self) -> Result<u64, GovernanceError> {
        Ok(self.stake.recent_block().await?)
    }

    /// `voter`'s voting power at `block` for display: peeked, so the read
    /// writes nothing (see [`StakeSource::peek_powers_at`]).
    pub async fn peek_power_at(&self, voter: Address, block: u64) -> Result<Amount, GovernanceError> {
        let powers = self.stake.peek_powers_at(&[voter], block).await?;
        Ok(powers
            .first()
            .copied()
            .ok_or_else(|| StakeError::Unavailable("the stake source answered nothing".into()))?)
    }

    /// How many proposals are in `state` (or in all states).
    pub async fn count_proposals(&self, state: Option<ProposalState>) -> Result<u64, GovernanceError> {
        Ok(self.store.count_proposals(state).await?)
    }

    /// A voter's current votes, newest first, with their proposals.
    pub async fn votes_by_voter(&self, voter: Address, limit: u32) -> Result<Vec<(Proposal, Vote)>, GovernanceError> {
        Ok(self.store.votes_by_voter(voter, limit).await?)
    }

    /// One proposal.
    pub async fn proposal(&self, id: ProposalId) -> Result<Proposal, GovernanceError> {
        self.store.proposal(id).await?.ok_or(GovernanceError::ProposalNotFound(id))
    }

    /// Proposals, newest first.
    pub async fn proposals(&self, query: ProposalQuery) -> Result<Vec<Proposal>, GovernanceError> {
        Ok(self.store.proposals(query).await?)
    }

    /// Proposals, newest first, each with its turnout (voters and power so
    /// far), read in one query for the page rather than a tally each.
    pub async fn proposals_with_turnout(
        &self,
        query: ProposalQuery,
    ) -> Result<Vec<(Proposal, Turnout)>, GovernanceError> {
        Ok(self.store.proposals_with_turnout(query).await?)
    }

    /// Proposals, newest first, each with its live tally, read for the page
    /// in one transaction rather than a tally each.
    pub async fn proposals_with_tallies(
        &self,
        query: ProposalQuery,
    ) -> Result<Vec<(Proposal, Tally)>, GovernanceError> {
        Ok(self.store.proposals_with_tallies(query).await?)
    }

    /// Cancels a pending or active proposal.
    pub async fn cancel(&self, id: ProposalId, actor: &Actor, now: DateTime<Utc>) -> Result<Proposal, GovernanceError> {
        let p = self.store.transition(id, actor, now, |p, _| p.cancel()).await?;
        self.forget(id);
        tracing::info!(%id, "proposal cancelled");
        Ok(p)
    }

    /// Marks a passed proposal as executed.
    pub async fn mark_executed(
        &self,
        id: ProposalId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Proposal, GovernanceError> {
        let p = self.store.transition(id, actor, now, |p, _| p.mark_executed()).await?;
        self.forget(id);
        tracing::info!(%id, "proposal executed");
        Ok(p)
    }

    /// Counts a vote with the voter's power at the proposal's snapshot block,
    /// replacing the voter's earlier vote. Durable when it returns `Ok`.
    pub async fn cast_vote(&self, ballot: Ballot, now: DateTime<Utc>) -> Result<CastVote, GovernanceError> {
        self.cast(ballot, None, now).await
    }

    /// Counts a vote from a chat account, for the address that account
    /// proved it controls (a signed link challenge); an account without a
    /// link cannot vote.
    pub async fn cast_chat_vote(
        &self,
        account: &ChatAccount,
        proposal: ProposalId,
        choice: &str,
        now: DateTime<Utc>,
    ) -> Result<CastVote, GovernanceError> {
        let voter =
            self.store.linked_address(account).await?.ok_or_else(|| GovernanceError::NotLinked(account.clone()))?;
        let source = match account.platform() {
            Platform::Discord => VoteSource::Discord,
            Platform::Telegram => VoteSource::Telegram,
        };
        self.cast(Ballot { proposal, voter, choice: choice.to_owned(), source }, None, now).await
    }

    /// Counts a vote signed by the voter's wallet (EIP-712 `Vote`), relayed
    /// by anyone. It lands in the same table and tally as chat votes and
    /// replaces the voter's current vote only if it was signed after that
    /// vote was made (see [`signed`]): relaying an older signature changes
    /// nothing. A replay of a counted message is refused.
    pub async fn cast_signed_vote(
        &self,
        message: signed::types::Vote,
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<CastVote, GovernanceError> {
        let voter = Address::from(message.voter);
        let timestamp = message.timestamp;
        let v = signed::verify(message, voter, timestamp, signature, &self.domain, now)?;
        let ballot = Ballot {
            proposal: ProposalId::parse(&v.message.proposal.to_string())?,
            voter: v.signer,
            choice: v.message.choice,
            source: VoteSource::Signed,
        };
        self.cast(ballot, Some((v.digest, v.signed_at)), now).await
    }

    /// Deletes the digests of signed messages that no replay could get past
    /// freshness any more: accepted more than [`signed::REPLAY_WINDOW`] (and
    /// [`DIGEST_MARGIN`]) before `now`. Returns how many.
    pub async fn prune_signed_messages(&self, now: DateTime<Utc>) -> Result<u64, GovernanceError> {
        Ok(self.store.prune_signed_messages(now - signed::REPLAY_WINDOW - DIGEST_MARGIN).await?)
    }

    /// `signed`: a signed vote's digest and timestamp.
    async fn cast(
        &self,
        ballot: Ballot,
        signed: Option<(B256, DateTime<Utc>)>,
        now: DateTime<Utc>,
    ) -> Result<CastVote, GovernanceError> {
        let proposal = self.votable(ballot.proposal, now).await?;
        let selection = Selection::parse(&ballot.choice, &proposal.choices, proposal.method)?;
        let block = proposal.snapshot_block.expect("an active proposal has a snapshot block");
        let power = self.stake.power_at(ballot.voter, block).await?;
        if power.is_zero() {
            return Err(GovernanceError::NoPower { id: proposal.id, voter: ballot.voter, block });
        }
        let vote = Vote {
            proposal: proposal.id,
            voter: ballot.voter,
            selection,
            power,
            source: ballot.source,
            cast_at: now,
            digest: signed.map(|(d, _)| d),
            signed_at: signed.map(|(_, t)| t),
        };
        let replaced = match self.writer.record(proposal.clone(), vote.clone()).await? {
            RecordedVote::New => None,
            RecordedVote::Replaced { selection, power } => Some((selection, power)),
            RecordedVote::Closed(state) => {
                self.forget(proposal.id);
                return Err(self.refusal(&proposal, state));
            }
            RecordedVote::Replayed => return Err(SignedError::Replayed.into()),
            RecordedVote::Superseded { current } => {
                let (proposal, signed) = (proposal.id, vote.made_at());
                return Err(if signed == current {
                    SignedError::SameTime { proposal, at: current }
                } else {
                    SignedError::Superseded { proposal, signed, current }
                }
                .into());
            }
        };
        tracing::info!(id = %proposal.id, voter = %vote.voter, selection = %vote.selection.to_stored(), power = %power, source = %vote.source, replaced = replaced.is_some(), "vote counted");
        Ok(CastVote { proposal, vote, replaced })
    }

    /// A proposal that takes votes at `now`, after any lifecycle step now due.
    async fn votable(&self, id: ProposalId, now: DateTime<Utc>) -> Result<Proposal, GovernanceError> {
        if let Some(p) = self.open.read().unwrap_or_else(PoisonError::into_inner).get(&id)
            && p.window.position(now) == WindowPosition::Open
        {
            return Ok(p.clone());
        }
        let mut proposal = self.proposal(id).await?;
        let position = proposal.window.position(now);
        if proposal.state == ProposalState::Pending && position != WindowPosition::Before {
            proposal = match self.activate(id, now).await {
                Ok(p) => p,
                // Another call activated it first: read what it did.
                Err(GovernanceError::Transition(TransitionError::Illegal { .. })) => self.proposal(id).await?,
                Err(e) => return Err(e),
            };
        }
        if proposal.state == ProposalState::Active && position == WindowPosition::After {
            match self.close(id, now).await {
                Ok(_) | Err(GovernanceError::Transition(TransitionError::Illegal { .. })) => {}
                Err(e) => return Err(e),
            }
            return Err(GovernanceError::VotingClosed { id, closed: proposal.window.end() });
        }
        match (proposal.state, proposal.window.position(now)) {
            (ProposalState::Active, WindowPosition::Open) => {
                self.open.write().unwrap_or_else(PoisonError::into_inner).insert(id, proposal.clone());
                Ok(proposal)
            }
            (state, _) => Err(self.refusal(&proposal, state)),
        }
    }

    /// Drops a proposal from the open cache after a step that ends voting.
    fn forget(&self, id: ProposalId) {
        self.open.write().unwrap_or_else(PoisonError::into_inner).remove(&id);
    }

    fn refusal(&self, p: &Proposal, state: ProposalState) -> GovernanceError {
        match state {
            ProposalState::Pending => GovernanceError::VotingNotOpen { id: p.id, opens: p.window.start() },
            ProposalState::Active | ProposalState::Closed(_) => {
                GovernanceError::VotingClosed { id: p.id, closed: p.window.end() }
            }
            ProposalState::Executed | ProposalState::Cancelled => GovernanceError::NotVotable { id: p.id, state },
        }
    }

    async fn activate(&self, id: ProposalId, now: DateTime<Utc>) -> Result<Proposal, GovernanceError> {
        let block = self.stake.current_block().await?;
        let p = self.store.transition(id, &Actor::System, now, |p, _| p.activate(block, now)).await?;
        tracing::info!(%id, snapshot_block = block, "proposal activated");
        Ok(p)
    }

    async fn close(&self, id: ProposalId, now: DateTime<Utc>) -> Result<Proposal, GovernanceError> {
        let mut outcome: Option<Outcome> = None;
        let p = self
            .store
            .transition(id, &Actor::System, now, |p, tally| {
                outcome = Some(p.close(tally, now)?);
                Ok(())
            })
            .await?;
        self.forget(id);
        tracing::info!(%id, outcome = ?outcome, "proposal closed");
        Ok(p)
    }

    /// Takes every lifecycle step due at `now`: activates pending proposals
    /// whose window opened and closes active ones whose window ended.
    pub async fn advance(&self, now: DateTime<Utc>) -> Result<Vec<Step>, GovernanceError> {
        let mut steps = Vec::new();
        for id in self.store.due_proposals(now).await? {
            let p = self.proposal(id).await?;
            let moved = match p.state {
                ProposalState::Pending => self.activate(id, now).await,
                ProposalState::Active => self.close(id, now).await,
                _ => continue,
            };
            match moved {
                Ok(p) => steps.push(Step { id, state: p.state }),
                // A vote took the step first.
                Err(GovernanceError::Transition(TransitionError::Illegal { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(steps)
    }

    /// The live tally (kept as votes arrive; no rescan).
    pub async fn tally(&self, id: ProposalId) -> Result<(Proposal, Tally), GovernanceError> {
        let p = self.proposal(id).await?;
        let t = self.live_tally(&p).await?;
        Ok((p, t))
    }

    /// The live tally of a proposal already in hand (one row per choice).
    pub async fn live_tally(&self, p: &Proposal) -> Result<Tally, GovernanceError> {
        Ok(self.store.live_tally(p).await?)
    }

    /// The tally counted afresh from every stored vote.
    pub async fn recount(&self, id: ProposalId) -> Result<(Proposal, Tally), GovernanceError> {
        let p = self.proposal(id).await?;
        let t = self.store.recount(&p).await?;
        Ok((p, t))
    }

    /// Audit entries after `after` (0: from the start), oldest first.
    pub async fn audit_entries(&self, after: u64, limit: u32) -> Result<Vec<AuditEntry>, GovernanceError> {
        Ok(self.store.audit_entries(after, limit).await?)
    }

    /// Verifies the audit log's hash chain; returns the number of entries.
    pub async fn verify_audit(&self) -> Result<u64, AuditError> {
        self.store.verify_audit().await
    }

    /// The current votes on a proposal, largest power first.
    pub async fn votes(&self, id: ProposalId, limit: u32, offset: u32) -> Result<Vec<Vote>, GovernanceError> {
        let p = self.proposal(id).await?;
        Ok(self.store.votes(&p, limit, offset).await?)
    }
}
