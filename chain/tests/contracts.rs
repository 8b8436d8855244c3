//! The committed contract artifacts (contracts/out) are exactly what the
//! sources compile to with the pinned solc: a change to a .sol file without
//! a rebuild, or a hand-edited artifact, fails here.

use std::path::Path;
use std::process::Command;

#[test]
fn committed_artifacts_match_the_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    let out = Command::new("node")
        .args(["contracts/build.js", "--check"])
        .current_dir(root)
        .output()
        .expect("node runs (scripts/setup.sh installs the pinned solc)");
    assert!(
        out.status.success(),
        "contracts/out is stale or solc is missing (run scripts/setup.sh, then node contracts/build.js):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
