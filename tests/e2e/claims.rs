//! Claim-mode execution from the CLI on a real node: `epoch execute N
//! --claim` publishes the epoch's root once (a rerun sends nothing), writes
//! every recipient's proof, recipients claim with them, and the epoch can
//! no longer be pushed as well.

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use iodao_chain::contracts::Distributor;
use iodao_chain::merkle::ClaimsExport;

use crate::node;
use crate::payouts::{Mode, SOLAR, SWAP, executor_key, funded_epoch, iotx};

#[tokio::test(flavor = "multi_thread")]
async fn an_epochs_root_is_set_once_and_recipients_claim_with_the_exported_proofs() {
    let anvil = node::anvil();
    let (p, d, w) = funded_epoch(&anvil, Mode::Claim).await;
    let d = Distributor::new(d, &p);

    let key = executor_key(&anvil);
    let execute = |args: &[&str]| {
        let mut c = w.cmd(args);
        c.env("IODAO_CHAIN__RPC_URL", anvil.endpoint())
            .env("IODAO_CHAIN__DISTRIBUTOR", d.address().to_string())
            .env("IODAO_EXECUTOR_KEY", &key);
        c.output().expect("execute")
    };
    let ok = |args: &[&str]| {
        let out = execute(args);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
        text
    };

    let dry = ok(&["epoch", "execute", "1", "--claim", "--dry-run"]);
    assert!(dry.contains("2 claims") && dry.contains("dry run"), "{dry}");
    assert_eq!(d.roots(1).call().await.expect("roots"), B256::ZERO);
    assert!(!w.file("claims-1.json").exists());

    let first = ok(&["epoch", "execute", "1", "--claim", "--out", "claims.json"]);
    assert!(first.contains("root sent: 0x") && first.contains("root confirmed in block"), "{first}");
    let text = std::fs::read_to_string(w.file("claims.json")).expect("claims written");
    let claims: ClaimsExport = serde_json::from_str(&text).expect("claims json");
    assert_eq!(d.roots(1).call().await.expect("roots"), claims.root);
    assert_eq!(d.remaining(1).call().await.expect("remaining"), iotx(1600));
    assert!(w.ok(&["epoch", "list"]).contains("executed"));

    // A rerun sends nothing and exports the same proofs.
    let again = ok(&["epoch", "execute", "1", "--claim", "--out", "again.json"]);
    assert!(again.contains("root already confirmed") && !again.contains("sent"), "{again}");
    assert_eq!(std::fs::read_to_string(w.file("again.json")).expect("again"), text);
    // The epoch cannot be pushed as well.
    let push = execute(&["epoch", "execute", "1"]);
    assert!(!push.status.success());
    assert!(String::from_utf8_lossy(&push.stderr).contains("cannot also be paid by pushed batches"));

    // Anyone (here account 3) submits each claim; the recipient is paid.
    let relayer = Distributor::new(*d.address(), node::wallet(&anvil, 3));
    let wrong = claims.claims[0].clone();
    let amount = |c: &iodao_chain::merkle::ClaimProof| U256::from_str_radix(&c.amount, 10).expect("amount");
    let to = |c: &iodao_chain::merkle::ClaimProof| c.account.parse::<Address>().expect("account");
    assert!(
        relayer
            .claim(1, U256::from(wrong.index), to(&wrong), amount(&wrong) + U256::from(1u8), wrong.proof.clone())
            .call()
            .await
            .is_err(),
        "a wrong amount does not claim"
    );
    for c in &claims.claims {
        let r = relayer.claim(1, U256::from(c.index), to(c), amount(c), c.proof.clone()).send().await.unwrap();
        assert!(r.get_receipt().await.unwrap().status());
        assert!(relayer.claim(1, U256::from(c.index), to(c), amount(c), c.proof.clone()).call().await.is_err());
    }
    assert_eq!(p.get_balance(SOLAR.parse().unwrap()).await.unwrap(), iotx(600));
    assert_eq!(p.get_balance(SWAP.parse().unwrap()).await.unwrap(), iotx(1000));
    assert_eq!(p.get_balance(*d.address()).await.unwrap(), U256::ZERO);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_run_killed_while_its_root_is_pending_resumes_without_setting_it_twice() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let anvil = node::anvil();
    let (p, d, w) = funded_epoch(&anvil, Mode::Claim).await;
    let d = Distributor::new(d, &p);

    let key = executor_key(&anvil);
    let execute = || {
        let mut c = w.cmd(&["epoch", "execute", "1", "--claim"]);
        c.env("IODAO_CHAIN__RPC_URL", anvil.endpoint())
            .env("IODAO_CHAIN__DISTRIBUTOR", d.address().to_string())
            .env("IODAO_EXECUTOR_KEY", &key);
        c
    };
    // No blocks: the root is sent and stays pending; the run is killed.
    let _: serde_json::Value = p.raw_request("evm_setAutomine".into(), (false,)).await.expect("automine off");
    let mut child = execute().stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let sent = lines.next().expect("a line").expect("read");
    assert!(sent.starts_with("root sent: 0x"), "{sent}");
    child.kill().expect("kill");
    child.wait().expect("reaped");
    assert!(!w.file("claims-1.json").exists());
    let _: serde_json::Value = p.raw_request("evm_setAutomine".into(), (true,)).await.expect("automine on");
    let _: serde_json::Value = p.raw_request("evm_mine".into(), ()).await.expect("mine");

    let nonce_before = p.get_transaction_count(anvil.addresses()[0]).await.expect("nonce");
    let out = execute().output().expect("resume");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("root confirmed in block") && !text.contains("root sent"), "{text}");
    // Nothing else was sent by the executor.
    assert_eq!(p.get_transaction_count(anvil.addresses()[0]).await.expect("nonce"), nonce_before);
    let claims: ClaimsExport =
        serde_json::from_str(&std::fs::read_to_string(w.file("claims-1.json")).expect("claims")).expect("json");
    assert_eq!(d.roots(1).call().await.expect("roots"), claims.root);
    assert_eq!(claims.claims.len(), 2);
}
