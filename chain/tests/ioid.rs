//! Device checks against a registry with the ioID reading surface
//! (contracts/test/TestIoID.sol) on a real anvil: registration and owner
//! read at a past block, unregistered and removed devices, an unreachable
//! node.

mod common;

use std::time::Duration;

use alloy::primitives::U256;
use alloy::providers::Provider;
use alloy::sol;
use common::{anvil, wallet};
use iodao_chain::ioid::IoIdRegistry;
use iodao_core::{Address, DeviceError, DeviceRegistry, DeviceStatus};

sol!(
    #[sol(rpc)]
    TestIoIDRegistry,
    "../contracts/out/TestIoIDRegistry.json"
);
sol!(
    #[sol(rpc)]
    TestIoID,
    "../contracts/out/TestIoID.json"
);

fn addr(a: alloy::primitives::Address) -> Address {
    Address::from(a.into_array())
}

#[tokio::test]
async fn registration_and_owner_are_read_at_the_block_asked() {
    let node = anvil();
    let p = wallet(&node, 0);
    let registry = TestIoIDRegistry::deploy(&p).await.expect("deploy");
    let (alice, bob) = (node.addresses()[1], node.addresses()[2]);
    let (d1, d2, d3) = (node.addresses()[5], node.addresses()[6], node.addresses()[7]);
    for (device, owner) in [(d1, alice), (d2, bob)] {
        registry.register(U256::from(1), device, owner).send().await.unwrap().get_receipt().await.unwrap();
    }
    let snapshot = p.get_block_number().await.unwrap();
    // After the snapshot: alice gives device 1's ioID to bob, device 2 is
    // removed, device 3 registered.
    let nft = TestIoID::new(registry.ioID().call().await.unwrap(), wallet(&node, 1));
    nft.transferFrom(alice, bob, U256::from(1)).send().await.unwrap().get_receipt().await.unwrap();
    registry.remove(d2).send().await.unwrap().get_receipt().await.unwrap();
    registry.register(U256::from(1), d3, alice).send().await.unwrap().get_receipt().await.unwrap();
    let now = p.get_block_number().await.unwrap();

    let source = IoIdRegistry::new(p.clone(), addr(*registry.address()));
    let at = |d, b| {
        let s = source.clone();
        async move { s.device_at(addr(d), b).await.unwrap() }
    };
    assert_eq!(at(d1, snapshot).await, DeviceStatus::Registered { owner: addr(alice) });
    assert_eq!(at(d2, snapshot).await, DeviceStatus::Registered { owner: addr(bob) });
    assert_eq!(at(d3, snapshot).await, DeviceStatus::Unregistered);
    assert_eq!(at(d1, now).await, DeviceStatus::Registered { owner: addr(bob) });
    assert_eq!(at(d2, now).await, DeviceStatus::Unregistered);
    assert_eq!(at(d3, now).await, DeviceStatus::Registered { owner: addr(alice) });
    // A device nobody ever registered.
    assert_eq!(at(node.addresses()[9], now).await, DeviceStatus::Unregistered);
}

#[tokio::test]
async fn an_unreachable_registry_is_a_clear_error_after_retries() {
    let node = anvil();
    let url = node.endpoint();
    drop(node);
    let source =
        IoIdRegistry::connect(&url, Address::from([4; 20])).unwrap().with_retries(2, Duration::from_millis(10));
    let DeviceError::Unavailable(m) = source.device_at(Address::from([1; 20]), 9).await.unwrap_err();
    assert!(m.contains("at block 9") && m.contains("after retries"), "{m}");
    assert!(IoIdRegistry::connect("not a url", Address::from([4; 20])).is_err());
}
