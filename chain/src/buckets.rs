//! Voting power from IoTeX system staking buckets: the IIP-13 NFT contract
//! (`ownerOf`, `bucketOf(id) -> (amount, duration, unlockedAt, unstakedAt,
//! delegate)`, durations in blocks, `type(uint256).max` for "still locked" /
//! "still staked"). A voter's power at a block is the sum of the votes of
//! the buckets they own at that block, each weighted as iotex-core weighs
//! it.
//!
//! The buckets an address owns are found from the contract's `Transfer`
//! logs up to the block (the contract has no enumeration), each checked
//! with `ownerOf` at that block. Real nodes cap the block range of one
//! `eth_getLogs` (IoTeX's public endpoints and most providers at about
//! 10 000 blocks), so the scan walks the range in chunks of `log_chunk`
//! blocks, each retried on its own.

use std::collections::BTreeSet;
use std::time::Duration;

use alloy::eips::BlockId;
use alloy::primitives::{Address as EvmAddress, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::sol;
use alloy::sol_types::SolEvent;
use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use iodao_core::{Address, Amount, StakeError, StakeSource};

use crate::stake::{retry_policy, unavailable, voting_head};

sol! {
    #[sol(rpc)]
    interface ISystemStaking {
        event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
        function ownerOf(uint256 tokenId) external view returns (address);
        function bucketOf(uint256 tokenId) external view returns (uint256, uint256, uint256, uint256, address);
    }
}

/// Blocks per `eth_getLogs` call unless configured (`stake.log_chunk`).
pub const DEFAULT_LOG_CHUNK: u64 = 10_000;

/// The inclusive block ranges `from..=to` cut into pieces of at most `chunk`
/// blocks (none when `from > to`).
fn chunks(from: u64, to: u64, chunk: u64) -> impl Iterator<Item = (u64, u64)> {
    let chunk = chunk.max(1);
    let mut next = Some(from).filter(|f| *f <= to);
    std::iter::from_fn(move || {
        let start = next?;
        let end = start.saturating_add(chunk - 1).min(to);
        next = end.checked_add(1).filter(|n| *n <= to);
        Some((start, end))
    })
}

/// IoTeX's block interval: bucket durations are counted in blocks.
pub const BLOCK_INTERVAL: Duration = Duration::from_secs(5);

/// A bucket's votes by iotex-core's rule (`CalculateVoteWeight` in
/// `action/protocol/staking/vote_bucket.go`; constants in
/// `blockchain/genesis/genesis.go`): `amount × weight`, with
/// `weight = 1 + ln(ceil(days) × (1 + m)) / ln(1.2) / 100`, `m = 1` for an
/// auto-staked (still locked) bucket, else 0; a bucket of no duration
/// weighs 1. System-staking NFT buckets are counted with self-stake off
/// (`chainservice/builder.go`), so the ×1.06 self-stake bonus never applies.
/// The weight is a float in iotex-core too; the product is truncated to wei.
pub fn bucket_votes(amount: U256, staked: Duration, auto_stake: bool) -> U256 {
    let secs = staked.as_secs_f64();
    let mut weight = 1.0f64;
    if secs > 0.0 {
        let m = if auto_stake { 1.0 } else { 0.0 };
        weight += ((secs / 86_400.0).ceil() * (1.0 + m)).ln() / 1.2f64.ln() / 100.0;
    }
    // amount × weight, exactly: weight = mantissa × 2^exp.
    let bits = weight.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64 - 1075;
    let mantissa = U256::from((bits & ((1u64 << 52) - 1)) | (1u64 << 52));
    let product = alloy::primitives::U512::from(amount) * alloy::primitives::U512::from(mantissa);
    let votes = if exp >= 0 { product << exp as usize } else { product >> (-exp) as usize };
    U256::saturating_from(votes)
}

/// Power from a system staking contract.
#[derive(Clone)]
pub struct BucketStake {
    provider: DynProvider,
    contract: EvmAddress,
    /// The first block to scan for transfers (the contract's deployment).
    from_block: u64,
    /// Blocks per `eth_getLogs` call.
    log_chunk: u64,
    retry: ExponentialBuilder,
}

impl BucketStake {
    /// Over an HTTP(S) JSON-RPC endpoint.
    pub fn connect(rpc_url: &str, contract: Address, from_block: u64) -> Result<Self, crate::stake::ChainError> {
        let url = rpc_url.parse().map_err(|_| crate::stake::ChainError::BadUrl(rpc_url.to_owned()))?;
        let provider = alloy::providers::ProviderBuilder::new().connect_http(url).erased();
        Ok(Self::new(provider, contract, from_block))
    }

    /// Over a provider; `from_block` is where the contract was deployed.
    pub fn new(provider: DynProvider, contract: Address, from_block: u64) -> Self {
        Self { provider, contract: contract.as_evm(), from_block, log_chunk: DEFAULT_LOG_CHUNK, retry: retry_policy() }
    }

    /// Scans transfer logs `blocks` blocks per call (at least 1).
    #[must_use]
    pub fn with_log_chunk(mut self, blocks: u64) -> Self {
        self.log_chunk = blocks.max(1);
        self
    }

    /// Bucket ids that were ever transferred to `owner` up to `block`.
    async fn received(&self, owner: EvmAddress, block: u64) -> Result<BTreeSet<U256>, StakeError> {
        let mut ids = BTreeSet::new();
        for (from, to) in chunks(self.from_block, block, self.log_chunk) {
            let filter = Filter::new()
                .address(self.contract)
                .event_signature(ISystemStaking::Transfer::SIGNATURE_HASH)
                .topic2(B256::left_padding_from(owner.as_slice()))
                .from_block(from)
                .to_block(to);
            let logs = (|| async { self.provider.get_logs(&filter).await })
                .retry(self.retry)
                .await
                .map_err(|e| unavailable(&format!("bucket transfers to {owner} in blocks {from}..={to}"), &e))?;
            ids.extend(logs.iter().filter_map(|l| l.topics().get(3).map(|t| U256::from_be_bytes(t.0))));
        }
        Ok(ids)
    }
}

#[async_trait]
impl StakeSource for BucketStake {
    async fn current_block(&self) -> Result<u64, StakeError> {
        voting_head(&self.provider, self.retry).await
    }

    async fn power_at(&self, voter: Address, block: u64) -> Result<Amount, StakeError> {
        let who = voter.as_evm();
        let c = ISystemStaking::new(self.contract, &self.provider);
        let at = BlockId::number(block);
        let mut total = U256::ZERO;
        for id in self.received(who, block).await? {
            let owner = (|| async { c.ownerOf(id).block(at).call().await })
                .retry(self.retry)
                .await
                .map_err(|e| unavailable(&format!("the owner of bucket {id} at block {block}"), &e))?;
            if owner != who {
                continue; // transferred away before the snapshot
            }
            let b = (|| async { c.bucketOf(id).block(at).call().await })
                .retry(self.retry)
                .await
                .map_err(|e| unavailable(&format!("bucket {id} at block {block}"), &e))?;
            let (amount, duration, unlocked_at, unstaked_at) = (b._0, b._1, b._2, b._3);
            if unstaked_at != U256::MAX {
                continue; // unstaked buckets carry no votes
            }
            let blocks = u64::try_from(duration).unwrap_or(u64::MAX);
            let staked = BLOCK_INTERVAL.saturating_mul(u32::try_from(blocks).unwrap_or(u32::MAX));
            total = total.saturating_add(bucket_votes(amount, staked, unlocked_at == U256::MAX));
        }
        Ok(Amount::from_wei(total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weight(days: u64, auto: bool) -> f64 {
        let votes = bucket_votes(U256::from(1_000_000_000u64), Duration::from_secs(days * 86_400), auto);
        votes.to::<u64>() as f64 / 1e9
    }

    #[test]
    fn log_ranges_are_cut_into_chunks_that_cover_every_block_once() {
        assert_eq!(chunks(0, 9, 4).collect::<Vec<_>>(), [(0, 3), (4, 7), (8, 9)]);
        assert_eq!(chunks(5, 5, 10_000).collect::<Vec<_>>(), [(5, 5)]);
        assert_eq!(chunks(6, 5, 10).count(), 0);
        assert_eq!(chunks(0, 2, 0).collect::<Vec<_>>(), [(0, 0), (1, 1), (2, 2)]);
        assert_eq!(
            chunks(u64::MAX - 1, u64::MAX, 1).collect::<Vec<_>>(),
            [(u64::MAX - 1, u64::MAX - 1), (u64::MAX, u64::MAX)]
        );
    }

    #[test]
    fn weights_follow_iotex_core() {
        // The published examples: 91 days 1.247 (no auto-stake), 1.285
        // (auto-stake); 365 days with auto-stake 1.362.
        assert!((weight(91, false) - 1.247).abs() < 5e-4, "{}", weight(91, false));
        assert!((weight(91, true) - 1.285).abs() < 5e-4, "{}", weight(91, true));
        assert!((weight(365, true) - 1.362).abs() < 5e-4, "{}", weight(365, true));
        assert_eq!(bucket_votes(U256::from(777u64), Duration::ZERO, true), U256::from(777u64));
        // Part of a day counts as a whole day.
        assert_eq!(
            bucket_votes(U256::from(10u64).pow(U256::from(24u8)), Duration::from_secs(86_400 * 90 + 1), false),
            bucket_votes(U256::from(10u64).pow(U256::from(24u8)), Duration::from_secs(86_400 * 91), false)
        );
    }
}
