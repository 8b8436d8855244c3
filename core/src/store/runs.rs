//! Epoch runs: an epoch from the moment its slot is opened until it is
//! allocated (then it is a row of `epochs`) or has failed.

use std::fmt;

use chrono::{DateTime, Utc};

use super::{Store, StoreError, audit, corrupt, from_millis, to_millis};
use crate::domain::{Actor, AuditAction};

/// How far a run has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Its snapshot block is chosen; the votes and powers are being read.
    Open,
    /// Its inputs (recipients, votes with powers) are stored; the split is
    /// next.
    Tallied,
    /// It stopped, for the reason stored with it.
    Failed,
}

impl RunState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Tallied => "tallied",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Tallied, Self::Failed].into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An epoch not yet allocated.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RunRow {
    /// The slot it runs for.
    pub slot: DateTime<Utc>,
    /// The number the epoch will have.
    pub number: u64,
    /// How far it has got.
    pub state: RunState,
    /// The block its votes' power is read at.
    pub snapshot_block: u64,
    /// Its tallied inputs (JSON), from `Tallied` on.
    pub inputs: Option<String>,
    /// Why it failed.
    pub failure: Option<String>,
    /// When it was (last) opened.
    pub started_at: DateTime<Utc>,
}

type RunTuple = (i64, i64, String, i64, Option<String>, Option<String>, i64);

/// The columns of [`RunTuple`], as a literal so queries stay `&'static str`.
macro_rules! columns {
    () => {
        "slot, number, state, snapshot_block, inputs, failure, started_at"
    };
}

fn run_row(r: RunTuple) -> Result<RunRow, StoreError> {
    let (slot, number, state, block, inputs, failure, started) = r;
    Ok(RunRow {
        slot: from_millis("epoch_runs.slot", slot)?,
        number: u64::try_from(number).map_err(|e| corrupt("epoch_runs.number", e))?,
        state: RunState::parse(&state).ok_or_else(|| corrupt("epoch_runs.state", &state))?,
        snapshot_block: u64::try_from(block).map_err(|e| corrupt("epoch_runs.snapshot_block", e))?,
        inputs,
        failure,
        started_at: from_millis("epoch_runs.started_at", started)?,
    })
}

fn block_key(block: u64) -> Result<i64, StoreError> {
    i64::try_from(block).map_err(|e| corrupt("epoch_runs.snapshot_block", e))
}

impl Store {
    /// Opens the run of `slot` at `block` (with its audit entry), numbered
    /// after every epoch and run so far; or, if the slot has a run already,
    /// returns it as it is (a failed one is opened again, afresh at
    /// `block`, keeping its number). `None` if the slot's epoch is
    /// allocated already.
    pub async fn open_run(
        &self,
        slot: DateTime<Utc>,
        block: u64,
        now: DateTime<Utc>,
    ) -> Result<Option<RunRow>, StoreError> {
        let mut tx = self.write().await?;
        let opened: Option<i64> = sqlx::query_scalar(
            "INSERT INTO epoch_runs (slot, number, state, snapshot_block, started_at, updated_at) \
             SELECT ?1, 1 + max((SELECT coalesce(max(number), 0) FROM epochs), \
                                (SELECT coalesce(max(number), 0) FROM epoch_runs)), 'open', ?2, ?3, ?3 \
             WHERE NOT EXISTS (SELECT 1 FROM epochs WHERE slot = ?1) \
             ON CONFLICT (slot) DO UPDATE SET state = 'open', snapshot_block = ?2, inputs = NULL, failure = NULL, \
             started_at = ?3, updated_at = ?3 WHERE state = 'failed' \
             RETURNING number",
        )
        .bind(to_millis(slot))
        .bind(block_key(block)?)
        .bind(to_millis(now))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(n) = opened {
            let detail = serde_json::json!({ "slot": slot, "snapshot_block": block });
            audit::append(&mut tx, now, &Actor::System, AuditAction::EpochOpened, &format!("epoch:{n}"), &detail)
                .await?;
        }
        self.commit(tx).await?;
        self.run_for(slot).await
    }

    /// The run of `slot`, if it has one.
    pub async fn run_for(&self, slot: DateTime<Utc>) -> Result<Option<RunRow>, StoreError> {
        let row: Option<RunTuple> = sqlx::query_as(concat!("SELECT ", columns!(), " FROM epoch_runs WHERE slot = ?"))
            .bind(to_millis(slot))
            .fetch_optional(&self.pool)
            .await?;
        row.map(run_row).transpose()
    }

    /// Every run not (yet) allocated, newest first.
    pub async fn runs(&self) -> Result<Vec<RunRow>, StoreError> {
        let rows: Vec<RunTuple> =
            sqlx::query_as(concat!("SELECT ", columns!(), " FROM epoch_runs ORDER BY number DESC"))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(run_row).collect()
    }

    /// Stores an open run's inputs: it is tallied (with its audit entry).
    pub async fn tally_run(&self, slot: DateTime<Utc>, inputs: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let tallied: Option<i64> = sqlx::query_scalar(
            "UPDATE epoch_runs SET state = 'tallied', inputs = ?, updated_at = ? WHERE slot = ? AND state = 'open' \
             RETURNING number",
        )
        .bind(inputs)
        .bind(to_millis(now))
        .bind(to_millis(slot))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(n) = tallied {
            // The inputs are in the run (and then the bundle); the log keeps
            // their hash.
            let detail = serde_json::json!({ "slot": slot, "inputs": alloy_primitives::keccak256(inputs).to_string() });
            audit::append(&mut tx, now, &Actor::System, AuditAction::EpochTallied, &format!("epoch:{n}"), &detail)
                .await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    /// Records why a run stopped, with its audit entry.
    pub async fn fail_run(&self, slot: DateTime<Utc>, reason: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let number: Option<i64> = sqlx::query_scalar(
            "UPDATE epoch_runs SET state = 'failed', failure = ?, updated_at = ? WHERE slot = ? RETURNING number",
        )
        .bind(reason)
        .bind(to_millis(now))
        .bind(to_millis(slot))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(n) = number {
            let detail = serde_json::json!({ "slot": slot, "reason": reason });
            audit::append(&mut tx, now, &Actor::System, AuditAction::EpochFailed, &format!("epoch:{n}"), &detail)
                .await?;
        }
        self.commit(tx).await?;
        Ok(())
    }
}
