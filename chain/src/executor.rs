//! Core's `PayoutChain` and `ClaimChain` ports over alloy: sends
//! `Distributor.distribute` batches (push mode) or `setRoot` (claim mode)
//! signed by the executor key and follows them to confirmation.
//!
//! Nonces are taken from the node (pending count) for every send rather
//! than from a provider cache: a send that fails after a cached nonce was
//! handed out would leave a gap that stalls every later transaction.

use std::str::FromStr;
use std::time::Duration;

use alloy::network::EthereumWallet;
use alloy::primitives::U256;
use alloy::primitives::{Address as EvmAddress, B256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use async_trait::async_trait;
use iodao_core::Address;
use iodao_core::claims::ClaimChain;
use iodao_core::execution::{Batch, ChainFailure, Landed, PayoutChain, Sent};

use crate::contracts::Distributor;

/// Why the executor could not be set up. Never contains the key.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorSetupError {
    /// The key is not a 32-byte hex secret.
    #[error("the executor key is not a 32-byte hex private key")]
    BadKey,
    /// The RPC URL does not parse.
    #[error("`{0}` is not an http(s) RPC URL")]
    BadUrl(String),
}

/// Pays through a deployed Distributor in push mode.
pub struct AlloyPayouts {
    provider: DynProvider,
    from: EvmAddress,
    distributor: EvmAddress,
    confirmations: u64,
    poll: Duration,
    timeout: Duration,
}

impl AlloyPayouts {
    /// Connects with the executor's key (hex, with or without 0x).
    pub fn connect(
        rpc_url: &str,
        key: &str,
        distributor: Address,
        confirmations: u64,
    ) -> Result<Self, ExecutorSetupError> {
        let signer = PrivateKeySigner::from_str(key.trim()).map_err(|_| ExecutorSetupError::BadKey)?;
        let from = signer.address();
        let url = rpc_url.parse().map_err(|_| ExecutorSetupError::BadUrl(rpc_url.to_owned()))?;
        // No nonce filler: nonces come from the node at each send.
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .with_gas_estimation()
            .fetch_chain_id()
            .wallet(EthereumWallet::from(signer))
            .connect_http(url)
            .erased();
        Ok(Self {
            provider,
            from,
            distributor: distributor.as_evm(),
            confirmations: confirmations.max(1),
            poll: Duration::from_millis(200),
            timeout: Duration::from_secs(600),
        })
    }

    /// The executor's address (to fund it, and for logs).
    pub fn sender(&self) -> EvmAddress {
        self.from
    }

    /// The executor's next nonce, from the node.
    async fn nonce(&self) -> Result<u64, ChainFailure> {
        self.provider
            .get_transaction_count(self.from)
            .pending()
            .await
            .map_err(|e| failed("reading the executor's nonce", e))
    }

    /// What became of a transaction, once it has its confirmations.
    async fn landed(&self, tx_hash: &str) -> Result<Landed, ChainFailure> {
        let hash = B256::from_str(tx_hash).map_err(|e| failed("a journaled transaction hash", e))?;
        let start = std::time::Instant::now();
        loop {
            let receipt =
                self.provider.get_transaction_receipt(hash).await.map_err(|e| failed("reading a receipt", e))?;
            if let Some(r) = receipt {
                let block = r.block_number.unwrap_or_default();
                // Confirmations: the block and the ones after it.
                loop {
                    let head = self.provider.get_block_number().await.map_err(|e| failed("reading the head", e))?;
                    if head + 1 >= block + self.confirmations {
                        break;
                    }
                    tokio::time::sleep(self.poll).await;
                }
                return Ok(Landed::Mined { block, gas_used: r.gas_used, success: r.status() });
            }
            let known =
                self.provider.get_transaction_by_hash(hash).await.map_err(|e| failed("reading a transaction", e))?;
            if known.is_none() {
                return Ok(Landed::Unknown);
            }
            if start.elapsed() > self.timeout {
                return Err(ChainFailure(format!("{tx_hash} is still pending after {:?}", self.timeout)));
            }
            tokio::time::sleep(self.poll).await;
        }
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> ChainFailure {
    ChainFailure(format!("{what}: {e}"))
}

#[async_trait]
impl PayoutChain for AlloyPayouts {
    fn distributor(&self) -> String {
        self.distributor.to_checksum(None)
    }

    async fn is_batch_paid(&self, epoch: u64, batch: u32) -> Result<bool, ChainFailure> {
        Distributor::new(self.distributor, &self.provider)
            .isBatchPaid(epoch, batch)
            .call()
            .await
            .map_err(|e| failed(&format!("reading whether batch {batch} of epoch {epoch} is paid"), e))
    }

    async fn send_batch(&self, b: &Batch) -> Result<Sent, ChainFailure> {
        let nonce = self.nonce().await?;
        let (to, amounts): (Vec<EvmAddress>, Vec<_>) = b.payouts.iter().map(|(a, v)| (a.as_evm(), *v)).unzip();
        let pending = Distributor::new(self.distributor, &self.provider)
            .distribute(b.epoch, b.batch, to, amounts)
            .from(self.from)
            .nonce(nonce)
            .send()
            .await
            .map_err(|e| failed(&format!("sending batch {} of epoch {}", b.batch, b.epoch), e))?;
        Ok(Sent { tx_hash: pending.tx_hash().to_string(), nonce })
    }

    async fn wait_landed(&self, tx_hash: &str) -> Result<Landed, ChainFailure> {
        self.landed(tx_hash).await
    }
}

#[async_trait]
impl ClaimChain for AlloyPayouts {
    fn distributor(&self) -> String {
        self.distributor.to_checksum(None)
    }

    async fn root_of(&self, epoch: u64) -> Result<Option<String>, ChainFailure> {
        let root = Distributor::new(self.distributor, &self.provider)
            .roots(epoch)
            .call()
            .await
            .map_err(|e| failed(&format!("reading the root of epoch {epoch}"), e))?;
        Ok((root != B256::ZERO).then(|| root.to_string()))
    }

    async fn send_root(&self, epoch: u64, root: &str, total: U256) -> Result<Sent, ChainFailure> {
        let root = B256::from_str(root).map_err(|e| failed("a journaled root", e))?;
        let nonce = self.nonce().await?;
        let pending = Distributor::new(self.distributor, &self.provider)
            .setRoot(epoch, root, total)
            .from(self.from)
            .nonce(nonce)
            .send()
            .await
            .map_err(|e| failed(&format!("sending the root of epoch {epoch}"), e))?;
        Ok(Sent { tx_hash: pending.tx_hash().to_string(), nonce })
    }

    async fn wait_landed(&self, tx_hash: &str) -> Result<Landed, ChainFailure> {
        self.landed(tx_hash).await
    }
}
