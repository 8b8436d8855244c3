//! `iodao epoch …`: plan (dry run), run, list, show, export and verify.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use iodao_core::epochs::verify as verify_bundle;
use iodao_core::{Amount, Bundle, Epochs, Ran};

use crate::config::Config;
use crate::wiring;

/// The epoch service, with a progress bar while voting power is read when
/// stderr is a terminal.
async fn service(cfg: &Config) -> anyhow::Result<(Epochs, Option<ProgressBar>)> {
    let epochs = wiring::open_epochs(cfg).await?;
    if !std::io::stderr().is_terminal() {
        return Ok((epochs, None));
    }
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("reading voting power {bar:30} {pos}/{len} voters {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let b = bar.clone();
    let epochs = epochs.with_progress(Arc::new(move |done, total| {
        b.set_length(total as u64);
        b.set_position(done as u64);
    }));
    Ok((epochs, Some(bar)))
}

fn slot(cfg: &Config) -> anyhow::Result<chrono::DateTime<Utc>> {
    cfg.epochs.latest_slot(Utc::now()).with_context(|| {
        format!("the schedule `{}` has no slot yet (config key `epochs.schedule`)", cfg.epochs.schedule_text)
    })
}

fn iotx(wei: alloy_primitives::U256) -> String {
    Amount::from_wei(wei).to_iotx_string()
}

/// The allocation table of a bundle.
fn print_table(b: &Bundle) {
    let names: std::collections::BTreeMap<u64, &str> = b.recipients.iter().map(|r| (r.id, r.name.as_str())).collect();
    println!(
        "epoch {}  slot {}  snapshot block {}  method {:?}",
        b.epoch,
        b.slot.format("%Y-%m-%d %H:%M UTC"),
        b.snapshot_block,
        b.split.method
    );
    println!(
        "budget {} IOTX  spent {}  unallocated {}",
        iotx(b.split.budget),
        iotx(b.split.spent),
        iotx(b.split.unallocated)
    );
    println!(
        "{:>4}  {:<24} {:<15} {:>22} {:>22}  binding",
        "id", "recipient", "category", "target (IOTX)", "payout (IOTX)"
    );
    for p in &b.split.payouts {
        println!(
            "{:>4}  {:<24} {:<15} {:>22} {:>22}  {}",
            p.id,
            names.get(&p.id).copied().unwrap_or("?"),
            p.category,
            iotx(p.target),
            iotx(p.amount),
            p.binding
        );
        if let Some(program) = b.devices.iter().find(|d| d.recipient == p.id) {
            print_devices(program, p.amount);
        }
    }
    println!("digest {}", b.digest);
}

/// A device program's devices under its row: each device's owner and part,
/// or why it is excluded.
fn print_devices(program: &iodao_core::devices::BundleDevices, payout: alloy_primitives::U256) {
    let paid = program.devices.iter().any(|d| !d.amount.is_zero());
    for d in &program.devices {
        match (&d.owner, &d.excluded) {
            (Some(owner), None) => {
                println!("        device {} score {:>4}  owner {owner} {:>22}", d.device, d.score, iotx(d.amount));
            }
            (_, excluded) => {
                let why = excluded.as_deref().unwrap_or("excluded");
                println!("        device {} score {:>4}  excluded: {why}", d.device, d.score);
            }
        }
    }
    if !paid && !payout.is_zero() {
        println!("        no registered device is paid: the program's own address receives its payout");
    }
}

/// Prints what the current slot's epoch would do now; stores nothing.
pub async fn plan(cfg: &Config, json: bool) -> anyhow::Result<()> {
    let (epochs, bar) = service(cfg).await?;
    let bundle = epochs.plan(slot(cfg)?).await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let bundle = bundle?;
    if json {
        println!("{}", serde_json::to_string_pretty(&bundle)?);
    } else {
        print_table(&bundle);
        println!("(dry run: nothing stored)");
    }
    Ok(())
}

/// Runs the latest slot's epoch (nothing if it ran already).
pub async fn run(cfg: &Config) -> anyhow::Result<()> {
    let (epochs, bar) = service(cfg).await?;
    let ran = epochs.run(slot(cfg)?, Utc::now()).await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    match ran? {
        Ran::New(e) => {
            println!(
                "epoch {} allocated: spent {} IOTX of {}",
                e.number,
                e.spent.to_iotx_string(),
                e.budget.to_iotx_string()
            );
            if let Some(b) = epochs.bundle(e.number).await? {
                print_table(&b);
            }
        }
        Ran::Existing(e) => println!("epoch {} already ran for slot {}; nothing done", e.number, e.slot),
    }
    Ok(())
}

/// Lists epochs.
pub async fn list(cfg: &Config) -> anyhow::Result<()> {
    let epochs = wiring::open_epochs(cfg).await?;
    println!(
        "{:>5}  {:<17} {:>8} {:>16} {:>16} {:>14}  {:<10}",
        "epoch", "slot", "block", "budget", "spent", "unallocated", "state"
    );
    // Runs not allocated (open, tallied, failed) and allocated epochs, by
    // number: a failed run keeps its number while later slots' epochs run.
    let runs = epochs.runs().await?;
    let none = || "-".to_owned();
    let mut rows: Vec<_> = runs
        .iter()
        .map(|r| (r.number, r.slot, r.snapshot_block, none(), none(), none(), r.state.to_string()))
        .chain(epochs.list().await?.into_iter().map(|e| {
            let iotx = |a: iodao_core::Amount| a.to_iotx_string();
            (e.number, e.slot, e.snapshot_block, iotx(e.budget), iotx(e.spent), iotx(e.unallocated), e.state)
        }))
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    for (number, slot, block, budget, spent, unallocated, state) in rows {
        println!(
            "{number:>5}  {:<17} {block:>8} {budget:>16} {spent:>16} {unallocated:>14}  {state:<10}",
            slot.format("%Y-%m-%d %H:%M").to_string()
        );
    }
    if let Some(failure) = runs.iter().find_map(|r| r.failure.as_ref().map(|f| (r.number, f))) {
        println!("epoch {} failed: {} (`iodao epoch run` runs it again)", failure.0, failure.1);
    }
    Ok(())
}

/// Shows one epoch.
pub async fn show(cfg: &Config, number: u64) -> anyhow::Result<()> {
    let epochs = wiring::open_epochs(cfg).await?;
    let Some((e, _)) = epochs.get(number).await? else {
        let run = epochs.runs().await?.into_iter().find(|r| r.number == number);
        let run = run.with_context(|| format!("there is no epoch {number}"))?;
        println!("state {} (slot {}, snapshot block {})", run.state, run.slot, run.snapshot_block);
        if let Some(f) = &run.failure {
            println!("failed: {f}");
        }
        return Ok(());
    };
    let bundle = epochs.bundle(number).await?.with_context(|| format!("epoch {number} has no bundle"))?;
    println!("state {}", e.state);
    print_table(&bundle);
    Ok(())
}

/// Writes an epoch's bundle: its stored export (built and stored first if
/// need be), the same bytes the portal serves.
pub async fn export(cfg: &Config, number: u64, out: Option<&Path>) -> anyhow::Result<()> {
    use std::io::Write as _;
    let epochs = wiring::open_epochs(cfg).await?;
    let export = epochs
        .export(number, iodao_core::ExportKind::Bundle)
        .await?
        .with_context(|| format!("there is no epoch {number}"))?;
    let bytes = epochs.export_bytes(&export).await?;
    match out {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
            let digest = epochs.bundle(number).await?.map(|b| b.digest).unwrap_or_default();
            println!("epoch {number} bundle written to {} (digest {digest})", path.display());
        }
        None => std::io::stdout().write_all(&bytes).context("cannot write the bundle to stdout")?,
    }
    Ok(())
}

