//! `iodao recipient …` (with a device program's devices) and `iodao allocate`.

use chrono::Utc;
use iodao_core::{Actor, Address, Category, ListedDevice};

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
    let weights = match stake.recent_block().await {
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

/// Parses every device address first: one bad address changes nothing.
fn device_addresses(devices: &[String]) -> anyhow::Result<Vec<Address>> {
    devices.iter().map(|d| Address::parse(d).map_err(|e| anyhow::anyhow!("device `{d}`: {e}"))).collect()
}

/// Lists devices under a device program (or rescores them).
pub async fn add_devices(cfg: &Config, program: &str, devices: &[String], score: u32) -> anyhow::Result<()> {
    let devices = device_addresses(devices)?;
    if score == 0 {
        anyhow::bail!("--score must be at least 1 (remove the device to stop paying it)");
    }
    let a = wiring::allocations(cfg).await?;
    for device in devices {
        let (r, added) = a.set_device(program, ListedDevice { device, score }, &Actor::Cli, Utc::now()).await?;
        let what = if added { "lists" } else { "rescored" };
        println!("recipient {} `{}` {what} device {} (score {score})", r.id, r.name, device.to_hex());
    }
    Ok(())
}

/// Stops paying devices of a device program.
pub async fn remove_devices(cfg: &Config, program: &str, devices: &[String]) -> anyhow::Result<()> {
    let devices = device_addresses(devices)?;
    let a = wiring::allocations(cfg).await?;
    for device in devices {
        let r = a.remove_device(program, device, &Actor::Cli, Utc::now()).await?;
        println!("recipient {} `{}` no longer lists device {}", r.id, r.name, device.to_hex());
    }
    Ok(())
}

/// A device program's devices.
pub async fn list_devices(cfg: &Config, program: &str, json: bool) -> anyhow::Result<()> {
    let a = wiring::allocations(cfg).await?;
    let (r, devices) = a.devices(program).await?;
    if json {
        let rows: Vec<_> = devices
            .iter()
            .map(|d| serde_json::json!({ "device": d.device.to_hex(), "io": d.device.to_io(), "score": d.score }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "recipient": r.id, "devices": rows }))?);
        return Ok(());
    }
    println!("recipient {} `{}` ({}): {} device(s)", r.id, r.name, r.category, devices.len());
    for d in devices {
        println!("  {}  {}  score {}", d.device.to_hex(), d.device.to_io(), d.score);
    }
    Ok(())
}
