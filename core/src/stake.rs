//! The stake port: where voting power comes from.
//!
//! Power is always read at a block (a proposal's snapshot), never "now", so
//! stake moved after the snapshot cannot change a vote. The chain crate
//! implements this port against a node; [`CsvStakeSource`] serves a fixed
//! snapshot from a file for deployments and demos without a node.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

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
}

/// Caches another source's answers per (voter, block) in the store: a past
/// block's state never changes, so each power is read from the node once,
/// and a vote counted again (a recount, an epoch re-run) never depends on
/// the node being up. `source` names the inner source (kind, chain,
/// contract) so a changed configuration never reads another's cache.
pub struct CachedStake {
    inner: std::sync::Arc<dyn StakeSource>,
    store: crate::store::Store,
    source: String,
}

impl CachedStake {
    /// Wraps `inner`, caching under the name `source`.
    pub fn new(inner: std::sync::Arc<dyn StakeSource>, store: crate::store::Store, source: impl Into<String>) -> Self {
        Self { inner, store, source: source.into() }
    }
}

#[async_trait]
impl StakeSource for CachedStake {
    async fn current_block(&self) -> Result<u64, StakeError> {
        self.inner.current_block().await
    }

    async fn power_at(&self, voter: Address, block: u64) -> Result<Amount, StakeError> {
        let cache = |e: crate::store::StoreError| StakeError::Unavailable(format!("stake cache: {e}"));
        if let Some(p) = self.store.cached_power(&self.source, voter, block).await.map_err(cache)? {
            return Ok(p);
        }
        let power = self.inner.power_at(voter, block).await?;
        self.store.cache_power(&self.source, voter, block, power).await.map_err(cache)?;
        Ok(power)
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
