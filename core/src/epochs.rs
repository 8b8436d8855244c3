//! Epochs: one allocation round each. An epoch reads every standing
//! allocation vote with its voter's power at one snapshot block, turns them
//! into recipient weights, splits the budget with the allocator under the
//! DAO's policy, and stores the payouts with a *bundle*: the published
//! inputs and the result, from which anyone can recompute the split to the
//! wei ([`verify`]).
//!
//! A device program's payout is split across its registered devices
//! (see [`crate::devices`]); the bundle records each device's registration,
//! owner, score and part, and the verifier recomputes the parts.
//!
//! One epoch per scheduled slot, through stored states: *open* (its
//! snapshot block chosen), *tallied* (the recipients and every vote with its
//! power at that block stored), *allocated* (split, payouts and bundle
//! stored), then *executing* and *executed* as it is paid; or *failed*, with
//! the reason. A crash leaves the state it reached and the next run resumes
//! from it (a tallied epoch is split from its stored inputs, never read
//! again); a failed one starts afresh when run again; an allocated one is
//! never run twice. Execution on-chain (the chain crate) starts from the
//! stored payouts.

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_primitives::{U256, keccak256};
use chrono::{DateTime, Utc};
use iodao_allocator::{AllocError, Candidate, Limit, Policy, Problem, Split, allocate};
use serde::{Deserialize, Serialize};

use crate::allocations::{Allocations, AllocationsError, StakedAllocation, weights};
use crate::devices::{
    BundleDevice, BundleDevices, DeviceError, DeviceRegistry, DeviceStatus, shares, unregistered_reason,
};
use crate::domain::{Address, Allocation, Amount, Bps, Category, Quoted, RecipientId};
use crate::execution::decode_pairs;
use crate::stake::{StakeError, StakeSource};
use crate::store::{
    BatchRow, ClaimRootRow, EpochRow, ExportKind, ExportRow, NewEpoch, PayoutRow, RunRow, RunState, Store, StoreError,
};

/// A recipient's own bounds, from the DAO's configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecipientBounds {
    /// Its cap.
    pub cap: Option<Limit>,
    /// Its floor.
    pub floor: Option<Limit>,
    /// The group whose cap it shares.
    pub group: Option<String>,
}

/// What every epoch splits, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochSettings {
    /// The budget of each epoch.
    pub budget: Amount,
    /// The policy.
    pub policy: Policy,
    /// Per-recipient bounds, by recipient name.
    pub recipients: BTreeMap<String, RecipientBounds>,
}

/// Parses a bound as people write it: a percentage of the budget (`"5%"`,
/// `"2.5%"`) or an amount of IOTX (`"1500"`, `"0.5"`).
pub fn parse_limit(s: &str) -> Result<Limit, String> {
    let t = s.trim();
    if t.ends_with('%') {
        Bps::parse_percent(t).map(Limit::Share).map_err(|e| e.to_string())
    } else {
        Amount::parse_iotx(t)
            .map(|a| Limit::Wei(a.wei()))
            .map_err(|e| format!("{} is neither a percentage (like 5%) nor an amount of IOTX: {e}", Quoted(t)))
    }
}

/// A recipient as published in a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleRecipient {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its category.
    pub category: Category,
    /// Where it is paid (0x form).
    pub payout: String,
}

/// A voter's standing allocation as published in a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleVote {
    /// The voter (0x form).
    pub voter: String,
    /// Their power at the snapshot block, in wei.
    #[serde(with = "iodao_allocator::wei_text")]
    pub power: U256,
    /// (recipient id, basis points).
    pub entries: Vec<(u64, u16)>,
}

/// Everything needed to recompute an epoch, and its result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    /// The bundle format.
    pub format: u32,
    /// The epoch's number.
    pub epoch: u64,
    /// The scheduled slot it ran for.
    pub slot: DateTime<Utc>,
    /// The block every voter's power was read at.
    pub snapshot_block: u64,
    /// The active recipients.
    pub recipients: Vec<BundleRecipient>,
    /// Every standing allocation with its voter's power.
    pub votes: Vec<BundleVote>,
    /// The allocator's input (weights computed from `votes`).
    pub problem: Problem,
    /// The allocator's output.
    pub split: Split,
    /// The device programs that list devices: each device's registration,
    /// owner and part of its program's payout. Absent when none does (so
    /// bundles from before devices keep their digest).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<BundleDevices>,
    /// keccak256 of this bundle's JSON with this field empty, 0x-hex.
    pub digest: String,
}

