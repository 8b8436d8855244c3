//! Proposal drafts: a chat user writes a proposal in steps (title, body,
//! choices). Each step is stored, so the dialogue survives a restart; the
//! last step creates the proposal through [`Governance::create_proposal`]
//! and ends the draft.

use chrono::{DateTime, Utc};

use crate::domain::{Actor, Body, ChatAccount, Choices, NewProposal, Proposal, Title, VotingMethod};
use crate::governance::{Governance, GovernanceError};
use crate::store::{ProposalDraft, Store};

/// What the draft waits for next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraftStep {
    /// The title (one line).
    Title,
    /// The body.
    Body,
    /// The choices, one per line or comma-separated; this creates the proposal.
    Choices,
}

impl ProposalDraft {
    /// The step the draft is at.
    pub const fn step(&self) -> DraftStep {
        match (&self.title, &self.body) {
            (None, _) => DraftStep::Title,
            (Some(_), None) => DraftStep::Body,
            (Some(_), Some(_)) => DraftStep::Choices,
        }
    }
}

/// What one answer to the dialogue did.
#[derive(Clone, Debug)]
pub enum DraftProgress {
    /// The draft moved to its next step.
    Next(ProposalDraft),
    /// The proposal was created and the draft is gone.
    Created(Proposal),
}

/// The draft service.
#[derive(Clone)]
pub struct Drafts {
    store: Store,
    governance: Governance,
}

impl Drafts {
    /// Drafts over `governance`'s store; proposals are created through it.
    pub fn new(governance: Governance) -> Self {
        Self { store: governance.store().clone(), governance }
    }

    /// Starts a new draft for `account`, dropping any earlier one.
    pub async fn start(&self, account: &ChatAccount, now: DateTime<Utc>) -> Result<ProposalDraft, GovernanceError> {
        let draft =
            ProposalDraft { account: account.clone(), title: None, body: None, started_at: now, updated_at: now };
        self.store.put_draft(&draft).await?;
        Ok(draft)
    }

    /// The account's draft, if any.
    pub async fn get(&self, account: &ChatAccount) -> Result<Option<ProposalDraft>, GovernanceError> {
        Ok(self.store.draft(account).await?)
    }

    /// Drops the account's draft; true if there was one.
    pub async fn discard(&self, account: &ChatAccount) -> Result<bool, GovernanceError> {
        Ok(self.store.remove_draft(account).await?)
    }

    /// Takes the answer to the draft's current step. A refused answer (an
    /// empty or too long text, bad choices, an author below the proposal
    /// threshold, an unlinked account) changes nothing: the same step is
    /// asked again.
    pub async fn answer(
        &self,
        mut draft: ProposalDraft,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<DraftProgress, GovernanceError> {
        match (draft.title.clone(), draft.body.clone()) {
            (None, _) => draft.title = Some(Title::parse(text)?),
            (Some(_), None) => draft.body = Some(Body::parse(text)?),
            (Some(title), Some(body)) => return self.finish(&draft.account, title, body, text, now).await,
        }
        draft.updated_at = now;
        self.store.put_draft(&draft).await?;
        Ok(DraftProgress::Next(draft))
    }

    async fn finish(
        &self,
        account: &ChatAccount,
        title: Title,
        body: Body,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<DraftProgress, GovernanceError> {
        let author =
            self.store.linked_address(account).await?.ok_or_else(|| GovernanceError::NotLinked(account.clone()))?;
        let labels: Vec<&str> = if text.contains('\n') { text.lines().collect() } else { text.split(',').collect() };
        let labels: Vec<&str> = labels.into_iter().map(str::trim).filter(|l| !l.is_empty()).collect();
        let choices = Choices::parse(labels)?;
        let rules = self.governance.rules();
        let new = NewProposal {
            title,
            body,
            author,
            choices,
            method: VotingMethod::SingleChoice,
            window: rules.window(now),
            quorum: rules.quorum,
            threshold: rules.threshold,
        };
        let proposal = self.governance.create_proposal(new, &Actor::Chat(account.clone()), now).await?;
        self.store.remove_draft(account).await?;
        Ok(DraftProgress::Created(proposal))
    }
}
