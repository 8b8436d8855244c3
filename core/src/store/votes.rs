//! Votes and the live tally, written together in one transaction.

use std::collections::{HashMap, HashSet};

use alloy_primitives::{B256, U256};
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row as _, Sqlite, Transaction};

use super::{Store, StoreError, audit, corrupt, from_millis, to_millis};
use crate::domain::{
    Actor, Address, Amount, AuditAction, Proposal, ProposalId, ProposalState, Selection, Tally, Vote, VoteSource,
    VotingMethod, proposal_subject,
};

/// What storing a vote did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordedVote {
    /// The voter's first vote on this proposal.
    New,
    /// The voter's earlier vote was replaced; it had this selection and power.
    Replaced {
        /// The earlier selection.
        selection: Selection,
        /// The earlier power.
        power: Amount,
    },
    /// The vote is a signed message that was counted before: nothing was
    /// written.
    Replayed,
    /// The vote is a signed message made no later than the voter's current
    /// vote (made at this time; see [`Vote::made_at`]): nothing was written.
    Superseded {
        /// When the current vote was made.
        current: DateTime<Utc>,
    },
    /// The proposal is no longer active or its window has ended: nothing
    /// was written. (The service checks first; this closes the race with a
    /// concurrent close.)
    Closed(ProposalState),
}