impl Bundle {
    const FORMAT: u32 = 1;

    /// The digest of everything but the digest.
    pub fn compute_digest(&self) -> String {
        let mut b = self.clone();
        b.digest = String::new();
        let json = serde_json::to_vec(&b).unwrap_or_default();
        keccak256(json).to_string()
    }

    /// (recipient id, payout address, amount) for every non-zero payout.
    pub fn payouts(&self) -> Vec<(u64, String, U256)> {
        let address: BTreeMap<u64, &str> = self.recipients.iter().map(|r| (r.id, r.payout.as_str())).collect();
        self.split
            .payouts
            .iter()
            .filter(|p| !p.amount.is_zero())
            .map(|p| (p.id, address.get(&p.id).copied().unwrap_or_default().to_owned(), p.amount))
            .collect()
    }
}

/// Why a bundle does not verify. Each names the first thing that differs.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    /// The bundle was changed after it was digested.
    #[error("the digest does not match the contents: recorded {recorded}, computed {computed}")]
    Digest {
        /// In the bundle.
        recorded: String,
        /// Recomputed.
        computed: String,
    },
    /// A vote names something malformed.
    #[error("vote by {0} is malformed: {1}")]
    BadVote(String, String),
    /// A recipient's weight does not follow from the votes.
    #[error("recipient {id}: weight {recorded} in the problem, but the votes give {computed}")]
    Weight {
        /// The recipient.
        id: u64,
        /// In the problem.
        recorded: String,
        /// From the votes.
        computed: String,
    },
    /// The candidates are not the published recipients.
    #[error("the problem's candidates are not the published recipients")]
    Candidates,
    /// Re-solving gives a different split.
    #[error("re-solving the problem gives a different split: {0}")]
    Split(String),
    /// The problem does not solve at all.
    #[error("the problem does not solve: {0}")]
    Solve(String),
    /// A device program's devices are malformed (not a published device
    /// program, a device twice, an excluded device with an owner).
    #[error("the devices of recipient {0} are malformed: {1}")]
    BadDevices(u64, String),
    /// A device's part does not follow from its program's payout.
    #[error("recipient {recipient}, device {device}: {recorded} wei recorded, but the split gives {computed}")]
    DeviceSplit {
        /// The program.
        recipient: u64,
        /// The device.
        device: String,
        /// In the bundle.
        recorded: String,
        /// Recomputed.
        computed: String,
    },
}

