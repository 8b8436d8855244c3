use crate::helpers::Workdir;

use crate::payouts::{ALICE, BOB, SOLAR, two_recipients};

#[test]
fn votes_then_an_epoch_on_schedule_then_a_verified_export() {
    let w = two_recipients();
    let allocated = crate::payouts::epoch_on_schedule(&w);
    assert!(allocated.contains("spent 1600 IOTX"), "{allocated}");

    let show = w.ok(&["epoch", "show", "1"]);
    assert!(show.contains("solar") && show.contains("600"), "{show}");
    assert!(show.contains("swap") && show.contains("1000"), "{show}");
    let listed = w.ok(&["epoch", "list"]);
    assert_eq!(listed.lines().filter(|l| l.trim_start().starts_with('1')).count(), 1, "{listed}");

    w.ok(&["epoch", "export", "1", "--out", "epoch-1.json"]);
    let verified = w.ok(&["epoch", "verify", "epoch-1.json"]);
    assert!(verified.contains("epoch 1 verifies: 2 payouts, 1600 IOTX spent"), "{verified}");
    assert_tampering_is_caught(&w, "epoch-1.json");
}

/// Moves 1 wei from one payout of an exported bundle to the other: still as
/// much spent, but the bundle no longer matches its digest, nor
/// (re-digested) the votes.
pub fn assert_tampering_is_caught(w: &Workdir, bundle: &str) {
    let text = std::fs::read_to_string(w.file(bundle)).expect("bundle");
    let mut bundle: serde_json::Value = serde_json::from_str(&text).expect("json");
    let payouts = bundle["split"]["payouts"].as_array_mut().expect("payouts");
    payouts[0]["amount"] = "599999999999999999999".into();
    payouts[1]["amount"] = "1000000000000000000001".into();
    std::fs::write(w.file("tampered.json"), bundle.to_string()).expect("write");
    let e = w.fails(&["epoch", "verify", "tampered.json"]);
    assert!(e.contains("epoch 1 does NOT verify") && e.contains("digest"), "{e}");
}

#[test]
fn an_epoch_runs_once_per_slot_and_the_dry_run_stores_nothing() {
    let w = two_recipients();
    let plan = w.ok(&["epoch", "plan"]);
    assert!(plan.contains("(dry run: nothing stored)"), "{plan}");
    assert_eq!(w.ok(&["epoch", "list"]).lines().count(), 1, "only the header");

    let first = w.ok(&["epoch", "run"]);
    assert!(first.contains("epoch 1 allocated"), "{first}");
    let again = w.ok(&["epoch", "run"]);
    assert!(again.contains("epoch 1 already ran"), "{again}");
    assert!(w.fails(&["epoch", "show", "2"]).contains("there is no epoch 2"));
}

#[test]
fn a_bad_epoch_policy_is_refused_naming_the_key() {
    let w = two_recipients();
    std::fs::write(w.file("iodao.toml"), "[epochs]\nschedule = \"every monday\"\n").expect("toml");
    let e = w.fails(&["epoch", "plan"]);
    assert!(e.contains("epochs.schedule"), "{e}");
    std::fs::write(w.file("iodao.toml"), "[epochs.categories.dapp]\nmax = \"150%\"\n").expect("toml");
    let e = w.fails(&["epoch", "plan"]);
    assert!(e.contains("epochs.categories.dapp.max"), "{e}");
    std::fs::write(w.file("iodao.toml"), "[epochs.recipients.solar]\ngroup = \"acme\"\n").expect("toml");
    let e = w.fails(&["epoch", "plan"]);
    assert!(e.contains("no group `acme`"), "{e}");
}

#[test]
fn merkle_build_prints_the_root_and_writes_every_proof() {
    let w = Workdir::new();
    let csv = format!("address,amount\n{ALICE},1000\n{BOB},2500\n{SOLAR},1\n");
    std::fs::write(w.file("payouts.csv"), &csv).expect("csv");
    let out = w.ok(&["merkle", "build", "payouts.csv"]);
    let payouts = iodao_chain::merkle::parse_payouts(&csv).expect("parse");
    let tree = iodao_chain::merkle::PayoutTree::build(&payouts).expect("tree");
    assert!(out.contains(&format!("root {}", tree.root())), "{out}");
    assert!(out.contains("3 claims, 3501 wei in all"), "{out}");
    let claims: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.file("claims.json")).expect("claims")).expect("json");
    assert_eq!(claims["claims"].as_array().expect("claims").len(), 3);

    std::fs::write(w.file("bad.csv"), "address,amount\nnot-an-address,5\n").expect("csv");
    let e = w.fails(&["merkle", "build", "bad.csv"]);
    assert!(e.contains("line 2"), "{e}");
}
