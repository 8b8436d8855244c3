//! The store: every SQL statement of iodao lives under this module.
//!
//! SQLite by default, in WAL mode with `synchronous = FULL`, so a transaction
//! that has committed survives a crash or power loss: when a service call
//! that wrote returns, its write is durable. Writes take the database lock up
//! front (`BEGIN IMMEDIATE`) so that concurrent writers queue instead of
//! failing on a lock upgrade. The SQL is kept portable where it can be, so a
//! PostgreSQL backend can sit beside this one without touching the services.

mod allocations;
mod audit;
mod batches;
mod claims;
mod devices;
mod drafts;
mod epochs;
mod exports;
mod journal;
mod links;
mod proposals;
mod runs;
mod signing;
mod stake;
mod votes;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

pub use allocations::RecipientError;
pub use audit::AuditError;
pub use batches::BatchRow;
pub use claims::ClaimRootRow;
pub use devices::{DeviceStoreError, ListedDevice};
pub use drafts::ProposalDraft;
pub use epochs::{EpochRow, NewEpoch, PayoutRow};
pub use exports::{EXPORT_CHUNK, ExportKind, ExportRow};
pub use journal::{TxProgress, TxState};
pub use links::{Consumed, StoredChallenge};
pub use proposals::{ProposalQuery, TransitionFailed};
pub use runs::{RunRow, RunState};
pub use votes::RecordedVote;

/// The schema, embedded in the binary and applied at start.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened, or a statement failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The embedded migrations could not be applied (a newer or edited schema).
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A signed message whose digest was accepted before: nothing was written.
    #[error("this signed message was already accepted")]
    DuplicateSignedMessage,
    /// The vote writer task has stopped (the runtime is shutting down).
    #[error("the vote writer has stopped; the vote was not stored")]
    WriterGone,
    /// A failure of a batch this call's vote was part of.
    #[error(transparent)]
    Shared(std::sync::Arc<StoreError>),
    /// A stored value does not parse: the database was edited by hand or is
    /// from an incompatible version.
    #[error("the database holds an invalid value in {what}: {detail}")]
    Corrupt {
        /// Table and column.
        what: &'static str,
        /// The value and why it is wrong.
        detail: String,
    },
}

pub(crate) fn corrupt(what: &'static str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt { what, detail: detail.to_string() }
}

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// Bumped after every committed write of this process; readers that
    /// cache what they read (the portal) compare it to know when to reread.
    changes: Arc<AtomicU64>,
}

impl Store {
    /// Opens (creating if missing) and migrates the database at `url`,
    /// e.g. `sqlite://iodao.db`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            // sqlx sets neither of these by itself: WAL lets readers run
            // beside the writer; FULL makes each commit durable on return.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, changes: Arc::new(AtomicU64::new(0)) })
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Answers when the database can serve a query (for `/healthz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A write transaction holding the database's write lock from the start.
    async fn write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Commits a write transaction and counts it in [`Store::changes`].
    async fn commit(&self, tx: Transaction<'static, Sqlite>) -> Result<(), StoreError> {
        tx.commit().await?;
        self.changes.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// How many write transactions this process has committed. A value read
    /// before a read and unchanged after it means no write of this process
    /// landed in between (other processes' writes are not counted).
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }
}

/// Unix milliseconds, the stored form of time.
pub(crate) fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(what: &'static str, ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| corrupt(what, format!("{ms} is not a time")))
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::Store;

    /// A real SQLite file in a temporary directory that lives as long as the guard.
    pub(crate) async fn temp_store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        (Store::open(&url).await.expect("open store"), dir)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::temp_store;

    #[tokio::test]
    async fn opening_sets_wal_full_sync_and_foreign_keys() {
        let (store, _dir) = temp_store().await;
        let mut conn = store.pool.acquire().await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *conn).await.unwrap();
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *conn).await.unwrap();
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous = FULL");
        assert_eq!(fk, 1);
        store.ping().await.unwrap();
    }

    #[tokio::test]
    async fn opening_twice_reapplies_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("twice.db").display());
        super::Store::open(&url).await.unwrap().close().await;
        let store = super::Store::open(&url).await.unwrap();
        let applied: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&store.pool).await.unwrap();
        assert_eq!(usize::try_from(applied).unwrap(), super::MIGRATOR.iter().count());
    }
}
