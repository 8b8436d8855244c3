//! What signed messages leave behind: the digests that refuse replays, and
//! the deployment's EIP-712 salt.

use alloy_primitives::B256;
use chrono::{DateTime, Utc};

use super::{Store, StoreError, corrupt, to_millis};

/// Rows deleted per transaction when pruning, so a large backlog never holds
/// the write lock (and the votes waiting for it) for long.
pub(super) const PRUNE_BATCH: i64 = 1000;

impl Store {
    /// Deletes the digests of signed messages accepted before `before`, in
    /// batches; returns how many. The caller picks `before` so that no
    /// message with such a digest could still be accepted (see
    /// [`crate::signed::REPLAY_WINDOW`]). Each batch scans the table (no
    /// index on `accepted_at`, which every signed vote would pay for): kept
    /// pruned, it holds about an hour of messages.
    pub async fn prune_signed_messages(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.prune_in_batches(
            "DELETE FROM signed_messages WHERE digest IN \
             (SELECT digest FROM signed_messages WHERE accepted_at < ? LIMIT ?)",
            to_millis(before),
        )
        .await
    }

    /// Runs a `DELETE … (SELECT … < ? LIMIT ?)` until it deletes fewer than a
    /// batch, one transaction per batch; the change counter moves only when
    /// something was deleted.
    pub(super) async fn prune_in_batches(&self, delete: &'static str, before: i64) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let mut tx = self.write().await?;
            let deleted = sqlx::query(delete).bind(before).bind(PRUNE_BATCH).execute(&mut *tx).await?.rows_affected();
            if deleted == 0 {
                tx.commit().await?;
                return Ok(total);
            }
            self.commit(tx).await?;
            total += deleted;
            if deleted < PRUNE_BATCH.unsigned_abs() {
                return Ok(total);
            }
        }
    }

    /// The deployment's EIP-712 salt: the one stored, or else `drawn` (fresh
    /// random bytes from the caller), stored now and returned. Every process
    /// over the same database gets the same salt; of two first starts at
    /// once, the first to commit wins.
    pub async fn eip712_salt(&self, drawn: B256, now: DateTime<Utc>) -> Result<B256, StoreError> {
        if let Some(salt) = self.stored_salt().await? {
            return Ok(salt);
        }
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO deployment (id, eip712_salt, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(drawn.to_string())
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        self.commit(tx).await?;
        self.stored_salt().await?.ok_or_else(|| corrupt("deployment.eip712_salt", "missing after it was stored"))
    }

    async fn stored_salt(&self) -> Result<Option<B256>, StoreError> {
        let salt: Option<String> =
            sqlx::query_scalar("SELECT eip712_salt FROM deployment WHERE id = 1").fetch_optional(&self.pool).await?;
        salt.map(|s| s.parse().map_err(|e| corrupt("deployment.eip712_salt", e))).transpose()
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;
    use chrono::{Duration, Utc};

    use super::super::test_support::temp_store;

    #[tokio::test]
    async fn the_first_salt_drawn_is_kept_for_good() {
        let (store, _dir) = temp_store().await;
        let now = Utc::now();
        let first = store.eip712_salt(B256::repeat_byte(1), now).await.unwrap();
        assert_eq!(first, B256::repeat_byte(1));
        assert_eq!(store.eip712_salt(B256::repeat_byte(2), now).await.unwrap(), first);
    }

    #[tokio::test]
    async fn digests_past_the_cutoff_are_pruned_in_batches_and_later_ones_kept() {
        let (store, _dir) = temp_store().await;
        let now = Utc::now();
        let old = super::PRUNE_BATCH * 2 + 5;
        for i in 0..old + 3 {
            let at = if i < old { now - Duration::hours(2) } else { now };
            sqlx::query("INSERT INTO signed_messages (digest, signer, kind, accepted_at) VALUES (?, 'x', 'vote', ?)")
                .bind(format!("{i:066}"))
                .bind(super::to_millis(at))
                .execute(&store.pool)
                .await
                .unwrap();
        }
        let before = store.changes();
        assert_eq!(store.prune_signed_messages(now - Duration::hours(1)).await.unwrap(), old.unsigned_abs());
        assert_eq!(store.changes() - before, 3, "one transaction per batch");
        let left: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM signed_messages").fetch_one(&store.pool).await.unwrap();
        assert_eq!(left, 3);
        let before = store.changes();
        assert_eq!(store.prune_signed_messages(now - Duration::hours(1)).await.unwrap(), 0);
        assert_eq!(store.changes(), before, "pruning nothing changes nothing");
    }
}
