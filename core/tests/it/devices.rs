//! Device programs: devices listed in the store, checked in a registry at
//! the snapshot block, the program's payout split across the registered
//! ones, paid to their owners, and all of it verifiable from the bundle.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use alloy_primitives::U256;
use async_trait::async_trait;
use iodao_allocator::Policy;
use iodao_core::epochs::verify;
use iodao_core::execution::plan;
use iodao_core::{
    Actor, Address, Allocations, AllocationsError, Amount, Category, DeviceError, DeviceRegistry, DeviceStatus,
    DeviceStoreError, EpochError, EpochSettings, Epochs, ListedDevice, Ran, VerifyError,
};

use crate::helpers::*;

/// A registry stand-in: devices registered to owners, asked at which block.
#[derive(Default)]
struct Registry {
    owners: BTreeMap<Address, Address>,
    asked: Mutex<Vec<u64>>,
    down: bool,
}

#[async_trait]
impl DeviceRegistry for Registry {
    async fn device_at(&self, device: Address, block: u64) -> Result<DeviceStatus, DeviceError> {
        if self.down {
            return Err(DeviceError::Unavailable("the registry could not be read after retries".into()));
        }
        self.asked.lock().expect("lock").push(block);
        Ok(self.owners.get(&device).map_or(DeviceStatus::Unregistered, |&owner| DeviceStatus::Registered { owner }))
    }
}

fn dev(n: u8) -> Address {
    Address::from([n; 20])
}
fn owner(n: u8) -> Address {
    Address::from([0xe0 + n; 20])
}

/// solar-farms (device program, 70 IOTX of weight) and swap-dapp (100),
/// 1 700 IOTX split: solar gets 700.
async fn seeded(g: &TestGov) -> Allocations {
    let a = Allocations::new(g.gov.store().clone(), g.stake.clone());
    a.add_recipient("solar-farms", Category::DeviceProgram, carol(), &Actor::Cli, t(0)).await.expect("add");
    a.add_recipient("swap-dapp", Category::Dapp, bob(), &Actor::Cli, t(0)).await.expect("add");
    for (voter, split) in
        [(alice(), "solar-farms=60 swap-dapp=40"), (bob(), "swap-dapp=100"), (carol(), "solar-farms=25")]
    {
        a.set(voter, split, t(1)).await.expect("allocate");
    }
    a
}

fn settings() -> EpochSettings {
    EpochSettings { budget: Amount::from_iotx(1700), policy: Policy::default(), recipients: BTreeMap::new() }
}

fn listed(device: Address, score: u32) -> ListedDevice {
    ListedDevice { device, score }
}

#[tokio::test]
async fn a_programs_payout_is_split_by_score_across_its_registered_devices_and_paid_to_their_owners() {
    let g = TestGov::new().await;
    let a = seeded(&g).await;
    // Devices 1 and 2 registered (1 and 3 belonging to one owner), 3
    // registered too, 4 never registered.
    for (d, score) in [(dev(2), 3), (dev(1), 1), (dev(4), 5), (dev(3), 3)] {
        let (_, added) = a.set_device("solar-farms", listed(d, score), &Actor::Cli, t(2)).await.expect("listed");
        assert!(added);
    }
    let registry = Arc::new(Registry {
        owners: [(dev(1), owner(1)), (dev(2), owner(2)), (dev(3), owner(1))].into(),
        ..Registry::default()
    });
    let epochs = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings()).with_devices(registry.clone());
    let Ran::New(e) = epochs.run(t(1000), t(1001)).await.unwrap() else { panic!("new epoch") };
    // Every device was read at the snapshot block.
    assert_eq!(*registry.asked.lock().unwrap(), [4242; 4]);

    let bundle = epochs.bundle(e.number).await.unwrap().expect("bundle");
    assert_eq!(bundle.devices.len(), 1);
    let program = &bundle.devices[0];
    let parts: Vec<(Address, Option<String>, U256)> =
        program.devices.iter().map(|d| (Address::parse(&d.device).unwrap(), d.owner.clone(), d.amount)).collect();
    // 700 IOTX by 1:3:3 among the registered; ordered by device address.
    let iotx = |n: u64| Amount::from_iotx(n).wei();
    let seventh = iotx(700) / U256::from(7u8);
    assert_eq!(
        parts,
        [
            (dev(1), Some(owner(1).to_hex()), seventh),
            (dev(2), Some(owner(2).to_hex()), seventh * U256::from(3u8)),
            (dev(3), Some(owner(1).to_hex()), seventh * U256::from(3u8)),
            (dev(4), None, U256::ZERO),
        ]
    );
    assert_eq!(program.devices[3].excluded.as_deref(), Some("not registered in the ioID registry at block 4242"));
    verify(&bundle).expect("the bundle verifies, devices included");

    // Execution pays the owners (one of them for two devices), not the
    // program's address; the dapp is paid as before.
    let batches = plan(g.gov.store(), e.number, 10).await.unwrap();
    let paid: Vec<(Address, U256)> = batches.iter().flat_map(|b| b.payouts.clone()).collect();
    assert_eq!(
        paid,
        [(owner(1), seventh * U256::from(4u8)), (owner(2), seventh * U256::from(3u8)), (bob(), iotx(1000))]
    );
    let total = paid.iter().fold(U256::ZERO, |s, (_, v)| s + v);
    assert_eq!(total, e.spent.wei());
}

