//! Paying an epoch on a real node, with the executor really killed between
//! sending a batch and confirming it: the second run confirms that batch
//! from the chain, pays the rest, and every recipient is paid exactly once.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use iodao_chain::contracts::Distributor;

use crate::payouts::{
    Mode, SOLAR, SWAP, epoch_on_schedule, executor_key, fund, funded_epoch, iotx, native_distributor, run_epoch,
    two_recipients,
};

use crate::node;

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_between_send_and_confirm_resumes_to_exactly_once() {
    let anvil = node::anvil();
    // An epoch of 1 600 IOTX: solar 600, swap 1 000.
    let (p, d, w) = funded_epoch(&anvil, Mode::Push).await;

    let key = executor_key(&anvil);
    let execute = || {
        let mut c = w.cmd(&["epoch", "execute", "1"]);
        c.env("IODAO_CHAIN__RPC_URL", anvil.endpoint())
            .env("IODAO_CHAIN__DISTRIBUTOR", d.to_string())
            .env("IODAO_CHAIN__BATCH_SIZE", "1")
            .env("IODAO_EXECUTOR_KEY", &key);
        c
    };

    // Blocks stop being mined: the first batch is sent and stays pending,
    // and the executor is killed while it waits for it.
    let _: serde_json::Value = p.raw_request("evm_setAutomine".into(), (false,)).await.expect("automine off");
    let mut child = execute().stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let sent = lines.next().expect("a line").expect("read");
    assert!(sent.starts_with("batch 0 sent: 0x"), "{sent}");
    child.kill().expect("kill");
    child.wait().expect("reaped");

    // The pending transaction is mined; nothing else was sent.
    let _: serde_json::Value = p.raw_request("evm_setAutomine".into(), (true,)).await.expect("automine on");
    let _: serde_json::Value = p.raw_request("evm_mine".into(), ()).await.expect("mine");
    let solar: Address = SOLAR.parse().expect("addr");
    let swap: Address = SWAP.parse().expect("addr");
    assert_eq!(p.get_balance(solar).await.expect("balance") + p.get_balance(swap).await.expect("balance"), iotx(600));

    // The second run confirms batch 0 from the chain and pays batch 1.
    let out = execute().output().expect("resume");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("batch 0 confirmed in block"), "{text}");
    assert!(!text.contains("batch 0 sent"), "batch 0 must not be sent again:\n{text}");
    assert!(text.contains("batch 1 sent") && text.contains("batch 1 confirmed"), "{text}");

    assert_eq!(p.get_balance(solar).await.expect("balance"), iotx(600));
    assert_eq!(p.get_balance(swap).await.expect("balance"), iotx(1000));
    assert_eq!(p.get_balance(d).await.expect("balance"), U256::ZERO);

    // A third run pays nothing.
    let again = String::from_utf8(execute().output().expect("again").stdout).expect("utf-8");
    assert!(again.contains("batch 0 already confirmed") && again.contains("batch 1 already confirmed"), "{again}");
    assert_eq!(p.get_balance(d).await.expect("balance"), U256::ZERO);
    assert!(w.ok(&["epoch", "list"]).contains("executed"));

    // And anyone can still recompute what was paid from the published bundle.
    w.ok(&["epoch", "export", "1", "--out", "epoch-1.json"]);
    assert!(w.ok(&["epoch", "verify", "epoch-1.json"]).contains("epoch 1 verifies: 2 payouts, 1600 IOTX spent"));
}

