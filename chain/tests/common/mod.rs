//! A local node for chain tests and benches: anvil from tools/ (installed by
//! scripts/setup.sh) on a free port, stopped when dropped.

#![allow(dead_code)]

use std::path::Path;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;

/// A node whose blocks take 100 M gas (a 500-recipient batch fits).
pub fn anvil() -> AnvilInstance {
    // Used from chain/ and from the root package: find the workspace's tools/.
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = here.ancestors().find(|d| d.join("tools/package.json").exists()).unwrap_or(here);
    let bin = root.join("tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    Anvil::at(bin).args(["--gas-limit", "100000000"]).try_spawn().expect("anvil starts (scripts/setup.sh installs it)")
}

/// A provider signing as the node's account `i`.
pub fn wallet(node: &AnvilInstance, i: usize) -> DynProvider {
    let signer: PrivateKeySigner = node.keys()[i].clone().into();
    ProviderBuilder::new().wallet(signer).connect_http(node.endpoint_url()).erased()
}
