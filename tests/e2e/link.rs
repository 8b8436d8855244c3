use alloy_primitives::hex;
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;

use crate::helpers::Workdir;

#[test]
fn link_a_discord_account_by_signing_the_challenge() {
    let w = Workdir::new();
    let signer = PrivateKeySigner::from_bytes(&[42u8; 32].into()).expect("key");
    let address = signer.address().to_checksum(None);

    let c = w.json(&["link", "challenge", "discord:1234", &address, "--json"]);
    let message = c["message"].as_str().unwrap();
    assert!(message.starts_with("127.0.0.1:8080 wants you to sign in"), "{message}");
    assert!(c["url"].as_str().unwrap().starts_with("http://127.0.0.1:8080/link/"));
    std::fs::write(w.file("msg.txt"), message).unwrap();
    let sig = hex::encode_prefixed(signer.sign_message_sync(message.as_bytes()).unwrap().as_bytes());

    let e = w.fails(&["link", "verify", "--message-file", "msg.txt", "--signature", "0xdead"]);
    assert!(e.contains("the signature is not valid"), "{e}");
    let out = w.ok(&["link", "verify", "--message-file", "msg.txt", "--signature", &sig]);
    assert_eq!(out.trim(), format!("discord:1234 now votes with {address}"));
    assert!(w.ok(&["link", "show", "discord:1234"]).contains(&address));

    let e = w.fails(&["link", "verify", "--message-file", "msg.txt", "--signature", &sig]);
    assert!(e.contains("already used"), "{e}");
    let e = w.fails(&["link", "challenge", "slack:1", &address]);
    assert!(e.contains("`slack:1` is not a chat account"), "{e}");

    assert!(w.ok(&["link", "remove", "discord:1234"]).contains("no longer linked"));
    assert!(w.ok(&["link", "show", "discord:1234"]).contains("is not linked"));
    let log = w.ok(&["audit", "log"]);
    assert!(log.contains("link.made") && log.contains("link.removed"), "{log}");
}
