//! Gas of the Distributor on a local anvil, beside the best-known
//! references: push batches of 100 and 500 recipients (ERC-20 to fresh
//! accounts, native IOTX to already-funded accounts) and Merkle claims.
//! `cargo bench -p iodao-chain --bench gas` (scripts/setup.sh first).

#[path = "../tests/common/mod.rs"]
mod common;

use alloy::primitives::{Address, U256};
use alloy::sol;
use iodao_chain::contracts::Distributor;
use iodao_chain::merkle::PayoutTree;

sol!(
    #[sol(rpc)]
    MockERC20,
    "../contracts/out/MockERC20.json"
);

/// Random-looking recipients (every address byte drawn from a hash, as in
/// the reference benchmarks: zero bytes would make calldata cheaper).
fn payouts(n: usize, salt: u8) -> Vec<(Address, U256)> {
    (0..n)
        .map(|i| {
            let h = alloy::primitives::keccak256([&[salt][..], &(i as u64).to_be_bytes()].concat());
            (Address::from_slice(&h[12..]), U256::from(10u128.pow(18) + i as u128 * 7_919))
        })
        .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let node = common::anvil();
    let p = common::wallet(&node, 0);
    let owner = node.addresses()[0];
    let token = MockERC20::deploy(&p).await.expect("token");
    let erc = Distributor::deploy(&p, owner, *token.address(), false).await.expect("erc20 distributor");
    let native = Distributor::deploy(&p, owner, Address::ZERO, false).await.expect("native distributor");
    token
        .mint(*erc.address(), U256::from(10u128.pow(27)))
        .send()
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("mined");

    println!("{:<44} {:>12} {:>10}   reference", "operation", "gas", "per unit");
    for (batch, n) in [(0u32, 100usize), (1, 500)] {
        let list = payouts(n, 0xe0 + batch as u8);
        let (to, amounts): (Vec<Address>, Vec<U256>) = list.iter().copied().unzip();
        let r = erc
            .distribute(1, batch, to.clone(), amounts.clone())
            .send()
            .await
            .expect("send")
            .get_receipt()
            .await
            .expect("mined");
        let g = r.gas_used;
        println!("{:<44} {g:>12} {:>10}   Disperse 26 300", format!("ERC-20 push, {n} fresh recipients"), g / n as u64);

        // Native to funded accounts: fund them (1 wei each) in a first epoch.
        let ones = vec![U256::from(1u8); n];
        native
            .distribute(1, batch, to.clone(), ones)
            .value(U256::from(n))
            .send()
            .await
            .expect("send")
            .get_receipt()
            .await
            .expect("mined");
        let total = amounts.iter().fold(U256::ZERO, |a, v| a + v);
        let r = native
            .distribute(2, batch, to, amounts)
            .value(total)
            .send()
            .await
            .expect("send")
            .get_receipt()
            .await
            .expect("mined");
        let g = r.gas_used;
        println!(
            "{:<44} {g:>12} {:>10}   Disperse 10 300",
            format!("native push, {n} funded recipients"),
            g / n as u64
        );
    }

    let claims = Distributor::deploy(&p, owner, *token.address(), true).await.expect("claim distributor");
    let list = payouts(1000, 0xc0);
    let total = list.iter().fold(U256::ZERO, |a, (_, v)| a + v);
    token.mint(*claims.address(), total).send().await.expect("send").get_receipt().await.expect("mined");
    let tree = PayoutTree::build(&list).expect("tree");
    claims.setRoot(7, tree.root(), total).send().await.expect("send").get_receipt().await.expect("mined");
    // Every leaf, in order: each bitmap word's first claim pays for a fresh
    // storage word, the other 255 do not, as in a real epoch.
    let sample: Vec<usize> = (0..list.len()).collect();
    let mut sum = 0u64;
    for &i in &sample {
        let (a, v) = list[i];
        let r = claims
            .claim(7, U256::from(i), a, v, tree.proof(i))
            .send()
            .await
            .expect("send")
            .get_receipt()
            .await
            .expect("mined");
        sum += r.gas_used;
    }
    println!(
        "{:<44} {:>12} {:>10}   Uniswap MerkleDistributor 78 600",
        "ERC-20 claim, 1 000-leaf tree (all, average)",
        sum / sample.len() as u64,
        sum / sample.len() as u64
    );
}
