//! Proposals: insert, read, list and lifecycle transitions.

use std::collections::HashMap;

use alloy_primitives::B256;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, Transaction};

use super::{Store, StoreError, audit, corrupt, from_millis, to_millis};
use crate::domain::{
    Actor, Address, Amount, AuditAction, Body, Bps, Choices, NewProposal, Proposal, ProposalId, ProposalState, Tally,
    Title, TransitionError, Turnout, VotingMethod, Window, proposal_subject,
};

/// The columns of [`Row`], as a literal so queries stay `&'static str`.
macro_rules! columns {
    () => {
        "id, title, body, author, choices, method, starts_at, ends_at, \
         snapshot_block, quorum, threshold_bps, state, created_at"
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    title: String,
    body: String,
    author: String,
    choices: String,
    method: String,
    starts_at: i64,
    ends_at: i64,
    snapshot_block: Option<i64>,
    quorum: String,
    threshold_bps: i64,
    state: String,
    created_at: i64,
}

/// A page of proposals with their turnouts, newest first.
async fn turnout_page<'e>(
    db: impl sqlx::Executor<'e, Database = Sqlite>,
    q: &ProposalQuery,
) -> Result<Vec<(Proposal, Turnout)>, StoreError> {
    let rows: Vec<TurnoutRow> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        ", voter_count, participation FROM proposals WHERE (?1 IS NULL OR state = ?1) \
         ORDER BY id DESC LIMIT ?2 OFFSET ?3"
    ))
    .bind(q.state.map(ProposalState::as_str))
    .bind(i64::from(q.limit))
    .bind(i64::from(q.offset))
    .fetch_all(db)
    .await?;
    rows.into_iter().map(<(Proposal, Turnout)>::try_from).collect()
}

/// A proposal with the live tally's totals kept on its own row.
#[derive(sqlx::FromRow)]
struct TurnoutRow {
    #[sqlx(flatten)]
    proposal: Row,
    voter_count: i64,
    participation: String,
}

impl TryFrom<TurnoutRow> for (Proposal, Turnout) {
    type Error = StoreError;
    fn try_from(r: TurnoutRow) -> Result<Self, StoreError> {
        let turnout = Turnout {
            voters: u64::try_from(r.voter_count).map_err(|e| corrupt("proposals.voter_count", e))?,
            participation: Amount::parse_wei(&r.participation).map_err(|e| corrupt("proposals.participation", e))?,
        };
        Ok((Proposal::try_from(r.proposal)?, turnout))
    }
}

impl TryFrom<Row> for Proposal {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let labels: Vec<String> =
            labels_json::parse(&r.choices).ok_or_else(|| corrupt("proposals.choices", &r.choices))?;
        Ok(Proposal {
            id: ProposalId::from_store(r.id),
            title: Title::from_stored(&r.title).map_err(|e| corrupt("proposals.title", e))?,
            body: Body::from_stored(&r.body).map_err(|e| corrupt("proposals.body", e))?,
            author: Address::parse(&r.author).map_err(|e| corrupt("proposals.author", e))?,
            choices: Choices::from_stored(labels).map_err(|e| corrupt("proposals.choices", e))?,
            method: VotingMethod::parse(&r.method).ok_or_else(|| corrupt("proposals.method", &r.method))?,
            window: Window::new(
                from_millis("proposals.starts_at", r.starts_at)?,
                from_millis("proposals.ends_at", r.ends_at)?,
            )
            .map_err(|e| corrupt("proposals.ends_at", e))?,
            snapshot_block: r
                .snapshot_block
                .map(|b| u64::try_from(b).map_err(|e| corrupt("proposals.snapshot_block", e)))
                .transpose()?,
            quorum: Amount::parse_wei(&r.quorum).map_err(|e| corrupt("proposals.quorum", e))?,
            threshold: u16::try_from(r.threshold_bps)
                .ok()
                .and_then(Bps::new)
                .ok_or_else(|| corrupt("proposals.threshold_bps", r.threshold_bps))?,
            state: ProposalState::parse(&r.state).ok_or_else(|| corrupt("proposals.state", &r.state))?,
            created_at: from_millis("proposals.created_at", r.created_at)?,
        })
    }
}

/// Choices are stored as a JSON array of strings; this is the one place that
/// reads and writes that column.
mod labels_json {
    pub(super) fn parse(text: &str) -> Option<Vec<String>> {
        serde_json::from_str(text).ok()
    }

    pub(super) fn write(labels: impl Iterator<Item = impl AsRef<str>>) -> String {
        serde_json::to_string(&labels.map(|l| l.as_ref().to_owned()).collect::<Vec<_>>())
            .expect("a list of strings always serialises")
    }
}

/// Which proposals to list, newest first.
#[derive(Clone, Copy, Debug)]
pub struct ProposalQuery {
    /// Only this state, or all.
    pub state: Option<ProposalState>,
    /// At most this many.
    pub limit: u32,
    /// Skip this many (pagination).
    pub offset: u32,
}