#[tokio::test]
async fn a_tampered_device_part_fails_verification() {
    let g = TestGov::new().await;
    let a = seeded(&g).await;
    for d in [dev(1), dev(2), dev(3)] {
        a.set_device("1", listed(d, 1), &Actor::Cli, t(2)).await.unwrap();
    }
    let registry = Registry { owners: [(dev(1), owner(1)), (dev(2), owner(2))].into(), ..Registry::default() };
    let epochs = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings()).with_devices(Arc::new(registry));
    epochs.run(t(1000), t(1001)).await.unwrap();
    let bundle = epochs.bundle(1).await.unwrap().unwrap();
    verify(&bundle).unwrap();

    // One wei moved between devices, digest recomputed: the split differs.
    let mut b = bundle.clone();
    b.devices[0].devices[0].amount += U256::from(1u8);
    b.devices[0].devices[1].amount -= U256::from(1u8);
    assert!(matches!(verify(&b), Err(VerifyError::Digest { .. })));
    b.digest = b.compute_digest();
    assert!(matches!(verify(&b), Err(VerifyError::DeviceSplit { recipient: 1, .. })), "{:?}", verify(&b));

    // The excluded device given an owner and a part.
    let mut b = bundle.clone();
    b.devices[0].devices[2].owner = Some(owner(3).to_hex());
    b.digest = b.compute_digest();
    assert!(matches!(verify(&b), Err(VerifyError::BadDevices(1, _))), "{:?}", verify(&b));

    // Devices pinned on a dapp.
    let mut b = bundle.clone();
    b.devices[0].recipient = 2;
    b.digest = b.compute_digest();
    assert!(matches!(verify(&b), Err(VerifyError::BadDevices(2, m)) if m.contains("not a device program")));
}

#[tokio::test]
async fn a_program_with_no_registered_device_is_paid_to_its_own_address() {
    let g = TestGov::new().await;
    let a = seeded(&g).await;
    a.set_device("solar-farms", listed(dev(9), 1), &Actor::Cli, t(2)).await.unwrap();
    let epochs =
        Epochs::new(g.gov.store().clone(), g.stake.clone(), settings()).with_devices(Arc::new(Registry::default()));
    epochs.run(t(1000), t(1001)).await.unwrap();
    let bundle = epochs.bundle(1).await.unwrap().unwrap();
    assert!(bundle.devices[0].devices[0].excluded.is_some());
    verify(&bundle).unwrap();
    let paid: Vec<(Address, U256)> =
        plan(g.gov.store(), 1, 10).await.unwrap().into_iter().flat_map(|b| b.payouts).collect();
    assert_eq!(paid[0], (carol(), Amount::from_iotx(700).wei()));
}

#[tokio::test]
async fn without_a_registry_or_with_one_down_an_epoch_with_devices_stores_nothing() {
    let g = TestGov::new().await;
    let a = seeded(&g).await;
    a.set_device("solar-farms", listed(dev(1), 1), &Actor::Cli, t(2)).await.unwrap();

    let bare = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings());
    let e = bare.run(t(1000), t(1001)).await.unwrap_err();
    assert!(matches!(e, EpochError::NoDeviceRegistry(ref n) if n == "solar-farms"));
    assert!(e.to_string().contains("chain.ioid_registry"), "{e}");

    let down = Registry { down: true, ..Registry::default() };
    let e = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings())
        .with_devices(Arc::new(down))
        .run(t(1000), t(1001))
        .await
        .unwrap_err();
    assert!(matches!(e, EpochError::Devices(_)), "{e}");
    assert!(bare.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_device_listings_are_refused_and_change_nothing() {
    let g = TestGov::new().await;
    let a = seeded(&g).await;
    let audit_len = || async { g.gov.audit_entries(0, 1000).await.unwrap().len() };
    let before = audit_len().await;

    let e = a.set_device("swap-dapp", listed(dev(1), 1), &Actor::Cli, t(2)).await.unwrap_err();
    assert!(matches!(e, AllocationsError::Device(DeviceStoreError::NotDeviceProgram(..))), "{e}");
    assert!(e.to_string().contains("only device programs"), "{e}");
    let e = a.set_device("solar-farms", listed(dev(1), 0), &Actor::Cli, t(2)).await.unwrap_err();
    assert!(matches!(e, AllocationsError::Device(DeviceStoreError::ZeroScore)), "{e}");
    let e = a.set_device("moon-farms", listed(dev(1), 1), &Actor::Cli, t(2)).await.unwrap_err();
    assert!(e.to_string().contains("moon-farms"), "{e}");
    let e = a.remove_device("solar-farms", dev(1), &Actor::Cli, t(2)).await.unwrap_err();
    assert!(matches!(e, AllocationsError::Device(DeviceStoreError::NotListed(..))), "{e}");
    assert_eq!(audit_len().await, before);
    assert!(a.devices("solar-farms").await.unwrap().1.is_empty());

    // Listing, rescoring and removing are each one audited change.
    assert!(a.set_device("solar-farms", listed(dev(1), 1), &Actor::Cli, t(3)).await.unwrap().1);
    assert!(!a.set_device("solar-farms", listed(dev(1), 4), &Actor::Cli, t(4)).await.unwrap().1);
    assert_eq!(a.devices("solar-farms").await.unwrap().1, [listed(dev(1), 4)]);
    a.remove_device("solar-farms", dev(1), &Actor::Cli, t(5)).await.unwrap();
    assert!(a.devices("solar-farms").await.unwrap().1.is_empty());
    let actions: Vec<String> =
        g.gov.audit_entries(0, 1000).await.unwrap().into_iter().skip(before).map(|e| e.action).collect();
    assert_eq!(actions, ["recipient.device_set", "recipient.device_set", "recipient.device_removed"]);
    g.gov.verify_audit().await.expect("the audit chain holds");
}
