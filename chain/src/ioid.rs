//! Device checks against IoTeX's ioID contracts (`iotexproject/ioID-contracts`:
//! `ioIDRegistry.sol`, `ioID.sol`; mainnet registry
//! `0x04e4655Cf258EC802D17c23ec6112Ef7d97Fa2aF`). Implements core's
//! `DeviceRegistry`: at a block, a device is registered when the registry's
//! `exists(device)` says so; its ioID is the NFT `deviceTokenId(device)` of
//! the registry's `ioID()` contract, and that NFT's `ownerOf` is who is
//! paid the device's share (as IoTeX's own device reward pools pay the
//! ioID's owner). Every read is made at the epoch's snapshot block, so the
//! result does not depend on when the epoch ran, and retried like the stake
//! reads.

use alloy::eips::BlockId;
use alloy::primitives::Address as EvmAddress;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::sol;
use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use iodao_core::{Address, DeviceError, DeviceRegistry, DeviceStatus};

use crate::stake::{ChainError, retry_policy};

sol! {
    #[sol(rpc)]
    interface IioIDRegistry {
        function exists(address device) external view returns (bool);
        function deviceTokenId(address device) external view returns (uint256);
        function ioID() external view returns (address);
    }

    #[sol(rpc)]
    interface IioID {
        function ownerOf(uint256 tokenId) external view returns (address);
    }
}

/// The ioID registry over JSON-RPC.
#[derive(Clone)]
pub struct IoIdRegistry {
    provider: DynProvider,
    registry: EvmAddress,
    retry: ExponentialBuilder,
}

impl IoIdRegistry {
    /// Over an HTTP(S) JSON-RPC endpoint.
    pub fn connect(rpc_url: &str, registry: Address) -> Result<Self, ChainError> {
        let url = rpc_url.parse().map_err(|_| ChainError::BadUrl(rpc_url.to_owned()))?;
        Ok(Self::new(ProviderBuilder::new().connect_http(url).erased(), registry))
    }

    /// Over a provider.
    pub fn new(provider: DynProvider, registry: Address) -> Self {
        Self { provider, registry: registry.as_evm(), retry: retry_policy() }
    }

    /// Fewer retries (tests of the failure path).
    #[must_use]
    pub fn with_retries(mut self, times: usize, delay: std::time::Duration) -> Self {
        self.retry = ExponentialBuilder::default().with_min_delay(delay).with_max_delay(delay).with_max_times(times);
        self
    }
}

fn unavailable(what: &str, e: &dyn std::fmt::Display) -> DeviceError {
    DeviceError::Unavailable(format!("{what} could not be read from the node after retries: {e}"))
}

#[async_trait]
impl DeviceRegistry for IoIdRegistry {
    async fn device_at(&self, device: Address, block: u64) -> Result<DeviceStatus, DeviceError> {
        let registry = IioIDRegistry::new(self.registry, &self.provider);
        let at = BlockId::number(block);
        let who = device.as_evm();
        let what = |w: &str| format!("{w} of device {device} at block {block}");
        let exists = (|| async { registry.exists(who).block(at).call().await })
            .retry(self.retry)
            .await
            .map_err(|e| unavailable(&what("the registration"), &e))?;
        if !exists {
            return Ok(DeviceStatus::Unregistered);
        }
        let id = (|| async { registry.deviceTokenId(who).block(at).call().await })
            .retry(self.retry)
            .await
            .map_err(|e| unavailable(&what("the ioID"), &e))?;
        let nft = (|| async { registry.ioID().block(at).call().await })
            .retry(self.retry)
            .await
            .map_err(|e| unavailable(&format!("the registry's ioID contract at block {block}"), &e))?;
        let owner = (|| async { IioID::new(nft, &self.provider).ownerOf(id).block(at).call().await })
            .retry(self.retry)
            .await
            .map_err(|e| unavailable(&what("the ioID owner"), &e))?;
        Ok(DeviceStatus::Registered { owner: Address::from(owner.into_array()) })
    }
}
