//! The stake port: where voting power comes from.
//!
//! Power is always read at a block (a proposal's snapshot), never "now", so
//! stake moved after the snapshot cannot change a vote. The chain crate
//! implements this port against a node; [`CsvStakeSource`] serves a fixed
//! snapshot from a file for deployments and demos without a node.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::domain::{Address, Amount, Quoted};

/// Why voting power could not be read. A vote is never counted with a power
/// that failed to load.
#[derive(Debug, thiserror::Error)]
pub enum StakeError {
    /// The stake file could not be read at all.
    #[error("cannot read the stake file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A row of the stake file is wrong; `line` is 1-based, counting the header.
    #[error("stake file {path}, line {line}: {reason}")]
    BadRow {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The source (a node, a service) failed; retried already where sensible.
    #[error("voting power could not be read: {0}")]
    Unavailable(String),
}

/// Reads voting power at a block.
#[async_trait]
pub trait StakeSource: Send + Sync {
    /// The newest block the source can answer for (a new proposal's snapshot).
    async fn current_block(&self) -> Result<u64, StakeError>;

    /// `voter`'s voting power at `block`. Zero for an address with no stake.
    async fn power_at(&self, voter: Address, block: u64) -> Result<Amount, StakeError>;

    /// Each voter's power at `block`, in the order given. A source that can
    /// read many at once overrides it; by default they are read one by one.
    async fn powers_at(&self, voters: &[Address], block: u64) -> Result<Vec<Amount>, StakeError> {
        let mut out = Vec::with_capacity(voters.len());
        for voter in voters {
            out.push(self.power_at(*voter, block).await?);
        }
        Ok(out)
    }

    /// A recent block for reads that fix no snapshot (a page's current
    /// weights, `/power`, the proposal threshold, a dry run): a caching
    /// source may answer one up to its read window old. A snapshot is
    /// always taken with [`StakeSource::current_block`].
    async fn recent_block(&self) -> Result<u64, StakeError> {
        self.current_block().await
    }

    /// Like [`StakeSource::powers_at`] for a read whose answer need not be
    /// durable (a page, `/power`, a dry run): it records nothing (a caching
    /// source keeps the answers in memory only, never in the database), so
    /// anonymous reads cost no write.
    async fn peek_powers_at(&self, voters: &[Address], block: u64) -> Result<Vec<Amount>, StakeError> {
        self.powers_at(voters, block).await
    }
}

/// How long [`CachedStake`] keeps the recent block, and so the powers read
/// at it, for reads that fix no snapshot.
pub const READ_WINDOW: Duration = Duration::from_secs(30);

/// How many (voter, block) powers [`CachedStake`] keeps in memory for reads.
const MEMORY_ENTRIES: usize = 65_536;

/// Caches another source's answers.
///
/// Votes and epoch runs read through [`StakeSource::powers_at`]: each
/// (voter, block) is kept in the store, because a past block's state never
/// changes, so each power is read from the node once, and a vote counted
/// again (a recount, an epoch re-run) never depends on the node being up.
///
/// Reads that need no durability ([`StakeSource::peek_powers_at`]: pages,
/// `/power`, dry runs) use the stored answers if any but write nothing:
/// what they read from the node is kept in a bounded memory cache, and
/// concurrent reads of one (voter, block) wait for a single node read.
/// [`StakeSource::recent_block`] keeps the node's block for [`READ_WINDOW`],
/// so reads at "the current block" cost at most one node read per voter per
/// window.
///
/// `source` names the inner source (kind, chain, contract) so a changed
/// configuration never reads another's cache.
pub struct CachedStake {
    inner: Arc<dyn StakeSource>,
    store: crate::store::Store,
    source: String,
    memory: quick_cache::sync::Cache<(Address, u64), Amount>,
    recent: tokio::sync::Mutex<Option<(u64, Instant)>>,
    window: Duration,
}

impl CachedStake {
    /// Wraps `inner`, caching under the name `source`.
    pub fn new(inner: Arc<dyn StakeSource>, store: crate::store::Store, source: impl Into<String>) -> Self {
        Self {
            inner,
            store,
            source: source.into(),
            memory: quick_cache::sync::Cache::new(MEMORY_ENTRIES),
            recent: tokio::sync::Mutex::new(None),
            window: READ_WINDOW,
        }
    }

    /// Keeps the recent block for `window` instead of [`READ_WINDOW`].
    #[must_use]
    pub fn with_read_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }
}

fn cache_error(e: crate::store::StoreError) -> StakeError {
    StakeError::Unavailable(format!("stake cache: {e}"))
}

/// The source's answer, checked to have one power per voter.
fn one_each(voters: &[Address], powers: Vec<Amount>) -> Result<Vec<Amount>, StakeError> {
    if powers.len() == voters.len() {
        Ok(powers)
    } else {
        Err(StakeError::Unavailable(format!(
            "the stake source answered {} powers for {} voters",
            powers.len(),
            voters.len()
        )))
    }
}