/// Recomputes a bundle; a mismatch is an error naming what differs.
pub fn verify(file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let bundle: Bundle =
        serde_json::from_str(&text).with_context(|| format!("{} is not an epoch bundle", file.display()))?;
    verify_bundle(&bundle).with_context(|| format!("epoch {} does NOT verify", bundle.epoch))?;
    println!(
        "epoch {} verifies: {} payouts, {} IOTX spent, weights recomputed from {} votes, digest {}",
        bundle.epoch,
        bundle.split.payouts.iter().filter(|p| !p.amount.is_zero()).count(),
        iotx(bundle.split.spent),
        bundle.votes.len(),
        bundle.digest
    );
    Ok(())
}

/// Pays an epoch (or resumes paying it), printing each step.
pub async fn execute(cfg: &Config, number: u64, dry_run: bool) -> anyhow::Result<()> {
    use iodao_core::execution::{Executor, Step};
    use std::io::Write;

    let pc = &cfg.payouts;
    let store = wiring::store(cfg).await?;
    if dry_run {
        for b in iodao_core::execution::plan(&store, number, pc.recipients_per_batch()).await? {
            let total = b.payouts.iter().fold(alloy_primitives::U256::ZERO, |a, (_, v)| a + v);
            println!("batch {}: {} recipients, {} IOTX", b.batch, b.payouts.len(), iotx(total));
        }
        println!("(dry run: nothing sent)");
        return Ok(());
    }
    let distributor = pc.distributor.context("config key `chain.distributor` is not set")?;
    anyhow::ensure!(!pc.rpc_url.is_empty(), "config key `chain.rpc_url` is not set");
    let chain = iodao_chain::executor::AlloyPayouts::connect(&pc.rpc_url, &pc.key()?, distributor, pc.confirmations)?;
    let ex = Executor::new(store, Arc::new(chain), pc.recipients_per_batch());
    let steps = ex
        .execute(number, &|s: &Step| {
            // Each step on stdout as it happens; a closed stdout must not stop payment.
            let line = match s {
                Step::AlreadyConfirmed(b) => format!("batch {b} already confirmed"),
                Step::FoundPaid(b) => format!("batch {b} found paid on-chain"),
                Step::Sent(b, sent) => format!("batch {b} sent: {} (nonce {})", sent.tx_hash, sent.nonce),
                Step::Confirmed(b, block) => format!("batch {b} confirmed in block {block}"),
            };
            let _ = writeln!(std::io::stdout(), "{line}");
        })
        .await?;
    println!("epoch {number} paid: {} batches", steps.iter().filter(|s| !matches!(s, Step::Sent(..))).count());
    Ok(())
}

