//! The devices of device-program recipients, by ioID device address, each
//! with its score.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Store, StoreError, audit, corrupt, to_millis};
use crate::domain::{Actor, Address, AuditAction, Category, Quoted, RecipientId};

/// A device a program lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ListedDevice {
    /// The device's address (its ioID is `did:io:<address>`).
    pub device: Address,
    /// Its share weight (1 for everyone: an equal split).
    pub score: u32,
}

/// Why a device was not listed or removed. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum DeviceStoreError {
    /// No such recipient.
    #[error("there is no recipient {0}")]
    NoRecipient(RecipientId),
    /// Only device programs list devices.
    #[error("recipient {} is a {}, not a device-program: only device programs list devices", Quoted(.0), .1)]
    NotDeviceProgram(String, Category),
    /// A score of zero.
    #[error("a device's score must be at least 1 (remove the device to stop paying it)")]
    ZeroScore,
    /// Removing a device the program does not list.
    #[error("recipient {0} does not list device {1}")]
    NotListed(RecipientId, Address),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

type DeviceTuple = (i64, String, i64);

fn listed(r: DeviceTuple) -> Result<(RecipientId, ListedDevice), StoreError> {
    let (recipient, device, score) = r;
    Ok((
        RecipientId::from_store(recipient),
        ListedDevice {
            device: Address::parse(&device).map_err(|e| corrupt("recipient_devices.device", e))?,
            score: u32::try_from(score).map_err(|e| corrupt("recipient_devices.score", e))?,
        },
    ))
}

impl Store {
    /// Lists `device` under the device program `recipient` with `score`, or
    /// changes its score; `Ok(true)` if it was not listed before. With its
    /// audit entry, in one transaction.
    pub async fn set_device(
        &self,
        recipient: RecipientId,
        device: ListedDevice,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<bool, DeviceStoreError> {
        if device.score == 0 {
            return Err(DeviceStoreError::ZeroScore);
        }
        let mut tx = self.write().await?;
        let row: Option<(String, String)> = sqlx::query_as("SELECT name, category FROM recipients WHERE id = ?")
            .bind(recipient.get())
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        let Some((name, category)) = row else { return Err(DeviceStoreError::NoRecipient(recipient)) };
        let category = Category::parse(&category).ok_or_else(|| corrupt("recipients.category", &category))?;
        if category != Category::DeviceProgram {
            return Err(DeviceStoreError::NotDeviceProgram(name, category));
        }
        let key = device.device.to_hex();
        let before: Option<i64> =
            sqlx::query_scalar("SELECT score FROM recipient_devices WHERE recipient_id = ? AND device = ?")
                .bind(recipient.get())
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from)?;
        sqlx::query(
            "INSERT INTO recipient_devices (recipient_id, device, score, added_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (recipient_id, device) DO UPDATE SET score = excluded.score",
        )
        .bind(recipient.get())
        .bind(&key)
        .bind(i64::from(device.score))
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        let detail = serde_json::json!({ "device": key, "score": device.score, "previous_score": before });
        audit::append(&mut tx, now, actor, AuditAction::DeviceSet, &format!("recipient:{recipient}"), &detail).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(before.is_none())
    }

    /// Stops listing `device` under `recipient`, with its audit entry.
    pub async fn remove_device(
        &self,
        recipient: RecipientId,
        device: Address,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(), DeviceStoreError> {
        let mut tx = self.write().await?;
        let removed = sqlx::query("DELETE FROM recipient_devices WHERE recipient_id = ? AND device = ?")
            .bind(recipient.get())
            .bind(device.to_hex())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?
            .rows_affected();
        if removed == 0 {
            return Err(DeviceStoreError::NotListed(recipient, device));
        }
        let detail = serde_json::json!({ "device": device.to_hex() });
        audit::append(&mut tx, now, actor, AuditAction::DeviceRemoved, &format!("recipient:{recipient}"), &detail)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Every listed device, per recipient, each program's devices ordered
    /// by address (the order their split is made in).
    pub async fn devices(&self) -> Result<BTreeMap<RecipientId, Vec<ListedDevice>>, StoreError> {
        let rows: Vec<DeviceTuple> =
            sqlx::query_as("SELECT recipient_id, device, score FROM recipient_devices").fetch_all(&self.pool).await?;
        let mut out: BTreeMap<RecipientId, Vec<ListedDevice>> = BTreeMap::new();
        for r in rows {
            let (recipient, device) = listed(r)?;
            out.entry(recipient).or_default().push(device);
        }
        for devices in out.values_mut() {
            devices.sort_by_key(|d| d.device);
        }
        Ok(out)
    }
}
