//! The Distributor on a real local node: push batches of 500 recipients in
//! native IOTX and in an ERC-20 pay each exactly and only once; Merkle
//! claims built by the Rust tree pay sampled recipients once, and a wrong
//! proof pays nothing.

mod common;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::sol;
use common::{anvil, wallet};
use iodao_chain::contracts::Distributor;
use iodao_chain::merkle::PayoutTree;

sol!(
    #[sol(rpc)]
    MockERC20,
    "../contracts/out/MockERC20.json"
);

/// Whether a simulated call reverted with the contract error `name`.
fn reverted<T>(r: Result<T, alloy::contract::Error>, name: &str) -> bool {
    match r {
        Ok(_) => false,
        Err(e) => e
            .as_decoded_interface_error::<Distributor::DistributorErrors>()
            .is_some_and(|d| format!("{d:?}").starts_with(name)),
    }
}

/// `n` fresh recipients and distinct amounts.
fn payouts(n: usize, salt: u8) -> Vec<(Address, U256)> {
    (0..n)
        .map(|i| {
            let mut a = [0u8; 20];
            a[0] = salt;
            a[12..20].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            (Address::from(a), U256::from(10u128.pow(15) + i as u128 * 7_919))
        })
        .collect()
}

#[tokio::test]
async fn an_erc20_batch_of_500_pays_each_exactly_once() {
    let node = anvil();
    let p = wallet(&node, 0);
    let owner = node.addresses()[0];
    let token = MockERC20::deploy(&p).await.unwrap();
    let d = Distributor::deploy(&p, owner, *token.address(), false).await.unwrap();
    token.mint(*d.address(), U256::from(10u128.pow(24))).send().await.unwrap().get_receipt().await.unwrap();

    let list = payouts(500, 0xe2);
    let (to, amounts): (Vec<Address>, Vec<U256>) = list.iter().copied().unzip();
    let r = d.distribute(1, 0, to.clone(), amounts.clone()).send().await.unwrap().get_receipt().await.unwrap();
    assert!(r.status());
    for (a, v) in &list {
        assert_eq!(token.balanceOf(*a).call().await.unwrap(), *v);
    }
    assert!(d.isBatchPaid(1, 0).call().await.unwrap());
    assert!(!d.isBatchPaid(1, 1).call().await.unwrap());

    // The same (epoch, batch) again: the node refuses it (simulated as the
    // owner, so the refusal is the batch bit, not the owner check).
    let again = d.distribute(1, 0, to, amounts).from(owner).call().await;
    assert!(reverted(again, "BatchAlreadyPaid"));
    assert_eq!(token.balanceOf(list[0].0).call().await.unwrap(), list[0].1);
}

#[tokio::test]
async fn a_native_batch_of_500_pays_each_exactly_once() {
    let node = anvil();
    let p = wallet(&node, 0);
    let owner = node.addresses()[0];
    let d = Distributor::deploy(&p, owner, Address::ZERO, false).await.unwrap();
    let list = payouts(500, 0x1a);
    let total = list.iter().fold(U256::ZERO, |a, (_, v)| a + v);
    let (to, amounts): (Vec<Address>, Vec<U256>) = list.iter().copied().unzip();

    // Underfunded: the whole batch reverts and nothing is marked paid.
    let short = d.distribute(3, 0, to.clone(), amounts.clone()).value(total - U256::from(1)).from(owner).call().await;
    assert!(reverted(short, "InsufficientFunds"));
    assert!(!d.isBatchPaid(3, 0).call().await.unwrap());

    let r =
        d.distribute(3, 0, to.clone(), amounts.clone()).value(total).send().await.unwrap().get_receipt().await.unwrap();
    assert!(r.status());
    for (a, v) in &list {
        assert_eq!(p.get_balance(*a).await.unwrap(), *v);
    }
    let again = d.distribute(3, 0, to, amounts).value(total).from(owner).call().await;
    assert!(reverted(again, "BatchAlreadyPaid"));
    assert_eq!(p.get_balance(list[7].0).await.unwrap(), list[7].1);
}

#[tokio::test]
async fn merkle_claims_pay_once_and_a_wrong_proof_pays_nothing() {
    let node = anvil();
    let p = wallet(&node, 0);
    let owner = node.addresses()[0];
    let token = MockERC20::deploy(&p).await.unwrap();
    let d = Distributor::deploy(&p, owner, *token.address(), true).await.unwrap();
    let list = payouts(1000, 0xc1);
    let total = list.iter().fold(U256::ZERO, |a, (_, v)| a + v);
    token.mint(*d.address(), total).send().await.unwrap().get_receipt().await.unwrap();
    let tree = PayoutTree::build(&list).unwrap();
    d.setRoot(9, tree.root(), total).send().await.unwrap().get_receipt().await.unwrap();

    // Push is refused on a claim-mode instance.
    let push = d.distribute(9, 0, vec![list[0].0], vec![list[0].1]).from(owner).call().await;
    assert!(reverted(push, "WrongMode"));

    for i in [0usize, 1, 255, 256, 511, 777, 999] {
        let (a, v) = list[i];
        let r = d.claim(9, U256::from(i), a, v, tree.proof(i)).send().await.unwrap().get_receipt().await.unwrap();
        assert!(r.status());
        assert_eq!(token.balanceOf(a).call().await.unwrap(), v);
        assert!(d.isClaimed(9, U256::from(i)).call().await.unwrap());
        // Twice: refused.
        let twice = d.claim(9, U256::from(i), a, v, tree.proof(i)).call().await;
        assert!(reverted(twice, "AlreadyClaimed"));
    }
    // A wrong amount, and a proof of another leaf: refused, nothing paid.
    let (a, v) = list[5];
    for wrong in
        [d.claim(9, U256::from(5), a, v + U256::from(1), tree.proof(5)), d.claim(9, U256::from(5), a, v, tree.proof(6))]
    {
        assert!(reverted(wrong.call().await, "InvalidProof"));
    }
    assert_eq!(token.balanceOf(a).call().await.unwrap(), U256::ZERO);
}
