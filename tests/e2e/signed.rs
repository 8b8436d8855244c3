use alloy_primitives::hex;
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct as _;
use iodao_core::signed::{domain, types};

use crate::helpers::Workdir;

#[test]
fn a_wallet_signed_vote_is_relayed_once() {
    let w = Workdir::new();
    let signer = PrivateKeySigner::from_bytes(&[9u8; 32].into()).expect("key");
    let voter = signer.address().to_checksum(None);
    std::fs::write(w.file("stake.csv"), format!("address,amount\n{voter},1234\n")).unwrap();
    w.ok(&["proposal", "create", "--title", "Signed", "--body", "B", "--author", &voter]);

    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let msg = types::Vote { voter: signer.address(), proposal: 1, choice: "Against".into(), timestamp: now };
    let sig = signer.sign_hash_sync(&msg.eip712_signing_hash(&domain(4689))).unwrap();
    let body = serde_json::json!({
        "voter": voter, "proposal": 1, "choice": "Against", "timestamp": now,
        "signature": hex::encode_prefixed(sig.as_bytes()),
    });
    std::fs::write(w.file("vote.json"), body.to_string()).unwrap();

    let out = w.ok(&["signed-vote", "vote.json"]);
    assert!(out.contains("votes Against on proposal #1 with 1234 IOTX (signed)"), "{out}");
    let e = w.fails(&["signed-vote", "vote.json"]);
    assert!(e.contains("already counted"), "{e}");
    let t = w.json(&["tally", "1", "--json"]);
    assert_eq!(t["choices"][1]["power"], "1234000000000000000000");
    assert_eq!(t["voters"], 1);
}
