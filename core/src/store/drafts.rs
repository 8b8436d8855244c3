//! Proposal drafts of chat dialogues.

use chrono::{DateTime, Utc};

use super::{Store, StoreError, corrupt, from_millis, to_millis};
use crate::domain::{Body, ChatAccount, Title};

/// A proposal being written step by step in a chat: its title, then its
/// body; the choices, given last, create the proposal and end the draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalDraft {
    /// Who is writing it.
    pub account: ChatAccount,
    /// The title, once given.
    pub title: Option<Title>,
    /// The body, once given (only after the title).
    pub body: Option<Body>,
    /// When the dialogue started.
    pub started_at: DateTime<Utc>,
    /// When it last moved.
    pub updated_at: DateTime<Utc>,
}

type DraftRow = (String, Option<String>, Option<String>, i64, i64);

impl Store {
    /// Stores `draft`, replacing the account's earlier one.
    pub async fn put_draft(&self, draft: &ProposalDraft) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO proposal_drafts (account, title, body, started_at, updated_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (account) DO UPDATE SET title = excluded.title, body = excluded.body, \
             started_at = excluded.started_at, updated_at = excluded.updated_at",
        )
        .bind(draft.account.to_string())
        .bind(draft.title.as_ref().map(Title::as_str))
        .bind(draft.body.as_ref().map(Body::as_str))
        .bind(to_millis(draft.started_at))
        .bind(to_millis(draft.updated_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The account's draft, if it is writing one.
    pub async fn draft(&self, account: &ChatAccount) -> Result<Option<ProposalDraft>, StoreError> {
        let row: Option<DraftRow> = sqlx::query_as(
            "SELECT account, title, body, started_at, updated_at FROM proposal_drafts WHERE account = ?",
        )
        .bind(account.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(account, title, body, started, updated)| {
            Ok(ProposalDraft {
                account: ChatAccount::parse(&account).map_err(|e| corrupt("proposal_drafts.account", e))?,
                title: title
                    .map(|t| Title::from_stored(&t).map_err(|e| corrupt("proposal_drafts.title", e)))
                    .transpose()?,
                body: body
                    .map(|b| Body::from_stored(&b).map_err(|e| corrupt("proposal_drafts.body", e)))
                    .transpose()?,
                started_at: from_millis("proposal_drafts.started_at", started)?,
                updated_at: from_millis("proposal_drafts.updated_at", updated)?,
            })
        })
        .transpose()
    }

    /// Removes the account's draft; true if there was one.
    pub async fn remove_draft(&self, account: &ChatAccount) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let done = sqlx::query("DELETE FROM proposal_drafts WHERE account = ?")
            .bind(account.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::Platform;
    use crate::store::test_support::temp_store;

    #[tokio::test]
    async fn a_draft_survives_reopening_and_is_removed_once() {
        let (store, dir) = temp_store().await;
        let account = ChatAccount::new(Platform::Telegram, 7);
        let t = Utc.timestamp_opt(1_900_000_000, 0).single().expect("time");
        let mut d = ProposalDraft { account: account.clone(), title: None, body: None, started_at: t, updated_at: t };
        store.put_draft(&d).await.expect("put");
        d.title = Some(Title::parse("Fund <b>devices</b>").expect("title"));
        store.put_draft(&d).await.expect("update");
        store.close().await;
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let store = Store::open(&url).await.expect("reopen");
        assert_eq!(store.draft(&account).await.expect("read"), Some(d));
        assert!(store.remove_draft(&account).await.expect("remove"));
        assert!(!store.remove_draft(&account).await.expect("remove again"));
        assert_eq!(store.draft(&account).await.expect("read"), None);
    }
}