#[async_trait]
impl StakeSource for CachedStake {
    async fn current_block(&self) -> Result<u64, StakeError> {
        self.inner.current_block().await
    }

    async fn power_at(&self, voter: Address, block: u64) -> Result<Amount, StakeError> {
        let powers = self.powers_at(&[voter], block).await?;
        powers.first().copied().ok_or_else(|| StakeError::Unavailable("the stake source answered nothing".into()))
    }

    async fn powers_at(&self, voters: &[Address], block: u64) -> Result<Vec<Amount>, StakeError> {
        let mut known = self.store.cached_powers(&self.source, voters, block).await.map_err(cache_error)?;
        let mut missing: Vec<Address> = voters.iter().filter(|v| !known.contains_key(v)).copied().collect();
        missing.sort_unstable();
        missing.dedup();
        if !missing.is_empty() {
            let read = one_each(&missing, self.inner.powers_at(&missing, block).await?)?;
            let pairs: Vec<(Address, Amount)> = missing.into_iter().zip(read).collect();
            self.store.cache_powers(&self.source, block, &pairs).await.map_err(cache_error)?;
            known.extend(pairs);
        }
        for (voter, power) in &known {
            self.memory.insert((*voter, block), *power);
        }
        Ok(voters.iter().map(|v| known.get(v).copied().unwrap_or_default()).collect())
    }

    async fn recent_block(&self) -> Result<u64, StakeError> {
        // Held across the node read: concurrent callers wait for one read.
        let mut recent = self.recent.lock().await;
        if let Some((block, at)) = *recent
            && at.elapsed() < self.window
        {
            return Ok(block);
        }
        let block = self.inner.current_block().await?;
        *recent = Some((block, Instant::now()));
        Ok(block)
    }

    async fn peek_powers_at(&self, voters: &[Address], block: u64) -> Result<Vec<Amount>, StakeError> {
        let mut known: HashMap<Address, Amount> = HashMap::with_capacity(voters.len());
        let mut wanted: Vec<Address> = voters.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        // Guards taken in address order, so two batches never wait on each
        // other in a cycle; while a guard is held, other reads of that
        // (voter, block) wait for its value instead of reading it too.
        let mut guards = Vec::new();
        for voter in wanted {
            match self.memory.get_value_or_guard_async(&(voter, block)).await {
                Ok(power) => {
                    known.insert(voter, power);
                }
                Err(guard) => guards.push((voter, guard)),
            }
        }
        if !guards.is_empty() {
            let missing: Vec<Address> = guards.iter().map(|(v, _)| *v).collect();
            let stored = self.store.cached_powers(&self.source, &missing, block).await.map_err(cache_error)?;
            let unread: Vec<Address> = missing.iter().filter(|v| !stored.contains_key(v)).copied().collect();
            let read = if unread.is_empty() {
                Vec::new()
            } else {
                one_each(&unread, self.inner.powers_at(&unread, block).await?)?
            };
            let fresh: HashMap<Address, Amount> = stored.into_iter().chain(unread.into_iter().zip(read)).collect();
            for (voter, guard) in guards {
                let power = fresh.get(&voter).copied().unwrap_or_default();
                // Refused only if the entry was evicted meanwhile: the value stands.
                let _ = guard.insert(power);
                known.insert(voter, power);
            }
        }
        Ok(voters.iter().map(|v| known.get(v).copied().unwrap_or_default()).collect())
    }
}

/// A fixed snapshot of stake from a CSV file with the header `address,amount`:
/// `address` in `0x…` or `io1…` form, `amount` in IOTX (up to 18 decimals).
///
/// It answers the same power at every block, and reports `block` (default 0)
/// as its current block.
#[derive(Debug, Clone)]
pub struct CsvStakeSource {
    power: HashMap<Address, Amount>,
    block: u64,
}

impl CsvStakeSource {
    /// Loads and checks the whole file; the first bad row is an error naming its line.
    pub fn load(path: &Path) -> Result<Self, StakeError> {
        let file = std::fs::File::open(path).map_err(|source| StakeError::Io { path: path.to_owned(), source })?;
        Self::from_reader(file, path)
    }

