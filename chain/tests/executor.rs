//! The executor against a real node: an epoch's payouts are journaled in
//! batches, paid exactly, and running again pays nothing twice; a batch sent
//! by a run that died before confirming is confirmed from the chain, not
//! re-sent.

mod common;

use std::sync::Arc;

use alloy::primitives::U256;
use alloy::providers::Provider;
use chrono::{TimeZone, Utc};
use common::{anvil, wallet};
use iodao_chain::contracts::Distributor;
use iodao_chain::executor::AlloyPayouts;
use iodao_core::execution::{Executor, PayoutChain, Step};
use iodao_core::store::{NewEpoch, TxState};
use iodao_core::{Actor, Address, Amount, Category, PayoutRow, Store};

/// An epoch of `n` payouts stored the way an epoch run stores them.
async fn epoch_with_payouts(store: &Store, n: usize) -> Vec<(Address, U256)> {
    let t = Utc.timestamp_opt(1_900_000_000, 0).single().expect("time");
    let mut payouts = Vec::new();
    let mut rows = Vec::new();
    for i in 0..n {
        let mut a = [0u8; 20];
        a[0] = 0xee;
        a[12..20].copy_from_slice(&(i as u64 + 1).to_be_bytes());
        let addr = Address::from(a);
        let r =
            store.insert_recipient(&format!("r{i}"), Category::Dapp, addr, &Actor::Cli, t).await.expect("recipient");
        let amount = U256::from(10u128.pow(15) + i as u128);
        payouts.push((addr, amount));
        rows.push(PayoutRow {
            recipient_id: r.id.get(),
            payout: addr,
            amount: Amount::from_wei(amount),
            target: Amount::from_wei(amount),
            binding: "none".into(),
        });
    }
    let total = payouts.iter().fold(U256::ZERO, |a, (_, v)| a + v);
    let e = NewEpoch {
        number: 1,
        slot: t,
        snapshot_block: 1,
        budget: Amount::from_wei(total),
        spent: Amount::from_wei(total),
        unallocated: Amount::ZERO,
        digest: "0x00",
        bundle: "{}",
        payouts: &rows,
    };
    assert!(store.insert_epoch(&e, t).await.expect("epoch"));
    payouts
}

#[tokio::test]
async fn an_epoch_is_paid_in_journaled_batches_exactly_once() {
    let node = anvil();
    let p = wallet(&node, 0);
    let d =
        Distributor::deploy(&p, node.addresses()[0], alloy::primitives::Address::ZERO, false).await.expect("deploy");
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(&format!("sqlite://{}", dir.path().join("x.db").display())).await.expect("store");
    let payouts = epoch_with_payouts(&store, 25).await;
    let total = payouts.iter().fold(U256::ZERO, |a, (_, v)| a + v);
    // Fund the distributor.
    let fund = alloy::rpc::types::TransactionRequest::default().to(*d.address()).value(total);
    p.send_transaction(fund).await.expect("fund").get_receipt().await.expect("funded");

    let key = alloy::primitives::hex::encode(node.keys()[0].to_bytes());
    let chain =
        AlloyPayouts::connect(&node.endpoint(), &key, Address::from(d.address().into_array()), 1).expect("connect");
    let ex = Executor::new(store.clone(), Arc::new(chain), 10);
    let plan = ex.plan(1).await.expect("plan");
    assert_eq!(plan.iter().map(|b| b.payouts.len()).collect::<Vec<_>>(), [10, 10, 5]);

    let steps = ex.execute(1, &|_| {}).await.expect("execute");
    assert_eq!(steps.iter().filter(|s| matches!(s, Step::Confirmed(..))).count(), 3);
    for (a, v) in &payouts {
        assert_eq!(p.get_balance(a.as_evm()).await.expect("balance"), *v);
    }
    assert_eq!(store.epoch(1).await.expect("epoch").expect("exists").state, "executed");
    let journal = store.batches(1).await.expect("journal");
    assert!(
        journal.iter().all(|b| b.tx.state == TxState::Confirmed && b.tx.tx_hash.is_some() && b.tx.gas_used.is_some())
    );

    // Again: everything is already confirmed; nothing is sent or paid.
    let again = ex.execute(1, &|_| {}).await.expect("again");
    assert!(again.iter().all(|s| matches!(s, Step::AlreadyConfirmed(_))));
    for (a, v) in &payouts {
        assert_eq!(p.get_balance(a.as_evm()).await.expect("balance"), *v);
    }
}

#[tokio::test]
async fn a_batch_sent_before_a_crash_is_confirmed_from_the_chain_not_resent() {
    let node = anvil();
    let p = wallet(&node, 0);
    let d =
        Distributor::deploy(&p, node.addresses()[0], alloy::primitives::Address::ZERO, false).await.expect("deploy");
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::open(&format!("sqlite://{}", dir.path().join("x.db").display())).await.expect("store");
    let payouts = epoch_with_payouts(&store, 9).await;
    let total = payouts.iter().fold(U256::ZERO, |a, (_, v)| a + v);
    let fund = alloy::rpc::types::TransactionRequest::default().to(*d.address()).value(total);
    p.send_transaction(fund).await.expect("fund").get_receipt().await.expect("funded");
    let key = alloy::primitives::hex::encode(node.keys()[0].to_bytes());
    let chain = Arc::new(
        AlloyPayouts::connect(&node.endpoint(), &key, Address::from(d.address().into_array()), 1).expect("connect"),
    );
    let ex = Executor::new(store.clone(), chain.clone(), 3);

    // The first run journals the plan, sends batch 0, records it as sent,
    // and dies before confirming; a second process sent batch 1 and died
    // before journaling it at all.
    let plan = ex.plan(1).await.expect("plan");
    let encoded: Vec<String> = plan
        .iter()
        .map(|b| {
            serde_json::to_string(&b.payouts.iter().map(|(a, v)| (a.to_hex(), v.to_string())).collect::<Vec<_>>())
                .expect("json")
        })
        .collect();
    store.plan_batches(1, &chain.distributor(), &encoded, Utc::now()).await.expect("plan");
    let sent = chain.send_batch(&plan[0]).await.expect("send 0");
    store.batch_sent(1, 0, &sent.tx_hash, sent.nonce, Utc::now()).await.expect("journal");
    chain.send_batch(&plan[1]).await.expect("send 1");

    let steps = ex.execute(1, &|_| {}).await.expect("resume");
    assert_eq!(steps[0], Step::Confirmed(0, steps_block(&steps[0])));
    assert_eq!(steps[1], Step::FoundPaid(1));
    assert!(matches!(steps[2], Step::Sent(2, _)));
    assert!(matches!(steps[3], Step::Confirmed(2, _)));
    assert_eq!(steps.len(), 4, "nothing else was sent");
    for (a, v) in &payouts {
        assert_eq!(p.get_balance(a.as_evm()).await.expect("balance"), *v, "{a} paid exactly once");
    }
}

fn steps_block(s: &Step) -> u64 {
    match s {
        Step::Confirmed(_, b) => *b,
        _ => 0,
    }
}
