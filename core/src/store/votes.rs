//! Votes and the live tally, written together in one transaction.

use sqlx::{Row as _, Sqlite, Transaction};

use super::{Store, StoreError, corrupt, from_millis, to_millis};
use crate::domain::{
    Address, Amount, Choice, Proposal, ProposalId, ProposalState, Tally, Vote, VoteSource,
};

/// What storing a vote did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordedVote {
    /// The voter's first vote on this proposal.
    New,
    /// The voter's earlier vote was replaced; it had this choice and power.
    Replaced {
        /// The earlier choice.
        choice: Choice,
        /// The earlier power.
        power: Amount,
    },
    /// The proposal is no longer active or its window has ended: nothing
    /// was written. (The service checks first; this closes the race with a
    /// concurrent close.)
    Closed(ProposalState),
}

fn choice_index(choice: Choice) -> i64 {
    i64::try_from(choice.index()).expect("at most 20 choices")
}

impl Store {
    /// Stores `vote` as the voter's current vote and updates the live tally,
    /// atomically and durably: when this returns `New` or `Replaced`, the
    /// vote is on disk.
    pub async fn record_vote(&self, proposal: &Proposal, vote: &Vote) -> Result<RecordedVote, StoreError> {
        let mut recorded = self.record_votes(proposal, std::slice::from_ref(vote)).await?;
        Ok(recorded.pop().expect("one result per vote"))
    }

    /// Stores many votes on one proposal in a single transaction (one
    /// durable commit for all of them), in order: a later vote of the same
    /// voter replaces an earlier one. Returns one result per vote.
    pub async fn record_votes(&self, proposal: &Proposal, votes: &[Vote]) -> Result<Vec<RecordedVote>, StoreError> {
        let mut tx = self.write().await?;
        let (state, ends_at): (String, i64) = sqlx::query_as("SELECT state, ends_at FROM proposals WHERE id = ?")
            .bind(proposal.id.get())
            .fetch_one(&mut *tx)
            .await?;
        let state = ProposalState::parse(&state).ok_or_else(|| corrupt("proposals.state", &state))?;
        let mut tally = live_tally(&mut tx, proposal).await?;
        let mut results = Vec::with_capacity(votes.len());
        for vote in votes {
            debug_assert_eq!(vote.proposal, proposal.id, "a batch holds votes of one proposal");
            if state != ProposalState::Active || to_millis(vote.cast_at) >= ends_at {
                results.push(RecordedVote::Closed(state));
                continue;
            }
            results.push(upsert(&mut tx, proposal, vote, &mut tally).await?);
        }
        write_tally(&mut tx, proposal.id, &tally).await?;
        tx.commit().await?;
        Ok(results)
    }

    /// The live tally, as kept up to date by [`Store::record_vote`]; reads
    /// one row per choice, never the votes.
    pub async fn live_tally(&self, proposal: &Proposal) -> Result<Tally, StoreError> {
        let mut tx = self.pool.begin().await?;
        let tally = live_tally(&mut tx, proposal).await?;
        tx.commit().await?;
        Ok(tally)
    }

    /// Counts the tally afresh from every stored vote. Must always equal
    /// [`Store::live_tally`].
    pub async fn recount(&self, proposal: &Proposal) -> Result<Tally, StoreError> {
        use futures_util::TryStreamExt as _;
        let mut tally = Tally::empty(proposal.choices.len());
        let mut rows = sqlx::query("SELECT choice, power FROM votes WHERE proposal_id = ?")
            .bind(proposal.id.get())
            .fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            let choice: i64 = row.try_get(0)?;
            let power: &str = row.try_get(1)?;
            let power = Amount::parse_wei(power).map_err(|e| corrupt("votes.power", e))?;
            let index = usize::try_from(choice).map_err(|e| corrupt("votes.choice", e))?;
            tally.add(index, power).map_err(|e| corrupt("votes", e))?;
        }
        Ok(tally)
    }

    /// One voter's current vote on a proposal.
    pub async fn vote_of(&self, proposal: &Proposal, voter: Address) -> Result<Option<Vote>, StoreError> {
        let row: Option<VoteRow> = sqlx::query_as(
            "SELECT voter, choice, power, source, cast_at FROM votes WHERE proposal_id = ? AND voter = ?",
        )
        .bind(proposal.id.get())
        .bind(voter.to_hex())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.into_vote(proposal)).transpose()
    }

    /// The current votes on a proposal, largest power first.
    pub async fn votes(&self, proposal: &Proposal, limit: u32, offset: u32) -> Result<Vec<Vote>, StoreError> {
        let rows: Vec<VoteRow> = sqlx::query_as(
            "SELECT voter, choice, power, source, cast_at FROM votes WHERE proposal_id = ? \
             ORDER BY length(power) DESC, power DESC, voter LIMIT ? OFFSET ?",
        )
        .bind(proposal.id.get())
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(|r| r.into_vote(proposal)).collect()
    }

}

