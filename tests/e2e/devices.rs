//! A device program on a real node: devices listed from the CLI, checked in
//! an ioID registry at the snapshot block, the program's payout split
//! across the registered ones (the unregistered excluded, with the reason
//! in `epoch show` and the bundle), the bundle verified, and the owners
//! paid on-chain by `epoch execute`.

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::sol;
use iodao_chain::contracts::Distributor;

use crate::payouts::{SOLAR, SWAP, executor_key, fund, iotx, two_recipients};

use crate::node;

sol!(
    #[sol(rpc)]
    TestIoIDRegistry,
    "contracts/out/TestIoIDRegistry.json"
);

const D1: &str = "0x1111111111111111111111111111111111111111";
const D2: &str = "0x2222222222222222222222222222222222222222";
const D3: &str = "0x3333333333333333333333333333333333333333";
const OWNER1: &str = "0xe1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1";
const OWNER2: &str = "0xe2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2";

fn a(s: &str) -> Address {
    s.parse().expect("address")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_programs_payout_goes_to_its_registered_devices_owners_by_score() {
    let anvil = node::anvil();
    let p = node::wallet(&anvil, 0);
    let registry = TestIoIDRegistry::deploy(&p).await.expect("deploy registry");
    for (device, owner) in [(D1, OWNER1), (D2, OWNER2)] {
        registry.register(U256::from(7), a(device), a(owner)).send().await.unwrap().get_receipt().await.unwrap();
    }
    let snapshot = p.get_block_number().await.expect("block");
    // Registered after the snapshot: still excluded from this epoch.
    registry.register(U256::from(7), a(D3), a(OWNER1)).send().await.unwrap().get_receipt().await.unwrap();

    // solar 600 IOTX of a 1 600 budget, swap 1 000.
    let w = two_recipients();

    // Devices: 1 and 3 score 1, 2 score 2. Bad input is refused whole.
    assert!(w.ok(&["recipient", "devices", "add", "solar", D1, D3]).contains("lists device"));
    let e = w.fails(&["recipient", "devices", "add", "solar", D2, "0x1234", "--score", "2"]);
    assert!(e.contains("device `0x1234`"), "{e}");
    let e = w.fails(&["recipient", "devices", "add", "swap", D2]);
    assert!(e.contains("only device programs list devices"), "{e}");
    let e = w.fails(&["recipient", "devices", "add", "solar", D2, "--score", "0"]);
    assert!(e.contains("at least 1"), "{e}");
    assert_eq!(w.json(&["recipient", "devices", "list", "solar", "--json"])["devices"].as_array().unwrap().len(), 2);
    w.ok(&["recipient", "devices", "add", "solar", D2, "--score", "2"]);
    let listed = w.json(&["recipient", "devices", "list", "1", "--json"]);
    let scores: Vec<u64> = listed["devices"].as_array().unwrap().iter().map(|d| d["score"].as_u64().unwrap()).collect();
    assert_eq!(scores, [1, 2, 1]);

    // Without a registry configured the epoch fails, and says why; nothing
    // is allocated.
    let block = snapshot.to_string();
    let e = w.cmd(&["epoch", "run"]).env("IODAO_EPOCHS__BUDGET", "1600").env("IODAO_STAKE__BLOCK", &block).output();
    let e = e.expect("epoch run");
    assert!(!e.status.success());
    assert!(
        String::from_utf8_lossy(&e.stderr).contains("chain.ioid_registry"),
        "{}",
        String::from_utf8_lossy(&e.stderr)
    );
    let shown = w.ok(&["epoch", "show", "1"]);
    assert!(shown.contains("state failed") && shown.contains("chain.ioid_registry"), "{shown}");
    assert!(w.ok(&["epoch", "list"]).contains("failed"), "listed as failed");

    let with_chain = |args: &[&str]| {
        let mut c = w.cmd(args);
        c.env("IODAO_EPOCHS__BUDGET", "1600")
            .env("IODAO_STAKE__BLOCK", &block)
            .env("IODAO_CHAIN__RPC_URL", anvil.endpoint())
            .env("IODAO_CHAIN__IOID_REGISTRY", registry.address().to_string());
        c
    };
    let run = with_chain(&["epoch", "run"]).output().expect("epoch run");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let show = w.ok(&["epoch", "show", "1"]);
    assert!(show.contains(&format!("excluded: not registered in the ioID registry at block {snapshot}")), "{show}");
    assert!(show.contains(&format!("owner {}", a(OWNER2))), "{show}");

    // 600 by 1:2 among devices 1 and 2; device 3 excluded.
    w.ok(&["epoch", "export", "1", "--out", "epoch-1.json"]);
    let bundle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.file("epoch-1.json")).unwrap()).unwrap();
    let devices = bundle["devices"][0]["devices"].as_array().unwrap();
    let parts: Vec<&str> = devices.iter().map(|d| d["amount"].as_str().unwrap()).collect();
    assert_eq!(parts, [iotx(200).to_string(), iotx(400).to_string(), "0".to_string()]);
    assert!(w.ok(&["epoch", "verify", "epoch-1.json"]).contains("epoch 1 verifies"));
    // A part moved between devices is caught.
    let tampered = std::fs::read_to_string(w.file("epoch-1.json")).unwrap().replacen(
        &iotx(200).to_string(),
        &(iotx(200) + U256::from(1u8)).to_string(),
        1,
    );
    std::fs::write(w.file("tampered.json"), tampered).unwrap();
    assert!(!w.run(&["epoch", "verify", "tampered.json"]).status.success());

    // Executed on-chain: the owners are paid, not the program's address.
    let d = Distributor::deploy(&p, anvil.addresses()[0], Address::ZERO, false).await.expect("deploy distributor");
    fund(&p, *d.address(), iotx(1600)).await;
    let key = executor_key(&anvil);
    let out = with_chain(&["epoch", "execute", "1"])
        .env("IODAO_CHAIN__DISTRIBUTOR", d.address().to_string())
        .env("IODAO_EXECUTOR_KEY", &key)
        .output()
        .expect("execute");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let balance = |who: &str| {
        let p = p.clone();
        let who = a(who);
        async move { p.get_balance(who).await.expect("balance") }
    };
    assert_eq!(balance(OWNER1).await, iotx(200));
    assert_eq!(balance(OWNER2).await, iotx(400));
    assert_eq!(balance(SWAP).await, iotx(1000));
    assert_eq!(balance(SOLAR).await, U256::ZERO);
    assert_eq!(balance(&d.address().to_string()).await, U256::ZERO);
}
