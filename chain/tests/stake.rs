//! Voting power read from token contracts on a real local node (anvil from
//! tools/, started on a free port per test and stopped on drop).

mod common;

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::U256;
use alloy::providers::Provider;
use alloy::sol;
use common::{anvil, wallet};
use iodao_chain::stake::{TokenPower, TokenStake};
use iodao_core::{Address, Amount, CachedStake, StakeError, StakeSource, Store};

sol!(
    #[sol(rpc)]
    VotesToken,
    "../contracts/out/VotesToken.json"
);
sol!(
    #[sol(rpc)]
    MockERC20,
    "../contracts/out/MockERC20.json"
);

fn addr(a: alloy::primitives::Address) -> Address {
    Address::from(a.into_array())
}

#[tokio::test]
async fn erc20votes_power_is_read_at_a_past_block() {
    let node = anvil();
    let p = wallet(&node, 0);
    let alice = node.addresses()[1];
    let token = VotesToken::deploy(&p).await.expect("deploy");
    token.mint(alice, U256::from(700u64)).send().await.unwrap().get_receipt().await.unwrap();
    // Votes count once delegated: alice delegates to herself.
    let as_alice = wallet(&node, 1);
    VotesToken::new(*token.address(), &as_alice).delegate(alice).send().await.unwrap().get_receipt().await.unwrap();
    let snapshot = p.get_block_number().await.unwrap();
    token.mint(alice, U256::from(300u64)).send().await.unwrap().get_receipt().await.unwrap();
    // One more block, so the second mint is in the past too.
    token.mint(node.addresses()[3], U256::from(1u64)).send().await.unwrap().get_receipt().await.unwrap();

    let stake = TokenStake::new(p.clone(), addr(*token.address()), TokenPower::Votes);
    assert_eq!(stake.power_at(addr(alice), snapshot).await.unwrap(), Amount::from_wei(U256::from(700u64)));
    let now = stake.current_block().await.unwrap();
    assert!(now > snapshot);
    assert_eq!(stake.power_at(addr(alice), now).await.unwrap(), Amount::from_wei(U256::from(1000u64)));
    assert_eq!(stake.power_at(addr(node.addresses()[2]), snapshot).await.unwrap(), Amount::ZERO);
}

#[tokio::test]
async fn a_plain_balance_is_read_at_a_past_block_and_cached() {
    let node = anvil();
    let p = wallet(&node, 0);
    let bob = node.addresses()[2];
    let token = MockERC20::deploy(&p).await.expect("deploy");
    token.mint(bob, U256::from(5u64)).send().await.unwrap().get_receipt().await.unwrap();
    let snapshot = p.get_block_number().await.unwrap();
    token.mint(bob, U256::from(95u64)).send().await.unwrap().get_receipt().await.unwrap();

    let stake = TokenStake::new(p.clone(), addr(*token.address()), TokenPower::Balance);
    let name = stake.cache_name().await.unwrap();
    assert_eq!(name, format!("erc20balance:31337:{}", token.address()));
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("c.db").display())).await.unwrap();
    let cached = CachedStake::new(Arc::new(stake), store.clone(), name);
    assert_eq!(cached.power_at(addr(bob), snapshot).await.unwrap(), Amount::from_wei(U256::from(5u64)));

    // With the node gone, the cached answer still stands; an unread one
    // fails clearly instead of counting zero.
    drop(node);
    assert_eq!(cached.power_at(addr(bob), snapshot).await.unwrap(), Amount::from_wei(U256::from(5u64)));
}

#[tokio::test]
async fn an_unreachable_node_is_a_clear_error_after_retries() {
    let node = anvil();
    let url = node.endpoint();
    drop(node);
    let stake = TokenStake::connect(&url, Address::from([7; 20]), TokenPower::Votes)
        .unwrap()
        .with_retries(2, Duration::from_millis(10));
    let e = stake.power_at(Address::from([1; 20]), 5).await.unwrap_err();
    assert!(matches!(e, StakeError::Unavailable(_)));
    assert!(e.to_string().contains("at block 5") && e.to_string().contains("after retries"), "{e}");
    assert!(TokenStake::connect("not a url", Address::from([7; 20]), TokenPower::Votes).is_err());
}

sol!(
    #[sol(rpc)]
    TestSystemStaking,
    "../contracts/out/TestSystemStaking.json"
);

