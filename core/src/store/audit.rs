//! The audit log: appended inside the transaction of the change it records.

use alloy_primitives::B256;
use chrono::{DateTime, Utc};
use sqlx::{Sqlite, Transaction};

use super::{Store, StoreError, corrupt, from_millis, to_millis};
use crate::domain::{Actor, AuditAction, AuditBreak, AuditEntry, ChainVerifier, chain_hash};

/// Why `verify_audit` failed: the chain is broken, or it could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The chain does not verify: a row was edited, removed or replaced.
    #[error(transparent)]
    Broken(#[from] AuditBreak),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The newest entry's position and hash, read once per write transaction so
/// that a batch appends without re-reading the log.
pub(super) struct ChainHead {
    seq: u64,
    prev: B256,
}

/// Reads the head of the chain inside `tx`.
pub(super) async fn head(tx: &mut Transaction<'static, Sqlite>) -> Result<ChainHead, StoreError> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut **tx).await?;
    Ok(match last {
        Some((seq, hash)) => ChainHead {
            seq: u64::try_from(seq).map_err(|e| corrupt("audit_log.seq", e))?,
            prev: hash.parse::<B256>().map_err(|e| corrupt("audit_log.hash", e))?,
        },
        None => ChainHead { seq: 0, prev: B256::ZERO },
    })
}

/// An audit row computed but not yet inserted.
pub(super) struct AuditRow {
    seq: u64,
    at: DateTime<Utc>,
    actor: String,
    action: AuditAction,
    subject: String,
    detail: String,
    prev: B256,
    hash: B256,
}

/// Inserts computed rows in bulk (they must follow the head they came from).
pub(super) async fn insert_rows(tx: &mut Transaction<'static, Sqlite>, rows: &[AuditRow]) -> Result<(), StoreError> {
    for chunk in rows.chunks(1000) {
        let mut q = sqlx::QueryBuilder::<Sqlite>::new(
            "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) ",
        );
        let mut bad = None;
        q.push_values(chunk, |mut b, r| {
            let seq = i64::try_from(r.seq).unwrap_or_else(|e| {
                bad = Some(e);
                0
            });
            b.push_bind(seq)
                .push_bind(to_millis(r.at))
                .push_bind(r.actor.clone())
                .push_bind(r.action.as_str())
                .push_bind(r.subject.clone())
                .push_bind(r.detail.clone())
                .push_bind(r.prev.to_string())
                .push_bind(r.hash.to_string());
        });
        if let Some(e) = bad {
            return Err(corrupt("audit_log.seq", e));
        }
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}

impl ChainHead {
    /// Computes the next entry after this head and advances, without
    /// writing it: for batches, which insert with [`insert_rows`].
    pub(super) fn next(
        &mut self,
        at: DateTime<Utc>,
        actor: &Actor,
        action: AuditAction,
        subject: &str,
        detail: &serde_json::Value,
    ) -> AuditRow {
        let seq = self.seq + 1;
        let actor = actor.to_string();
        let detail = detail.to_string();
        let hash = chain_hash(seq, at, &actor, action.as_str(), subject, &detail, self.prev);
        let row = AuditRow { seq, at, actor, action, subject: subject.to_owned(), detail, prev: self.prev, hash };
        self.seq = seq;
        self.prev = hash;
        row
    }
}

/// Appends one entry chained to the last one, inside the write transaction
/// of the change it records, so both commit or neither does.
pub(super) async fn append(
    tx: &mut Transaction<'static, Sqlite>,
    at: DateTime<Utc>,
    actor: &Actor,
    action: AuditAction,
    subject: &str,
    detail: &serde_json::Value,
) -> Result<(), StoreError> {
    let row = head(tx).await?.next(at, actor, action, subject, detail);
    insert_rows(tx, std::slice::from_ref(&row)).await
}

type Row = (i64, i64, String, String, String, String, String, String);

fn entry(r: Row) -> Result<AuditEntry, StoreError> {
    let (seq, at, actor, action, subject, detail, prev, hash) = r;
    Ok(AuditEntry {
        seq: u64::try_from(seq).map_err(|e| corrupt("audit_log.seq", e))?,
        at: from_millis("audit_log.at", at)?,
        actor,
        action,
        subject,
        detail,
        prev_hash: prev.parse().map_err(|e| corrupt("audit_log.prev_hash", e))?,
        hash: hash.parse().map_err(|e| corrupt("audit_log.hash", e))?,
    })
}

impl Store {
    /// Entries after `after` (0 for the start), oldest first.
    pub async fn audit_entries(&self, after: u64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log \
             WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(i64::try_from(after).map_err(|e| corrupt("audit_log.seq", e))?)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(entry).collect()
    }

    /// Verifies the whole chain, page by page; returns how many entries it holds.
    pub async fn verify_audit(&self) -> Result<u64, AuditError> {
        const PAGE: u32 = 10_000;
        let mut verifier = ChainVerifier::new();
        loop {
            let page = self.audit_entries(verifier.checked(), PAGE).await?;
            for e in &page {
                verifier.check(e)?;
            }
            if page.len() < PAGE as usize {
                return Ok(verifier.checked());
            }
        }
    }
}
