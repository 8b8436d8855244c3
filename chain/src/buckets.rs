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
///
/// Computed exactly as iotex-core computes it, so the result is the same to
/// the wei: the weight in float64 with Go's `math.Log` algorithm
/// ([`go_log`], not the platform's `ln`, which may differ in the last bit),
/// then Go's `big.Float` product — `new(big.Float).SetInt(amount)` takes
/// `max(bitlen(amount), 64)` bits of precision, `Mul` rounds the exact
/// product to that precision, ties to even, and `Int` truncates toward
/// zero ([`go_big_float_product`]).
pub fn bucket_votes(amount: U256, staked: Duration, auto_stake: bool) -> U256 {
    let secs = staked.as_secs_f64();
    let mut weight = 1.0f64;
    if secs > 0.0 {
        let m = if auto_stake { 1.0 } else { 0.0 };
        weight += go_log((secs / 86_400.0).ceil() * (1.0 + m)) / go_log(1.2) / 100.0;
    }
    go_big_float_product(amount, weight)
}

/// Go's `math.Log` (`src/math/log.go`, from FreeBSD's `e_log.c`), operation
/// for operation: Rust does not fuse multiply-adds, and Go's source writes
/// `float64(…)` around each product so that its compilers do not either.
/// On amd64 Go runs `log_amd64.s` instead (`haveArchLog`), an assembly
/// transcription of these steps with the same constants; that its operation
/// order is exactly this one was not checked here.
pub fn go_log(x: f64) -> f64 {
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 6.93147180369123816490e-01
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.90821492927058770002e-10
    const L1: f64 = f64::from_bits(0x3fe5_5555_5555_5593); // 6.666666666666735130e-01
    const L2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04); // 3.999999999940941908e-01
    const L3: f64 = f64::from_bits(0x3fd2_4924_9422_9359); // 2.857142874366239149e-01
    const L4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af); // 2.222219843214978396e-01
    const L5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de); // 1.818357216161805012e-01
    const L6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f); // 1.531383769920937332e-01
    const L7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244); // 1.479819860511658591e-01
    // Go's constants, by the bit patterns its source gives beside them.
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    // Frexp: x = f1 × 2^ki with f1 in [0.5, 1).
    let (mut f1, mut ki) = frexp(x);
    if f1 < std::f64::consts::SQRT_2 / 2.0 {
        f1 *= 2.0;
        ki -= 1;
    }
    let f = f1 - 1.0;
    let k = f64::from(ki);
    let s = f / (2.0 + f);
    let s2 = s * s;
    let s4 = s2 * s2;
    let mut t1 = s4 * L7 + L5;
    t1 = s4 * t1 + L3;
    t1 = s4 * t1 + L1;
    t1 *= s2; // IEEE products commute: the same bits as Go's s2 * t1
    let mut t2 = s4 * L6 + L4;
    t2 = s4 * t2 + L2;
    t2 *= s4;
    let r = t1 + t2;
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
}

/// Go's `math.Frexp` for positive finite `x`: `(frac, exp)` with
/// `x = frac × 2^exp`, `frac` in [0.5, 1).
fn frexp(x: f64) -> (f64, i32) {
    let (mut x, mut exp) = (x, 0i32);
    // Subnormals: normalise first, as Go's `normalize` does.
    if x.abs() < f64::MIN_POSITIVE {
        x *= (1u64 << 52) as f64;
        exp = -52;
    }
    let bits = x.to_bits();
    exp += ((bits >> 52) & 0x7ff) as i32 - 1022;
    let frac = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (frac, exp)
}

