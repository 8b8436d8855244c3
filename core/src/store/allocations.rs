//! Recipients and standing allocation votes.

use chrono::{DateTime, Utc};

use super::{Store, StoreError, audit, corrupt, to_millis};
use crate::domain::{Actor, Address, Allocation, AuditAction, Category, Quoted, Recipient, RecipientId};

type RecipientRow = (i64, String, String, String, i64);

fn recipient(r: RecipientRow) -> Result<Recipient, StoreError> {
    let (id, name, category, payout, active) = r;
    Ok(Recipient {
        id: RecipientId::from_store(id),
        name,
        category: Category::parse(&category).ok_or_else(|| corrupt("recipients.category", &category))?,
        payout: Address::parse(&payout).map_err(|e| corrupt("recipients.payout", e))?,
        active: active != 0,
    })
}

/// Why a recipient could not be added.
#[derive(Debug, thiserror::Error)]
pub enum RecipientError {
    /// The name is taken.
    #[error("a recipient named {} exists already", Quoted(.0))]
    NameTaken(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Adds an active recipient.
    pub async fn insert_recipient(
        &self,
        name: &str,
        category: Category,
        payout: Address,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Recipient, RecipientError> {
        let mut tx = self.write().await?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO recipients (name, category, payout, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (name) DO NOTHING RETURNING id",
        )
        .bind(name)
        .bind(category.as_str())
        .bind(payout.to_hex())
        .bind(to_millis(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        let Some(id) = inserted else {
            return Err(RecipientError::NameTaken(name.to_owned()));
        };
        let detail = serde_json::json!({ "name": name, "category": category, "payout": payout });
        audit::append(&mut tx, now, actor, AuditAction::RecipientAdded, &format!("recipient:{id}"), &detail).await?;
        self.commit(tx).await?;
        Ok(Recipient { id: RecipientId::from_store(id), name: name.to_owned(), category, payout, active: true })
    }

    /// Every recipient, by id.
    pub async fn recipients(&self) -> Result<Vec<Recipient>, StoreError> {
        let rows: Vec<RecipientRow> =
            sqlx::query_as("SELECT id, name, category, payout, active FROM recipients ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(recipient).collect()
    }

    /// Replaces a voter's whole allocation (an empty one withdraws it), with
    /// its audit entry, in one transaction.
    pub async fn set_allocation(
        &self,
        voter: Address,
        allocation: &Allocation,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let key = voter.to_hex();
        sqlx::query("DELETE FROM allocation_votes WHERE voter = ?").bind(&key).execute(&mut *tx).await?;
        for (recipient, bps) in allocation.entries() {
            sqlx::query("INSERT INTO allocation_votes (voter, recipient_id, bps, cast_at) VALUES (?, ?, ?, ?)")
                .bind(&key)
                .bind(recipient.get())
                .bind(i64::from(*bps))
                .bind(to_millis(now))
                .execute(&mut *tx)
                .await?;
        }
        let detail = serde_json::json!({ "allocation": allocation });
        audit::append(
            &mut tx,
            now,
            &Actor::Address(voter),
            AuditAction::AllocationSet,
            &format!("voter:{key}"),
            &detail,
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// A voter's standing allocation (empty if none).
    pub async fn allocation_of(&self, voter: Address) -> Result<Allocation, StoreError> {
        let rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT recipient_id, bps FROM allocation_votes WHERE voter = ? ORDER BY recipient_id")
                .bind(voter.to_hex())
                .fetch_all(&self.pool)
                .await?;
        let entries = rows
            .into_iter()
            .map(|(r, b)| {
                Ok((RecipientId::from_store(r), u16::try_from(b).map_err(|e| corrupt("allocation_votes.bps", e))?))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Allocation::from_stored(entries))
    }

    /// Every voter with a standing allocation, and it.
    pub async fn allocations(&self) -> Result<Vec<(Address, Allocation)>, StoreError> {
        let rows: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT voter, recipient_id, bps FROM allocation_votes ORDER BY voter, recipient_id")
                .fetch_all(&self.pool)
                .await?;
        let mut out: Vec<(Address, Vec<(RecipientId, u16)>)> = Vec::new();
        for (voter, r, b) in rows {
            let voter = Address::parse(&voter).map_err(|e| corrupt("allocation_votes.voter", e))?;
            let entry = (RecipientId::from_store(r), u16::try_from(b).map_err(|e| corrupt("allocation_votes.bps", e))?);
            match out.last_mut() {
                Some((v, entries)) if *v == voter => entries.push(entry),
                _ => out.push((voter, vec![entry])),
            }
        }
        Ok(out.into_iter().map(|(v, e)| (v, Allocation::from_stored(e))).collect())
    }
}
