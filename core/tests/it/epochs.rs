use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use iodao_allocator::{Binding, Bps, Limit, Policy};
use iodao_core::epochs::{parse_limit, verify};
use iodao_core::store::RunState;
use iodao_core::{
    Actor, Address, Allocations, Amount, Category, EpochError, EpochSettings, Epochs, Ran, RecipientBounds, StakeError,
    StakeSource, VerifyError,
};

use crate::helpers::*;

fn settings(budget_iotx: u64) -> EpochSettings {
    EpochSettings { budget: Amount::from_iotx(budget_iotx), policy: Policy::default(), recipients: BTreeMap::new() }
}

/// Two recipients and three stakers' allocations: solar 70 IOTX of weight,
/// swap 100 (see the allocations tests).
async fn seeded(g: &TestGov) -> (i64, i64) {
    let a = Allocations::new(g.gov.store().clone(), g.stake.clone());
    let add = |name, category, payout| a.add_recipient(name, category, payout, &Actor::Cli, t(0));
    let solar = add("solar-farms", Category::DeviceProgram, carol()).await.expect("add solar");
    let swap = add("swap-dapp", Category::Dapp, bob()).await.expect("add swap");
    for (voter, split, at) in
        [(alice(), "solar-farms=60 swap-dapp=40", 1), (bob(), "swap-dapp=100", 2), (carol(), "solar-farms=25", 3)]
    {
        a.set(voter, split, t(at)).await.expect("allocate");
    }
    (solar.id.get(), swap.id.get())
}

#[tokio::test]
async fn an_epoch_splits_the_budget_by_stake_weighted_votes_and_stores_its_payouts() {
    let g = TestGov::new().await;
    let (solar, swap) = seeded(&g).await;
    let epochs = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings(1700));

    let Ran::New(e) = epochs.run(t(1000), t(1001)).await.unwrap() else { panic!("a new epoch") };
    assert_eq!((e.number, e.snapshot_block, e.state.as_str()), (1, 4242, "allocated"));
    assert_eq!(e.spent, Amount::from_iotx(1700));
    assert_eq!(e.unallocated, Amount::ZERO);

    let (_, payouts) = epochs.get(1).await.unwrap().expect("stored");
    let paid: Vec<(i64, Address, Amount)> = payouts.iter().map(|p| (p.recipient_id, p.payout, p.amount)).collect();
    assert_eq!(paid, [(solar, carol(), Amount::from_iotx(700)), (swap, bob(), Amount::from_iotx(1000))]);

    let bundle = epochs.bundle(1).await.unwrap().expect("bundle");
    assert_eq!(bundle.digest, e.digest);
    assert_eq!(bundle.votes.len(), 3);
    verify(&bundle).expect("the stored bundle verifies");
    // The run is in the audit log, and the chain still verifies.
    assert!(
        g.gov
            .audit_entries(0, 1000)
            .await
            .unwrap()
            .iter()
            .any(|a| a.action == "epoch.allocated" && a.subject == "epoch:1")
    );
    g.gov.verify_audit().await.unwrap();
}

#[tokio::test]
async fn a_slot_runs_once() {
    let g = TestGov::new().await;
    seeded(&g).await;
    let epochs = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings(1700));
    let Ran::New(first) = epochs.run(t(1000), t(1001)).await.unwrap() else { panic!("new") };
    assert_eq!(epochs.run(t(1000), t(1500)).await.unwrap(), Ran::Existing(first));
    assert_eq!(epochs.list().await.unwrap().len(), 1);
    let Ran::New(second) = epochs.run(t(2000), t(2001)).await.unwrap() else { panic!("new") };
    assert_eq!(second.number, 2);
}

#[tokio::test]
async fn a_tampered_bundle_fails_verification() {
    let g = TestGov::new().await;
    seeded(&g).await;
    let epochs = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings(1700));
    epochs.run(t(1000), t(1001)).await.unwrap();
    let bundle = epochs.bundle(1).await.unwrap().expect("bundle");

    // A payout changed: the digest no longer matches.
    let mut b = bundle.clone();
    b.split.payouts[0].amount += alloy_primitives::U256::from(1u8);
    assert!(matches!(verify(&b), Err(VerifyError::Digest { .. })));

    // ... and with the digest recomputed, the re-solved split differs.
    b.digest = b.compute_digest();
    assert!(matches!(verify(&b), Err(VerifyError::Split(m)) if m.contains("recomputed")));

    // A voter's power inflated: the weights no longer follow from the votes.
    let mut b = bundle.clone();
    b.votes[0].power *= alloy_primitives::U256::from(2u8);
    b.digest = b.compute_digest();
    assert!(matches!(verify(&b), Err(VerifyError::Weight { .. })));
}