#[tokio::test]
async fn system_staking_buckets_are_weighted_and_read_at_a_past_block() {
    use iodao_chain::buckets::{BLOCK_INTERVAL, BucketStake, bucket_votes};

    let node = anvil();
    let deployer = wallet(&node, 0);
    let staking = TestSystemStaking::deploy(&deployer).await.expect("deploy");
    let (alice, bob) = (node.addresses()[1], node.addresses()[2]);
    let as_alice = TestSystemStaking::new(*staking.address(), wallet(&node, 1));
    let iotx = |n: u64| U256::from(n) * U256::from(10u64).pow(U256::from(18u8));
    let blocks = |days: u64| U256::from(days * 86_400 / BLOCK_INTERVAL.as_secs());
    let delegate = node.addresses()[5];
    for (amount, days) in [(100, 91), (50, 365), (30, 30)] {
        as_alice.stake(blocks(days), delegate).value(iotx(amount)).send().await.unwrap().get_receipt().await.unwrap();
    }
    // Bucket 2 unlocked (no auto-stake bonus), bucket 3 unstaked (no votes).
    as_alice.unlock(U256::from(2)).send().await.unwrap().get_receipt().await.unwrap();
    as_alice.unstake(U256::from(3)).send().await.unwrap().get_receipt().await.unwrap();
    let snapshot = deployer.get_block_number().await.unwrap();
    // After the snapshot alice gives bucket 1 to bob.
    as_alice.transferFrom(alice, bob, U256::from(1)).send().await.unwrap().get_receipt().await.unwrap();
    as_alice.unlock(U256::from(2)).send().await.unwrap().get_receipt().await.unwrap();

    let days = |d: u64| Duration::from_secs(d * 86_400);
    let b1 = bucket_votes(iotx(100), days(91), true);
    let b2 = bucket_votes(iotx(50), days(365), false);
    let source = BucketStake::new(deployer.clone(), addr(*staking.address()), 0);
    assert_eq!(source.power_at(addr(alice), snapshot).await.unwrap(), Amount::from_wei(b1 + b2));
    assert_eq!(source.power_at(addr(bob), snapshot).await.unwrap(), Amount::ZERO);
    let now = deployer.get_block_number().await.unwrap();
    assert_eq!(source.power_at(addr(alice), now).await.unwrap(), Amount::from_wei(b2));
    assert_eq!(source.power_at(addr(bob), now).await.unwrap(), Amount::from_wei(b1));
    // 100 IOTX locked for 91 days with auto-stake weighs about 1.285.
    assert!(b1 > iotx(128) && b1 < iotx(129), "{b1}");
}

#[tokio::test]
async fn bucket_transfers_are_scanned_in_chunks_that_miss_no_block() {
    use iodao_chain::buckets::BucketStake;

    let node = anvil();
    let deployer = wallet(&node, 0);
    let staking = TestSystemStaking::deploy(&deployer).await.expect("deploy");
    let alice = node.addresses()[1];
    let delegate = node.addresses()[5];
    // One bucket per block, each in its own block: with a chunk of 2 blocks
    // the scan makes many calls, and chunk edges fall on transfers.
    let mut expected = U256::ZERO;
    for i in 1..=7u64 {
        let amount = U256::from(1_000 * i);
        staking
            .mintBucket(alice, amount, U256::ZERO, U256::MAX, U256::MAX, delegate)
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        expected += amount;
    }
    let snapshot = deployer.get_block_number().await.unwrap();
    let whole = BucketStake::new(deployer.clone(), addr(*staking.address()), 0);
    let want = Amount::from_wei(expected);
    assert_eq!(whole.power_at(addr(alice), snapshot).await.unwrap(), want);
    for chunk in [1, 2, 3, snapshot] {
        let chunked = BucketStake::new(deployer.clone(), addr(*staking.address()), 0).with_log_chunk(chunk);
        assert_eq!(chunked.power_at(addr(alice), snapshot).await.unwrap(), want, "chunk {chunk}");
    }
    // A scan starting after the first buckets were minted misses them: the
    // range really is what is scanned.
    let late = BucketStake::new(deployer.clone(), addr(*staking.address()), snapshot).with_log_chunk(2);
    assert_eq!(late.power_at(addr(alice), snapshot).await.unwrap(), Amount::from_wei(U256::from(7_000u64)));
}
