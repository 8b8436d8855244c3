//! What the payout tests share: the two-recipient epoch (solar 600 IOTX and
//! swap 1 000 of a 1 600 budget) run through the CLI, and funding a
//! distributor on the node.

use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};

use crate::helpers::Workdir;

pub const ALICE: &str = "0xa1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
// In io1 form: both forms are accepted everywhere.
pub const BOB: &str = "io1ld53vz2u580kpwmee6fvu048fsmut56ep6dmat";
pub const SOLAR: &str = "0xc0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
pub const SWAP: &str = "0xd0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";

pub fn iotx(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u8))
}

/// Stakers alice (100) and bob (60); recipients solar (a device program)
/// and swap (a dapp); alice splits 60/40, bob gives swap everything.
pub fn two_recipients() -> Workdir {
    let w = Workdir::new();
    std::fs::write(w.file("stake.csv"), format!("address,amount\n{ALICE},100\n{BOB},60\n")).expect("stake.csv");
    w.ok(&["recipient", "add", "solar", "--category", "device-program", "--payout", SOLAR]);
    w.ok(&["recipient", "add", "swap", "--category", "dapp", "--payout", SWAP]);
    w.ok(&["allocate", ALICE, "solar=60 swap=40"]);
    w.ok(&["allocate", BOB, "swap=100"]);
    w
}

/// Runs the latest slot's epoch with a budget of 1 600 IOTX.
pub fn run_epoch(w: &Workdir) {
    let run = w.cmd(&["epoch", "run"]).env("IODAO_EPOCHS__BUDGET", "1600").output().expect("epoch run");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
}

/// Serves with a schedule of every second and a budget of 1 600 IOTX until
/// the scheduler has run epoch 1; returns the line it printed. The server
/// is killed then (a watchdog kills it after a minute, so a scheduler that
/// never runs fails the test instead of hanging it).
pub fn epoch_on_schedule(w: &Workdir) -> String {
    use std::io::{BufRead, BufReader};
    let mut child = w
        .cmd(&["serve"])
        .env("IODAO_WEB__BIND", "127.0.0.1:0")
        .env("IODAO_EPOCHS__SCHEDULE", "* * * * * *")
        .env("IODAO_EPOCHS__BUDGET", "1600")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("spawn iodao");
    let pid = child.id().to_string();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if finished.recv_timeout(std::time::Duration::from_secs(60)).is_err() {
            let _ = std::process::Command::new("kill").arg(&pid).status();
        }
    });
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let allocated = loop {
        let line = lines.next().expect("iodao exited before an epoch ran").expect("read stdout");
        if line.starts_with("epoch 1 allocated") {
            break line;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = done.send(());
    allocated
}

/// How a distributor pays an epoch.
#[derive(Clone, Copy)]
pub enum Mode {
    /// It sends each batch's payouts.
    Push,
    /// Recipients claim with Merkle proofs.
    Claim,
}

/// Deploys a native-IOTX distributor whose owner (the executor) is the
/// node's account 0; returns its address.
pub async fn native_distributor(p: &DynProvider, node: &alloy::node_bindings::AnvilInstance, mode: Mode) -> Address {
    let claims = matches!(mode, Mode::Claim);
    let d = iodao_chain::contracts::Distributor::deploy(p, node.addresses()[0], Address::ZERO, claims).await;
    *d.expect("deploy the distributor").address()
}

/// The two-recipient epoch run, and a native distributor holding its
/// 1 600 IOTX: the node's account 0 as a provider, the distributor, the
/// working directory.
pub async fn funded_epoch(node: &alloy::node_bindings::AnvilInstance, mode: Mode) -> (DynProvider, Address, Workdir) {
    let p = crate::node::wallet(node, 0);
    let d = native_distributor(&p, node, mode).await;
    let w = two_recipients();
    run_epoch(&w);
    fund(&p, d, iotx(1600)).await;
    (p, d, w)
}

/// Sends `amount` of native IOTX to `to`.
pub async fn fund(p: &DynProvider, to: Address, amount: U256) {
    let tx = alloy::rpc::types::TransactionRequest::default().to(to).value(amount);
    p.send_transaction(tx).await.expect("fund").get_receipt().await.expect("funded");
}

/// The node's account 0 key, as `IODAO_EXECUTOR_KEY` takes it.
pub fn executor_key(node: &alloy::node_bindings::AnvilInstance) -> String {
    alloy::primitives::hex::encode(node.keys()[0].to_bytes())
}