/// The `choice` column: the one choice of a single-choice vote (the recount's
/// fast path groups by it), NULL for other methods.
fn single_choice_column(proposal: &Proposal, selection: &Selection) -> Option<i64> {
    (proposal.method == VotingMethod::SingleChoice)
        .then(|| selection.as_single())
        .flatten()
        .map(|c| i64::try_from(c.index()).expect("at most 20 choices"))
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
        let batch: Vec<(&Proposal, &Vote)> = votes.iter().map(|v| (proposal, v)).collect();
        self.record_batch(&batch).await
    }

    /// Stores votes on any proposals in a single transaction: the group
    /// commit behind [`crate::Governance`]'s vote writer. Each vote gets its
    /// result, in order, exactly as if they were stored one by one; but the
    /// reads and writes are done in bulk (a handful of statements per batch,
    /// not per vote), which is what lets one writer keep up with signature
    /// verification on every core.
    pub async fn record_batch(&self, batch: &[(&Proposal, &Vote)]) -> Result<Vec<RecordedVote>, StoreError> {
        let mut tx = self.write().await?;
        // 1. Read: each proposal's state and live tally, the batch voters'
        //    current votes, and which of the batch's digests were seen before.
        let mut open: HashMap<i64, (ProposalState, i64, Tally)> = HashMap::new();
        for (proposal, _) in batch {
            let id = proposal.id.get();
            if let std::collections::hash_map::Entry::Vacant(slot) = open.entry(id) {
                let (state, ends_at): (String, i64) =
                    sqlx::query_as("SELECT state, ends_at FROM proposals WHERE id = ?")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                let state = ProposalState::parse(&state).ok_or_else(|| corrupt("proposals.state", &state))?;
                slot.insert((state, ends_at, live_tally(&mut tx, proposal).await?));
            }
        }
        let mut current = current_votes(&mut tx, batch).await?;
        let mut seen = seen_digests(&mut tx, batch).await?;

        // 2. Decide, in order, in memory.
        let mut chain = audit::head(&mut tx).await?;
        let mut audit_rows = Vec::new();
        let mut new_digests: Vec<&Vote> = Vec::new();
        let mut finals: HashMap<(i64, Address), (&Proposal, &Vote)> = HashMap::new();
        let mut results = Vec::with_capacity(batch.len());
        for (proposal, vote) in batch {
            debug_assert_eq!(vote.proposal, proposal.id, "a vote travels with its proposal");
            let id = proposal.id.get();
            let (state, ends_at, tally) = open.get_mut(&id).expect("read above");
            if *state != ProposalState::Active || to_millis(vote.cast_at) >= *ends_at {
                results.push(RecordedVote::Closed(*state));
                continue;
            }
            if vote.digest.is_some_and(|d| seen.contains(&d)) {
                results.push(RecordedVote::Replayed);
                continue;
            }
            // The newest vote wins: a signed one must be newer than the
            // current one (a chat or operator vote is made as it arrives).
            if let (Some(signed_at), Some((_, _, made_at))) = (vote.signed_at, current.get(&(id, vote.voter)))
                && to_millis(signed_at) <= *made_at
            {
                results.push(RecordedVote::Superseded { current: from_millis("votes.signed_at", *made_at)? });
                continue;
            }
            if let Some(d) = vote.digest {
                seen.insert(d);
                new_digests.push(vote);
            }
            let recorded = match current.get(&(id, vote.voter)) {
                Some((selection, power, _)) => {
                    let selection = Selection::from_stored(selection, &proposal.choices)
                        .ok_or_else(|| corrupt("votes.selection", selection))?;
                    tally.remove_vote(proposal.method, &selection, *power).map_err(|e| corrupt("tallies.power", e))?;
                    RecordedVote::Replaced { selection, power: *power }
                }
                None => RecordedVote::New,
            };
            tally.add_vote(proposal.method, &vote.selection, vote.power).map_err(|e| corrupt("tallies.power", e))?;
            current.insert((id, vote.voter), (vote.selection.to_stored(), vote.power, to_millis(vote.made_at())));
            finals.insert((id, vote.voter), (proposal, vote));
            let (action, replaced) = match &recorded {
                RecordedVote::Replaced { selection, power } => {
                    (AuditAction::VoteReplaced, serde_json::json!({ "selection": selection, "power": power }))
                }
                _ => (AuditAction::VoteCast, serde_json::Value::Null),
            };
            let detail = serde_json::json!({
                "voter": vote.voter,
                "selection": vote.selection,
                "power": vote.power,
                "source": vote.source,
                "digest": vote.digest,
                "signed_at": vote.signed_at,
                "replaced": replaced,
            });
            audit_rows.push(chain.next(
                vote.cast_at,
                &Actor::Address(vote.voter),
                action,
                &proposal_subject(proposal.id),
                &detail,
            ));
            results.push(recorded);
        }

        // 3. Write in bulk, then commit once.
        for chunk in new_digests.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO signed_messages (digest, signer, kind, accepted_at) ");
            q.push_values(chunk, |mut row, v| {
                row.push_bind(v.digest.map(|d| d.to_string()))
                    .push_bind(v.voter.to_hex())
                    .push_bind("vote")
                    .push_bind(to_millis(v.cast_at));
            });
            q.build().execute(&mut *tx).await?;
        }
        let finals: Vec<(&Proposal, &Vote)> = finals.into_values().collect();
        for chunk in finals.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO votes (proposal_id, voter, selection, choice, power, source, cast_at, digest, signed_at) ",
            );
            q.push_values(chunk, |mut row, (p, v)| {
                row.push_bind(p.id.get())
                    .push_bind(v.voter.to_hex())
                    .push_bind(v.selection.to_stored())
                    .push_bind(single_choice_column(p, &v.selection))
                    .push_bind(v.power.to_wei_string())
                    .push_bind(v.source.as_str())
                    .push_bind(to_millis(v.cast_at))
                    .push_bind(v.digest.map(|d| d.to_string()))
                    .push_bind(v.signed_at.map(to_millis));
            });
            q.push(
                " ON CONFLICT (proposal_id, voter) DO UPDATE SET selection = excluded.selection, \
                 choice = excluded.choice, power = excluded.power, source = excluded.source, \
                 cast_at = excluded.cast_at, digest = excluded.digest, signed_at = excluded.signed_at",
            );
            q.build().execute(&mut *tx).await?;
        }
        audit::insert_rows(&mut tx, &audit_rows).await?;
        for (id, (_, _, tally)) in &open {
            write_tally(&mut tx, ProposalId::from_store(*id), tally).await?;
        }
        self.commit(tx).await?;
        Ok(results)
    }

    /// The live tally, as kept up to date by [`Store::record_vote`]; reads
    /// one row per choice, never the votes.
    pub async fn live_tally(&self, proposal: &Proposal) -> Result<Tally, StoreError> {
        // A read transaction, so the counts and the voter total agree; it
        // writes nothing and is not counted as a change.
        let mut tx = self.pool.begin().await?;
        let tally = live_tally(&mut tx, proposal).await?;
        tx.commit().await?;
        Ok(tally)
    }

    /// Counts the tally afresh from every stored vote. Must always equal
    /// [`Store::live_tally`].
    ///
    /// The sum is exact and done inside SQLite, so a million rows never cross
    /// the driver: each decimal power is cut into 9-digit limbs, each limb is
    /// summed as a 64-bit integer (SQLite's `SUM` of integers fails on
    /// overflow rather than going to floating point, and 9-digit limbs leave
    /// room for 9 · 10^9 votes), and the limbs are recombined in U256 here.
    /// Three limbs cover powers up to 10^27 wei (10^9 IOTX); if any vote is
    /// larger, the count is redone with nine limbs (81 digits ≥ the 78 of
    /// 2^256). The schema's CHECK keeps every stored power plain digits.
    pub async fn recount(&self, proposal: &Proposal) -> Result<Tally, StoreError> {
        if proposal.method != VotingMethod::SingleChoice {
            return self.recount_by_rows(proposal).await;
        }
        const SHORT: &str = "SELECT choice, COUNT(*), SUM(length(power) > 27), \
             SUM(CAST(substr(power, -9, 9) AS INTEGER)), \
             SUM(CAST(substr(power, -18, 9) AS INTEGER)), \
             SUM(CAST(substr(power, -27, 9) AS INTEGER)) \
             FROM votes WHERE proposal_id = ? GROUP BY choice";
        const FULL: &str = "SELECT choice, COUNT(*), 0, \
             SUM(CAST(substr(power, -9, 9) AS INTEGER)), \
             SUM(CAST(substr(power, -18, 9) AS INTEGER)), \
             SUM(CAST(substr(power, -27, 9) AS INTEGER)), \
             SUM(CAST(substr(power, -36, 9) AS INTEGER)), \
             SUM(CAST(substr(power, -45, 9) AS INTEGER)), \
             SUM(CAST(substr(power, -54, 9) AS INTEGER)), \
             SUM(CAST(substr(power, -63, 9) AS INTEGER)), \
             SUM(CAST(substr(power, -72, 9) AS INTEGER)), \
             SUM(CAST(substr(power, -81, 9) AS INTEGER)) \
             FROM votes WHERE proposal_id = ? GROUP BY choice";
        let mut rows = sqlx::query(SHORT).bind(proposal.id.get()).fetch_all(&self.pool).await?;
        if rows.iter().any(|r| r.try_get::<i64, _>(2).is_ok_and(|long| long > 0)) {
            rows = sqlx::query(FULL).bind(proposal.id.get()).fetch_all(&self.pool).await?;
        }
        let mut totals = vec![Amount::ZERO; proposal.choices.len()];
        let mut voters: u64 = 0;
        for row in rows {
            let choice: i64 = row.try_get(0)?;
            let count: i64 = row.try_get(1)?;
            let slot = usize::try_from(choice)
                .ok()
                .and_then(|c| totals.get_mut(c))
                .ok_or_else(|| corrupt("votes.choice", choice))?;
            // Limbs from column 3 on, least significant first; recombine from the top.
            let base = U256::from(1_000_000_000u64);
            let mut total = U256::ZERO;
            for col in (3..row.len()).rev() {
                let limb: i64 = row.try_get(col)?;
                let limb = u64::try_from(limb).map_err(|e| corrupt("votes.power", e))?;
                total = total
                    .checked_mul(base)
                    .and_then(|t| t.checked_add(U256::from(limb)))
                    .ok_or_else(|| corrupt("votes.power", "the sum exceeds 2^256 wei"))?;
            }
            *slot = Amount::from_wei(total);
            voters += u64::try_from(count).map_err(|e| corrupt("votes", e))?;
        }
        // Single-choice: each voter's power lands on exactly one choice.
        let power = totals
            .iter()
            .try_fold(Amount::ZERO, |s, a| s.checked_add(*a))
            .ok_or_else(|| corrupt("votes.power", "the sum exceeds 2^256 wei"))?;
        Ok(Tally::from_parts(totals, power, voters))
    }

    /// The recount for methods whose votes spread over several choices:
    /// every vote read and counted by the same rule as the live tally.
    async fn recount_by_rows(&self, proposal: &Proposal) -> Result<Tally, StoreError> {
        use futures_util::TryStreamExt as _;
        let mut tally = Tally::empty(proposal.choices.len());
        let mut rows = sqlx::query("SELECT selection, power FROM votes WHERE proposal_id = ?")
            .bind(proposal.id.get())
            .fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            let selection: &str = row.try_get(0)?;
            let selection = Selection::from_stored(selection, &proposal.choices)
                .ok_or_else(|| corrupt("votes.selection", selection))?;
            let power: &str = row.try_get(1)?;
            let power = Amount::parse_wei(power).map_err(|e| corrupt("votes.power", e))?;
            tally.add_vote(proposal.method, &selection, power).map_err(|e| corrupt("votes", e))?;
        }
        Ok(tally)
    }

    /// One voter's current vote on a proposal.
    pub async fn vote_of(&self, proposal: &Proposal, voter: Address) -> Result<Option<Vote>, StoreError> {
        let row: Option<VoteRow> = sqlx::query_as(
            "SELECT voter, selection, power, source, cast_at, digest, signed_at FROM votes \
             WHERE proposal_id = ? AND voter = ?",
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
            "SELECT voter, selection, power, source, cast_at, digest, signed_at FROM votes WHERE proposal_id = ? \
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

impl Store {
    /// A voter's current votes, newest first, each with its proposal.
    pub async fn votes_by_voter(&self, voter: Address, limit: u32) -> Result<Vec<(Proposal, Vote)>, StoreError> {
        let rows: Vec<VoterVoteRow> = sqlx::query_as(
            "SELECT proposal_id, voter, selection, power, source, cast_at, digest, signed_at FROM votes WHERE voter = ? \
             ORDER BY cast_at DESC, proposal_id DESC LIMIT ?",
        )
        .bind(voter.to_hex())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let Some(proposal) = self.proposal(ProposalId::from_store(r.proposal_id)).await? else {
                return Err(corrupt("votes.proposal_id", r.proposal_id));
            };
            let vote = r.vote.into_vote(&proposal)?;
            out.push((proposal, vote));
        }
        Ok(out)
    }
}

#[derive(sqlx::FromRow)]
struct VoterVoteRow {
    proposal_id: i64,
    #[sqlx(flatten)]
    vote: VoteRow,
}

#[derive(sqlx::FromRow)]
struct VoteRow {
    voter: String,
    selection: String,
    power: String,
    source: String,
    cast_at: i64,
    digest: Option<String>,
    signed_at: Option<i64>,
}

impl VoteRow {
    fn into_vote(self, proposal: &Proposal) -> Result<Vote, StoreError> {
        Ok(Vote {
            proposal: proposal.id,
            voter: Address::parse(&self.voter).map_err(|e| corrupt("votes.voter", e))?,
            selection: Selection::from_stored(&self.selection, &proposal.choices)
                .ok_or_else(|| corrupt("votes.selection", &self.selection))?,
            power: Amount::parse_wei(&self.power).map_err(|e| corrupt("votes.power", e))?,
            source: VoteSource::parse(&self.source).ok_or_else(|| corrupt("votes.source", &self.source))?,
            cast_at: from_millis("votes.cast_at", self.cast_at)?,
            digest: self.digest.map(|d| d.parse().map_err(|e| corrupt("votes.digest", e))).transpose()?,
            signed_at: self.signed_at.map(|t| from_millis("votes.signed_at", t)).transpose()?,
        })
    }
}

pub(super) async fn live_tally(
    tx: &mut Transaction<'static, Sqlite>,
    proposal: &Proposal,
) -> Result<Tally, StoreError> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT choice, power FROM tallies WHERE proposal_id = ? ORDER BY choice")
            .bind(proposal.id.get())
            .fetch_all(&mut **tx)
            .await?;
    let (voters, power): (i64, String) =
        sqlx::query_as("SELECT voter_count, participation FROM proposals WHERE id = ?")
            .bind(proposal.id.get())
            .fetch_one(&mut **tx)
            .await?;
    let power = Amount::parse_wei(&power).map_err(|e| corrupt("proposals.participation", e))?;
    let totals = choice_totals(proposal, rows)?;
    let voters = u64::try_from(voters).map_err(|e| corrupt("proposals.voter_count", e))?;
    Ok(Tally::from_parts(totals, power, voters))
}