#[derive(sqlx::FromRow)]
struct VoteRow {
    voter: String,
    choice: i64,
    power: String,
    source: String,
    cast_at: i64,
}

impl VoteRow {
    fn into_vote(self, proposal: &Proposal) -> Result<Vote, StoreError> {
        Ok(Vote {
            proposal: proposal.id,
            voter: Address::parse(&self.voter).map_err(|e| corrupt("votes.voter", e))?,
            choice: usize::try_from(self.choice)
                .ok()
                .and_then(|c| proposal.choices.at(c))
                .ok_or_else(|| corrupt("votes.choice", self.choice))?,
            power: Amount::parse_wei(&self.power).map_err(|e| corrupt("votes.power", e))?,
            source: VoteSource::parse(&self.source).ok_or_else(|| corrupt("votes.source", &self.source))?,
            cast_at: from_millis("votes.cast_at", self.cast_at)?,
        })
    }
}

pub(super) async fn live_tally(tx: &mut Transaction<'static, Sqlite>, proposal: &Proposal) -> Result<Tally, StoreError> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT choice, power FROM tallies WHERE proposal_id = ? ORDER BY choice")
        .bind(proposal.id.get())
        .fetch_all(&mut **tx)
        .await?;
    let voters: i64 = sqlx::query_scalar("SELECT voter_count FROM proposals WHERE id = ?")
        .bind(proposal.id.get())
        .fetch_one(&mut **tx)
        .await?;
    let mut totals = vec![Amount::ZERO; proposal.choices.len()];
    for (choice, power) in rows {
        let slot = usize::try_from(choice)
            .ok()
            .and_then(|c| totals.get_mut(c))
            .ok_or_else(|| corrupt("tallies.choice", choice))?;
        *slot = Amount::parse_wei(&power).map_err(|e| corrupt("tallies.power", e))?;
    }
    let voters = u64::try_from(voters).map_err(|e| corrupt("proposals.voter_count", e))?;
    Ok(Tally::from_parts(totals, voters))
}

async fn write_tally(tx: &mut Transaction<'static, Sqlite>, id: ProposalId, tally: &Tally) -> Result<(), StoreError> {
    for (choice, power) in tally.totals().iter().enumerate() {
        sqlx::query("UPDATE tallies SET power = ? WHERE proposal_id = ? AND choice = ?")
            .bind(power.to_wei_string())
            .bind(id.get())
            .bind(i64::try_from(choice).map_err(|e| corrupt("tallies.choice", e))?)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("UPDATE proposals SET voter_count = ? WHERE id = ?")
        .bind(i64::try_from(tally.voters()).map_err(|e| corrupt("proposals.voter_count", e))?)
        .bind(id.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn upsert(
    tx: &mut Transaction<'static, Sqlite>,
    proposal: &Proposal,
    vote: &Vote,
    tally: &mut Tally,
) -> Result<RecordedVote, StoreError> {
    let voter = vote.voter.to_hex();
    let old: Option<(i64, String)> = sqlx::query_as("SELECT choice, power FROM votes WHERE proposal_id = ? AND voter = ?")
        .bind(proposal.id.get())
        .bind(&voter)
        .fetch_optional(&mut **tx)
        .await?;
    let recorded = match old {
        Some((choice, power)) => {
            let choice = usize::try_from(choice)
                .ok()
                .and_then(|c| proposal.choices.at(c))
                .ok_or_else(|| corrupt("votes.choice", choice))?;
            let power = Amount::parse_wei(&power).map_err(|e| corrupt("votes.power", e))?;
            tally.remove(choice.index(), power).map_err(|e| corrupt("tallies.power", e))?;
            RecordedVote::Replaced { choice, power }
        }
        None => RecordedVote::New,
    };
    tally.add(vote.choice.index(), vote.power).map_err(|e| corrupt("tallies.power", e))?;
    sqlx::query(
        "INSERT INTO votes (proposal_id, voter, choice, power, source, cast_at) VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT (proposal_id, voter) DO UPDATE SET \
         choice = excluded.choice, power = excluded.power, source = excluded.source, cast_at = excluded.cast_at",
    )
    .bind(proposal.id.get())
    .bind(&voter)
    .bind(choice_index(vote.choice))
    .bind(vote.power.to_wei_string())
    .bind(vote.source.as_str())
    .bind(to_millis(vote.cast_at))
    .execute(&mut **tx)
    .await?;
    Ok(recorded)
}