#[tokio::test]
async fn smoothing_reads_the_previous_epoch() {
    let g = TestGov::new().await;
    let (solar, _) = seeded(&g).await;
    let mut s = settings(1700);
    s.policy.smoothing = Some(Bps::new(1000).unwrap());
    let epochs = Epochs::new(g.gov.store().clone(), g.stake.clone(), s);
    epochs.run(t(1000), t(1001)).await.unwrap();

    // Everyone moves to the dapp: without smoothing solar would get nothing.
    let a = Allocations::new(g.gov.store().clone(), g.stake.clone());
    for v in [alice(), carol()] {
        a.set(v, "swap-dapp=100", t(1100)).await.unwrap();
    }
    epochs.run(t(2000), t(2001)).await.unwrap();
    let (_, payouts) = epochs.get(2).await.unwrap().unwrap();
    let solar_paid = payouts.iter().find(|p| p.recipient_id == solar).unwrap();
    assert_eq!(solar_paid.amount, Amount::from_iotx(630));
    assert_eq!(solar_paid.binding, Binding::Smoothing.to_string());
    verify(&epochs.bundle(2).await.unwrap().unwrap()).unwrap();
}

#[tokio::test]
async fn recipient_bounds_come_from_the_settings_by_name() {
    let g = TestGov::new().await;
    let (solar, swap) = seeded(&g).await;
    let mut s = settings(1700);
    s.recipients
        .insert("swap-dapp".into(), RecipientBounds { cap: Some(parse_limit("500").unwrap()), ..Default::default() });
    let epochs = Epochs::new(g.gov.store().clone(), g.stake.clone(), s);
    epochs.run(t(1000), t(1001)).await.unwrap();
    let (_, payouts) = epochs.get(1).await.unwrap().unwrap();
    let by_id: BTreeMap<i64, Amount> = payouts.iter().map(|p| (p.recipient_id, p.amount)).collect();
    assert_eq!(by_id[&swap], Amount::from_iotx(500));
    assert_eq!(by_id[&solar], Amount::from_iotx(1200));
}

#[test]
fn bounds_are_written_as_percentages_or_iotx() {
    assert_eq!(parse_limit("5%"), Ok(Limit::Share(Bps::new(500).unwrap())));
    assert_eq!(parse_limit(" 2.5% "), Ok(Limit::Share(Bps::new(250).unwrap())));
    assert_eq!(parse_limit("1.5"), Ok(Limit::Wei(Amount::parse_iotx("1.5").unwrap().wei())));
    assert!(parse_limit("five").unwrap_err().contains("neither a percentage"));
    assert!(parse_limit("120%").is_err());
}

/// A stake source whose node is down.
struct Down;

#[async_trait]
impl StakeSource for Down {
    async fn current_block(&self) -> Result<u64, StakeError> {
        Ok(7)
    }
    async fn power_at(&self, _: Address, _: u64) -> Result<Amount, StakeError> {
        Err(StakeError::Unavailable("connection refused".into()))
    }
}

#[tokio::test]
async fn a_power_that_fails_to_load_fails_the_epoch_with_its_reason_and_a_rerun_starts_afresh() {
    let g = TestGov::new().await;
    seeded(&g).await;
    let epochs = Epochs::new(g.gov.store().clone(), Arc::new(Down), settings(1700));
    let err = epochs.run(t(1000), t(1001)).await.unwrap_err();
    assert!(matches!(err, EpochError::Allocations(_)), "{err}");
    assert!(err.to_string().contains("connection refused"));
    assert!(epochs.list().await.unwrap().is_empty(), "nothing allocated");
    let runs = epochs.runs().await.unwrap();
    assert_eq!(
        runs.iter().map(|r| (r.number, r.state, r.snapshot_block)).collect::<Vec<_>>(),
        [(1, RunState::Failed, 7)]
    );
    assert!(runs[0].failure.as_deref().is_some_and(|f| f.contains("connection refused")), "{runs:?}");
    let audit = g.gov.audit_entries(0, 1000).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "epoch.failed" && a.subject == "epoch:1" && a.detail.contains("refused")));

    // The node is back: the slot runs afresh (a new snapshot), as epoch 1.
    let epochs = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings(1700));
    let Ran::New(e) = epochs.run(t(1000), t(1100)).await.unwrap() else { panic!("a new epoch") };
    assert_eq!((e.number, e.snapshot_block, e.spent), (1, 4242, Amount::from_iotx(1700)));
    assert!(epochs.runs().await.unwrap().is_empty(), "an allocated epoch is no run");
    g.gov.verify_audit().await.unwrap();
}