/// Recomputes each device program's split from its payout and its
/// published devices.
fn verify_devices(bundle: &Bundle) -> Result<(), VerifyError> {
    for program in &bundle.devices {
        let id = program.recipient;
        let bad = |why: &str| VerifyError::BadDevices(id, why.to_owned());
        match bundle.recipients.iter().find(|r| r.id == id) {
            Some(r) if r.category == Category::DeviceProgram => {}
            Some(_) => return Err(bad("it is not a device program")),
            None => return Err(bad("it is not a published recipient")),
        }
        if bundle.devices.iter().filter(|d| d.recipient == id).count() > 1 {
            return Err(bad("its devices are listed twice"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for d in &program.devices {
            let device = Address::parse(&d.device).map_err(|e| bad(&format!("device `{}`: {e}", d.device)))?;
            if !seen.insert(device) {
                return Err(bad(&format!("device {} appears twice", d.device)));
            }
            if d.owner.is_some() == d.excluded.is_some() {
                return Err(bad(&format!("device {} must have either an owner or an exclusion", d.device)));
            }
            if let Some(o) = &d.owner {
                Address::parse(o).map_err(|e| bad(&format!("owner `{o}`: {e}")))?;
            }
        }
        let amount = bundle.split.payouts.iter().find(|p| p.id == id).map_or(U256::ZERO, |p| p.amount);
        for (d, computed) in program.devices.iter().zip(shares(amount, &program.devices)) {
            if d.amount != computed {
                return Err(VerifyError::DeviceSplit {
                    recipient: id,
                    device: d.device.clone(),
                    recorded: d.amount.to_string(),
                    computed: computed.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Published votes as the allocator's input; a malformed one is named
/// (its voter as written) with what is wrong.
fn staked(votes: &[BundleVote]) -> Result<Vec<StakedAllocation>, (String, String)> {
    votes
        .iter()
        .map(|v| {
            let bad = |e: String| (v.voter.clone(), e);
            let voter = Address::parse(&v.voter).map_err(|e| bad(e.to_string()))?;
            let entries = v
                .entries
                .iter()
                .map(|&(id, bps)| Ok((RecipientId::from_store(i64::try_from(id)?), bps)))
                .collect::<Result<Vec<_>, std::num::TryFromIntError>>()
                .map_err(|e| bad(e.to_string()))?;
            Ok(StakedAllocation {
                voter,
                power: Amount::from_wei(v.power),
                allocation: Allocation::from_stored(entries),
            })
        })
        .collect()
}

/// Recomputes an epoch from its bundle: the digest, every recipient's weight
/// from the published votes, and the split to the wei.
pub fn verify(bundle: &Bundle) -> Result<(), VerifyError> {
    let computed = bundle.compute_digest();
    if computed != bundle.digest {
        return Err(VerifyError::Digest { recorded: bundle.digest.clone(), computed });
    }
    let votes = staked(&bundle.votes).map_err(|(voter, e)| VerifyError::BadVote(voter, e))?;
    let computed = weights(&votes).ok_or(VerifyError::Split("the weights overflow".into()))?;
    let ids: Vec<u64> = bundle.recipients.iter().map(|r| r.id).collect();
    let mut candidate_ids: Vec<u64> = bundle.problem.candidates.iter().map(|c| c.id).collect();
    candidate_ids.sort_unstable();
    if candidate_ids != ids {
        return Err(VerifyError::Candidates);
    }
    for c in &bundle.problem.candidates {
        let from_votes = i64::try_from(c.id)
            .ok()
            .and_then(|id| computed.get(&RecipientId::from_store(id)))
            .map_or(U256::ZERO, Amount::wei);
        if from_votes != c.weight {
            return Err(VerifyError::Weight {
                id: c.id,
                recorded: c.weight.to_string(),
                computed: from_votes.to_string(),
            });
        }
    }
    let split = allocate(&bundle.problem).map_err(|e| VerifyError::Solve(e.to_string()))?;
    if split != bundle.split {
        let first = split
            .payouts
            .iter()
            .zip(&bundle.split.payouts)
            .find(|(a, b)| a != b)
            .map(|(a, b)| format!("recipient {}: {} recomputed, {} recorded", a.id, a.amount, b.amount))
            .unwrap_or_else(|| "the totals or the method differ".into());
        return Err(VerifyError::Split(first));
    }
    verify_devices(bundle)
}

/// Why an epoch could not be planned, run or read. A run that fails after
/// it is opened is stored as failed, with this as its reason.
#[derive(Debug, thiserror::Error)]
pub enum EpochError {
    /// Votes or power could not be read.
    #[error(transparent)]
    Allocations(#[from] AllocationsError),
    /// The current block could not be read.
    #[error(transparent)]
    Stake(#[from] StakeError),
    /// The policy contradicts itself or the solver failed.
    #[error("the allocation failed: {0}")]
    Allocate(#[from] AllocError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored bundle does not parse.
    #[error("epoch {0}'s stored bundle is corrupt: {1}")]
    CorruptBundle(u64, String),
    /// A journaled claim root's leaves do not parse.
    #[error("epoch {0}'s journaled claims are corrupt: {1}")]
    CorruptJournal(u64, String),
    /// The slot's run disappeared without an epoch (the database was
    /// changed by hand?).
    #[error("the run of slot {0} disappeared before it was allocated")]
    RunVanished(DateTime<Utc>),
    /// A tallied run's stored inputs do not parse.
    #[error("epoch {0}'s tallied inputs are corrupt: {1}")]
    CorruptInputs(u64, String),
    /// A device program lists devices but no registry is configured.
    #[error(
        "recipient `{0}` lists devices, but no ioID registry is configured to check them (config key `chain.ioid_registry`)"
    )]
    NoDeviceRegistry(String),
    /// The device registry could not be read.
    #[error("the ioID registry could not be read: {0}")]
    Devices(#[from] DeviceError),
    /// An export could not be built (its stored inputs are inconsistent)
    /// or a stored one could not be read back.
    #[error("epoch {0}'s export could not be built or read: {1}")]
    Export(u64, String),
}

/// How an epoch has been paid so far, as its journal holds it: pushed
/// batches or one claim root, never both (each executor refuses an epoch
/// journaled the other way); neither before it is executed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentJournal {
    /// The pushed batches, in order.
    pub batches: Vec<BatchRow>,
    /// The claim root.
    pub claim: Option<ClaimRootRow>,
}

impl PaymentJournal {
    /// The transactions sent so far: the batches', or else the root's.
    pub fn transactions(&self) -> Vec<String> {
        if self.batches.is_empty() {
            self.claim.iter().filter_map(|c| c.tx.tx_hash.clone()).collect()
        } else {
            self.batches.iter().filter_map(|b| b.tx.tx_hash.clone()).collect()
        }
    }
}

/// What `run` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ran {
    /// A new epoch.
    New(EpochRow),
    /// The slot had its epoch already; nothing was stored.
    Existing(EpochRow),
}

/// What a run reads before it splits: the active recipients and every
/// standing allocation with its voter's power at the snapshot block. Stored
/// when the run is tallied (so a crash after it resumes from these, not
/// from a second reading), and published in the bundle.
#[derive(Serialize, Deserialize)]
struct Inputs {
    recipients: Vec<BundleRecipient>,
    votes: Vec<BundleVote>,
}

/// Told how far reading voting power has got: (voters done, voters).
pub type Progress = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// The epoch service.
#[derive(Clone)]
pub struct Epochs {
    store: Store,
    stake: Arc<dyn StakeSource>,
    allocations: Allocations,
    settings: Arc<EpochSettings>,
    progress: Option<Progress>,
    devices: Option<Arc<dyn DeviceRegistry>>,
    exports: Arc<Exports>,
}

/// Builds of exports, one at a time per service (so two first requests
/// for one file build it once), and how many were built.
#[derive(Default)]
struct Exports {
    building: tokio::sync::Mutex<()>,
    built: std::sync::atomic::AtomicU64,
}

/// How a published file is written: pretty JSON and a final newline, as
/// `iodao epoch export` and `iodao epoch execute --claim` write them.
pub fn export_json(value: &impl Serialize) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(value).map(|json| json + "\n")
}

impl Epochs {
    /// Over a store, a stake source and the DAO's settings.
    pub fn new(store: Store, stake: Arc<dyn StakeSource>, settings: EpochSettings) -> Self {
        let allocations = Allocations::new(store.clone(), stake.clone());
        Self {
            store,
            stake,
            allocations,
            settings: Arc::new(settings),
            progress: None,
            devices: None,
            exports: Arc::default(),
        }
    }

    /// Checks device programs' devices in `registry` (the ioID registry).
    pub fn with_devices(mut self, registry: Arc<dyn DeviceRegistry>) -> Self {
        self.devices = Some(registry);
        self
    }

    /// Each listing device program's devices read at `block`, with their
    /// parts of the program's payout in `split`.
    async fn split_devices(
        &self,
        recipients: &[BundleRecipient],
        split: &Split,
        block: u64,
    ) -> Result<Vec<BundleDevices>, EpochError> {
        let listed = self.store.devices().await?;
        let mut out = Vec::new();
        for r in recipients {
            let Ok(key) = i64::try_from(r.id) else { continue };
            let Some(list) = listed.get(&RecipientId::from_store(key)).filter(|l| !l.is_empty()) else { continue };
            let registry = self.devices.as_ref().ok_or_else(|| EpochError::NoDeviceRegistry(r.name.clone()))?;
            let mut devices = Vec::with_capacity(list.len());
            for d in list {
                let (owner, excluded) = match registry.device_at(d.device, block).await? {
                    DeviceStatus::Registered { owner } => (Some(owner.to_hex()), None),
                    DeviceStatus::Unregistered => (None, Some(unregistered_reason(block))),
                };
                devices.push(BundleDevice {
                    device: d.device.to_hex(),
                    score: d.score,
                    owner,
                    excluded,
                    amount: U256::ZERO,
                });
            }
            let amount = split.payouts.iter().find(|p| p.id == r.id).map_or(U256::ZERO, |p| p.amount);
            let parts = shares(amount, &devices);
            for (d, a) in devices.iter_mut().zip(parts) {
                d.amount = a;
            }
            out.push(BundleDevices { recipient: r.id, devices });
        }
        Ok(out)
    }

    /// Reports progress while voting power is read (a terminal's progress bar).
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// The settings.
    pub fn settings(&self) -> &EpochSettings {
        &self.settings
    }

    /// The number the next epoch gets: after every epoch and run so far.
    async fn next_number(&self) -> Result<u64, EpochError> {
        let last = self.store.epochs().await?.first().map_or(0, |e| e.number);
        let run = self.store.runs().await?.first().map_or(0, |r| r.number);
        Ok(last.max(run) + 1)
    }

    /// Reads the inputs at `block`: kept in the stake cache for a run,
    /// peeked (nothing written) for a dry run.
    async fn read_inputs(&self, block: u64, dry_run: bool) -> Result<Inputs, EpochError> {
        let recipients: Vec<_> = self.allocations.recipients().await?.into_iter().filter(|r| r.active).collect();
        let report = |done: usize, total: usize| {
            if let Some(p) = &self.progress {
                p(done, total);
            }
        };
        let votes = if dry_run {
            self.allocations.peek_votes_at(block, &report).await?
        } else {
            self.allocations.votes_at(block, &report).await?
        };
        Ok(Inputs {
            recipients: recipients
                .iter()
                .map(|r| BundleRecipient {
                    id: r.id.get().unsigned_abs(),
                    name: r.name.clone(),
                    category: r.category,
                    payout: r.payout.to_hex(),
                })
                .collect(),
            votes: votes
                .iter()
                .map(|v| BundleVote {
                    voter: v.voter.to_hex(),
                    power: v.power.wei(),
                    entries: v.allocation.entries().iter().map(|(r, b)| (r.get().unsigned_abs(), *b)).collect(),
                })
                .collect(),
        })
    }

    /// Splits the budget from the inputs: the epoch's bundle.
    async fn split(&self, number: u64, slot: DateTime<Utc>, block: u64, inputs: Inputs) -> Result<Bundle, EpochError> {
        let votes =
            staked(&inputs.votes).map_err(|(voter, e)| EpochError::CorruptInputs(number, format!("{voter}: {e}")))?;
        let weight = weights(&votes).ok_or(AllocationsError::Overflow)?;
        // Smoothing compares with the previous epoch's payouts.
        let (previous, previous_budget) = match self.store.epochs().await?.into_iter().find(|e| e.number < number) {
            Some(e) => {
                let paid: BTreeMap<i64, U256> = self
                    .store
                    .epoch_payouts(e.number)
                    .await?
                    .into_iter()
                    .map(|p| (p.recipient_id, p.amount.wei()))
                    .collect();
                (paid, Some(e.budget.wei()))
            }
            None => (BTreeMap::new(), None),
        };
        let candidates = inputs
            .recipients
            .iter()
            .map(|r| {
                let bounds = self.settings.recipients.get(&r.name).cloned().unwrap_or_default();
                let key = i64::try_from(r.id).ok();
                Candidate {
                    id: r.id,
                    category: r.category,
                    weight: key.and_then(|k| weight.get(&RecipientId::from_store(k))).map_or(U256::ZERO, Amount::wei),
                    cap: bounds.cap,
                    floor: bounds.floor,
                    group: bounds.group,
                    previous: key.and_then(|k| previous.get(&k)).copied(),
                }
            })
            .collect();
        let problem = Problem {
            budget: self.settings.budget.wei(),
            previous_budget,
            candidates,
            policy: self.settings.policy.clone(),
        };
        let split = allocate(&problem)?;
        let devices = self.split_devices(&inputs.recipients, &split, block).await?;
        let mut bundle = Bundle {
            format: Bundle::FORMAT,
            epoch: number,
            slot,
            snapshot_block: block,
            recipients: inputs.recipients,
            votes: inputs.votes,
            problem,
            split,
            devices,
            digest: String::new(),
        };
        bundle.digest = bundle.compute_digest();
        Ok(bundle)
    }

    /// The bundle the next epoch would have if run for `slot` now: nothing
    /// is stored (the dry run).
    pub async fn plan(&self, slot: DateTime<Utc>) -> Result<Bundle, EpochError> {
        let number = match self.store.run_for(slot).await? {
            Some(run) => run.number,
            None => self.next_number().await?,
        };
        let block = self.stake.recent_block().await?;
        let inputs = self.read_inputs(block, true).await?;
        self.split(number, slot, block, inputs).await
    }

    /// Opens the run of `slot` at the current block (its snapshot), or
    /// returns the slot's run as it stands; a failed run is opened again,
    /// afresh. Nothing is read but the block number. `None` if the slot's
    /// epoch is allocated already.
    pub async fn open(&self, slot: DateTime<Utc>, now: DateTime<Utc>) -> Result<Option<RunRow>, EpochError> {
        match self.store.run_for(slot).await? {
            Some(run) if run.state != RunState::Failed => Ok(Some(run)),
            _ => {
                let block = self.stake.current_block().await?;
                Ok(self.store.open_run(slot, block, now).await?)
            }
        }
    }

    /// Tallies the open run of `slot` (opening it first if need be): reads
    /// the recipients and every voter's power at its snapshot block and
    /// stores them. A run already tallied is returned as it is; a failure is
    /// stored as the run's. `None` if the slot's epoch is allocated already.
    pub async fn tally(&self, slot: DateTime<Utc>, now: DateTime<Utc>) -> Result<Option<RunRow>, EpochError> {
        let Some(run) = self.open(slot, now).await? else { return Ok(None) };
        if run.state != RunState::Open {
            return Ok(Some(run));
        }
        let inputs = match self.read_inputs(run.snapshot_block, false).await {
            Ok(inputs) => inputs,
            Err(e) => return Err(self.failed(slot, e, now).await),
        };
        let json = serde_json::to_string(&inputs).map_err(|e| EpochError::CorruptInputs(run.number, e.to_string()))?;
        self.store.tally_run(slot, &json, now).await?;
        // As stored: if another process tallied it first, its inputs.
        Ok(self.store.run_for(slot).await?)
    }

    /// Stores `e` as the reason the run of `slot` failed (unless the store
    /// itself failed: then nothing can be stored) and returns it.
    async fn failed(&self, slot: DateTime<Utc>, e: EpochError, now: DateTime<Utc>) -> EpochError {
        if matches!(e, EpochError::Store(_)) {
            return e;
        }
        tracing::warn!(error = %e, %slot, "epoch run failed");
        match self.store.fail_run(slot, &e.to_string(), now).await {
            Ok(()) => e,
            Err(store) => store.into(),
        }
    }

    /// Runs the epoch of `slot` through its states — open (snapshot block
    /// chosen), tallied (inputs stored), allocated (split and payouts
    /// stored) — from wherever an earlier run stopped, or finds the slot's
    /// epoch already allocated and stores nothing. A failure is stored with
    /// its reason; running the slot again starts it afresh.
    pub async fn run(&self, slot: DateTime<Utc>, now: DateTime<Utc>) -> Result<Ran, EpochError> {
        if let Some(existing) = self.epoch_for(slot).await? {
            return Ok(Ran::Existing(existing));
        }
        let Some(run) = self.tally(slot, now).await? else { return self.existing(slot).await };
        let inputs = run
            .inputs
            .as_deref()
            .ok_or_else(|| "missing".to_owned())
            .and_then(|json| serde_json::from_str(json).map_err(|e| e.to_string()))
            .map_err(|e| EpochError::CorruptInputs(run.number, e))?;
        let bundle = match self.split(run.number, slot, run.snapshot_block, inputs).await {
            Ok(bundle) => bundle,
            Err(e) => return Err(self.failed(slot, e, now).await),
        };
        let address: BTreeMap<u64, &str> = bundle.recipients.iter().map(|r| (r.id, r.payout.as_str())).collect();
        let payouts: Vec<PayoutRow> = bundle
            .split
            .payouts
            .iter()
            .map(|p| {
                Ok(PayoutRow {
                    recipient_id: i64::try_from(p.id)
                        .map_err(|e| EpochError::CorruptBundle(bundle.epoch, e.to_string()))?,
                    payout: Address::parse(address.get(&p.id).copied().unwrap_or_default())
                        .map_err(|e| EpochError::CorruptBundle(bundle.epoch, e.to_string()))?,
                    amount: Amount::from_wei(p.amount),
                    target: Amount::from_wei(p.target),
                    binding: p.binding.to_string(),
                })
            })
            .collect::<Result<_, EpochError>>()?;
        let json =
            serde_json::to_string(&bundle).map_err(|e| EpochError::CorruptBundle(bundle.epoch, e.to_string()))?;
        let row = NewEpoch {
            number: bundle.epoch,
            slot,
            snapshot_block: bundle.snapshot_block,
            budget: Amount::from_wei(bundle.split.budget),
            spent: Amount::from_wei(bundle.split.spent),
            unallocated: Amount::from_wei(bundle.split.unallocated),
            digest: &bundle.digest,
            bundle: &json,
            payouts: &payouts,
        };
        if !self.store.insert_epoch(&row, now).await? {
            return self.existing(slot).await;
        }
        let Some(e) = self.epoch_for(slot).await? else {
            return Err(EpochError::CorruptBundle(bundle.epoch, "stored but not found".into()));
        };
        tracing::info!(epoch = e.number, spent = %e.spent, "epoch allocated");
        // Housekeeping once an epoch: stake cached at blocks that are no
        // snapshot (a failed run's, since opened afresh) is dropped.
        match self.store.prune_stake_cache().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "stake cache pruned"),
            Err(e) => tracing::warn!(error = %e, "stake cache not pruned"),
        }
        Ok(Ran::New(e))
    }

    /// The slot's epoch, allocated (by another run) while this one ran.
    async fn existing(&self, slot: DateTime<Utc>) -> Result<Ran, EpochError> {
        self.epoch_for(slot).await?.map(Ran::Existing).ok_or(EpochError::RunVanished(slot))
    }

    /// The slot's allocated epoch, if it has one.
    async fn epoch_for(&self, slot: DateTime<Utc>) -> Result<Option<EpochRow>, EpochError> {
        Ok(self.store.epochs().await?.into_iter().find(|e| e.slot == slot))
    }

    /// Every epoch, newest first.
    pub async fn list(&self) -> Result<Vec<EpochRow>, EpochError> {
        Ok(self.store.epochs().await?)
    }

    /// Every run not (yet) allocated — open, tallied or failed — newest
    /// first.
    pub async fn runs(&self) -> Result<Vec<RunRow>, EpochError> {
        Ok(self.store.runs().await?)
    }

    /// One epoch and its payouts.
    pub async fn get(&self, number: u64) -> Result<Option<(EpochRow, Vec<PayoutRow>)>, EpochError> {
        let Some(e) = self.store.epoch(number).await? else { return Ok(None) };
        Ok(Some((e, self.store.epoch_payouts(number).await?)))
    }

    /// How epoch `number` has been paid so far.
    pub async fn payment(&self, number: u64) -> Result<PaymentJournal, EpochError> {
        Ok(PaymentJournal { batches: self.store.batches(number).await?, claim: self.store.claim_root(number).await? })
    }

    /// Epoch `number`'s journaled claim root with its leaves (leaf i is
    /// `(i, address, wei)`), if it is paid by claims: the leaves the root
    /// was built from, so proofs served from them match it.
    pub async fn claims(&self, number: u64) -> Result<Option<(ClaimRootRow, Vec<(Address, U256)>)>, EpochError> {
        let Some(root) = self.store.claim_root(number).await? else { return Ok(None) };
        let leaves = decode_pairs(&root.leaves).map_err(|e| EpochError::CorruptJournal(number, e))?;
        Ok(Some((root, leaves)))
    }

    /// One epoch's bundle.
    pub async fn bundle(&self, number: u64) -> Result<Option<Bundle>, EpochError> {
        let Some(json) = self.store.epoch_bundle(number).await? else { return Ok(None) };
        serde_json::from_str(&json).map(Some).map_err(|e| EpochError::CorruptBundle(number, e.to_string()))
    }

    /// Epoch `number`'s `kind` export as stored, built and stored first if
    /// it was not yet: the bundle once the epoch is allocated, the claims
    /// with their proofs once its claim root is journaled (`None` before
    /// then, or with no such epoch). Built once: an export never changes.
    pub async fn export(&self, number: u64, kind: ExportKind) -> Result<Option<ExportRow>, EpochError> {
        if let Some(row) = self.store.export(number, kind).await? {
            return Ok(Some(row));
        }
        let _building = self.exports.building.lock().await;
        // Built by the request this one waited for?
        if let Some(row) = self.store.export(number, kind).await? {
            return Ok(Some(row));
        }
        let Some(bytes) = self.build_export(number, kind).await? else { return Ok(None) };
        let digest = keccak256(&bytes).to_string();
        self.store.insert_export(number, kind, &digest, &bytes, Utc::now()).await?;
        tracing::info!(epoch = number, kind = kind.as_str(), bytes = bytes.len(), "export stored");
        let stored = self.store.export(number, kind).await?;
        stored.map(Some).ok_or_else(|| EpochError::Export(number, "stored but not found".into()))
    }

    /// Builds an export's bytes; the CPU work (parsing and printing the
    /// bundle, hashing the claim tree) runs on the blocking pool, off the
    /// async workers.
    async fn build_export(&self, number: u64, kind: ExportKind) -> Result<Option<Vec<u8>>, EpochError> {
        let joined = |e: tokio::task::JoinError| EpochError::Export(number, e.to_string());
        let bytes = match kind {
            ExportKind::Bundle => {
                let Some(json) = self.store.epoch_bundle(number).await? else { return Ok(None) };
                tokio::task::spawn_blocking(move || {
                    let bundle: Bundle =
                        serde_json::from_str(&json).map_err(|e| EpochError::CorruptBundle(number, e.to_string()))?;
                    export_json(&bundle).map_err(|e| EpochError::Export(number, e.to_string()))
                })
                .await
                .map_err(joined)??
            }
            ExportKind::Claims => {
                let Some((row, leaves)) = self.claims(number).await? else { return Ok(None) };
                tokio::task::spawn_blocking(move || claims_export(number, &row, &leaves)).await.map_err(joined)??
            }
        };
        self.exports.built.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Some(bytes.into_bytes()))
    }

    /// How many exports this service (and its clones) has built: each is
    /// built once, then read as stored.
    pub fn exports_built(&self) -> u64 {
        self.exports.built.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A stored export's bytes, chunk by chunk (to stream it).
    pub fn export_chunks(
        &self,
        export: &ExportRow,
    ) -> impl futures_util::Stream<Item = Result<Vec<u8>, EpochError>> + Send + 'static {
        let store = self.store.clone();
        let (number, kind, chunks) = (export.epoch, export.kind, export.chunks);
        futures_util::stream::try_unfold(0u32, move |seq| {
            let store = store.clone();
            async move {
                if seq >= chunks {
                    return Ok(None);
                }
                let bytes = store.export_chunk(number, kind, seq).await?.ok_or_else(|| {
                    EpochError::Export(number, format!("chunk {seq} of the {} is missing", kind.as_str()))
                })?;
                Ok(Some((bytes, seq + 1)))
            }
        })
    }

    /// A stored export's bytes, whole (the CLI writes them to a file).
    pub async fn export_bytes(&self, export: &ExportRow) -> Result<Vec<u8>, EpochError> {
        use futures_util::TryStreamExt as _;
        let mut out = Vec::with_capacity(usize::try_from(export.size).unwrap_or(0));
        let mut chunks = std::pin::pin!(self.export_chunks(export));
        while let Some(chunk) = chunks.try_next().await? {
            out.extend_from_slice(&chunk);
        }
        if keccak256(&out).to_string() != export.digest {
            return Err(EpochError::Export(
                export.epoch,
                format!("the stored {} does not match its digest", export.kind.as_str()),
            ));
        }
        Ok(out)
    }
}

/// The claims of a journaled root with every proof, rebuilt from the
/// leaves the root was built from; a tree whose root differs from the
/// journaled one is refused.
fn claims_export(number: u64, row: &ClaimRootRow, leaves: &[(Address, U256)]) -> Result<String, EpochError> {
    use crate::merkle::{ClaimsExport, PayoutTree};
    let leaves: Vec<(alloy_primitives::Address, U256)> = leaves.iter().map(|(a, v)| (a.as_evm(), *v)).collect();
    let tree = PayoutTree::build(&leaves).map_err(|e| EpochError::CorruptJournal(number, e.to_string()))?;
    let export = ClaimsExport::new(&tree, &leaves);
    if export.root.to_string() != row.root.to_lowercase() {
        return Err(EpochError::CorruptJournal(
            number,
            format!("the leaves give the root {}, but {} is journaled", export.root, row.root),
        ));
    }
    export_json(&export).map_err(|e| EpochError::Export(number, e.to_string()))
}
