//! Executing an epoch's push payouts exactly once, across crashes.
//!
//! The payouts are cut into batches and journaled (`payout_batches`) before
//! anything is sent; each batch moves planned → sent (transaction, nonce) →
//! confirmed (block, gas). A run that dies at any point is resumed by
//! running again: a sent batch is looked up on-chain before anything is
//! re-sent, and a planned batch is first checked against the contract's
//! paid flag (a crash between broadcasting and journaling). The contract
//! itself refuses a second payment of an (epoch, batch), so even a journal
//! that lags the chain cannot pay anyone twice.

use std::sync::Arc;

use alloy_primitives::U256;
use async_trait::async_trait;
use chrono::Utc;

use crate::devices::{BundleDevices, owner_payouts};
use crate::domain::Address;
use crate::store::{Store, StoreError, TxState};

/// A batch to pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The epoch.
    pub epoch: u64,
    /// Its number within the epoch.
    pub batch: u32,
    /// (address, wei).
    pub payouts: Vec<(Address, U256)>,
}

/// A broadcast transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// Its hash, 0x-hex.
    pub tx_hash: String,
    /// Its nonce.
    pub nonce: u64,
}

/// What became of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Landed {
    /// Mined and confirmed.
    Mined {
        /// Its block.
        block: u64,
        /// Gas used.
        gas_used: u64,
        /// Whether it succeeded (a revert is mined too).
        success: bool,
    },
    /// The node does not know it (dropped, or never broadcast).
    Unknown,
}

/// A chain failure, with what failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ChainFailure(pub String);

/// The chain side of payouts (implemented by the chain crate).
#[async_trait]
pub trait PayoutChain: Send + Sync {
    /// The contract paying (EIP-55), journaled with each batch.
    fn distributor(&self) -> String;
    /// Whether the contract has paid `(epoch, batch)`.
    async fn is_batch_paid(&self, epoch: u64, batch: u32) -> Result<bool, ChainFailure>;
    /// Broadcasts a batch; returns once the node accepted it.
    async fn send_batch(&self, batch: &Batch) -> Result<Sent, ChainFailure>;
    /// Waits for a transaction to be mined with the configured confirmations.
    async fn wait_landed(&self, tx_hash: &str) -> Result<Landed, ChainFailure>;
}

/// Why execution stopped. What was done is journaled; run again to resume.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// No such epoch.
    #[error("there is no epoch {0}")]
    NoEpoch(u64),
    /// The chain failed.
    #[error("the chain failed (run again to resume): {0}")]
    Chain(#[from] ChainFailure),
    /// A batch reverted and is not paid.
    #[error("batch {batch} of epoch {epoch} reverted in {tx_hash} and is not paid")]
    Reverted {
        /// The epoch.
        epoch: u64,
        /// The batch.
        batch: u32,
        /// The transaction.
        tx_hash: String,
    },
    /// The journal does not parse.
    #[error("the journal of epoch {0} is corrupt: {1}")]
    Journal(u64, String),
    /// The epoch is being paid the other way (pushed batches or claims).
    #[error("epoch {epoch} is being paid by {other}; it cannot also be paid by {this}")]
    OtherMode {
        /// The epoch.
        epoch: u64,
        /// The way it is being paid.
        other: &'static str,
        /// The way asked for.
        this: &'static str,
    },
    /// The contract holds another root for the epoch.
    #[error(
        "the distributor holds root {onchain} for epoch {epoch}, not the journaled {journaled}: check `chain.distributor`"
    )]
    RootMismatch {
        /// The epoch.
        epoch: u64,
        /// On-chain.
        onchain: String,
        /// In the journal.
        journaled: String,
    },
    /// An epoch with no non-zero payout has nothing to claim.
    #[error("epoch {0} has no payout to claim")]
    NothingToClaim(u64),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What happened to one batch in this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Confirmed in an earlier run.
    AlreadyConfirmed(u32),
    /// Found paid on-chain (by a transaction an earlier run sent).
    FoundPaid(u32),
    /// Broadcast now.
    Sent(u32, Sent),
    /// Confirmed now.
    Confirmed(u32, u64),
}

/// The executor service.
pub struct Executor {
    store: Store,
    chain: Arc<dyn PayoutChain>,
    batch_size: usize,
}

impl Executor {
    /// Pays through `chain`, `batch_size` recipients per transaction.
    pub fn new(store: Store, chain: Arc<dyn PayoutChain>, batch_size: usize) -> Self {
        Self { store, chain, batch_size: batch_size.max(1) }
    }

    /// The batches an epoch's payouts are cut into (see [`plan`]).
    pub async fn plan(&self, epoch: u64) -> Result<Vec<Batch>, ExecError> {
        plan(&self.store, epoch, self.batch_size).await
    }