/// `Int(new(big.Float).SetInt(amount).Mul(·, big.NewFloat(weight)))` in Go:
/// the exact product rounded to `max(bitlen(amount), 64)` significant bits,
/// ties to even, then truncated toward zero. `weight` is finite and ≥ 0.
pub fn go_big_float_product(amount: U256, weight: f64) -> U256 {
    use alloy::primitives::U512;
    if amount.is_zero() || weight == 0.0 {
        return U256::ZERO;
    }
    let prec = amount.bit_len().max(64);
    // weight = mantissa × 2^exp, exactly.
    let bits = weight.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let (mantissa, exp) = if biased == 0 {
        (bits & ((1u64 << 52) - 1), -1074i64)
    } else {
        ((bits & ((1u64 << 52) - 1)) | (1u64 << 52), biased - 1075)
    };
    let mut product = U512::from(amount) * U512::from(mantissa);
    let mut exp = exp;
    // Round to `prec` significant bits, ties to even.
    let len = product.bit_len();
    if len > prec {
        let shift = len - prec;
        let rest = product & ((U512::from(1u8) << shift) - U512::from(1u8));
        let half = U512::from(1u8) << (shift - 1);
        product >>= shift;
        if rest > half || (rest == half && product.bit(0)) {
            product += U512::from(1u8);
        }
        exp += shift as i64;
    }
    // Truncate toward zero.
    let votes = if exp >= 0 { product << (exp as usize) } else { product >> ((-exp) as usize) };
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
    fn go_log_stays_within_an_ulp_of_ln_and_is_exact_where_ln_is() {
        // Every argument the rule can take (days up to ~3 years, ×2).
        for k in 1..=2_200u32 {
            let x = f64::from(k);
            let (go, ln) = (go_log(x), x.ln());
            let ulps = (go.to_bits() as i64 - ln.to_bits() as i64).abs();
            assert!(ulps <= 1, "log({k}): Go {go:e}, ln {ln:e}");
        }
        assert_eq!(go_log(1.0), 0.0);
        assert_eq!(go_log(std::f64::consts::E), 1.0);
        assert_eq!(go_log(2.0), std::f64::consts::LN_2);
        assert!(go_log(0.0) == f64::NEG_INFINITY && go_log(-1.0).is_nan());
        assert_eq!(frexp(8.0), (0.5, 4));
        assert_eq!(frexp(f64::MIN_POSITIVE / 4.0), (0.5, -1023));
    }

    #[test]
    fn the_product_rounds_as_go_big_float_does() {
        // Products of fewer significant bits than the precision: exact,
        // truncated.
        assert_eq!(go_big_float_product(U256::from(10u8), 1.25), U256::from(12u8));
        assert_eq!(go_big_float_product(U256::from(777u64), 1.0), U256::from(777u64));
        // (2^64 + 1) × 1.5 = 2^64 + 2^63 + 1.5 has 65 integer bits; at 65
        // bits of precision the .5 is a tie, and it goes to the even
        // neighbour: … + 2, where truncating the exact product gives … + 1.
        let amount = (U256::from(1u8) << 64) + U256::from(1u8);
        let want = (U256::from(1u8) << 64) + (U256::from(1u8) << 63) + U256::from(2u8);
        assert_eq!(go_big_float_product(amount, 1.5), want);
        assert_eq!(go_big_float_product(U256::ZERO, 1.3), U256::ZERO);
    }

    #[test]
    fn bucket_votes_match_an_independent_model_of_iotex_core_to_the_wei() {
        // Computed by a separate Python model of iotex-core's arithmetic
        // (Go's log.go step by step in IEEE doubles, then the big.Float
        // product with exact fractions: nearest at max(bitlen, 64) bits,
        // ties to even, truncated). The last column is the exact product
        // truncated, which the old f64 × U256 rule gave: it is 1 wei short
        // in four of the six.
        let cases: [(&str, u64, bool, u64, &str, &str); 6] = [
            (
                "1000000000000000000000000",
                91,
                true,
                0x3ff4_911f_30e3_95d9,
                "1285430136654545529850680",
                "1285430136654545529850679",
            ),
            (
                "1000000000000000000000000",
                365,
                true,
                0x3ff5_c92e_2a45_b79b,
                "1361616292120266136222994",
                "1361616292120266136222994",
            ),
            (
                "123456789012345678901234567",
                91,
                false,
                0x3ff3_f566_98a0_85b8,
                "154001516698592049589506166",
                "154001516698592049589506165",
            ),
            ("18446744073709551617", 7, true, 0x3ff2_50e2_a93f_8cfa, "21116862517809750017", "21116862517809750017"),
            (
                "100000000000000000007",
                1050,
                true,
                0x3ff6_b690_96c2_f3c2,
                "141957148448203485113",
                "141957148448203485112",
            ),
            (
                "99999999999999999999",
                30,
                false,
                0x3ff2_fc1b_3487_633d,
                "118654938239178808778",
                "118654938239178808777",
            ),
        ];
        for (amount, days, auto, weight_bits, go, truncated) in cases {
            let amount = U256::from_str_radix(amount, 10).unwrap();
            let m = if auto { 2.0 } else { 1.0 };
            let w = 1.0 + go_log(days as f64 * m) / go_log(1.2) / 100.0;
            assert_eq!(w.to_bits(), weight_bits, "weight of {days} days");
            let votes = bucket_votes(amount, Duration::from_secs(days * 86_400), auto);
            assert_eq!(votes, U256::from_str_radix(go, 10).unwrap(), "{amount} for {days} days");
            assert!(votes >= U256::from_str_radix(truncated, 10).unwrap());
        }
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