#[tokio::test]
async fn a_policy_that_cannot_be_met_fails_the_tallied_epoch_and_a_fixed_one_allocates_it() {
    let g = TestGov::new().await;
    seeded(&g).await;
    let floor = RecipientBounds { floor: Some(parse_limit("1000").unwrap()), ..Default::default() };
    let mut s = settings(1700);
    s.recipients = [("solar-farms".into(), floor.clone()), ("swap-dapp".into(), floor)].into();
    let err = Epochs::new(g.gov.store().clone(), g.stake.clone(), s).run(t(1000), t(1001)).await.unwrap_err();
    assert!(matches!(err, EpochError::Allocate(_)), "{err}");
    let runs = g.gov.store().runs().await.unwrap();
    assert_eq!(runs.iter().map(|r| r.state).collect::<Vec<_>>(), [RunState::Failed]);
    assert!(runs[0].failure.as_deref().is_some_and(|f| f.contains("floors need more")), "{runs:?}");

    let Ran::New(e) =
        Epochs::new(g.gov.store().clone(), g.stake.clone(), settings(1700)).run(t(1000), t(1100)).await.unwrap()
    else {
        panic!("a new epoch")
    };
    assert_eq!((e.number, e.spent), (1, Amount::from_iotx(1700)));
}

/// A node that answers every power as zero: a run that read it would split
/// nothing.
struct Empty;

#[async_trait]
impl StakeSource for Empty {
    async fn current_block(&self) -> Result<u64, StakeError> {
        Ok(9000)
    }
    async fn power_at(&self, _: Address, _: u64) -> Result<Amount, StakeError> {
        Ok(Amount::ZERO)
    }
}

#[tokio::test]
async fn an_epoch_tallied_before_a_crash_is_split_from_its_stored_inputs_not_read_again() {
    let g = TestGov::new().await;
    let (solar, swap) = seeded(&g).await;
    let before = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings(1700));
    let run = before.tally(t(1000), t(1001)).await.unwrap().expect("a run");
    assert_eq!((run.number, run.state, run.snapshot_block), (1, RunState::Tallied, 4242));
    assert!(before.list().await.unwrap().is_empty(), "tallied, not allocated");
    drop(before);

    // After the crash the node reads differently (every power zero, a
    // later block) and the node that answered is down for good: the epoch
    // is split from what was tallied.
    for stake in [Arc::new(Empty) as Arc<dyn StakeSource>, Arc::new(Down)] {
        let after = Epochs::new(g.gov.store().clone(), stake, settings(1700));
        assert_eq!(after.tally(t(1000), t(1002)).await.unwrap().map(|r| r.state), Some(RunState::Tallied));
    }
    let after = Epochs::new(g.gov.store().clone(), Arc::new(Empty), settings(1700));
    let Ran::New(e) = after.run(t(1000), t(1003)).await.unwrap() else { panic!("a new epoch") };
    assert_eq!((e.number, e.snapshot_block, e.spent), (1, 4242, Amount::from_iotx(1700)));
    let (_, payouts) = after.get(1).await.unwrap().unwrap();
    let paid: Vec<(i64, Amount)> = payouts.iter().map(|p| (p.recipient_id, p.amount)).collect();
    assert_eq!(paid, [(solar, Amount::from_iotx(700)), (swap, Amount::from_iotx(1000))]);
    verify(&after.bundle(1).await.unwrap().unwrap()).unwrap();
    assert!(after.runs().await.unwrap().is_empty());
    // Each state it went through is in the audit log, once.
    let steps: Vec<String> = g
        .gov
        .audit_entries(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.subject == "epoch:1")
        .map(|a| a.action)
        .collect();
    assert_eq!(steps, ["epoch.opened", "epoch.tallied", "epoch.allocated"]);
    g.gov.verify_audit().await.unwrap();
}

/// The test's snapshot, answered only at the block it was opened at.
struct OnlyAt(Arc<dyn StakeSource>, u64);

