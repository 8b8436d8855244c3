//! `iodao recipient …` and `iodao allocate`.

use chrono::Utc;
use iodao_core::{Actor, Address, Category};

use crate::config::Config;
use crate::wiring;

/// Adds an active recipient.
pub async fn add(cfg: &Config, name: &str, category: &str, payout: &str) -> anyhow::Result<()> {
    let category = Category::parse(category)
        .ok_or_else(|| anyhow::anyhow!("`{category}` is not a category: use device-program, depin-project or dapp"))?;
    let payout = Address::parse(payout)?;
    let a = wiring::allocations(cfg).await?;
    let r = a.add_recipient(name.trim(), category, payout, &Actor::Cli, Utc::now()).await?;
    println!("recipient {} `{}` ({}) pays {} / {}", r.id, r.name, r.category, r.payout.to_hex(), r.payout.to_io());
    Ok(())
}

/// Lists recipients with their weight at the stake source's current block.
pub async fn list(cfg: &Config) -> anyhow::Result<()> {
    let store = wiring::store(cfg).await?;
    let stake = wiring::stake(cfg, &store)?;
    let a = iodao_core::Allocations::new(store, stake.clone());
    let recipients = a.recipients().await?;
    let weights = match stake.current_block().await {
        Ok(block) => Some(a.weights_at(block).await?),
        Err(e) => {
            eprintln!("weights unavailable: {e}");
            None
        }
    };
    println!("{:>4}  {:<24} {:<15} {:<42} {:>18}", "id", "name", "category", "payout", "weight (IOTX)");
    for r in recipients {
        let w =
            weights.as_ref().map_or_else(|| "-".into(), |w| w.get(&r.id).copied().unwrap_or_default().to_iotx_string());
        let name = if r.active { r.name.clone() } else { format!("{} (inactive)", r.name) };
        println!("{:>4}  {:<24} {:<15} {:<42} {:>18}", r.id, name, r.category, r.payout.to_hex(), w);
    }
    Ok(())
}

/// Records a voter's allocation as the operator.
pub async fn allocate(cfg: &Config, voter: &str, weights: &str) -> anyhow::Result<()> {
    let voter = Address::parse(voter)?;
    let a = wiring::allocations(cfg).await?;
    let allocation = a.set(voter, weights, Utc::now()).await?;
    if allocation.is_empty() {
        println!("{voter} withdrew their allocation");
    } else {
        let parts: Vec<String> =
            allocation.entries().iter().map(|(r, bps)| format!("{r}={}.{:02}%", bps / 100, bps % 100)).collect();
        println!("{voter} allocates {}", parts.join(" "));
    }
    Ok(())
}
