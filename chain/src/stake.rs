//! Voting power from token contracts, read over JSON-RPC at a block:
//! ERC20Votes-style checkpoints (`getPastVotes`) or a plain ERC-20
//! `balanceOf` called at the block. Implements core's `StakeSource`; wrap
//! it in core's `CachedStake` so each (voter, block) is read once.
//!
//! RPC failures are retried with exponential backoff, then surfaced as
//! `StakeError::Unavailable` naming what could not be read: a vote is never
//! counted with a power that failed to load.

use std::time::Duration;

use alloy::eips::BlockId;
use alloy::primitives::{Address as EvmAddress, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::sol;
use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use iodao_core::{Address, Amount, StakeError, StakeSource};

sol! {
    #[sol(rpc)]
    interface IVotes {
        function getPastVotes(address account, uint256 timepoint) external view returns (uint256);
    }

    #[sol(rpc)]
    interface IERC20 {
        function balanceOf(address account) external view returns (uint256);
    }
}

/// Which reading of the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPower {
    /// ERC20Votes / ERC-5805: delegated votes checkpointed by block.
    Votes,
    /// The plain balance at the block (an archive node answers any block).
    Balance,
}

impl TokenPower {
    /// Its name in configuration and in the stake cache.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Votes => "erc20votes",
            Self::Balance => "erc20balance",
        }
    }
}

/// Why a source could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The RPC URL does not parse.
    #[error("`{0}` is not an http(s) RPC URL")]
    BadUrl(String),
}

/// Voting power from one token contract.
#[derive(Clone)]
pub struct TokenStake {
    provider: DynProvider,
    token: EvmAddress,
    power: TokenPower,
    retry: ExponentialBuilder,
}

impl TokenStake {
    /// Over an HTTP(S) JSON-RPC endpoint.
    pub fn connect(rpc_url: &str, token: Address, power: TokenPower) -> Result<Self, ChainError> {
        let url = rpc_url.parse().map_err(|_| ChainError::BadUrl(rpc_url.to_owned()))?;
        let provider = ProviderBuilder::new().connect_http(url).erased();
        Ok(Self::new(provider, token, power))
    }

    /// Over a provider.
    pub fn new(provider: DynProvider, token: Address, power: TokenPower) -> Self {
        Self { provider, token: token.as_evm(), power, retry: retry_policy() }
    }

    /// Fewer retries (tests of the failure path).
    pub fn with_retries(mut self, times: usize, delay: Duration) -> Self {
        self.retry = ExponentialBuilder::default().with_min_delay(delay).with_max_delay(delay).with_max_times(times);
        self
    }

    /// The name the stake cache files this source's answers under.
    pub async fn cache_name(&self) -> Result<String, StakeError> {
        let chain = (|| async { self.provider.get_chain_id().await })
            .retry(self.retry)
            .await
            .map_err(|e| unavailable("the chain id", &e))?;
        Ok(format!("{}:{chain}:{}", self.power.as_str(), self.token))
    }
}

/// How chain reads are retried: exponential backoff from 200 ms, four times.
pub(crate) fn retry_policy() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(3))
        .with_max_times(4)
}

/// A read that failed after its retries, naming what could not be read.
pub(crate) fn unavailable(what: &str, e: &dyn std::fmt::Display) -> StakeError {
    StakeError::Unavailable(format!("{what} could not be read from the node after retries: {e}"))
}

/// The newest block whose state is final for voting: one behind the head,
/// because ERC20Votes answers only for past blocks (the same for every
/// chain source, so snapshots agree whichever is configured).
pub(crate) async fn voting_head(provider: &DynProvider, retry: ExponentialBuilder) -> Result<u64, StakeError> {
    let head = (|| async { provider.get_block_number().await })
        .retry(retry)
        .await
        .map_err(|e| unavailable("the current block", &e))?;
    Ok(head.saturating_sub(1))
}

#[async_trait]
impl StakeSource for TokenStake {
    async fn current_block(&self) -> Result<u64, StakeError> {
        voting_head(&self.provider, self.retry).await
    }

    async fn power_at(&self, voter: Address, block: u64) -> Result<Amount, StakeError> {
        let who = voter.as_evm();
        let wei: U256 = match self.power {
            TokenPower::Votes => {
                let c = IVotes::new(self.token, &self.provider);
                (|| async { c.getPastVotes(who, U256::from(block)).call().await }).retry(self.retry).await
            }
            TokenPower::Balance => {
                let c = IERC20::new(self.token, &self.provider);
                (|| async { c.balanceOf(who).block(BlockId::number(block)).call().await }).retry(self.retry).await
            }
        }
        .map_err(|e| unavailable(&format!("the voting power of {voter} at block {block}"), &e))?;
        Ok(Amount::from_wei(wei))
    }
}