impl Default for ProposalQuery {
    fn default() -> Self {
        Self { state: None, limit: 50, offset: 0 }
    }
}

/// A lifecycle step could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum TransitionFailed {
    /// No such proposal.
    #[error("proposal {0} does not exist")]
    NotFound(ProposalId),
    /// The domain refused the step.
    #[error(transparent)]
    Refused(#[from] TransitionError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for TransitionFailed {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl Store {
    /// Stores a new proposal as pending, with an empty live tally.
    pub async fn insert_proposal(
        &self,
        new: &NewProposal,
        actor: &Actor,
        digest: Option<B256>,
        now: DateTime<Utc>,
    ) -> Result<Proposal, StoreError> {
        let mut tx = self.write().await?;
        if let Some(digest) = digest {
            let fresh = sqlx::query(
                "INSERT INTO signed_messages (digest, signer, kind, accepted_at) VALUES (?, ?, 'proposal', ?) \
                 ON CONFLICT (digest) DO NOTHING",
            )
            .bind(digest.to_string())
            .bind(new.author.to_hex())
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
            if fresh.rows_affected() == 0 {
                return Err(StoreError::DuplicateSignedMessage);
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO proposals (title, body, author, choices, method, starts_at, ends_at, \
             quorum, threshold_bps, state, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(new.title.as_str())
        .bind(new.body.as_str())
        .bind(new.author.to_hex())
        .bind(labels_json::write(new.choices.labels()))
        .bind(new.method.as_str())
        .bind(to_millis(new.window.start()))
        .bind(to_millis(new.window.end()))
        .bind(new.quorum.to_wei_string())
        .bind(i64::from(new.threshold.get()))
        .bind(ProposalState::Pending.as_str())
        .bind(to_millis(now))
        .bind(to_millis(now))
        .fetch_one(&mut *tx)
        .await?;
        for choice in 0..new.choices.len() {
            sqlx::query("INSERT INTO tallies (proposal_id, choice, power) VALUES (?, ?, '0')")
                .bind(id)
                .bind(i64::try_from(choice).map_err(|e| corrupt("tallies.choice", e))?)
                .execute(&mut *tx)
                .await?;
        }
        let proposal = fetch(&mut tx, id).await?.ok_or_else(|| corrupt("proposals", "the inserted row vanished"))?;
        let detail = serde_json::json!({
            "title": proposal.title,
            "author": proposal.author,
            "choices": proposal.choices,
            "method": proposal.method,
            "starts_at": proposal.window.start(),
            "ends_at": proposal.window.end(),
            "quorum": proposal.quorum,
            "threshold_bps": proposal.threshold,
        });
        audit::append(&mut tx, now, actor, AuditAction::ProposalCreated, &proposal_subject(proposal.id), &detail)
            .await?;
        self.commit(tx).await?;
        Ok(proposal)
    }

    /// One proposal, if it exists.
    pub async fn proposal(&self, id: ProposalId) -> Result<Option<Proposal>, StoreError> {
        let row: Option<Row> = sqlx::query_as(concat!("SELECT ", columns!(), " FROM proposals WHERE id = ?"))
            .bind(id.get())
            .fetch_optional(&self.pool)
            .await?;
        row.map(Proposal::try_from).transpose()
    }

    /// Proposals, newest first.
    pub async fn proposals(&self, q: ProposalQuery) -> Result<Vec<Proposal>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM proposals WHERE (?1 IS NULL OR state = ?1) ORDER BY id DESC LIMIT ?2 OFFSET ?3"
        ))
        .bind(q.state.map(ProposalState::as_str))
        .bind(i64::from(q.limit))
        .bind(i64::from(q.offset))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Proposal::try_from).collect()
    }

    /// Proposals, newest first, each with its turnout. One statement for
    /// the whole page: the vote writer keeps each proposal's voter count and
    /// participation on its row (see [`Store::live_tally`]), so a list never
    /// reads the tallies.
    pub async fn proposals_with_turnout(&self, q: ProposalQuery) -> Result<Vec<(Proposal, Turnout)>, StoreError> {
        turnout_page(&self.pool, &q).await
    }

    /// Proposals, newest first, each with its live tally (per-choice
    /// totals, for lists that show them): the page and its tally rows in two
    /// statements of one read transaction, so each tally agrees with its
    /// turnout, rather than a tally read per proposal.
    pub async fn proposals_with_tallies(&self, q: ProposalQuery) -> Result<Vec<(Proposal, Tally)>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let page = turnout_page(&mut *tx, &q).await?;
        let mut rows: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
        if !page.is_empty() {
            let mut query =
                QueryBuilder::<Sqlite>::new("SELECT proposal_id, choice, power FROM tallies WHERE proposal_id IN (");
            let mut ids = query.separated(", ");
            for (p, _) in &page {
                ids.push_bind(p.id.get());
            }
            ids.push_unseparated(")");
            let found: Vec<(i64, i64, String)> = query.build_query_as().fetch_all(&mut *tx).await?;
            for (id, choice, power) in found {
                rows.entry(id).or_default().push((choice, power));
            }
        }
        tx.commit().await?;
        page.into_iter()
            .map(|(p, t)| {
                let totals = super::votes::choice_totals(&p, rows.remove(&p.id.get()).unwrap_or_default())?;
                let tally = Tally::from_parts(totals, t.participation, t.voters);
                Ok((p, tally))
            })
            .collect()
    }

    /// How many proposals there are in `state` (or in all states).
    pub async fn count_proposals(&self, state: Option<ProposalState>) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM proposals WHERE (?1 IS NULL OR state = ?1)")
            .bind(state.map(ProposalState::as_str))
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Ids of proposals whose lifecycle is due a step at `now`: pending ones
    /// whose window opened and active ones whose window ended.
    pub async fn due_proposals(&self, now: DateTime<Utc>) -> Result<Vec<ProposalId>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM proposals \
             WHERE (state = 'pending' AND starts_at <= ?1) OR (state = 'active' AND ends_at <= ?1) \
             ORDER BY id",
        )
        .bind(to_millis(now))
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(ProposalId::from_store).collect())
    }

    /// Applies one lifecycle step atomically: loads the proposal and its live
    /// tally inside a write transaction, lets `step` change it (the domain's
    /// transition methods), and stores the new state. A refused step writes
    /// nothing.
    pub async fn transition<F>(
        &self,
        id: ProposalId,
        actor: &Actor,
        now: DateTime<Utc>,
        step: F,
    ) -> Result<Proposal, TransitionFailed>
    where
        F: FnOnce(&mut Proposal, &Tally) -> Result<(), TransitionError> + Send,
    {
        let mut tx = self.write().await?;
        let mut proposal = fetch(&mut tx, id.get()).await?.ok_or(TransitionFailed::NotFound(id))?;
        let tally = super::votes::live_tally(&mut tx, &proposal).await?;
        step(&mut proposal, &tally)?;
        let snapshot = proposal
            .snapshot_block
            .map(|b| i64::try_from(b).map_err(|e| corrupt("proposals.snapshot_block", e)))
            .transpose()?;
        sqlx::query("UPDATE proposals SET state = ?, snapshot_block = ?, updated_at = ? WHERE id = ?")
            .bind(proposal.state.as_str())
            .bind(snapshot)
            .bind(to_millis(now))
            .bind(id.get())
            .execute(&mut *tx)
            .await?;
        let action = match proposal.state {
            ProposalState::Active => AuditAction::ProposalActivated,
            ProposalState::Closed(_) => AuditAction::ProposalClosed,
            ProposalState::Cancelled => AuditAction::ProposalCancelled,
            ProposalState::Executed => AuditAction::ProposalExecuted,
            ProposalState::Pending => {
                return Err(corrupt("proposals.state", "a step cannot lead back to pending").into());
            }
        };
        let detail = serde_json::json!({
            "state": proposal.state.as_str(),
            "snapshot_block": proposal.snapshot_block,
            "tally": tally.totals(),
            "voters": tally.voters(),
        });
        audit::append(&mut tx, now, actor, action, &proposal_subject(id), &detail).await?;
        self.commit(tx).await?;
        Ok(proposal)
    }
}

