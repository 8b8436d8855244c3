//! `iodao merkle build`.

use std::path::Path;

use anyhow::Context;
use iodao_chain::merkle::{ClaimsExport, PayoutTree, parse_payouts};

/// Builds the tree of a payouts CSV, prints its root, writes the claims.
pub fn build(payouts: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(payouts).with_context(|| format!("cannot read {}", payouts.display()))?;
    let list = parse_payouts(&text).with_context(|| format!("{} is not a payouts file", payouts.display()))?;
    let tree = PayoutTree::build(&list).with_context(|| format!("{} has no payouts", payouts.display()))?;
    let export = ClaimsExport::new(&tree, &list);
    let out = out.map_or_else(|| payouts.with_file_name("claims.json"), Path::to_path_buf);
    std::fs::write(&out, serde_json::to_string(&export)? + "\n")
        .with_context(|| format!("cannot write {}", out.display()))?;
    let total = list.iter().fold(alloy_primitives::U256::ZERO, |a, (_, v)| a + v);
    println!("root {}", tree.root());
    println!("{} claims, {total} wei in all; proofs written to {}", list.len(), out.display());
    Ok(())
}
