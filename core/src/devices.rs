//! Device programs: a device-program recipient lists its devices by ioID
//! (the device's address; its DID is `did:io:<address>`), each with a
//! score. At each epoch the registry is asked, at the snapshot block,
//! whether each device is registered and who owns its ioID; the program's
//! payout is split across the registered devices by score, exact to the wei
//! (the allocator's `split_by_score`), and each part is paid to the device's
//! owner. An unregistered device is excluded, with the reason in the
//! bundle. A program none of whose devices is registered is paid to its own
//! payout address, as a program without devices is.
//!
//! The registry is a port ([`DeviceRegistry`]) the chain crate implements
//! against IoTeX's ioID contracts; this module knows no RPC.

use std::collections::BTreeMap;

use alloy_primitives::U256;
use async_trait::async_trait;
use iodao_allocator::split_by_score;
use serde::{Deserialize, Serialize};

use crate::domain::Address;

/// What the registry says of a device at a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Registered; its ioID is owned by `owner`, who is paid its share.
    Registered {
        /// The ioID's owner.
        owner: Address,
    },
    /// Not registered (never, or removed).
    Unregistered,
}

/// A registry read that failed after its retries.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeviceError {
    /// The registry could not be read; the message names what.
    #[error("{0}")]
    Unavailable(String),
}

/// Where devices are registered (implemented by the chain crate on the
/// ioID registry).
#[async_trait]
pub trait DeviceRegistry: Send + Sync {
    /// Whether `device` is registered at `block`, and its ioID's owner.
    async fn device_at(&self, device: Address, block: u64) -> Result<DeviceStatus, DeviceError>;
}

/// One device of a program as published in a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleDevice {
    /// The device (0x form).
    pub device: String,
    /// Its score.
    pub score: u32,
    /// Its ioID's owner at the snapshot block, who is paid (0x form); none
    /// when excluded.
    pub owner: Option<String>,
    /// Why it gets nothing, if it is excluded.
    pub excluded: Option<String>,
    /// Its part of the program's payout, in wei.
    #[serde(with = "iodao_allocator::wei_text")]
    pub amount: U256,
}

/// A device program's devices and how its payout was split among them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleDevices {
    /// The program (a recipient id).
    pub recipient: u64,
    /// Its devices, by address.
    pub devices: Vec<BundleDevice>,
}

/// The reason an unregistered device is excluded.
pub fn unregistered_reason(block: u64) -> String {
    format!("not registered in the ioID registry at block {block}")
}

/// Each device's part of `amount`: by score among the devices with an
/// owner and no exclusion, exact to the wei; all zero when none is
/// eligible (the program's own address is paid then).
pub fn shares(amount: U256, devices: &[BundleDevice]) -> Vec<U256> {
    let scores: Vec<U256> = devices
        .iter()
        .map(|d| if d.owner.is_some() && d.excluded.is_none() { U256::from(d.score) } else { U256::ZERO })
        .collect();
    // Scores are u32, so their sum cannot overflow; no score: nobody to pay.
    split_by_score(amount, &scores).unwrap_or_else(|_| vec![U256::ZERO; devices.len()])
}

/// Where a program's `amount` goes: (address, wei) per owner of a paid
/// device, in device order, one entry per owner; or `None` if no device is
/// paid (the program's payout address gets it).
pub fn owner_payouts(devices: &[BundleDevice]) -> Option<Vec<(String, U256)>> {
    let mut order: Vec<String> = Vec::new();
    let mut sums: BTreeMap<String, U256> = BTreeMap::new();
    for d in devices.iter().filter(|d| !d.amount.is_zero()) {
        let owner = d.owner.clone()?;
        let sum = sums.entry(owner.clone()).or_insert_with(|| {
            order.push(owner);
            U256::ZERO
        });
        *sum += d.amount;
    }
    if order.is_empty() {
        return None;
    }
    Some(order.into_iter().map(|o| (o.clone(), sums[&o])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(n: u8, score: u32, owner: Option<u8>) -> BundleDevice {
        BundleDevice {
            device: Address::from([n; 20]).to_hex(),
            score,
            owner: owner.map(|o| Address::from([o; 20]).to_hex()),
            excluded: owner.is_none().then(|| unregistered_reason(7)),
            amount: U256::ZERO,
        }
    }

    #[test]
    fn excluded_devices_get_nothing_and_the_rest_share_by_score() {
        let devices = [device(1, 1, Some(9)), device(2, 5, None), device(3, 2, Some(8))];
        assert_eq!(shares(U256::from(10u8), &devices), [U256::from(3u8), U256::ZERO, U256::from(7u8)]);
    }

    #[test]
    fn one_owner_of_several_devices_is_paid_once_with_their_sum() {
        let mut devices = vec![device(1, 1, Some(9)), device(2, 1, Some(8)), device(3, 1, Some(9))];
        let parts = shares(U256::from(10u8), &devices);
        for (d, a) in devices.iter_mut().zip(parts) {
            d.amount = a;
        }
        let paid = owner_payouts(&devices).unwrap();
        assert_eq!(
            paid,
            [(Address::from([9; 20]).to_hex(), U256::from(7u8)), (Address::from([8; 20]).to_hex(), U256::from(3u8))]
        );
    }

    #[test]
    fn a_program_with_no_registered_device_is_paid_itself() {
        let devices = [device(1, 1, None), device(2, 3, None)];
        assert_eq!(shares(U256::from(10u8), &devices), [U256::ZERO, U256::ZERO]);
        assert_eq!(owner_payouts(&devices), None);
    }
}