pub(super) async fn fetch(tx: &mut Transaction<'static, Sqlite>, id: i64) -> Result<Option<Proposal>, StoreError> {
    let row: Option<Row> = sqlx::query_as(concat!("SELECT ", columns!(), " FROM proposals WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(Proposal::try_from).transpose()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::super::test_support::temp_store;
    use crate::domain::*;

    #[tokio::test]
    async fn a_proposal_stored_before_text_was_stricter_stays_readable() {
        let (store, _dir) = temp_store().await;
        let now = Utc::now();
        let new = NewProposal {
            title: Title::parse("t").unwrap(),
            body: Body::parse("b").unwrap(),
            author: Address::from([1; 20]),
            choices: Choices::for_against_abstain(),
            method: VotingMethod::SingleChoice,
            window: Window::new(now, now + Duration::hours(1)).unwrap(),
            quorum: Amount::ZERO,
            threshold: Bps::new(5000).unwrap(),
        };
        let p = store.insert_proposal(&new, &Actor::Cli, None, now).await.unwrap();
        // What an earlier version accepted: a title of a zero-width space,
        // numeric labels, a label with a right-to-left override.
        sqlx::query("UPDATE proposals SET title = ?, choices = ? WHERE id = ?")
            .bind("\u{200b}")
            .bind(r#"["1","2","\u202eAbstain"]"#)
            .bind(p.id.get())
            .execute(&store.pool)
            .await
            .unwrap();
        let read = store.proposal(p.id).await.unwrap().unwrap();
        assert_eq!(read.title.as_str(), "\u{200b}");
        assert_eq!(read.choices.labels().collect::<Vec<_>>(), ["1", "2", "Abstain"]);
        assert_eq!(store.proposals(super::ProposalQuery::default()).await.unwrap().len(), 1);
    }
}
