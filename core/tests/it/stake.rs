//! The stake cache: recorded reads (votes, epoch runs) kept in the store,
//! peeked reads (pages, `/power`, dry runs) kept in memory only, read in
//! batches and at most once per voter and block.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use iodao_core::{Address, Amount, CachedStake, CsvStakeSource, StakeError, StakeSource, Store};

use crate::helpers::*;

/// A real CSV source whose reads are counted per voter, whose head block
/// the test moves, and which can be told to fail.
struct Counting {
    inner: CsvStakeSource,
    head: AtomicU64,
    reads: Mutex<HashMap<Address, usize>>,
    batches: AtomicUsize,
    head_reads: AtomicUsize,
    failing: std::sync::atomic::AtomicBool,
}

impl Counting {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            inner: CsvStakeSource::from_entries([(alice(), Amount::from_iotx(100)), (bob(), Amount::from_iotx(60))]),
            head: AtomicU64::new(100),
            reads: Mutex::default(),
            batches: AtomicUsize::new(0),
            head_reads: AtomicUsize::new(0),
            failing: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn reads_of(&self, a: Address) -> usize {
        self.reads.lock().expect("lock").get(&a).copied().unwrap_or(0)
    }

    fn total_reads(&self) -> usize {
        self.reads.lock().expect("lock").values().sum()
    }
}

#[async_trait]
impl StakeSource for Counting {
    async fn current_block(&self) -> Result<u64, StakeError> {
        self.head_reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.head.load(Ordering::SeqCst))
    }

    async fn power_at(&self, voter: Address, block: u64) -> Result<Amount, StakeError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StakeError::Unavailable("the node is down".into()));
        }
        *self.reads.lock().expect("lock").entry(voter).or_default() += 1;
        // Let concurrent readers pile up behind this one.
        tokio::task::yield_now().await;
        self.inner.power_at(voter, block).await
    }

    async fn powers_at(&self, voters: &[Address], block: u64) -> Result<Vec<Amount>, StakeError> {
        self.batches.fetch_add(1, Ordering::SeqCst);
        let mut out = Vec::new();
        for v in voters {
            out.push(self.power_at(*v, block).await?);
        }
        Ok(out)
    }
}

async fn store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&format!("sqlite://{}", dir.path().join("s.db").display())).await.expect("open");
    (store, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn peeked_powers_write_nothing_and_each_is_read_from_the_node_once() {
    let (store, _dir) = store().await;
    let node = Counting::new();
    let cached = Arc::new(CachedStake::new(node.clone(), store.clone(), "test"));
    let changes = store.changes();

    let voters = [alice(), bob(), carol(), alice()];
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let c = cached.clone();
        tasks.push(tokio::spawn(async move { c.peek_powers_at(&voters, 10).await }));
    }
    for t in tasks {
        let powers = t.await.expect("task").expect("powers");
        assert_eq!(powers, [Amount::from_iotx(100), Amount::from_iotx(60), Amount::ZERO, Amount::from_iotx(100)]);
    }
    for v in [alice(), bob(), carol()] {
        assert_eq!(node.reads_of(v), 1, "one node read of {v} for 50 concurrent peeks");
    }
    assert_eq!(store.changes(), changes, "no write was committed");
    assert_eq!(store.stake_cache_rows().await.expect("rows"), 0, "nothing kept in the database");
    // Another block is another read.
    cached.peek_powers_at(&[alice()], 11).await.expect("power");
    assert_eq!(node.reads_of(alice()), 2);
}

