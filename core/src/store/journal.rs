//! What payout batches and claim roots share in the execution journal: a
//! transaction's progress (planned -> sent(tx, nonce) -> confirmed(block,
//! gas)), one type for both tables.

use std::fmt;

use super::{StoreError, corrupt};

/// Where a journaled transaction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxState {
    /// Journaled, not sent.
    Planned,
    /// Broadcast: its hash and nonce are journaled.
    Sent,
    /// Landed and succeeded (or found paid on-chain).
    Confirmed,
}

impl TxState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Sent => "sent",
            Self::Confirmed => "confirmed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Planned, Self::Sent, Self::Confirmed].into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for TxState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A journaled transaction's progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxProgress {
    /// Where it stands.
    pub state: TxState,
    /// The transaction, once sent.
    pub tx_hash: Option<String>,
    /// Its nonce.
    pub nonce: Option<u64>,
    /// The block it was confirmed in.
    pub block: Option<u64>,
    /// Gas it used.
    pub gas_used: Option<u64>,
}

/// The progress columns of a journal row: state, tx_hash, nonce, block,
/// gas_used.
pub(super) type ProgressColumns = (String, Option<String>, Option<i64>, Option<i64>, Option<i64>);

/// The names of a table's state, nonce, block and gas_used columns, for
/// the error that says which is corrupt.
pub(super) type ColumnNames = [&'static str; 4];

impl TxProgress {
    /// From a row's progress columns.
    pub(super) fn from_columns(names: ColumnNames, c: ProgressColumns) -> Result<Self, StoreError> {
        let [state_name, nonce_name, block_name, gas_name] = names;
        let (state, tx_hash, nonce, block, gas_used) = c;
        let num =
            |what: &'static str, v: Option<i64>| v.map(|n| u64::try_from(n).map_err(|e| corrupt(what, e))).transpose();
        Ok(Self {
            state: TxState::parse(&state).ok_or_else(|| corrupt(state_name, &state))?,
            tx_hash,
            nonce: num(nonce_name, nonce)?,
            block: num(block_name, block)?,
            gas_used: num(gas_name, gas_used)?,
        })
    }
}