/// Claim mode: publishes the epoch's Merkle root once (journaled like a
/// batch) and writes every claim with its proof.
pub async fn execute_claims(cfg: &Config, number: u64, dry_run: bool, out: Option<&Path>) -> anyhow::Result<()> {
    use iodao_chain::merkle::{ClaimsExport, PayoutTree};
    use iodao_core::claims::{ClaimExecutor, ClaimStep};
    use std::io::Write;

    let pc = &cfg.payouts;
    let store = wiring::store(cfg).await?;
    let leaves = iodao_core::claims::leaves(&store, number).await?;
    let evm: Vec<(alloy_primitives::Address, alloy_primitives::U256)> =
        leaves.iter().map(|(a, v)| (a.as_evm(), *v)).collect();
    let tree = PayoutTree::build(&evm).with_context(|| format!("epoch {number} has no payout to claim"))?;
    let root = tree.root().to_string();
    let total = leaves.iter().fold(alloy_primitives::U256::ZERO, |a, (_, v)| a + v);
    let out = out.map_or_else(|| std::path::PathBuf::from(format!("claims-{number}.json")), Path::to_path_buf);
    if dry_run {
        println!("epoch {number}: root {root}, {} claims, {} in all", leaves.len(), iotx(total));
        println!("(dry run: nothing sent or written)");
        return Ok(());
    }
    let distributor = pc.distributor.context("config key `chain.distributor` is not set")?;
    anyhow::ensure!(!pc.rpc_url.is_empty(), "config key `chain.rpc_url` is not set");
    let chain = iodao_chain::executor::AlloyPayouts::connect(&pc.rpc_url, &pc.key()?, distributor, pc.confirmations)?;
    ClaimExecutor::new(store, Arc::new(chain))
        .execute(number, &leaves, &root, &|s: &ClaimStep| {
            let line = match s {
                ClaimStep::AlreadyConfirmed => "root already confirmed".to_owned(),
                ClaimStep::FoundSet => "root found set on-chain".to_owned(),
                ClaimStep::Sent(sent) => format!("root sent: {} (nonce {})", sent.tx_hash, sent.nonce),
                ClaimStep::Confirmed(block) => format!("root confirmed in block {block}"),
            };
            let _ = writeln!(std::io::stdout(), "{line}");
        })
        .await?;
    let json = serde_json::to_string_pretty(&ClaimsExport::new(&tree, &evm))?;
    std::fs::write(&out, json + "\n").with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "epoch {number} claimable: root {root}, {} claims, {} in all, written to {}",
        leaves.len(),
        iotx(total),
        out.display()
    );
    Ok(())
}
