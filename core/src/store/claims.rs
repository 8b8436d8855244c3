//! The execution journal of claim-mode payouts: one Merkle root per epoch.

use chrono::{DateTime, Utc};

use super::journal::{ColumnNames, TxProgress};
use super::{Store, StoreError, corrupt, to_millis};

/// An epoch's root as journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRootRow {
    /// The epoch.
    pub epoch: u64,
    /// The claim-mode contract.
    pub distributor: String,
    /// The root, 0x-hex.
    pub root: String,
    /// What the leaves add up to, wei decimal.
    pub total: String,
    /// [address, wei] pairs as JSON text; leaf i is (i, address, wei).
    pub leaves: String,
    /// The `setRoot` transaction's progress.
    pub tx: TxProgress,
}

type RootTuple = (i64, String, String, String, String, String, Option<String>, Option<i64>, Option<i64>, Option<i64>);

const PROGRESS: ColumnNames = ["claim_roots.state", "claim_roots.nonce", "claim_roots.block", "claim_roots.gas_used"];

fn root_row(r: RootTuple) -> Result<ClaimRootRow, StoreError> {
    let (epoch, distributor, root, total, leaves, state, tx_hash, nonce, block, gas) = r;
    Ok(ClaimRootRow {
        epoch: u64::try_from(epoch).map_err(|e| corrupt("claim_roots.epoch", e))?,
        distributor,
        root,
        total,
        leaves,
        tx: TxProgress::from_columns(PROGRESS, (state, tx_hash, nonce, block, gas))?,
    })
}

fn epoch_key(epoch: u64) -> Result<i64, StoreError> {
    i64::try_from(epoch).map_err(|e| corrupt("claim_roots.epoch", e))
}

impl Store {
    /// Journals an epoch's root as planned, once (an epoch already planned
    /// keeps its root and leaves), marks the epoch executing, and returns
    /// the journaled row.
    pub async fn plan_claims(
        &self,
        epoch: u64,
        distributor: &str,
        root: &str,
        total: &str,
        leaves: &str,
        now: DateTime<Utc>,
    ) -> Result<ClaimRootRow, StoreError> {
        let e = epoch_key(epoch)?;
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO claim_roots (epoch, distributor, root, total, leaves, state, updated_at) \
             VALUES (?, ?, ?, ?, ?, 'planned', ?) ON CONFLICT (epoch) DO NOTHING",
        )
        .bind(e)
        .bind(distributor)
        .bind(root)
        .bind(total)
        .bind(leaves)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted > 0 {
            sqlx::query("UPDATE epochs SET state = 'executing' WHERE number = ? AND state = 'allocated'")
                .bind(e)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.claim_root(epoch).await?.ok_or_else(|| corrupt("claim_roots", "planned but not found"))
    }

    /// An epoch's journaled root, if claims were planned.
    pub async fn claim_root(&self, epoch: u64) -> Result<Option<ClaimRootRow>, StoreError> {
        let row: Option<RootTuple> = sqlx::query_as(
            "SELECT epoch, distributor, root, total, leaves, state, tx_hash, nonce, block, gas_used \
             FROM claim_roots WHERE epoch = ?",
        )
        .bind(epoch_key(epoch)?)
        .fetch_optional(&self.pool)
        .await?;
        row.map(root_row).transpose()
    }

    /// Records that the `setRoot` transaction was broadcast.
    pub async fn claims_sent(
        &self,
        epoch: u64,
        tx_hash: &str,
        nonce: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE claim_roots SET state = 'sent', tx_hash = ?, nonce = ?, updated_at = ? \
             WHERE epoch = ? AND state != 'confirmed'",
        )
        .bind(tx_hash)
        .bind(i64::try_from(nonce).map_err(|e| corrupt("claim_roots.nonce", e))?)
        .bind(to_millis(now))
        .bind(epoch_key(epoch)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the root as set on-chain; the epoch is executed (its
    /// recipients may claim).
    pub async fn claims_confirmed(
        &self,
        epoch: u64,
        tx_hash: Option<&str>,
        block: Option<u64>,
        gas_used: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let e = epoch_key(epoch)?;
        let opt = |v: Option<u64>, what: &'static str| {
            v.map(|n| i64::try_from(n).map_err(|err| corrupt(what, err))).transpose()
        };
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE claim_roots SET state = 'confirmed', tx_hash = coalesce(?, tx_hash), block = ?, gas_used = ?, \
             updated_at = ? WHERE epoch = ?",
        )
        .bind(tx_hash)
        .bind(opt(block, "claim_roots.block")?)
        .bind(opt(gas_used, "claim_roots.gas_used")?)
        .bind(to_millis(now))
        .bind(e)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE epochs SET state = 'executed' WHERE number = ?").bind(e).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
