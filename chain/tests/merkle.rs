//! The Rust tree against OpenZeppelin's own JS library (tools/merkle.js):
//! same root and same proof for every leaf.

use std::path::Path;
use std::process::Command;

use iodao_chain::merkle::{ClaimsExport, PayoutTree, parse_payouts};

#[test]
fn root_and_proofs_match_openzeppelins_standard_merkle_tree() {
    for n in [1usize, 2, 3, 7, 64, 257] {
        let mut csv = String::from("address,amount\n");
        let mut state = 0x1234_5678_9abc_def0u64 ^ n as u64;
        for i in 0..n {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let addr: String = (0..5).map(|k| format!("{:08x}", state.rotate_left(k * 13) as u32)).collect();
            csv.push_str(&format!("0x{addr},{}\n", 10u128.pow(18) + (i as u128) * 7_919 + (state >> 40) as u128));
        }
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("payouts.csv");
        std::fs::write(&file, &csv).expect("write");

        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("root");
        let out = Command::new("node")
            .arg(root.join("tools/merkle.js"))
            .arg(&file)
            .output()
            .expect("node runs (scripts/setup.sh installs @openzeppelin/merkle-tree)");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let theirs: ClaimsExport = serde_json::from_slice(&out.stdout).expect("their json");

        let payouts = parse_payouts(&csv).expect("parse");
        let ours = ClaimsExport::new(&PayoutTree::build(&payouts).expect("tree"), &payouts);
        assert_eq!(ours.root, theirs.root, "root of {n} leaves");
        for (a, b) in ours.claims.iter().zip(&theirs.claims) {
            assert_eq!((a.index, a.account.to_lowercase(), &a.amount), (b.index, b.account.to_lowercase(), &b.amount));
            assert_eq!(a.proof, b.proof, "proof of leaf {} of {n}", a.index);
        }
    }
}

#[test]
fn bad_payout_lines_are_named() {
    let e = parse_payouts("address,amount\n0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed,12\nnope,3\n").unwrap_err();
    assert_eq!(e.line, 3);
    let e = parse_payouts("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed,1.5\n").unwrap_err();
    assert_eq!(e.line, 1);
    // io1 addresses are accepted too.
    let p = parse_payouts("io1ld53vz2u580kpwmee6fvu048fsmut56ep6dmat,7\n").expect("io1");
    assert_eq!(p[0].0.to_checksum(None), "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359");
}
