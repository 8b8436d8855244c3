//! The stake cache.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite};

use super::{Store, StoreError, corrupt};
use crate::domain::{Address, Amount};

/// Voters per statement (well under SQLite's limit on bound values).
const CHUNK: usize = 500;

fn block_key(block: u64) -> Result<i64, StoreError> {
    i64::try_from(block).map_err(|e| corrupt("stake_cache.block", e))
}

impl Store {
    /// A cached power, if read before.
    pub async fn cached_power(&self, source: &str, voter: Address, block: u64) -> Result<Option<Amount>, StoreError> {
        Ok(self.cached_powers(source, &[voter], block).await?.remove(&voter))
    }

    /// The cached powers of those `voters` read before at `block` (a voter
    /// never read is absent). Reads only.
    pub async fn cached_powers(
        &self,
        source: &str,
        voters: &[Address],
        block: u64,
    ) -> Result<HashMap<Address, Amount>, StoreError> {
        let block = block_key(block)?;
        let mut out = HashMap::with_capacity(voters.len());
        for chunk in voters.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new("SELECT voter, power FROM stake_cache WHERE source = ");
            q.push_bind(source).push(" AND block = ").push_bind(block).push(" AND voter IN (");
            let mut list = q.separated(", ");
            for v in chunk {
                list.push_bind(v.to_hex());
            }
            q.push(")");
            let rows: Vec<(String, String)> = q.build_query_as().fetch_all(&self.pool).await?;
            for (voter, power) in rows {
                let voter = Address::parse(&voter).map_err(|e| corrupt("stake_cache.voter", e))?;
                out.insert(voter, Amount::parse_wei(&power).map_err(|e| corrupt("stake_cache.power", e))?);
            }
        }
        Ok(out)
    }

    /// Remembers a power read from the chain (the first answer stands).
    pub async fn cache_power(&self, source: &str, voter: Address, block: u64, power: Amount) -> Result<(), StoreError> {
        self.cache_powers(source, block, &[(voter, power)]).await
    }

    /// Remembers powers read from the chain at `block`, in one transaction
    /// (the first answer for a voter stands).
    pub async fn cache_powers(&self, source: &str, block: u64, powers: &[(Address, Amount)]) -> Result<(), StoreError> {
        if powers.is_empty() {
            return Ok(());
        }
        let block = block_key(block)?;
        let mut tx = self.write().await?;
        for chunk in powers.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO stake_cache (source, voter, block, power) ");
            q.push_values(chunk, |mut row, (voter, power)| {
                row.push_bind(source).push_bind(voter.to_hex()).push_bind(block).push_bind(power.to_wei_string());
            });
            q.push(" ON CONFLICT DO NOTHING");
            q.build().execute(&mut *tx).await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    /// Deletes cached powers at blocks no proposal, epoch or epoch run has
    /// as its snapshot (read at a head block, or by a failed run since
    /// opened afresh): such a block's powers are never needed again, and
    /// a pruned answer would only be read from the node once more. Returns
    /// how many were deleted.
    pub async fn prune_stake_cache(&self) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let deleted = sqlx::query(PRUNE_STAKE_CACHE).execute(&mut *tx).await?.rows_affected();
        self.commit(tx).await?;
        Ok(deleted)
    }

    /// How many powers the stake cache holds (for tests and reports).
    pub async fn stake_cache_rows(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM stake_cache").fetch_one(&self.pool).await?;
        u64::try_from(n).map_err(|e| corrupt("stake_cache", e))
    }
}

/// Kept in step with the same statement in migration 0013.
const PRUNE_STAKE_CACHE: &str = "DELETE FROM stake_cache WHERE block NOT IN ( \
     SELECT snapshot_block FROM proposals WHERE snapshot_block IS NOT NULL \
     UNION SELECT snapshot_block FROM epochs \
     UNION SELECT snapshot_block FROM epoch_runs)";