/// The whole path in one run: allocation votes, the epoch run by the
/// scheduler at its slot, its payouts stored, paid on the node, and the
/// exported bundle verified by recomputation (and refused once tampered).
#[tokio::test(flavor = "multi_thread")]
async fn votes_then_a_scheduled_epoch_paid_on_chain_then_verified() {
    let anvil = node::anvil();
    let p = node::wallet(&anvil, 0);
    let d = native_distributor(&p, &anvil, Mode::Push).await;
    let w = two_recipients();
    let allocated = tokio::task::block_in_place(|| epoch_on_schedule(&w));
    assert!(allocated.contains("spent 1600 IOTX"), "{allocated}");
    let show = w.ok(&["epoch", "show", "1"]);
    assert!(show.contains("allocated") && show.contains("600") && show.contains("1000"), "{show}");

    fund(&p, d, iotx(1600)).await;
    let out = w
        .cmd(&["epoch", "execute", "1"])
        .env("IODAO_CHAIN__RPC_URL", anvil.endpoint())
        .env("IODAO_CHAIN__DISTRIBUTOR", d.to_string())
        .env("IODAO_EXECUTOR_KEY", executor_key(&anvil))
        .output()
        .expect("execute");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let solar: Address = SOLAR.parse().expect("addr");
    let swap: Address = SWAP.parse().expect("addr");
    assert_eq!(p.get_balance(solar).await.expect("balance"), iotx(600));
    assert_eq!(p.get_balance(swap).await.expect("balance"), iotx(1000));
    assert_eq!(p.get_balance(d).await.expect("balance"), U256::ZERO);
    assert!(w.ok(&["epoch", "list"]).contains("executed"));

    w.ok(&["epoch", "export", "1", "--out", "epoch-1.json"]);
    let verified = w.ok(&["epoch", "verify", "epoch-1.json"]);
    assert!(verified.contains("epoch 1 verifies: 2 payouts, 1600 IOTX spent"), "{verified}");
    crate::epoch::assert_tampering_is_caught(&w, "epoch-1.json");
}

alloy::sol!(
    #[sol(rpc)]
    MockERC20,
    "contracts/out/MockERC20.json"
);

#[tokio::test(flavor = "multi_thread")]
async fn an_epoch_is_paid_in_an_erc20_token_through_a_token_distributor_once() {
    let anvil = node::anvil();
    let p = node::wallet(&anvil, 0);
    let token = MockERC20::deploy(&p).await.expect("deploy token");
    let d = *Distributor::deploy(&p, anvil.addresses()[0], *token.address(), false).await.expect("deploy").address();
    // The distributor holds a little more than the epoch: the rest stays.
    token.mint(d, iotx(1601)).send().await.expect("mint").get_receipt().await.expect("minted");

    let w = two_recipients();
    run_epoch(&w);

    let key = executor_key(&anvil);
    let execute = || {
        let out = w
            .cmd(&["epoch", "execute", "1"])
            .env("IODAO_CHAIN__RPC_URL", anvil.endpoint())
            .env("IODAO_CHAIN__DISTRIBUTOR", d.to_string())
            .env("IODAO_CHAIN__BATCH_SIZE", "1")
            .env("IODAO_EXECUTOR_KEY", &key)
            .output()
            .expect("execute");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
        text
    };
    let first = execute();
    assert!(first.contains("batch 0 confirmed") && first.contains("batch 1 confirmed"), "{first}");
    let balance = |who: Address| {
        let token = token.clone();
        async move { token.balanceOf(who).call().await.expect("balance") }
    };
    let (solar, swap): (Address, Address) = (SOLAR.parse().expect("addr"), SWAP.parse().expect("addr"));
    assert_eq!(balance(solar).await, iotx(600));
    assert_eq!(balance(swap).await, iotx(1000));
    assert_eq!(balance(d).await, iotx(1));
    // No native IOTX moved.
    assert_eq!(p.get_balance(solar).await.expect("balance"), U256::ZERO);

    // A second run sends nothing and pays nothing twice.
    let again = execute();
    assert!(again.contains("batch 0 already confirmed") && again.contains("batch 1 already confirmed"), "{again}");
    assert!(!again.contains("sent"), "{again}");
    assert_eq!(balance(solar).await, iotx(600));
    assert_eq!(balance(d).await, iotx(1));
}
