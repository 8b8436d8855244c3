//! Epochs and their payouts.

use chrono::{DateTime, Utc};

use super::{Store, StoreError, audit, corrupt, from_millis, to_millis};
use crate::domain::{Actor, Address, Amount, AuditAction};

/// An epoch as listed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EpochRow {
    /// Its number, from 1.
    pub number: u64,
    /// The scheduled time it was run for.
    pub slot: DateTime<Utc>,
    /// The block its votes' power was read at.
    pub snapshot_block: u64,
    /// The budget.
    pub budget: Amount,
    /// What its payouts add up to.
    pub spent: Amount,
    /// What no feasible allocation could spend.
    pub unallocated: Amount,
    /// allocated, executing or executed.
    pub state: String,
    /// keccak256 of its bundle, 0x-hex.
    pub digest: String,
    /// When it was run.
    pub created_at: DateTime<Utc>,
}

/// One stored payout.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PayoutRow {
    /// The recipient's id.
    pub recipient_id: i64,
    /// Where it is paid.
    pub payout: Address,
    /// How much.
    pub amount: Amount,
    /// Its vote-proportional target.
    pub target: Amount,
    /// The rule that bound it.
    pub binding: String,
}

/// What to store for a new epoch.
pub struct NewEpoch<'a> {
    /// Its number (the next one).
    pub number: u64,
    /// Its slot.
    pub slot: DateTime<Utc>,
    /// Its snapshot block.
    pub snapshot_block: u64,
    /// The budget, spent and unallocated amounts.
    pub budget: Amount,
    /// Sum of the payouts.
    pub spent: Amount,
    /// Left unspent.
    pub unallocated: Amount,
    /// keccak256 of the bundle.
    pub digest: &'a str,
    /// The bundle, JSON.
    pub bundle: &'a str,
    /// The payouts.
    pub payouts: &'a [PayoutRow],
}

type EpochTuple = (i64, i64, i64, String, String, String, String, String, i64);

fn epoch_row(r: EpochTuple) -> Result<EpochRow, StoreError> {
    let (number, slot, block, budget, spent, unallocated, state, digest, created) = r;
    let amount = |what: &'static str, s: &str| Amount::parse_wei(s).map_err(|e| corrupt(what, e));
    Ok(EpochRow {
        number: u64::try_from(number).map_err(|e| corrupt("epochs.number", e))?,
        slot: from_millis("epochs.slot", slot)?,
        snapshot_block: u64::try_from(block).map_err(|e| corrupt("epochs.snapshot_block", e))?,
        budget: amount("epochs.budget", &budget)?,
        spent: amount("epochs.spent", &spent)?,
        unallocated: amount("epochs.unallocated", &unallocated)?,
        state,
        digest,
        created_at: from_millis("epochs.created_at", created)?,
    })
}

impl Store {
    /// Stores an epoch, its payouts and its audit entry in one transaction,
    /// and deletes its slot's run.
    /// `Ok(false)` if an epoch for the same slot exists already (nothing is
    /// written): one epoch per scheduled slot, however often it is asked.
    pub async fn insert_epoch(&self, e: &NewEpoch<'_>, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let number = i64::try_from(e.number).map_err(|err| corrupt("epochs.number", err))?;
        let inserted = sqlx::query(
            "INSERT INTO epochs (number, slot, snapshot_block, budget, spent, unallocated, digest, bundle, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slot) DO NOTHING",
        )
        .bind(number)
        .bind(to_millis(e.slot))
        .bind(i64::try_from(e.snapshot_block).map_err(|err| corrupt("epochs.snapshot_block", err))?)
        .bind(e.budget.to_wei_string())
        .bind(e.spent.to_wei_string())
        .bind(e.unallocated.to_wei_string())
        .bind(e.digest)
        .bind(e.bundle)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        // Its run ends here: an epoch is a run or an epoch, never both.
        sqlx::query("DELETE FROM epoch_runs WHERE slot = ?").bind(to_millis(e.slot)).execute(&mut *tx).await?;
        for p in e.payouts {
            sqlx::query(
                "INSERT INTO epoch_payouts (epoch, recipient_id, payout, amount, target, binding) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(number)
            .bind(p.recipient_id)
            .bind(p.payout.to_hex())
            .bind(p.amount.to_wei_string())
            .bind(p.target.to_wei_string())
            .bind(&p.binding)
            .execute(&mut *tx)
            .await?;
        }
        let detail = serde_json::json!({
            "slot": e.slot, "snapshot_block": e.snapshot_block, "budget": e.budget.to_wei_string(),
            "spent": e.spent.to_wei_string(), "digest": e.digest,
        });
        audit::append(
            &mut tx,
            now,
            &Actor::System,
            AuditAction::EpochAllocated,
            &format!("epoch:{}", e.number),
            &detail,
        )
        .await?;
        self.commit(tx).await?;
        Ok(true)
    }

    /// Every epoch, newest first.
    pub async fn epochs(&self) -> Result<Vec<EpochRow>, StoreError> {
        let rows: Vec<EpochTuple> = sqlx::query_as(
            "SELECT number, slot, snapshot_block, budget, spent, unallocated, state, digest, created_at \
                 FROM epochs ORDER BY number DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(epoch_row).collect()
    }

    /// One epoch.
    pub async fn epoch(&self, number: u64) -> Result<Option<EpochRow>, StoreError> {
        let Ok(n) = i64::try_from(number) else { return Ok(None) };
        let row: Option<EpochTuple> = sqlx::query_as(
            "SELECT number, slot, snapshot_block, budget, spent, unallocated, state, digest, created_at \
             FROM epochs WHERE number = ?",
        )
        .bind(n)
        .fetch_optional(&self.pool)
        .await?;
        row.map(epoch_row).transpose()
    }

    /// An epoch's bundle, as stored.
    pub async fn epoch_bundle(&self, number: u64) -> Result<Option<String>, StoreError> {
        let Ok(n) = i64::try_from(number) else { return Ok(None) };
        Ok(sqlx::query_scalar("SELECT bundle FROM epochs WHERE number = ?").bind(n).fetch_optional(&self.pool).await?)
    }

    /// An epoch's payouts, by recipient id.
    pub async fn epoch_payouts(&self, number: u64) -> Result<Vec<PayoutRow>, StoreError> {
        let Ok(n) = i64::try_from(number) else { return Ok(Vec::new()) };
        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT recipient_id, payout, amount, target, binding FROM epoch_payouts WHERE epoch = ? ORDER BY recipient_id",
        )
        .bind(n)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(recipient_id, payout, amount, target, binding)| {
                Ok(PayoutRow {
                    recipient_id,
                    payout: Address::parse(&payout).map_err(|e| corrupt("epoch_payouts.payout", e))?,
                    amount: Amount::parse_wei(&amount).map_err(|e| corrupt("epoch_payouts.amount", e))?,
                    target: Amount::parse_wei(&target).map_err(|e| corrupt("epoch_payouts.target", e))?,
                    binding,
                })
            })
            .collect()
    }
}
