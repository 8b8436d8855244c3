//! Builds the services from configuration.

use std::sync::Arc;

use alloy_primitives::B256;
use anyhow::Context;
use async_trait::async_trait;
use iodao_chain::buckets::BucketStake;
use iodao_chain::ioid::IoIdRegistry;
use iodao_chain::stake::TokenStake;
use iodao_core::{
    Address, Allocations, Amount, CachedStake, CsvStakeSource, Epochs, Governance, Links, StakeError, StakeSource,
    Store,
};

use crate::config::{Config, StakeConfig};

/// Stands in when no stake source is configured: every read says how to fix it.
struct NoStakeSource;

#[async_trait]
impl StakeSource for NoStakeSource {
    async fn current_block(&self) -> Result<u64, StakeError> {
        Err(unconfigured())
    }
    async fn power_at(&self, _: Address, _: u64) -> Result<Amount, StakeError> {
        Err(unconfigured())
    }
}

fn unconfigured() -> StakeError {
    StakeError::Unavailable(
        "no stake source is configured: create the CSV named by `stake.csv` (header `address,amount`)".into(),
    )
}

/// Opens the store (creating and migrating it) at the configured URL.
pub async fn store(cfg: &Config) -> anyhow::Result<Store> {
    Store::open(&cfg.database_url).await.with_context(|| format!("cannot open the database {}", cfg.database_url))
}

/// The configured stake source: staking buckets or a token contract over
/// JSON-RPC (their answers cached in `store` per voter and block), or the
/// CSV if it exists, or one that explains what to configure. Built once
/// per process (in `governance`) and shared through `Governance::stake`:
/// each build opens its own RPC client and reads the CSV again.
pub fn stake(cfg: &Config, store: &Store) -> anyhow::Result<Arc<dyn StakeSource>> {
    if let StakeConfig::Buckets { rpc_url, contract, from_block, log_chunk } = &cfg.stake_source {
        let source = BucketStake::connect(rpc_url, *contract, *from_block)?.with_log_chunk(*log_chunk);
        let name = format!("system-staking:{}:{}", cfg.links.chain_id, contract.to_hex());
        tracing::info!(source = %name, "stake from system staking buckets");
        return Ok(Arc::new(CachedStake::new(Arc::new(source), store.clone(), name)));
    }
    if let StakeConfig::Token { power, rpc_url, token } = &cfg.stake_source {
        let source = TokenStake::connect(rpc_url, *token, *power)?;
        let name = format!("{}:{}:{}", power.as_str(), cfg.links.chain_id, token.to_hex());
        tracing::info!(source = %name, "stake from a token contract");
        return Ok(Arc::new(CachedStake::new(Arc::new(source), store.clone(), name)));
    }
    if cfg.stake_csv.exists() {
        let csv = CsvStakeSource::load(&cfg.stake_csv)?.at_block(cfg.stake_block);
        tracing::info!(path = %cfg.stake_csv.display(), stakers = csv.stakers().count(), "stake from CSV");
        Ok(Arc::new(csv))
    } else {
        tracing::warn!(path = %cfg.stake_csv.display(), "no stake CSV: votes will be refused until one exists");
        Ok(Arc::new(NoStakeSource))
    }
}

/// The wallet-link service over the configured store.
pub async fn links(cfg: &Config) -> anyhow::Result<Links> {
    Ok(Links::new(store(cfg).await?, cfg.links.clone()))
}

/// The governance service over the configured store and stake, its signed
/// messages bound to the configured chain and this deployment's salt.
pub async fn governance(cfg: &Config) -> anyhow::Result<Governance> {
    let store = store(cfg).await?;
    let stake = stake(cfg, &store)?;
    let salt = eip712_salt(cfg, &store).await?;
    Ok(Governance::new(store, stake).with_rules(cfg.proposal_rules.clone()).with_eip712(cfg.links.chain_id, salt))
}

