use alloy_primitives::{B256, hex};
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct as _;
use iodao_core::signed::{domain, types};

use crate::helpers::Workdir;

/// The domain `iodao eip712` says this deployment signs with.
fn published_domain(w: &Workdir) -> (u64, B256) {
    let typed = w.json(&["eip712"]);
    assert_eq!((&typed["domain"]["name"], &typed["domain"]["version"]), (&"iodao".into(), &"1".into()), "{typed}");
    let chain = typed["domain"]["chainId"].as_u64().expect("chainId");
    let salt = typed["domain"]["salt"].as_str().expect("salt").parse().expect("32 bytes");
    (chain, salt)
}

fn vote_file(w: &Workdir, signer: &PrivateKeySigner, choice: &str, chain: u64, salt: B256) {
    let now = u64::try_from(chrono::Utc::now().timestamp()).expect("after 1970");
    let msg = types::Vote { voter: signer.address(), proposal: 1, choice: choice.into(), timestamp: now };
    let sig = signer.sign_hash_sync(&msg.eip712_signing_hash(&domain(chain, salt))).expect("sign");
    let body = serde_json::json!({
        "voter": signer.address().to_checksum(None), "proposal": 1, "choice": choice, "timestamp": now,
        "signature": hex::encode_prefixed(sig.as_bytes()),
    });
    std::fs::write(w.file("vote.json"), body.to_string()).expect("write vote.json");
}

#[test]
fn a_wallet_signed_vote_is_relayed_once() {
    let w = Workdir::new();
    let signer = PrivateKeySigner::from_bytes(&[9u8; 32].into()).expect("key");
    let voter = signer.address().to_checksum(None);
    std::fs::write(w.file("stake.csv"), format!("address,amount\n{voter},1234\n")).unwrap();
    w.ok(&["proposal", "create", "--title", "Signed", "--body", "B", "--author", &voter]);

    // Drawn at first start and kept: every later command signs the same.
    let (chain, salt) = published_domain(&w);
    assert_eq!(chain, 4689);
    assert!(!salt.is_zero());
    assert_eq!(published_domain(&w), (chain, salt));

    vote_file(&w, &signer, "Against", chain, salt);
    let out = w.ok(&["signed-vote", "vote.json"]);
    assert!(out.contains("votes Against on proposal #1 with 1234 IOTX (signed)"), "{out}");
    let e = w.fails(&["signed-vote", "vote.json"]);
    assert!(e.contains("already counted"), "{e}");
    let t = w.json(&["tally", "1", "--json"]);
    assert_eq!(t["choices"][1]["power"], "1234000000000000000000");
    assert_eq!(t["voters"], 1);
}

#[test]
fn a_vote_signed_for_another_deployment_is_refused_and_a_configured_salt_is_used() {
    let other = Workdir::new();
    let (_, other_salt) = published_domain(&other);
    let w = Workdir::new();
    let signer = PrivateKeySigner::from_bytes(&[9u8; 32].into()).expect("key");
    let voter = signer.address().to_checksum(None);
    std::fs::write(w.file("stake.csv"), format!("address,amount\n{voter},1234\n")).unwrap();
    w.ok(&["proposal", "create", "--title", "Signed", "--body", "B", "--author", &voter]);
    let (chain, salt) = published_domain(&w);
    assert_ne!(salt, other_salt, "two deployments never share a salt by accident");

    vote_file(&w, &signer, "For", chain, other_salt);
    let e = w.fails(&["signed-vote", "vote.json"]);
    assert!(e.contains("for another domain (check the chain id and this deployment's EIP-712 salt)"), "{e}");
    assert_eq!(w.json(&["tally", "1", "--json"])["voters"], 0);

    // An operator who sets the salt gets that one (as a deployment moved to a new database would).
    let configured = B256::repeat_byte(0x3c);
    std::fs::write(w.file("iodao.toml"), format!("[chain]\neip712_salt = \"{configured}\"\n")).unwrap();
    assert_eq!(published_domain(&w), (chain, configured));
    vote_file(&w, &signer, "For", chain, configured);
    let out = w.ok(&["signed-vote", "vote.json"]);
    assert!(out.contains("votes For on proposal #1"), "{out}");
}
