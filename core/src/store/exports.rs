//! The files epochs publish (bundles, claims with proofs), stored once in
//! chunks.

use chrono::{DateTime, Utc};

use super::{Store, StoreError, corrupt, from_millis, to_millis};

/// Bytes per stored chunk: a streamed response holds one at a time.
pub const EXPORT_CHUNK: usize = 256 * 1024;

/// Which file of an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExportKind {
    /// The bundle, as `iodao epoch export` writes it.
    Bundle,
    /// Every claim with its proof, as `iodao epoch execute --claim` writes it.
    Claims,
}

impl ExportKind {
    /// Its stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bundle => "bundle",
            Self::Claims => "claims",
        }
    }
}

/// A stored export: what it is; its bytes are read chunk by chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRow {
    /// The epoch.
    pub epoch: u64,
    /// Which file.
    pub kind: ExportKind,
    /// Its length in bytes.
    pub size: u64,
    /// keccak256 of its bytes, 0x-hex.
    pub digest: String,
    /// How many chunks hold it.
    pub chunks: u32,
    /// When it was built.
    pub created_at: DateTime<Utc>,
}

fn epoch_key(epoch: u64) -> Result<i64, StoreError> {
    i64::try_from(epoch).map_err(|e| corrupt("epoch_exports.epoch", e))
}

impl Store {
    /// Epoch `epoch`'s stored `kind` export, if it was built.
    pub async fn export(&self, epoch: u64, kind: ExportKind) -> Result<Option<ExportRow>, StoreError> {
        let Ok(n) = i64::try_from(epoch) else { return Ok(None) };
        let row: Option<(i64, String, i64, i64)> =
            sqlx::query_as("SELECT size, digest, chunks, created_at FROM epoch_exports WHERE epoch = ? AND kind = ?")
                .bind(n)
                .bind(kind.as_str())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(size, digest, chunks, created)| {
            Ok(ExportRow {
                epoch,
                kind,
                size: u64::try_from(size).map_err(|e| corrupt("epoch_exports.size", e))?,
                digest,
                chunks: u32::try_from(chunks).map_err(|e| corrupt("epoch_exports.chunks", e))?,
                created_at: from_millis("epoch_exports.created_at", created)?,
            })
        })
        .transpose()
    }

    /// Stores an export in one transaction. `Ok(false)` if one was stored
    /// already (it stands; nothing is written): an export is immutable.
    pub async fn insert_export(
        &self,
        epoch: u64,
        kind: ExportKind,
        digest: &str,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = epoch_key(epoch)?;
        let chunks: Vec<&[u8]> = bytes.chunks(EXPORT_CHUNK).collect();
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO epoch_exports (epoch, kind, size, digest, chunks, created_at) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(n)
        .bind(kind.as_str())
        .bind(i64::try_from(bytes.len()).map_err(|e| corrupt("epoch_exports.size", e))?)
        .bind(digest)
        .bind(i64::try_from(chunks.len()).map_err(|e| corrupt("epoch_exports.chunks", e))?)
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        for (seq, chunk) in chunks.iter().enumerate() {
            sqlx::query("INSERT INTO epoch_export_chunks (epoch, kind, seq, bytes) VALUES (?, ?, ?, ?)")
                .bind(n)
                .bind(kind.as_str())
                .bind(i64::try_from(seq).map_err(|e| corrupt("epoch_export_chunks.seq", e))?)
                .bind(*chunk)
                .execute(&mut *tx)
                .await?;
        }
        self.commit(tx).await?;
        Ok(true)
    }

    /// Chunk `seq` (from 0) of a stored export.
    pub async fn export_chunk(&self, epoch: u64, kind: ExportKind, seq: u32) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(sqlx::query_scalar("SELECT bytes FROM epoch_export_chunks WHERE epoch = ? AND kind = ? AND seq = ?")
            .bind(epoch_key(epoch)?)
            .bind(kind.as_str())
            .bind(i64::from(seq))
            .fetch_optional(&self.pool)
            .await?)
    }
}
