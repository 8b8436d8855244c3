//! Link challenges and the links they prove.

use chrono::{DateTime, Utc};

use super::{Store, StoreError, audit, corrupt, from_millis, to_millis};
use crate::domain::{Actor, Address, AuditAction, ChatAccount};

/// A challenge as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredChallenge {
    /// The single-use nonce.
    pub nonce: String,
    /// Who asked to link.
    pub account: ChatAccount,
    /// The address to prove.
    pub address: Address,
    /// The exact EIP-4361 text to sign.
    pub message: String,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// When it was used, if it was.
    pub used_at: Option<DateTime<Utc>>,
}

/// What consuming a challenge did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Consumed {
    /// The nonce was used already (by a concurrent verify): nothing changed.
    AlreadyUsed,
    /// The link is made; it replaced this earlier address, if any.
    Linked {
        /// The account's previous address.
        previous: Option<Address>,
    },
}

type ChallengeRow = (String, String, String, String, i64, i64, Option<i64>);

impl Store {
    /// Stores a new challenge.
    pub async fn insert_challenge(&self, c: &StoredChallenge) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO link_challenges (nonce, account, address, message, issued_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&c.nonce)
        .bind(c.account.to_string())
        .bind(c.address.to_hex())
        .bind(&c.message)
        .bind(to_millis(c.issued_at))
        .bind(to_millis(c.expires_at))
        .execute(&mut *tx)
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// A challenge by nonce.
    pub async fn challenge(&self, nonce: &str) -> Result<Option<StoredChallenge>, StoreError> {
        let row: Option<ChallengeRow> = sqlx::query_as(
            "SELECT nonce, account, address, message, issued_at, expires_at, used_at FROM link_challenges WHERE nonce = ?",
        )
        .bind(nonce)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(nonce, account, address, message, issued, expires, used)| {
            Ok(StoredChallenge {
                nonce,
                account: ChatAccount::parse(&account).map_err(|e| corrupt("link_challenges.account", e))?,
                address: Address::parse(&address).map_err(|e| corrupt("link_challenges.address", e))?,
                message,
                issued_at: from_millis("link_challenges.issued_at", issued)?,
                expires_at: from_millis("link_challenges.expires_at", expires)?,
                used_at: used.map(|u| from_millis("link_challenges.used_at", u)).transpose()?,
            })
        })
        .transpose()
    }

    /// The newest challenge issued to `account` that is neither used nor
    /// expired at `now` (for `/verify <signature>` in a chat, where the
    /// message was shown to the user rather than pasted back).
    pub async fn latest_open_challenge(
        &self,
        account: &ChatAccount,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredChallenge>, StoreError> {
        let nonce: Option<String> = sqlx::query_scalar(
            "SELECT nonce FROM link_challenges WHERE account = ? AND used_at IS NULL AND expires_at > ? \
             ORDER BY issued_at DESC, rowid DESC LIMIT 1",
        )
        .bind(account.to_string())
        .bind(to_millis(now))
        .fetch_optional(&self.pool)
        .await?;
        match nonce {
            Some(n) => self.challenge(&n).await,
            None => Ok(None),
        }
    }

    /// Deletes challenges that expired before `before` (used or not), in
    /// batches; returns how many. An expired challenge can never link, so
    /// only the message its nonce gets changes ("unknown" for "expired").
    pub async fn prune_link_challenges(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.prune_in_batches(
            "DELETE FROM link_challenges WHERE rowid IN \
             (SELECT rowid FROM link_challenges WHERE expires_at < ? LIMIT ?)",
            to_millis(before),
        )
        .await
    }

    /// Marks the nonce used and links its account to its address, in one
    /// transaction with the audit entry. A nonce already used changes nothing.
    pub async fn consume_challenge(&self, c: &StoredChallenge, now: DateTime<Utc>) -> Result<Consumed, StoreError> {
        let mut tx = self.write().await?;
        let used = sqlx::query("UPDATE link_challenges SET used_at = ? WHERE nonce = ? AND used_at IS NULL")
            .bind(to_millis(now))
            .bind(&c.nonce)
            .execute(&mut *tx)
            .await?;
        if used.rows_affected() != 1 {
            return Ok(Consumed::AlreadyUsed);
        }
        let account = c.account.to_string();
        let previous: Option<String> = sqlx::query_scalar("SELECT address FROM links WHERE account = ?")
            .bind(&account)
            .fetch_optional(&mut *tx)
            .await?;
        let previous = previous.map(|a| Address::parse(&a).map_err(|e| corrupt("links.address", e))).transpose()?;
        sqlx::query(
            "INSERT INTO links (account, address, linked_at) VALUES (?, ?, ?) \
             ON CONFLICT (account) DO UPDATE SET address = excluded.address, linked_at = excluded.linked_at",
        )
        .bind(&account)
        .bind(c.address.to_hex())
        .bind(to_millis(now))
        .execute(&mut *tx)
        .await?;
        let action = if previous.is_some() { AuditAction::LinkReplaced } else { AuditAction::LinkMade };
        let detail = serde_json::json!({ "address": c.address, "previous": previous, "nonce": c.nonce });
        audit::append(&mut tx, now, &Actor::Chat(c.account.clone()), action, &format!("account:{account}"), &detail)
            .await?;
        self.commit(tx).await?;
        Ok(Consumed::Linked { previous })
    }

    /// Removes an account's link; returns the address it had.
    pub async fn remove_link(&self, account: &ChatAccount, now: DateTime<Utc>) -> Result<Option<Address>, StoreError> {
        let mut tx = self.write().await?;
        let key = account.to_string();
        let removed: Option<String> = sqlx::query_scalar("DELETE FROM links WHERE account = ? RETURNING address")
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(removed) = removed else {
            return Ok(None);
        };
        let address = Address::parse(&removed).map_err(|e| corrupt("links.address", e))?;
        let detail = serde_json::json!({ "address": address });
        audit::append(
            &mut tx,
            now,
            &Actor::Chat(account.clone()),
            AuditAction::LinkRemoved,
            &format!("account:{key}"),
            &detail,
        )
        .await?;
        self.commit(tx).await?;
        Ok(Some(address))
    }

    /// The address an account is linked to.
    pub async fn linked_address(&self, account: &ChatAccount) -> Result<Option<Address>, StoreError> {
        let a: Option<String> = sqlx::query_scalar("SELECT address FROM links WHERE account = ?")
            .bind(account.to_string())
            .fetch_optional(&self.pool)
            .await?;
        a.map(|a| Address::parse(&a).map_err(|e| corrupt("links.address", e))).transpose()
    }

    /// Every account linked to an address.
    pub async fn linked_accounts(&self, address: Address) -> Result<Vec<ChatAccount>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT account FROM links WHERE address = ? ORDER BY account")
            .bind(address.to_hex())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|a| ChatAccount::parse(a).map_err(|e| corrupt("links.account", e))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::temp_store;

    /// The plan SQLite picks for a query (test literals only), one line per step.
    async fn plan(store: &super::Store, sql: &str) -> String {
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&store.pool)
                .await
                .unwrap();
        rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
    }

    #[tokio::test]
    async fn the_newest_open_challenge_and_expired_ones_are_read_by_index() {
        let (store, _dir) = temp_store().await;
        let latest = plan(
            &store,
            "SELECT nonce FROM link_challenges WHERE account = 'discord:1' AND used_at IS NULL AND expires_at > 0 \
             ORDER BY issued_at DESC, rowid DESC LIMIT 1",
        )
        .await;
        assert!(latest.contains("USING INDEX link_challenges_by_account"), "{latest}");
        assert!(!latest.contains("TEMP B-TREE"), "sorted by the index: {latest}");
        let prune = plan(&store, "SELECT rowid FROM link_challenges WHERE expires_at < 0 LIMIT 1000").await;
        assert!(prune.contains("USING COVERING INDEX link_challenges_by_expiry"), "{prune}");
    }
}