#[tokio::test]
async fn recorded_powers_are_read_in_one_batch_kept_in_order_and_never_read_again() {
    let (store, _dir) = store().await;
    let node = Counting::new();
    let cached = CachedStake::new(node.clone(), store.clone(), "test");

    let powers = cached.powers_at(&[bob(), alice(), carol(), bob()], 10).await.expect("powers");
    assert_eq!(powers, [Amount::from_iotx(60), Amount::from_iotx(100), Amount::ZERO, Amount::from_iotx(60)]);
    assert_eq!(node.batches.load(Ordering::SeqCst), 1, "one batch for the misses");
    assert_eq!(node.total_reads(), 3, "each distinct voter once");
    assert_eq!(store.stake_cache_rows().await.expect("rows"), 3);

    assert_eq!(cached.power_at(carol(), 10).await.expect("power"), Amount::ZERO);
    assert_eq!(cached.powers_at(&[alice(), bob()], 10).await.expect("powers").len(), 2);
    assert_eq!(node.total_reads(), 3, "answered from the store");
    // A peek finds them too, stored or in memory, without the node.
    let fresh = CachedStake::new(node.clone(), store.clone(), "test");
    assert_eq!(fresh.peek_powers_at(&[alice()], 10).await.expect("power"), [Amount::from_iotx(100)]);
    assert_eq!(node.total_reads(), 3);
    // Another source's name never reads this cache.
    let other = CachedStake::new(node.clone(), store.clone(), "other");
    other.peek_powers_at(&[alice()], 10).await.expect("power");
    assert_eq!(node.total_reads(), 4);
}

#[tokio::test]
async fn the_recent_block_is_kept_for_the_read_window_and_snapshots_read_the_head() {
    let (store, _dir) = store().await;
    let node = Counting::new();
    let long = CachedStake::new(node.clone(), store.clone(), "test").with_read_window(Duration::from_secs(3600));
    assert_eq!(long.recent_block().await.expect("block"), 100);
    node.head.store(105, Ordering::SeqCst);
    assert_eq!(long.recent_block().await.expect("block"), 100, "within the window");
    assert_eq!(long.current_block().await.expect("block"), 105, "a snapshot takes the node's head");
    assert_eq!(node.head_reads.load(Ordering::SeqCst), 2);

    let none = CachedStake::new(node.clone(), store.clone(), "test").with_read_window(Duration::ZERO);
    assert_eq!(none.recent_block().await.expect("block"), 105);
    node.head.store(106, Ordering::SeqCst);
    assert_eq!(none.recent_block().await.expect("block"), 106, "a zero window keeps nothing");
}

#[tokio::test]
async fn a_failed_node_read_is_an_error_and_is_not_remembered() {
    let (store, _dir) = store().await;
    let node = Counting::new();
    let cached = CachedStake::new(node.clone(), store.clone(), "test");
    node.failing.store(true, Ordering::SeqCst);
    assert!(matches!(cached.peek_powers_at(&[alice()], 10).await, Err(StakeError::Unavailable(_))));
    assert!(matches!(cached.powers_at(&[alice()], 10).await, Err(StakeError::Unavailable(_))));
    assert_eq!(store.stake_cache_rows().await.expect("rows"), 0);
    node.failing.store(false, Ordering::SeqCst);
    assert_eq!(cached.peek_powers_at(&[alice()], 10).await.expect("power"), [Amount::from_iotx(100)]);
}

#[tokio::test]
async fn stake_cached_at_blocks_that_are_no_snapshot_is_pruned() {
    let g = TestGov::new().await;
    let store = g.gov.store().clone();
    // A proposal opened has its snapshot at the CSV's block, 4242.
    let p = g.proposal().await;
    g.gov.advance(t(150)).await.expect("advance");
    assert_eq!(g.gov.proposal(p.id).await.expect("proposal").snapshot_block, Some(4242));
    for block in [4242, 4300, 4301] {
        store.cache_powers("test", block, &[(alice(), Amount::from_iotx(1))]).await.expect("cache");
    }
    assert_eq!(store.prune_stake_cache().await.expect("prune"), 2, "the two head blocks");
    assert_eq!(store.cached_power("test", alice(), 4242).await.expect("read"), Some(Amount::from_iotx(1)));
    assert_eq!(store.stake_cache_rows().await.expect("rows"), 1);
}