/// A proposal's per-choice totals from its `tallies` rows (choice, power).
pub(super) fn choice_totals(
    proposal: &Proposal,
    rows: impl IntoIterator<Item = (i64, String)>,
) -> Result<Vec<Amount>, StoreError> {
    let mut totals = vec![Amount::ZERO; proposal.choices.len()];
    for (choice, power) in rows {
        let slot = usize::try_from(choice)
            .ok()
            .and_then(|c| totals.get_mut(c))
            .ok_or_else(|| corrupt("tallies.choice", choice))?;
        *slot = Amount::parse_wei(&power).map_err(|e| corrupt("tallies.power", e))?;
    }
    Ok(totals)
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
    sqlx::query("UPDATE proposals SET voter_count = ?, participation = ? WHERE id = ?")
        .bind(i64::try_from(tally.voters()).map_err(|e| corrupt("proposals.voter_count", e))?)
        .bind(tally.participation().to_wei_string())
        .bind(id.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Rows per bulk statement: 9 parameters each stays far below SQLite's
/// 32 766-parameter limit.
const ROWS_PER_STATEMENT: usize = 1000;

/// The current (selection, power, when it was made in Unix milliseconds) of
/// every voter in the batch, by (proposal, voter).
async fn current_votes(
    tx: &mut Transaction<'static, Sqlite>,
    batch: &[(&Proposal, &Vote)],
) -> Result<HashMap<(i64, Address), (String, Amount, i64)>, StoreError> {
    let mut by_proposal: HashMap<i64, Vec<String>> = HashMap::new();
    for (p, v) in batch {
        by_proposal.entry(p.id.get()).or_default().push(v.voter.to_hex());
    }
    let mut out = HashMap::new();
    for (id, voters) in by_proposal {
        for chunk in voters.chunks(ROWS_PER_STATEMENT) {
            // `proposal_id = ? AND voter IN (…)`: a range of the primary key.
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT voter, selection, power, COALESCE(signed_at, cast_at) FROM votes WHERE proposal_id = ",
            );
            q.push_bind(id).push(" AND voter IN (");
            let mut sep = q.separated(", ");
            for voter in chunk {
                sep.push_bind(voter.as_str());
            }
            q.push(")");
            let rows: Vec<(String, String, String, i64)> = q.build_query_as().fetch_all(&mut **tx).await?;
            for (voter, selection, power, made_at) in rows {
                let voter = Address::parse(&voter).map_err(|e| corrupt("votes.voter", e))?;
                let power = Amount::parse_wei(&power).map_err(|e| corrupt("votes.power", e))?;
                out.insert((id, voter), (selection, power, made_at));
            }
        }
    }
    Ok(out)
}

/// Which of the batch's digests were accepted before.
async fn seen_digests(
    tx: &mut Transaction<'static, Sqlite>,
    batch: &[(&Proposal, &Vote)],
) -> Result<HashSet<B256>, StoreError> {
    let digests: Vec<B256> = batch.iter().filter_map(|(_, v)| v.digest).collect();
    let mut out = HashSet::new();
    for chunk in digests.chunks(ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT digest FROM signed_messages WHERE digest IN (");
        let mut sep = q.separated(", ");
        for d in chunk {
            sep.push_bind(d.to_string());
        }
        q.push(")");
        let rows: Vec<String> = q.build_query_scalar().fetch_all(&mut **tx).await?;
        for d in rows {
            out.insert(d.parse().map_err(|e| corrupt("signed_messages.digest", e))?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;
    use chrono::{Duration, Utc};

    use super::super::test_support::temp_store;
    use crate::domain::*;

    async fn active_proposal(store: &super::Store) -> Proposal {
        let now = Utc::now();
        let new = NewProposal {
            title: Title::parse("t").unwrap(),
            body: Body::parse("b").unwrap(),
            author: Address::from([1; 20]),
            choices: Choices::for_against_abstain(),
            method: VotingMethod::SingleChoice,
            window: Window::new(now - Duration::hours(1), now + Duration::hours(1)).unwrap(),
            quorum: Amount::ZERO,
            threshold: Bps::new(5000).unwrap(),
        };
        let p = store.insert_proposal(&new, &Actor::Cli, None, now).await.unwrap();
        store.transition(p.id, &Actor::System, now, |p, _| p.activate(1, now)).await.unwrap()
    }

    fn vote(p: &Proposal, who: u8, choice: &str, power: U256) -> Vote {
        Vote {
            proposal: p.id,
            voter: Address::from([who; 20]),
            selection: Selection::parse(choice, &p.choices, p.method).unwrap(),
            power: Amount::from_wei(power),
            source: VoteSource::Cli,
            cast_at: Utc::now(),
            digest: None,
            signed_at: None,
        }
    }

    #[tokio::test]
    async fn the_recount_is_exact_across_every_limb() {
        let (store, _dir) = temp_store().await;
        let p = active_proposal(&store).await;
        // A 78-digit value, values with zero limbs in the middle, 1 wei; the
        // participating power adds up to exactly 2^256 − 1.
        let gappy =
            U256::from_str_radix("1000000000000000000000000000000000000000000000000000000000000000001", 10).unwrap();
        let big = U256::MAX - gappy - gappy - U256::from(6);
        assert_eq!(big.to_string().len(), 78);
        let votes = vec![
            vote(&p, 1, "1", big),
            vote(&p, 2, "1", U256::from(5)),
            vote(&p, 3, "2", gappy),
            vote(&p, 4, "2", gappy),
            vote(&p, 5, "3", U256::from(1)),
        ];
        store.record_votes(&p, &votes).await.unwrap();
        let recount = store.recount(&p).await.unwrap();
        assert_eq!(recount.totals()[0].wei(), big + U256::from(5));
        assert_eq!(recount.totals()[1].wei(), gappy + gappy);
        assert_eq!(recount.totals()[2].wei(), U256::from(1));
        assert_eq!(recount.participation().wei(), U256::MAX);
        assert_eq!(recount.voters(), 5);
        assert_eq!(recount, store.live_tally(&p).await.unwrap());
    }

    #[tokio::test]
    async fn a_page_of_proposals_carries_each_ones_live_voters_and_participation() {
        let (store, _dir) = temp_store().await;
        let (a, b, c) = (active_proposal(&store).await, active_proposal(&store).await, active_proposal(&store).await);
        store.record_votes(&a, &[vote(&a, 1, "1", U256::from(5)), vote(&a, 2, "2", U256::from(7))]).await.unwrap();
        // A replaced vote counts once, with its new power.
        store.record_vote(&b, &vote(&b, 1, "1", U256::from(3))).await.unwrap();
        store.record_vote(&b, &vote(&b, 1, "3", U256::from(4))).await.unwrap();
        let page = store.proposals_with_turnout(super::super::ProposalQuery::default()).await.unwrap();
        let ids: Vec<_> = page.iter().map(|(p, _)| p.id).collect();
        assert_eq!(ids, [c.id, b.id, a.id], "newest first");
        let expected = [(c.id, 0, 0u64), (b.id, 1, 4), (a.id, 2, 12)];
        for ((p, t), (id, voters, power)) in page.iter().zip(expected) {
            assert_eq!((p.id, t.voters, t.participation.wei()), (id, voters, U256::from(power)));
            let live = store.live_tally(p).await.unwrap();
            assert_eq!((t.voters, t.participation), (live.voters(), live.participation()), "proposal {id}");
        }
        let one = super::super::ProposalQuery { limit: 1, offset: 1, ..Default::default() };
        let page = store.proposals_with_turnout(one).await.unwrap();
        assert_eq!(page.iter().map(|(p, t)| (p.id, t.voters)).collect::<Vec<_>>(), [(b.id, 1)]);
    }

    #[tokio::test]
    async fn a_page_of_proposals_with_tallies_equals_each_ones_live_tally() {
        let (store, _dir) = temp_store().await;
        let (a, b, c) = (active_proposal(&store).await, active_proposal(&store).await, active_proposal(&store).await);
        store.record_votes(&a, &[vote(&a, 1, "1", U256::from(5)), vote(&a, 2, "2", U256::from(7))]).await.unwrap();
        store.record_vote(&b, &vote(&b, 1, "1", U256::from(3))).await.unwrap();
        store.record_vote(&b, &vote(&b, 1, "3", U256::from(4))).await.unwrap();
        let page = store.proposals_with_tallies(super::super::ProposalQuery::default()).await.unwrap();
        assert_eq!(page.iter().map(|(p, _)| p.id).collect::<Vec<_>>(), [c.id, b.id, a.id], "newest first");
        for (p, tally) in &page {
            assert_eq!(tally, &store.live_tally(p).await.unwrap(), "proposal {}", p.id);
        }
        let (_, a_tally) = &page[2];
        assert_eq!(a_tally.totals().iter().map(|t| t.wei()).collect::<Vec<_>>()[..2], [U256::from(5), U256::from(7)]);
        let none = super::super::ProposalQuery { offset: 3, ..Default::default() };
        assert!(store.proposals_with_tallies(none).await.unwrap().is_empty(), "past the last page");
    }

    #[tokio::test]
    async fn the_schema_refuses_a_power_that_is_not_plain_digits() {
        let (store, _dir) = temp_store().await;
        let p = active_proposal(&store).await;
        store.record_vote(&p, &vote(&p, 1, "1", U256::from(5))).await.unwrap();
        for bad in ["5e3", "", "-5", "1.5", &"9".repeat(79)] {
            let r = sqlx::query("UPDATE votes SET power = ?").bind(bad).execute(&store.pool).await;
            assert!(r.is_err(), "{bad:?} was stored");
        }
        assert_eq!(store.recount(&p).await.unwrap().totals()[0].wei(), U256::from(5));
    }

    #[tokio::test]
    async fn small_and_large_powers_mix_in_one_recount() {
        let (store, _dir) = temp_store().await;
        let p = active_proposal(&store).await;
        // 10^27 wei has 28 digits: forces the nine-limb count.
        let big = U256::from(10u64).pow(U256::from(27));
        let votes =
            vec![vote(&p, 1, "1", U256::from(999_999_999u64)), vote(&p, 2, "1", big), vote(&p, 3, "2", U256::from(1))];
        store.record_votes(&p, &votes).await.unwrap();
        let r = store.recount(&p).await.unwrap();
        assert_eq!(r.totals()[0].wei(), big + U256::from(999_999_999u64));
        assert_eq!(r.totals()[1].wei(), U256::from(1));
        assert_eq!(r, store.live_tally(&p).await.unwrap());
    }

    #[tokio::test]
    async fn a_batch_replaces_within_itself_and_refuses_votes_after_the_close() {
        let (store, _dir) = temp_store().await;
        let p = active_proposal(&store).await;
        let mut late = vote(&p, 3, "1", U256::from(7));
        late.cast_at = p.window.end();
        let results = store
            .record_votes(&p, &[vote(&p, 1, "1", U256::from(10)), vote(&p, 1, "2", U256::from(10)), late])
            .await
            .unwrap();
        assert_eq!(results[0], super::RecordedVote::New);
        assert_eq!(
            results[1],
            super::RecordedVote::Replaced {
                selection: Selection::single(p.choices.choice("1").unwrap()),
                power: Amount::from_wei(U256::from(10))
            }
        );
        assert_eq!(results[2], super::RecordedVote::Closed(ProposalState::Active));
        let live = store.live_tally(&p).await.unwrap();
        assert_eq!(
            live.totals().iter().map(|a| a.wei()).collect::<Vec<_>>(),
            vec![U256::ZERO, U256::from(10), U256::ZERO]
        );
        assert_eq!(live.voters(), 1);
        assert_eq!(store.recount(&p).await.unwrap(), live);
        let v = store.vote_of(&p, Address::from([1; 20])).await.unwrap().unwrap();
        assert_eq!(v.selection.as_single().map(Choice::number), Some(2));
        assert!(store.vote_of(&p, Address::from([3; 20])).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_digest_repeated_within_a_batch_or_across_batches_counts_once() {
        let (store, _dir) = temp_store().await;
        let p = active_proposal(&store).await;
        let d = alloy_primitives::B256::repeat_byte(7);
        let mut a = vote(&p, 1, "1", U256::from(10));
        a.digest = Some(d);
        let mut b = vote(&p, 1, "2", U256::from(10));
        b.digest = Some(d);
        let r = store.record_votes(&p, &[a.clone(), b]).await.unwrap();
        assert_eq!(r, vec![super::RecordedVote::New, super::RecordedVote::Replayed]);
        assert_eq!(store.record_vote(&p, &a).await.unwrap(), super::RecordedVote::Replayed);
        let live = store.live_tally(&p).await.unwrap();
        assert_eq!(live.totals()[0].wei(), U256::from(10));
        assert_eq!(store.vote_of(&p, Address::from([1; 20])).await.unwrap().unwrap().digest, Some(d));
        assert_eq!(store.recount(&p).await.unwrap(), live);
    }

    #[tokio::test]
    async fn in_one_batch_a_signed_vote_older_than_the_voters_last_is_superseded_and_leaves_no_digest() {
        let (store, _dir) = temp_store().await;
        let p = active_proposal(&store).await;
        let at = chrono::DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        let signed = |choice, byte, signed_at| Vote {
            digest: Some(alloy_primitives::B256::repeat_byte(byte)),
            signed_at: Some(signed_at),
            source: VoteSource::Signed,
            ..vote(&p, 1, choice, U256::from(10))
        };
        // Arrived out of order: the newer message first.
        let r = store.record_votes(&p, &[signed("1", 1, at), signed("2", 2, at - Duration::seconds(5))]).await.unwrap();
        assert_eq!(r, vec![super::RecordedVote::New, super::RecordedVote::Superseded { current: at }]);
        let stored = store.vote_of(&p, Address::from([1; 20])).await.unwrap().unwrap();
        assert_eq!((stored.selection.to_stored().as_str(), stored.signed_at), ("1=10000", Some(at)));
        let digests: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM signed_messages").fetch_one(&store.pool).await.unwrap();
        assert_eq!(digests, 1, "the refused message may come back only as what it is");
        // A chat vote is made when cast: a signature older than it is refused.
        let chat = Vote { cast_at: at + Duration::seconds(10), ..vote(&p, 1, "3", U256::from(10)) };
        let r = store.record_votes(&p, &[chat, signed("2", 3, at + Duration::seconds(9))]).await.unwrap();
        assert_eq!(r[1], super::RecordedVote::Superseded { current: at + Duration::seconds(10) });
        let stored = store.vote_of(&p, Address::from([1; 20])).await.unwrap().unwrap();
        assert_eq!((stored.selection.to_stored().as_str(), stored.signed_at), ("3=10000", None));
        assert_eq!(store.recount(&p).await.unwrap(), store.live_tally(&p).await.unwrap());
    }
}