    /// Pays (or resumes paying) an epoch; `report` hears each step as it
    /// happens (the CLI prints them).
    pub async fn execute(&self, epoch: u64, report: &(dyn Fn(&Step) + Sync)) -> Result<Vec<Step>, ExecError> {
        if self.store.claim_root(epoch).await?.is_some() {
            return Err(ExecError::OtherMode { epoch, other: "claims", this: "pushed batches" });
        }
        let plan = self.plan(epoch).await?;
        let encoded: Vec<String> = plan.iter().map(encode).collect();
        self.store.plan_batches(epoch, &self.chain.distributor(), &encoded, Utc::now()).await?;
        let mut steps = Vec::new();
        let mut note = |s: Step| {
            report(&s);
            steps.push(s);
        };
        for row in self.store.batches(epoch).await? {
            let b = row.batch;
            if row.tx.state == TxState::Confirmed {
                note(Step::AlreadyConfirmed(b));
                continue;
            }
            // A sent batch: find out what became of it before anything else.
            if let (Some(tx), TxState::Sent) = (&row.tx.tx_hash, row.tx.state)
                && let Landed::Mined { block, gas_used, success: true } = self.chain.wait_landed(tx).await?
            {
                self.store.batch_confirmed(epoch, b, Some(tx), Some(block), Some(gas_used), Utc::now()).await?;
                note(Step::Confirmed(b, block));
                continue;
            }
            // Planned, or sent but not landed: paid by a transaction the
            // journal does not know (a crash before journaling)?
            if self.chain.is_batch_paid(epoch, b).await? {
                self.store.batch_confirmed(epoch, b, None, None, None, Utc::now()).await?;
                note(Step::FoundPaid(b));
                continue;
            }
            let batch = decode(epoch, b, &row.recipients)?;
            let sent = self.chain.send_batch(&batch).await?;
            self.store.batch_sent(epoch, b, &sent.tx_hash, sent.nonce, Utc::now()).await?;
            note(Step::Sent(b, sent.clone()));
            match self.chain.wait_landed(&sent.tx_hash).await? {
                Landed::Mined { block, gas_used, success: true } => {
                    self.store
                        .batch_confirmed(epoch, b, Some(&sent.tx_hash), Some(block), Some(gas_used), Utc::now())
                        .await?;
                    note(Step::Confirmed(b, block));
                }
                _ if self.chain.is_batch_paid(epoch, b).await? => {
                    self.store.batch_confirmed(epoch, b, None, None, None, Utc::now()).await?;
                    note(Step::FoundPaid(b));
                }
                _ => return Err(ExecError::Reverted { epoch, batch: b, tx_hash: sent.tx_hash }),
            }
        }
        Ok(steps)
    }
}

/// The batches an epoch's payouts are cut into, `batch_size` recipients
/// each (the journaled ones once execution has started): the dry run. A
/// device program's payout is paid to its devices' owners, as its bundle
/// split it.
pub async fn plan(store: &Store, epoch: u64, batch_size: usize) -> Result<Vec<Batch>, ExecError> {
    if store.epoch(epoch).await?.is_none() {
        return Err(ExecError::NoEpoch(epoch));
    }
    let journaled = store.batches(epoch).await?;
    if !journaled.is_empty() {
        return journaled.iter().map(|b| decode(b.epoch, b.batch, &b.recipients)).collect();
    }
    let paid = transfers(store, epoch).await?;
    Ok(paid
        .chunks(batch_size.max(1))
        .enumerate()
        .map(|(i, c)| Batch { epoch, batch: i as u32, payouts: c.to_vec() })
        .collect())
}

/// Every non-zero transfer an epoch owes, in recipient order: each
/// recipient's payout to its address, or a device program's to its
/// devices' owners as its bundle split it.
pub async fn transfers(store: &Store, epoch: u64) -> Result<Vec<(Address, U256)>, ExecError> {
    if store.epoch(epoch).await?.is_none() {
        return Err(ExecError::NoEpoch(epoch));
    }
    // A device program's payout goes to the owners of its paid devices.
    // Only the bundle's device splits are read (absent: none).
    #[derive(serde::Deserialize)]
    struct DeviceSplits {
        #[serde(default)]
        devices: Vec<BundleDevices>,
    }
    let splits: Vec<BundleDevices> = match store.epoch_bundle(epoch).await? {
        Some(json) => {
            serde_json::from_str::<DeviceSplits>(&json)
                .map_err(|e| ExecError::Journal(epoch, format!("its bundle: {e}")))?
                .devices
        }
        None => Vec::new(),
    };
    let mut paid: Vec<(Address, U256)> = Vec::new();
    for p in store.epoch_payouts(epoch).await?.into_iter().filter(|p| !p.amount.is_zero()) {
        let id = u64::try_from(p.recipient_id).ok();
        let owners = splits.iter().find(|d| Some(d.recipient) == id).and_then(|d| owner_payouts(&d.devices));
        match owners {
            Some(owners) => {
                for (owner, amount) in owners {
                    let owner = Address::parse(&owner).map_err(|e| ExecError::Journal(epoch, e.to_string()))?;
                    paid.push((owner, amount));
                }
            }
            None => paid.push((p.payout, p.amount.wei())),
        }
    }
    Ok(paid)
}

fn encode(b: &Batch) -> String {
    encode_pairs(&b.payouts)
}

/// (address, wei) pairs as journaled: `[["0x…", "wei"], …]`.
pub(crate) fn encode_pairs(pairs: &[(Address, U256)]) -> String {
    let rows: Vec<(String, String)> = pairs.iter().map(|(a, v)| (a.to_hex(), v.to_string())).collect();
    serde_json::to_string(&rows).unwrap_or_default()
}

fn decode(epoch: u64, batch: u32, json: &str) -> Result<Batch, ExecError> {
    let payouts = decode_pairs(json).map_err(|e| ExecError::Journal(epoch, format!("batch {batch}: {e}")))?;
    Ok(Batch { epoch, batch, payouts })
}

/// The journaled form back.
pub(crate) fn decode_pairs(json: &str) -> Result<Vec<(Address, U256)>, String> {
    let rows: Vec<(String, String)> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    rows.into_iter()
        .map(|(a, v)| {
            let a = Address::parse(&a).map_err(|e| e.to_string())?;
            let v = U256::from_str_radix(&v, 10).map_err(|e| e.to_string())?;
            Ok((a, v))
        })
        .collect()
}
