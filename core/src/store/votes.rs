//! Votes and the live tally, written together in one transaction.

use std::collections::HashMap;

use alloy_primitives::U256;
use sqlx::{Row as _, Sqlite, Transaction};

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
    /// commit behind [`crate::Governance`]'s vote writer. Each proposal's
    /// state and live tally are read once and written once; each vote gets
    /// its result, in order.
    pub async fn record_batch(&self, batch: &[(&Proposal, &Vote)]) -> Result<Vec<RecordedVote>, StoreError> {
        let mut tx = self.write().await?;
        let mut open: HashMap<i64, (ProposalState, i64, Tally)> = HashMap::new();
        let mut chain = audit::head(&mut tx).await?;
        let mut results = Vec::with_capacity(batch.len());
        for (proposal, vote) in batch {
            debug_assert_eq!(vote.proposal, proposal.id, "a vote travels with its proposal");
            let id = proposal.id.get();
            if let std::collections::hash_map::Entry::Vacant(slot) = open.entry(id) {
                let (state, ends_at): (String, i64) =
                    sqlx::query_as("SELECT state, ends_at FROM proposals WHERE id = ?")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                let state = ProposalState::parse(&state).ok_or_else(|| corrupt("proposals.state", &state))?;
                let tally = live_tally(&mut tx, proposal).await?;
                slot.insert((state, ends_at, tally));
            }
            let (state, ends_at, tally) = open.get_mut(&id).expect("inserted above");
            if *state != ProposalState::Active || to_millis(vote.cast_at) >= *ends_at {
                results.push(RecordedVote::Closed(*state));
                continue;
            }
            let recorded = upsert(&mut tx, proposal, vote, tally).await?;
            let (action, replaced) = match &recorded {
                RecordedVote::Replayed => {
                    results.push(recorded);
                    continue;
                }
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
                "replaced": replaced,
            });
            let subject = proposal_subject(proposal.id);
            chain.append(&mut tx, vote.cast_at, &Actor::Address(vote.voter), action, &subject, &detail).await?;
            results.push(recorded);
        }
        for (id, (_, _, tally)) in &open {
            write_tally(&mut tx, ProposalId::from_store(*id), tally).await?;
        }
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
            "SELECT voter, selection, power, source, cast_at, digest FROM votes WHERE proposal_id = ? AND voter = ?",
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
            "SELECT voter, selection, power, source, cast_at, digest FROM votes WHERE proposal_id = ? \
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
    selection: String,
    power: String,
    source: String,
    cast_at: i64,
    digest: Option<String>,
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
    let mut totals = vec![Amount::ZERO; proposal.choices.len()];
    for (choice, power) in rows {
        let slot = usize::try_from(choice)
            .ok()
            .and_then(|c| totals.get_mut(c))
            .ok_or_else(|| corrupt("tallies.choice", choice))?;
        *slot = Amount::parse_wei(&power).map_err(|e| corrupt("tallies.power", e))?;
    }
    let voters = u64::try_from(voters).map_err(|e| corrupt("proposals.voter_count", e))?;
    Ok(Tally::from_parts(totals, power, voters))
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

async fn upsert(
    tx: &mut Transaction<'static, Sqlite>,
    proposal: &Proposal,
    vote: &Vote,
    tally: &mut Tally,
) -> Result<RecordedVote, StoreError> {
    let voter = vote.voter.to_hex();
    if let Some(digest) = vote.digest {
        let fresh = sqlx::query(
            "INSERT INTO signed_messages (digest, signer, kind, accepted_at) VALUES (?, ?, 'vote', ?) \
             ON CONFLICT (digest) DO NOTHING",
        )
        .bind(digest.to_string())
        .bind(&voter)
        .bind(to_millis(vote.cast_at))
        .execute(&mut **tx)
        .await?;
        if fresh.rows_affected() == 0 {
            return Ok(RecordedVote::Replayed);
        }
    }
    let old: Option<(String, String)> =
        sqlx::query_as("SELECT selection, power FROM votes WHERE proposal_id = ? AND voter = ?")
            .bind(proposal.id.get())
            .bind(&voter)
            .fetch_optional(&mut **tx)
            .await?;
    let recorded = match old {
        Some((selection, power)) => {
            let selection = Selection::from_stored(&selection, &proposal.choices)
                .ok_or_else(|| corrupt("votes.selection", &selection))?;
            let power = Amount::parse_wei(&power).map_err(|e| corrupt("votes.power", e))?;
            tally.remove_vote(proposal.method, &selection, power).map_err(|e| corrupt("tallies.power", e))?;
            RecordedVote::Replaced { selection, power }
        }
        None => RecordedVote::New,
    };
    tally.add_vote(proposal.method, &vote.selection, vote.power).map_err(|e| corrupt("tallies.power", e))?;
    sqlx::query(
        "INSERT INTO votes (proposal_id, voter, selection, choice, power, source, cast_at, digest) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (proposal_id, voter) DO UPDATE SET selection = excluded.selection, choice = excluded.choice, \
         power = excluded.power, source = excluded.source, cast_at = excluded.cast_at, digest = excluded.digest",
    )
    .bind(proposal.id.get())
    .bind(&voter)
    .bind(vote.selection.to_stored())
    .bind(single_choice_column(proposal, &vote.selection))
    .bind(vote.power.to_wei_string())
    .bind(vote.source.as_str())
    .bind(to_millis(vote.cast_at))
    .bind(vote.digest.map(|d| d.to_string()))
    .execute(&mut **tx)
    .await?;
    Ok(recorded)
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
}