#[async_trait]
impl StakeSource for OnlyAt {
    async fn current_block(&self) -> Result<u64, StakeError> {
        Ok(self.1 + 100)
    }
    async fn power_at(&self, voter: Address, block: u64) -> Result<Amount, StakeError> {
        if block != self.1 {
            return Err(StakeError::Unavailable(format!("read at block {block}, not at the snapshot {}", self.1)));
        }
        self.0.power_at(voter, block).await
    }
}

#[tokio::test]
async fn an_epoch_opened_before_a_crash_reads_its_votes_at_the_block_it_was_opened_at() {
    let g = TestGov::new().await;
    seeded(&g).await;
    let run = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings(1700))
        .open(t(1000), t(1001))
        .await
        .unwrap()
        .expect("a run");
    assert_eq!((run.number, run.state, run.snapshot_block, run.inputs), (1, RunState::Open, 4242, None));

    // The chain has moved on by the restart; the votes are read at 4242.
    let after = Epochs::new(g.gov.store().clone(), Arc::new(OnlyAt(g.stake.clone(), 4242)), settings(1700));
    let Ran::New(e) = after.run(t(1000), t(1002)).await.unwrap() else { panic!("a new epoch") };
    assert_eq!((e.number, e.snapshot_block, e.spent), (1, 4242, Amount::from_iotx(1700)));
    // A slot allocated is never opened again.
    assert_eq!(after.open(t(1000), t(1003)).await.unwrap(), None);
    assert_eq!(after.run(t(1000), t(1004)).await.unwrap(), Ran::Existing(e));
}

#[tokio::test]
async fn an_epochs_bundle_export_is_built_once_stored_and_printed_as_the_cli_prints_it() {
    use iodao_core::{ExportKind, export_json};
    let g = TestGov::new().await;
    seeded(&g).await;
    let epochs = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings(1700));
    assert_eq!(epochs.export(1, ExportKind::Bundle).await.unwrap(), None, "no epoch yet");
    epochs.run(t(1000), t(1001)).await.unwrap();

    let first = epochs.export(1, ExportKind::Bundle).await.unwrap().expect("built");
    let bytes = epochs.export_bytes(&first).await.unwrap();
    let bundle = epochs.bundle(1).await.unwrap().expect("bundle");
    assert_eq!(String::from_utf8(bytes.clone()).unwrap(), export_json(&bundle).unwrap());
    assert_eq!(first.size, bytes.len() as u64);
    // A second service on the same database (another process) reads the
    // stored one: nothing is built again.
    let other = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings(1700));
    let again = other.export(1, ExportKind::Bundle).await.unwrap().expect("stored");
    assert_eq!(again, first);
    assert_eq!(other.export_bytes(&again).await.unwrap(), bytes);
    assert_eq!((epochs.exports_built(), other.exports_built()), (1, 0));
    assert_eq!(epochs.export(1, ExportKind::Claims).await.unwrap(), None, "not paid by claims");
}

#[tokio::test]
async fn concurrent_first_requests_build_an_export_once() {
    use iodao_core::ExportKind;
    let g = TestGov::new().await;
    seeded(&g).await;
    let epochs = Epochs::new(g.gov.store().clone(), g.stake.clone(), settings(1700));
    epochs.run(t(1000), t(1001)).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let e = epochs.clone();
            tokio::spawn(async move { e.export(1, ExportKind::Bundle).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap().expect("export");
    }
    assert_eq!(epochs.exports_built(), 1);
}

#[tokio::test]
async fn a_dry_run_and_current_weights_write_nothing() {
    let g = TestGov::new().await;
    seeded(&g).await;
    let store = g.gov.store().clone();
    let cached: Arc<dyn StakeSource> = Arc::new(iodao_core::CachedStake::new(g.stake.clone(), store.clone(), "csv"));
    let epochs = Epochs::new(store.clone(), cached.clone(), settings(1700));
    let changes = store.changes();
    epochs.plan(t(1000)).await.unwrap();
    Allocations::new(store.clone(), cached.clone()).weights_at(4242).await.unwrap();
    assert_eq!(store.changes(), changes);
    assert_eq!(store.stake_cache_rows().await.unwrap(), 0);
    // The run itself keeps its snapshot's powers.
    epochs.run(t(1000), t(1001)).await.unwrap();
    assert_eq!(store.stake_cache_rows().await.unwrap(), 3);
}