    /// Parses CSV text from any reader; `path` only names it in errors.
    pub fn from_reader(reader: impl std::io::Read, path: &Path) -> Result<Self, StakeError> {
        let bad = |line: u64, reason: String| StakeError::BadRow { path: path.to_owned(), line, reason };
        let mut csv = csv::ReaderBuilder::new().trim(csv::Trim::All).comment(Some(b'#')).from_reader(reader);
        let headers = csv.headers().map_err(|e| bad(1, e.to_string()))?.clone();
        let (Some(ai), Some(mi)) = (
            headers.iter().position(|h| h.eq_ignore_ascii_case("address")),
            headers.iter().position(|h| h.eq_ignore_ascii_case("amount")),
        ) else {
            return Err(bad(
                1,
                format!(
                    "the header must name the columns `address,amount` (found {})",
                    Quoted(&headers.iter().collect::<Vec<_>>().join(","))
                ),
            ));
        };
        let mut power = HashMap::new();
        for record in csv.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, csv::Position::line);
                bad(line, e.to_string())
            })?;
            let line = record.position().map_or(0, csv::Position::line);
            let field = |i: usize, name: &str| {
                record.get(i).ok_or_else(|| bad(line, format!("the `{name}` column is missing")))
            };
            let address = Address::parse(field(ai, "address")?).map_err(|e| bad(line, e.to_string()))?;
            let amount = Amount::parse_iotx(field(mi, "amount")?).map_err(|e| bad(line, e.to_string()))?;
            if power.insert(address, amount).is_some() {
                return Err(bad(line, format!("{address} appears twice; give each address one row")));
            }
        }
        Ok(Self { power, block: 0 })
    }

    /// Builds a snapshot in memory (tests, demo).
    pub fn from_entries(entries: impl IntoIterator<Item = (Address, Amount)>) -> Self {
        Self { power: entries.into_iter().collect(), block: 0 }
    }

    /// Sets the block this snapshot is reported at.
    #[must_use]
    pub const fn at_block(mut self, block: u64) -> Self {
        self.block = block;
        self
    }

    /// The stakers, for listings and the demo.
    pub fn stakers(&self) -> impl Iterator<Item = (Address, Amount)> + '_ {
        self.power.iter().map(|(a, m)| (*a, *m))
    }
}

#[async_trait]
impl StakeSource for CsvStakeSource {
    async fn current_block(&self) -> Result<u64, StakeError> {
        Ok(self.block)
    }

    async fn power_at(&self, voter: Address, _block: u64) -> Result<Amount, StakeError> {
        Ok(self.power.get(&voter).copied().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    const B: &str = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";

    fn parse(text: &str) -> Result<CsvStakeSource, StakeError> {
        CsvStakeSource::from_reader(text.as_bytes(), Path::new("stake.csv"))
    }

    fn line_of(e: StakeError) -> u64 {
        match e {
            StakeError::BadRow { line, .. } => line,
            other => panic!("expected a bad row, got {other}"),
        }
    }

    #[tokio::test]
    async fn both_address_forms_and_decimal_iotx_are_read() {
        let b_io = Address::parse(B).unwrap().to_io();
        let s = parse(&format!("address,amount\n{A},1.5\n{b_io},100\n")).unwrap();
        assert_eq!(s.power_at(Address::parse(A).unwrap(), 9).await.unwrap(), Amount::parse_iotx("1.5").unwrap());
        assert_eq!(s.power_at(Address::parse(B).unwrap(), 9).await.unwrap(), Amount::from_iotx(100));
        assert_eq!(s.power_at(Address::from([9u8; 20]), 9).await.unwrap(), Amount::ZERO);
    }

    #[test]
    fn a_bad_address_names_its_line() {
        let e = parse(&format!("address,amount\n{A},1\n0x1234,5\n")).unwrap_err();
        assert!(e.to_string().starts_with("stake file stake.csv, line 3: "), "{e}");
        assert_eq!(line_of(e), 3);
    }

    #[test]
    fn a_bad_amount_names_its_line() {
        let e = parse(&format!("address,amount\n{A},-4\n")).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = parse(&format!("address,amount\n{A},1.0000000000000000001\n")).unwrap_err();
        assert_eq!(line_of(e), 2);
    }

    #[test]
    fn a_duplicate_address_names_the_second_line() {
        let lower = A.to_lowercase();
        let e = parse(&format!("address,amount\n{A},1\n{B},2\n{lower},3\n")).unwrap_err();
        assert_eq!(line_of(e), 4);
    }

    #[test]
    fn a_short_row_and_a_wrong_header_are_errors() {
        assert_eq!(line_of(parse(&format!("address,amount\n{A}\n")).unwrap_err()), 2);
        let e = parse("wallet,stake\n").unwrap_err();
        assert_eq!(line_of(e), 1);
    }

    #[test]
    fn comments_and_extra_columns_are_allowed() {
        let s = parse(&format!("# exported 2026-11-01\nlabel,amount,address\nalice,7,{A}\n")).unwrap();
        assert_eq!(s.stakers().count(), 1);
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let e = CsvStakeSource::load(Path::new("/nonexistent/stake.csv")).unwrap_err();
        assert!(matches!(e, StakeError::Io { .. }));
    }
}
