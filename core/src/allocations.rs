//! Allocation votes: each staker's standing split of power across
//! recipients, and the stake-weighted totals an epoch's allocator starts from.

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_primitives::{U256, U512};
use chrono::{DateTime, Utc};

use crate::domain::{
    Actor, Address, Allocation, AllocationError, Amount, Bps, Category, Recipient, RecipientId, RecipientName,
    RecipientNameError,
};
use crate::stake::{StakeError, StakeSource};
use crate::store::{DeviceStoreError, ListedDevice, RecipientError, Store, StoreError};

/// Why an allocation call did nothing.
#[derive(Debug, thiserror::Error)]
pub enum AllocationsError {
    /// The allocation does not parse or names unknown recipients.
    #[error(transparent)]
    Allocation(#[from] AllocationError),
    /// The recipient could not be added.
    #[error(transparent)]
    Recipient(#[from] RecipientError),
    /// The recipient's name is refused.
    #[error(transparent)]
    Name(#[from] RecipientNameError),
    /// A device could not be listed or removed.
    #[error(transparent)]
    Device(#[from] DeviceStoreError),
    /// Stake could not be read.
    #[error(transparent)]
    Stake(#[from] StakeError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The weights overflowed 256 bits (corrupt stake data).
    #[error("the allocation weights overflowed 256 bits")]
    Overflow,
}

/// The allocation service.
#[derive(Clone)]
pub struct Allocations {
    store: Store,
    stake: Arc<dyn StakeSource>,
}

impl Allocations {
    /// A service over `store`, weighting by `stake`.
    pub fn new(store: Store, stake: Arc<dyn StakeSource>) -> Self {
        Self { store, stake }
    }

    /// Adds a recipient, its name cleaned and checked ([`RecipientName`]).
    pub async fn add_recipient(
        &self,
        name: &str,
        category: Category,
        payout: Address,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Recipient, AllocationsError> {
        let name = RecipientName::parse(name)?;
        Ok(self.store.insert_recipient(name.as_str(), category, payout, actor, now).await?)
    }

    /// Every recipient.
    pub async fn recipients(&self) -> Result<Vec<Recipient>, AllocationsError> {
        Ok(self.store.recipients().await?)
    }

    /// The recipient a voter or operator names by number or name.
    async fn recipient(&self, name_or_id: &str) -> Result<Recipient, AllocationsError> {
        let key = name_or_id.trim();
        self.store
            .recipients()
            .await?
            .into_iter()
            .find(|r| r.name == key || r.id.to_string() == key)
            .ok_or_else(|| AllocationError::UnknownRecipient(key.to_owned()).into())
    }

    /// Lists `device` under a device program (by number or name) with
    /// `score`, or changes its score; the bool says whether it is new.
    pub async fn set_device(
        &self,
        program: &str,
        device: ListedDevice,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Recipient, bool), AllocationsError> {
        let r = self.recipient(program).await?;
        let added = self.store.set_device(r.id, device, actor, now).await?;
        Ok((r, added))
    }

    /// Stops listing `device` under a device program.
    pub async fn remove_device(
        &self,
        program: &str,
        device: Address,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Recipient, AllocationsError> {
        let r = self.recipient(program).await?;
        self.store.remove_device(r.id, device, actor, now).await?;
        Ok(r)
    }

    /// A device program and its devices, by address.
    pub async fn devices(&self, program: &str) -> Result<(Recipient, Vec<ListedDevice>), AllocationsError> {
        let r = self.recipient(program).await?;
        let devices = self.store.devices().await?.remove(&r.id).unwrap_or_default();
        Ok((r, devices))
    }

    /// Sets `voter`'s split from text like `3=60 solar-farms=40`; it stands
    /// until changed. An empty text withdraws it.
    pub async fn set(&self, voter: Address, input: &str, now: DateTime<Utc>) -> Result<Allocation, AllocationsError> {
        let allocation = Allocation::parse(input, &self.store.recipients().await?)?;
        self.store.set_allocation(voter, &allocation, now).await?;
        Ok(allocation)
    }

    /// A voter's standing split.
    pub async fn of(&self, voter: Address) -> Result<Allocation, AllocationsError> {
        Ok(self.store.allocation_of(voter).await?)
    }

    /// Each recipient's vote weight at `block`: Σ over voters of
    /// `⌊power_at(voter, block) × bps / 10 000⌋`, in wei. For display (a
    /// page, the CLI's listing): powers are peeked, so nothing is written.
    pub async fn weights_at(&self, block: u64) -> Result<BTreeMap<RecipientId, Amount>, AllocationsError> {
        weights(&self.staked(block, Read::Peek, &|_, _| {}).await?).ok_or(AllocationsError::Overflow)
    }

    /// Every standing allocation with its voter's power at `block`, read in
    /// batches and kept in the stake cache (an epoch's snapshot). A power
    /// that fails to load fails the whole call: no allocation is ever
    /// counted with a power that was not read.
    /// `progress(done, total)` is called after each batch of voters.
    pub async fn votes_at(
        &self,
        block: u64,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Vec<StakedAllocation>, AllocationsError> {
        self.staked(block, Read::Record, progress).await
    }

    /// [`Allocations::votes_at`] for a dry run: powers are peeked, nothing
    /// is written.
    pub async fn peek_votes_at(
        &self,
        block: u64,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Vec<StakedAllocation>, AllocationsError> {
        self.staked(block, Read::Peek, progress).await
    }

    async fn staked(
        &self,
        block: u64,
        read: Read,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Vec<StakedAllocation>, AllocationsError> {
        let standing = self.store.allocations().await?;
        let total = standing.len();
        let mut out = Vec::with_capacity(total);
        for chunk in standing.chunks(STAKE_BATCH) {
            let voters: Vec<Address> = chunk.iter().map(|(voter, _)| *voter).collect();
            let powers = match read {
                Read::Record => self.stake.powers_at(&voters, block).await?,
                Read::Peek => self.stake.peek_powers_at(&voters, block).await?,
            };
            if powers.len() != voters.len() {
                return Err(StakeError::Unavailable(format!(
                    "the stake source answered {} powers for {} voters",
                    powers.len(),
                    voters.len()
                ))
                .into());
            }
            for ((voter, allocation), power) in chunk.iter().cloned().zip(powers) {
                out.push(StakedAllocation { voter, power, allocation });
            }
            progress(out.len(), total);
        }
        Ok(out)
    }
}

/// Voters whose power is asked of the stake source at once.
const STAKE_BATCH: usize = 256;

/// Whether powers read are kept (an epoch's snapshot) or only peeked.
#[derive(Clone, Copy)]
enum Read {
    Record,
    Peek,
}

/// A voter's standing allocation and their power at a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StakedAllocation {
    /// The voter.
    pub voter: Address,
    /// Their power at the snapshot.
    pub power: Amount,
    /// Their split across recipients.
    pub allocation: Allocation,
}

/// Each recipient's weight: the sum over voters of power × bps / 10 000,
/// rounded down per voter. `None` if it overflows 256 bits.
pub fn weights(votes: &[StakedAllocation]) -> Option<BTreeMap<RecipientId, Amount>> {
    let mut weights: BTreeMap<RecipientId, Amount> = BTreeMap::new();
    for v in votes {
        for (recipient, bps) in v.allocation.entries() {
            let share = U512::from(v.power.wei()) * U512::from(*bps) / U512::from(Bps::MAX);
            let w = weights.entry(*recipient).or_default();
            *w = w.checked_add(Amount::from_wei(U256::saturating_from(share)))?;
        }
    }
    Some(weights)
}
