//! The execution journal of push payouts.

use chrono::{DateTime, Utc};

use super::journal::{ColumnNames, TxProgress};
use super::{Store, StoreError, corrupt, to_millis};

/// One batch as journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRow {
    /// The epoch.
    pub epoch: u64,
    /// The batch number within the epoch.
    pub batch: u32,
    /// The contract paying it.
    pub distributor: String,
    /// [address, wei] pairs as JSON text.
    pub recipients: String,
    /// Its transaction's progress.
    pub tx: TxProgress,
}

type BatchTuple = (i64, i64, String, String, String, Option<String>, Option<i64>, Option<i64>, Option<i64>);

const PROGRESS: ColumnNames =
    ["payout_batches.state", "payout_batches.nonce", "payout_batches.block", "payout_batches.gas_used"];

fn batch_row(r: BatchTuple) -> Result<BatchRow, StoreError> {
    let (epoch, batch, distributor, recipients, state, tx_hash, nonce, block, gas) = r;
    Ok(BatchRow {
        epoch: u64::try_from(epoch).map_err(|e| corrupt("payout_batches.epoch", e))?,
        batch: u32::try_from(batch).map_err(|e| corrupt("payout_batches.batch", e))?,
        distributor,
        recipients,
        tx: TxProgress::from_columns(PROGRESS, (state, tx_hash, nonce, block, gas))?,
    })
}

impl Store {
    /// Journals an epoch's batches as planned (once: an epoch already
    /// planned keeps its batches) and marks the epoch executing.
    pub async fn plan_batches(
        &self,
        epoch: u64,
        distributor: &str,
        batches: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let e = i64::try_from(epoch).map_err(|err| corrupt("payout_batches.epoch", err))?;
        let mut tx = self.write().await?;
        let planned: i64 = sqlx::query_scalar("SELECT count(*) FROM payout_batches WHERE epoch = ?")
            .bind(e)
            .fetch_one(&mut *tx)
            .await?;
        if planned == 0 {
            for (i, recipients) in batches.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO payout_batches (epoch, batch, distributor, recipients, state, updated_at) \
                     VALUES (?, ?, ?, ?, 'planned', ?)",
                )
                .bind(e)
                .bind(i64::try_from(i).map_err(|err| corrupt("payout_batches.batch", err))?)
                .bind(distributor)
                .bind(recipients)
                .bind(to_millis(now))
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("UPDATE epochs SET state = 'executing' WHERE number = ? AND state = 'allocated'")
                .bind(e)
                .execute(&mut *tx)
                .await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    /// An epoch's batches, in order.
    pub async fn batches(&self, epoch: u64) -> Result<Vec<BatchRow>, StoreError> {
        let e = i64::try_from(epoch).map_err(|err| corrupt("payout_batches.epoch", err))?;
        let rows: Vec<BatchTuple> = sqlx::query_as(
            "SELECT epoch, batch, distributor, recipients, state, tx_hash, nonce, block, gas_used \
             FROM payout_batches WHERE epoch = ? ORDER BY batch",
        )
        .bind(e)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(batch_row).collect()
    }

    /// Records that a batch's transaction was broadcast.
    pub async fn batch_sent(
        &self,
        epoch: u64,
        batch: u32,
        tx_hash: &str,
        nonce: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE payout_batches SET state = 'sent', tx_hash = ?, nonce = ?, updated_at = ? \
             WHERE epoch = ? AND batch = ? AND state != 'confirmed'",
        )
        .bind(tx_hash)
        .bind(i64::try_from(nonce).map_err(|e| corrupt("payout_batches.nonce", e))?)
        .bind(to_millis(now))
        .bind(i64::try_from(epoch).map_err(|e| corrupt("payout_batches.epoch", e))?)
        .bind(i64::from(batch))
        .execute(&mut *tx)
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// Records a batch as paid on-chain; the epoch is executed when all are.
    pub async fn batch_confirmed(
        &self,
        epoch: u64,
        batch: u32,
        tx_hash: Option<&str>,
        block: Option<u64>,
        gas_used: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let e = i64::try_from(epoch).map_err(|err| corrupt("payout_batches.epoch", err))?;
        let opt = |v: Option<u64>, what: &'static str| {
            v.map(|n| i64::try_from(n).map_err(|err| corrupt(what, err))).transpose()
        };
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE payout_batches SET state = 'confirmed', tx_hash = coalesce(?, tx_hash), block = ?, gas_used = ?, \
             updated_at = ? WHERE epoch = ? AND batch = ?",
        )
        .bind(tx_hash)
        .bind(opt(block, "payout_batches.block")?)
        .bind(opt(gas_used, "payout_batches.gas_used")?)
        .bind(to_millis(now))
        .bind(e)
        .bind(i64::from(batch))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE epochs SET state = 'executed' WHERE number = ? AND NOT EXISTS \
             (SELECT 1 FROM payout_batches WHERE epoch = ? AND state != 'confirmed')",
        )
        .bind(e)
        .bind(e)
        .execute(&mut *tx)
        .await?;
        self.commit(tx).await?;
        Ok(())
    }
}
