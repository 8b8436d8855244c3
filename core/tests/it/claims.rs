//! The claim-mode journal against a real SQLite file: the leaves are the
//! epoch's transfers, journaled once with their root; an epoch journaled as
//! pushed batches refuses claims and one journaled as claims refuses
//! batches.

use std::collections::BTreeMap;

use iodao_allocator::Policy;
use iodao_core::claims::leaves;
use iodao_core::execution::{ExecError, plan, transfers};
use iodao_core::store::TxState;
use iodao_core::{Actor, Allocations, Amount, Category, EpochSettings, Epochs};

use crate::helpers::*;

async fn one_epoch(g: &TestGov) -> Epochs {
    let a = Allocations::new(g.gov.store().clone(), g.stake.clone());
    a.add_recipient("swap-dapp", Category::Dapp, bob(), &Actor::Cli, t(0)).await.expect("add");
    a.add_recipient("idle", Category::Dapp, carol(), &Actor::Cli, t(0)).await.expect("add");
    a.set(alice(), "swap-dapp=100", t(1)).await.expect("allocate");
    let settings =
        EpochSettings { budget: Amount::from_iotx(500), policy: Policy::default(), recipients: BTreeMap::new() };
    let epochs = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings);
    epochs.run(t(1000), t(1001)).await.expect("epoch");
    epochs
}

#[tokio::test]
async fn claim_leaves_are_the_epochs_non_zero_transfers_and_stay_as_journaled() {
    let g = TestGov::new().await;
    one_epoch(&g).await;
    let store = g.gov.store();
    let want = vec![(bob(), Amount::from_iotx(500).wei())];
    assert_eq!(leaves(store, 1).await.unwrap(), want);
    assert_eq!(transfers(store, 1).await.unwrap(), want);
    assert!(matches!(leaves(store, 9).await, Err(ExecError::NoEpoch(9))));

    let row = store
        .plan_claims(1, "0xD15", "0xr00t", "500", r#"[["0xb0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0","7"]]"#, t(2))
        .await
        .unwrap();
    assert_eq!((row.tx.state, row.root.as_str()), (TxState::Planned, "0xr00t"));
    // Planned again with other values: the journal keeps the first.
    let again = store.plan_claims(1, "0xD15", "0xother", "1", "[]", t(3)).await.unwrap();
    assert_eq!(again.root, "0xr00t");
    // The journaled leaves are what a rerun builds its tree from.
    assert_eq!(leaves(store, 1).await.unwrap()[0].1, alloy_primitives::U256::from(7u8));
    assert_eq!(store.epoch(1).await.unwrap().unwrap().state, "executing");
    // And the epoch can no longer be pushed.
    let push = iodao_core::execution::Executor::new(store.clone(), std::sync::Arc::new(NoChain), 10);
    let e = push.execute(1, &|_| {}).await.unwrap_err();
    assert!(matches!(e, ExecError::OtherMode { other: "claims", .. }), "{e}");
}

#[tokio::test]
async fn an_epoch_journaled_as_batches_cannot_be_claimed() {
    let g = TestGov::new().await;
    one_epoch(&g).await;
    let store = g.gov.store();
    assert_eq!(plan(store, 1, 10).await.unwrap().len(), 1);
    store.plan_batches(1, "0xD15", &[r#"[]"#.to_owned()], t(2)).await.unwrap();
    let e = leaves(store, 1).await.unwrap_err();
    assert!(e.to_string().contains("cannot also be paid by claims"), "{e}");
}

/// A chain that must never be reached.
struct NoChain;

#[async_trait::async_trait]
impl iodao_core::execution::PayoutChain for NoChain {
    fn distributor(&self) -> String {
        "0xD15".into()
    }
    async fn is_batch_paid(&self, _: u64, _: u32) -> Result<bool, iodao_core::execution::ChainFailure> {
        unreachable!("no chain call before the mode check")
    }
    async fn send_batch(
        &self,
        _: &iodao_core::execution::Batch,
    ) -> Result<iodao_core::execution::Sent, iodao_core::execution::ChainFailure> {
        unreachable!("no chain call before the mode check")
    }
    async fn wait_landed(&self, _: &str) -> Result<iodao_core::execution::Landed, iodao_core::execution::ChainFailure> {
        unreachable!("no chain call before the mode check")
    }
}

#[tokio::test]
async fn the_payment_journal_reads_back_a_claim_root_with_its_leaves_and_transaction() {
    let g = TestGov::new().await;
    let epochs = one_epoch(&g).await;
    let store = g.gov.store();
    let unpaid = epochs.payment(1).await.unwrap();
    assert!(unpaid.batches.is_empty() && unpaid.claim.is_none() && unpaid.transactions().is_empty());
    assert!(epochs.claims(1).await.unwrap().is_none());

    let pairs = r#"[["0xb0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0","7"]]"#;
    store.plan_claims(1, "0xD15", "0xr00t", "7", pairs, t(2)).await.unwrap();
    store.claims_sent(1, "0x5e7", 3, t(3)).await.unwrap();
    let journal = epochs.payment(1).await.unwrap();
    assert!(journal.batches.is_empty());
    assert_eq!(journal.claim.as_ref().map(|c| c.tx.state), Some(TxState::Sent));
    assert_eq!(journal.transactions(), ["0x5e7"]);
    let (root, leaves) = epochs.claims(1).await.unwrap().expect("journaled");
    assert_eq!(root.root, "0xr00t");
    assert_eq!(leaves, [(iodao_core::Address::from([0xb0; 20]), alloy_primitives::U256::from(7u8))]);
}

#[tokio::test]
async fn the_payment_journal_reads_back_pushed_batches_and_their_transactions() {
    let g = TestGov::new().await;
    let epochs = one_epoch(&g).await;
    let store = g.gov.store();
    store.plan_batches(1, "0xD15", &["[]".to_owned(), "[]".to_owned()], t(2)).await.unwrap();
    store.batch_sent(1, 1, "0xb1", 4, t(3)).await.unwrap();
    let journal = epochs.payment(1).await.unwrap();
    assert_eq!(journal.batches.iter().map(|b| b.tx.state).collect::<Vec<_>>(), [TxState::Planned, TxState::Sent]);
    assert!(journal.claim.is_none());
    assert_eq!(journal.transactions(), ["0xb1"], "only a sent batch has a transaction");
    assert!(epochs.claims(1).await.unwrap().is_none());
}
