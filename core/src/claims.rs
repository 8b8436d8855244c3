//! Executing an epoch in claim mode, exactly once across crashes.
//!
//! The epoch's transfers become the leaves of a Merkle tree (built by the
//! caller with the chain crate's OpenZeppelin-identical builder); the root,
//! the total and the leaves are journaled (`claim_roots`) before anything
//! is sent, then `setRoot(epoch, root, total)` goes planned → sent →
//! confirmed like a push batch. A rerun first follows a sent transaction,
//! then asks the contract for the epoch's root: a root already set is never
//! set again (the contract refuses it anyway), and one that differs from the
//! journal's is an error, not something to paper over. The journaled leaves
//! are what the proofs are exported from, so every run exports the same
//! proofs. An epoch is paid by claims or by pushed batches, never both.

use std::sync::Arc;

use alloy_primitives::U256;
use async_trait::async_trait;
use chrono::Utc;

use crate::domain::Address;
use crate::execution::{ChainFailure, ExecError, Landed, Sent, decode_pairs, encode_pairs, transfers};
use crate::store::{Store, TxState};

/// The chain side of claim-mode payouts (implemented by the chain crate).
#[async_trait]
pub trait ClaimChain: Send + Sync {
    /// The claim-mode contract (EIP-55), journaled with the root.
    fn distributor(&self) -> String;
    /// The root the contract holds for `epoch` (0x-hex), if any.
    async fn root_of(&self, epoch: u64) -> Result<Option<String>, ChainFailure>;
    /// Broadcasts `setRoot(epoch, root, total)`.
    async fn send_root(&self, epoch: u64, root: &str, total: U256) -> Result<Sent, ChainFailure>;
    /// Waits for a transaction to be mined with the configured confirmations.
    async fn wait_landed(&self, tx_hash: &str) -> Result<Landed, ChainFailure>;
}

/// What happened to the root in this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimStep {
    /// Confirmed in an earlier run.
    AlreadyConfirmed,
    /// Found set on-chain (by a transaction an earlier run sent).
    FoundSet,
    /// Broadcast now.
    Sent(Sent),
    /// Confirmed now, in this block.
    Confirmed(u64),
}

/// The claim-mode executor.
pub struct ClaimExecutor {
    store: Store,
    chain: Arc<dyn ClaimChain>,
}

impl ClaimExecutor {
    /// Publishes roots through `chain`.
    pub fn new(store: Store, chain: Arc<dyn ClaimChain>) -> Self {
        Self { store, chain }
    }

    /// The leaves of an epoch's tree: the journaled ones once claims were
    /// planned, else its transfers (leaf i is `(i, address, wei)`).
    pub async fn leaves(&self, epoch: u64) -> Result<Vec<(Address, U256)>, ExecError> {
        leaves(&self.store, epoch).await
    }

    /// Journals `root` over `leaves` (from [`ClaimExecutor::leaves`]) and
    /// publishes it once; `report` hears each step.
    pub async fn execute(
        &self,
        epoch: u64,
        leaves: &[(Address, U256)],
        root: &str,
        report: &(dyn Fn(&ClaimStep) + Sync),
    ) -> Result<Vec<ClaimStep>, ExecError> {
        if leaves.is_empty() {
            return Err(ExecError::NothingToClaim(epoch));
        }
        let total = leaves.iter().fold(U256::ZERO, |a, (_, v)| a + v);
        let row = self
            .store
            .plan_claims(epoch, &self.chain.distributor(), root, &total.to_string(), &encode_pairs(leaves), Utc::now())
            .await?;
        if row.root != root || row.leaves != encode_pairs(leaves) {
            return Err(ExecError::Journal(epoch, "the root given is not the one journaled for these leaves".into()));
        }
        let mut steps = Vec::new();
        let mut note = |s: ClaimStep| {
            report(&s);
            steps.push(s);
        };
        if row.tx.state == TxState::Confirmed {
            note(ClaimStep::AlreadyConfirmed);
            return Ok(steps);
        }
        if let (Some(tx), TxState::Sent) = (&row.tx.tx_hash, row.tx.state)
            && let Landed::Mined { block, gas_used, success: true } = self.chain.wait_landed(tx).await?
        {
            self.store.claims_confirmed(epoch, Some(tx), Some(block), Some(gas_used), Utc::now()).await?;
            note(ClaimStep::Confirmed(block));
            return Ok(steps);
        }
        if self.found_set(epoch, root).await? {
            self.store.claims_confirmed(epoch, None, None, None, Utc::now()).await?;
            note(ClaimStep::FoundSet);
            return Ok(steps);
        }
        let sent = self.chain.send_root(epoch, root, total).await?;
        self.store.claims_sent(epoch, &sent.tx_hash, sent.nonce, Utc::now()).await?;
        note(ClaimStep::Sent(sent.clone()));
        match self.chain.wait_landed(&sent.tx_hash).await? {
            Landed::Mined { block, gas_used, success: true } => {
                self.store
                    .claims_confirmed(epoch, Some(&sent.tx_hash), Some(block), Some(gas_used), Utc::now())
                    .await?;
                note(ClaimStep::Confirmed(block));
            }
            _ if self.found_set(epoch, root).await? => {
                self.store.claims_confirmed(epoch, None, None, None, Utc::now()).await?;
                note(ClaimStep::FoundSet);
            }
            _ => return Err(ExecError::Reverted { epoch, batch: 0, tx_hash: sent.tx_hash }),
        }
        Ok(steps)
    }

    /// Whether the contract holds `root` for `epoch`; another root is an error.
    async fn found_set(&self, epoch: u64, root: &str) -> Result<bool, ExecError> {
        match self.chain.root_of(epoch).await? {
            None => Ok(false),
            Some(r) if r.eq_ignore_ascii_case(root) => Ok(true),
            Some(onchain) => Err(ExecError::RootMismatch { epoch, onchain, journaled: root.to_owned() }),
        }
    }
}

/// The leaves of an epoch's tree (see [`ClaimExecutor::leaves`]); refuses
/// an epoch whose payouts were journaled as pushed batches.
pub async fn leaves(store: &Store, epoch: u64) -> Result<Vec<(Address, U256)>, ExecError> {
    if let Some(row) = store.claim_root(epoch).await? {
        return decode_pairs(&row.leaves).map_err(|e| ExecError::Journal(epoch, e));
    }
    if !store.batches(epoch).await?.is_empty() {
        return Err(ExecError::OtherMode { epoch, other: "pushed batches", this: "claims" });
    }
    transfers(store, epoch).await
}