/// The deployment's EIP-712 salt: `chain.eip712_salt` if set, else the one
/// in the database, drawn from the OS the first time any command runs.
async fn eip712_salt(cfg: &Config, store: &Store) -> anyhow::Result<B256> {
    if let Some(salt) = cfg.eip712_salt {
        return Ok(salt);
    }
    let mut drawn = [0u8; 32];
    getrandom::fill(&mut drawn).map_err(|e| anyhow::anyhow!("cannot draw an EIP-712 salt from the OS: {e}"))?;
    store.eip712_salt(B256::from(drawn), chrono::Utc::now()).await.context("cannot read or store the EIP-712 salt")
}

/// The allocation-vote service over the configured store and stake.
pub async fn allocations(cfg: &Config) -> anyhow::Result<Allocations> {
    let store = store(cfg).await?;
    let stake = stake(cfg, &store)?;
    Ok(Allocations::new(store, stake))
}

/// The epoch service over the configured store and stake (for a command
/// that needs nothing else).
pub async fn open_epochs(cfg: &Config) -> anyhow::Result<Epochs> {
    let store = store(cfg).await?;
    let stake = stake(cfg, &store)?;
    epochs(cfg, store, stake)
}

/// The epoch service over a store and a stake source (shared with the
/// other services of a process) and the configured epoch settings,
/// checking device programs' devices in the configured ioID registry.
pub fn epochs(cfg: &Config, store: Store, stake: Arc<dyn StakeSource>) -> anyhow::Result<Epochs> {
    let epochs = Epochs::new(store, stake, cfg.epochs.settings.clone());
    Ok(match cfg.payouts.ioid_registry {
        Some(registry) => epochs.with_devices(Arc::new(IoIdRegistry::connect(&cfg.payouts.rpc_url, registry)?)),
        None => epochs,
    })
}

/// The portal's state: the process's governance and epoch services (their
/// store and stake shared) with links and allocations over the same store
/// and stake, and the web settings with the admin token read from its
/// secret source.
pub fn portal(cfg: &Config, governance: &Governance, epochs: Epochs) -> anyhow::Result<iodao_web::AppState> {
    let store = governance.store().clone();
    let stake = governance.stake().clone();
    let admin_token = match cfg.web.admin_token()? {
        Some(t) => Some(iodao_web::AdminToken::new(&t).map_err(|e| {
            anyhow::anyhow!("the admin token (IODAO_ADMIN_TOKEN or the file of config key `web.admin_token_file`) {e}")
        })?),
        None => {
            tracing::info!("no admin token: the admin API is disabled");
            None
        }
    };
    let settings = iodao_web::Settings {
        admin_token,
        explorer_tx_url: cfg.web.explorer_tx_url.clone(),
        rate_limit: iodao_web::RateLimit { per: cfg.web.rate_limit_period, burst: cfg.web.rate_limit_burst },
        trusted_proxies: cfg.web.trusted_proxies.clone(),
        cache_ttl: cfg.web.cache_ttl,
        cache_bytes: cfg.web.cache_bytes,
        ..iodao_web::Settings::default()
    };
    Ok(iodao_web::AppState::new(
        governance.clone(),
        Links::new(store.clone(), cfg.links.clone()),
        Allocations::new(store, stake),
        epochs,
        settings,
    ))
}

/// The chat bots' command layer over the process's governance and epoch
/// services (their store and stake shared) and the configured links, with
/// the epoch schedule for `/epoch` and the explorer that announced payments
/// link to.
pub fn bot_commands(cfg: &Config, governance: &Governance, epochs: Epochs) -> iodao_bot::Commands {
    let store = governance.store().clone();
    let stake = governance.stake().clone();
    let links = Links::new(store.clone(), cfg.links.clone());
    let allocations = Allocations::new(store, stake.clone());
    let schedule = cfg.epochs.clone();
    iodao_bot::Commands::new(governance.clone(), links, allocations, epochs, stake)
        .with_schedule(Arc::new(move |now| schedule.next_slot(now)))
        .with_explorer_tx_url(cfg.web.explorer_tx_url.as_deref())
}
