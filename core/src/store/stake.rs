//! The stake cache.

use super::{Store, StoreError, corrupt};
use crate::domain::{Address, Amount};

impl Store {
    /// A cached power, if read before.
    pub async fn cached_power(&self, source: &str, voter: Address, block: u64) -> Result<Option<Amount>, StoreError> {
        let block = i64::try_from(block).map_err(|e| corrupt("stake_cache.block", e))?;
        let power: Option<String> =
            sqlx::query_scalar("SELECT power FROM stake_cache WHERE source = ? AND voter = ? AND block = ?")
                .bind(source)
                .bind(voter.to_hex())
                .bind(block)
                .fetch_optional(&self.pool)
                .await?;
        power.map(|p| Amount::parse_wei(&p).map_err(|e| corrupt("stake_cache.power", e))).transpose()
    }

    /// Remembers a power read from the chain (the first answer stands).
    pub async fn cache_power(&self, source: &str, voter: Address, block: u64, power: Amount) -> Result<(), StoreError> {
        let block = i64::try_from(block).map_err(|e| corrupt("stake_cache.block", e))?;
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO stake_cache (source, voter, block, power) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
            .bind(source)
            .bind(voter.to_hex())
            .bind(block)
            .bind(power.to_wei_string())
            .execute(&mut *tx)
            .await?;
        self.commit(tx).await?;
        Ok(())
    }
}
