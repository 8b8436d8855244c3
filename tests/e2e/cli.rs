use serde_json::Value;

use crate::helpers::Workdir;

const ALICE: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const BOB: &str = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";

fn with_stakers() -> Workdir {
    let w = Workdir::new();
    std::fs::write(w.file("stake.csv"), format!("address,amount\n{ALICE},700\n{BOB},300.5\n"))
        .expect("write stake.csv");
    w
}

#[test]
fn demo_seeds_every_state_and_list_and_tally_show_it() {
    let w = Workdir::new();
    let out = w.ok(&["demo", "--no-serve"]);
    assert!(out.contains("demo data created"), "{out}");
    assert!(w.file("iodao.db").exists() && w.file("stake.csv").exists());

    let list = w.json(&["proposal", "list", "--json"]);
    let states: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["state"]["state"].as_str().unwrap()).collect();
    for s in ["passed", "quorum-not-met", "active", "pending", "cancelled"] {
        let closed_as =
            |p: &&Value| p["state"]["outcome"].as_str() == Some(s) || p["state"]["state"].as_str() == Some(s);
        assert!(list.as_array().unwrap().iter().any(|p| closed_as(&p)), "no {s} proposal in {states:?}");
    }

    let text = w.ok(&["proposal", "list"]);
    assert!(text.contains("Fund ioID onboarding for 10 000 new devices"), "{text}");

    // The passed proposal (#1): 420k + 260k For vs 180k Against, 95k Abstain.
    let tally = w.json(&["tally", "1", "--json"]);
    assert_eq!(tally["outcome"], "passed");
    assert_eq!(tally["voters"], 4);
    assert_eq!(tally["choices"][0]["power"], "680000000000000000000000");
    assert_eq!(tally["choices"][1]["power"], "180000000000000000000000");
    assert_eq!(tally["choices"][2]["power"], "95000000000000000000000");
    let recount = w.json(&["tally", "1", "--recount", "--json"]);
    assert_eq!(recount, tally, "the recount agrees with the live tally");
    let text = w.ok(&["tally", "#1"]);
    assert!(text.contains("680000 IOTX"), "{text}");

    // Every change the demo made is in the audit log, and the chain holds.
    let verify = w.ok(&["audit", "verify"]);
    assert!(verify.starts_with("audit log intact: "), "{verify}");
    let log = w.json(&["audit", "log", "--json", "--limit", "1000"]);
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "proposal.created").count(), 6);
    assert_eq!(actions.iter().filter(|a| **a == "vote.cast").count(), 15);
    assert!(verify.contains(&format!("{} entries", actions.len())), "{verify}");

    // Running the demo again does not duplicate anything.
    let again = w.ok(&["demo", "--no-serve"]);
    assert!(again.contains("not added again"), "{again}");
    assert_eq!(w.json(&["proposal", "list", "--json"]).as_array().unwrap().len(), list.as_array().unwrap().len());
}

#[test]
fn create_vote_revote_and_tally_through_the_cli() {
    let w = with_stakers();
    let p = w.json(&[
        "proposal",
        "create",
        "--title",
        "Fund devices",
        "--body",
        "Why: *reasons*",
        "--author",
        ALICE,
        "--period",
        "1h",
        "--quorum",
        "500",
        "--json",
    ]);
    assert_eq!(p["state"]["state"], "active");
    assert_eq!(p["id"], 1);

    let out = w.ok(&["vote", "1", "for", "--voter", ALICE]);
    assert!(out.contains("votes For on proposal #1 with 700 IOTX"), "{out}");
    let bob_io = "io1ld53vz2u580kpwmee6fvu048fsmut56ep6dmat";
    w.ok(&["vote", "1", "2", "--voter", bob_io]);
    let out = w.ok(&["vote", "1", "abstain", "--voter", ALICE]);
    assert!(out.contains("now votes Abstain on proposal #1 with 700 IOTX, replacing For"), "{out}");

    let t = w.json(&["tally", "1", "--json"]);
    assert_eq!(t["choices"][0]["power"], "0");
    assert_eq!(t["choices"][1]["power"], "300500000000000000000");
    assert_eq!(t["choices"][2]["power"], "700000000000000000000");
    assert_eq!(t["quorum_met"], true);
    assert_eq!(t["outcome"], "rejected");

    let q = w.json(&[
        "proposal", "create", "--title", "Split", "--body", "B", "--author", ALICE, "--method", "weighted", "--choice",
        "A", "--choice", "B", "--json",
    ]);
    assert_eq!(q["method"], "weighted");
    let out = w.ok(&["vote", "2", "1=75 2=25", "--voter", ALICE]);
    assert!(out.contains("votes A 75%, B 25% on proposal #2 with 700 IOTX"), "{out}");
    let e = w.fails(&["vote", "2", "1=75 2=26", "--voter", ALICE]);
    assert!(e.contains("the weights add up to 101.00%, more than 100%"), "{e}");
    let e = w.fails(&["proposal", "create", "--title", "T", "--body", "B", "--author", ALICE, "--method", "ranked"]);
    assert!(e.contains("`ranked` is not a method"), "{e}");
    let t = w.json(&["tally", "2", "--json"]);
    assert_eq!(t["choices"][0]["power"], "525000000000000000000");
    assert_eq!(t["choices"][1]["power"], "175000000000000000000");

    let show = w.ok(&["proposal", "show", "1"]);
    assert!(show.contains("Why: *reasons*") && show.contains("Against"), "{show}");
}

#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let w = with_stakers();
    w.ok(&["proposal", "create", "--title", "T", "--body", "B", "--author", ALICE, "--json"]);
    let e = w.fails(&["vote", "1", "maybe", "--voter", ALICE]);
    assert!(e.contains("`maybe` is not a choice: pick one of For, Against, Abstain"), "{e}");
    let e = w.fails(&["vote", "1", "for", "--voter", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"]);
    assert!(e.contains("wrong EIP-55 checksum"), "{e}");
    // A multi-byte character where `io1` would be once panicked the CLI (exit 101).
    let e = w.fails(&["vote", "1", "for", "--voter", "ioé1abc"]);
    assert!(e.contains("`ioé1abc` is not an address"), "{e}");
    let e = w.fails(&["vote", "7", "for", "--voter", ALICE]);
    assert!(e.contains("proposal #7 does not exist"), "{e}");
    let e = w.fails(&["vote", "1", "for", "--voter", "0x0000000000000000000000000000000000000001"]);
    assert!(e.contains("had no voting power at block 0"), "{e}");
    let e = w.fails(&["tally", "abc"]);
    assert!(e.contains("`abc` is not a proposal id"), "{e}");
    let long = "x".repeat(201);
    let e = w.fails(&["proposal", "create", "--title", &long, "--body", "B", "--author", ALICE]);
    assert!(e.contains("the title is 201 characters long; the limit is 200"), "{e}");
    let e = w.fails(&["proposal", "create", "--title", "T", "--body", "B", "--author", ALICE, "--choice", "only"]);
    assert!(e.contains("2 to 20 choices"), "{e}");
    let e = w.fails(&["proposal", "list", "--state", "open"]);
    assert!(e.contains("`open` is not a state"), "{e}");

    assert_eq!(w.json(&["tally", "1", "--json"])["voters"], 0);
    assert_eq!(w.json(&["proposal", "list", "--json"]).as_array().unwrap().len(), 1);
}

#[test]
fn a_pending_proposal_refuses_votes_and_can_be_cancelled() {
    let w = with_stakers();
    w.ok(&["proposal", "create", "--title", "Later", "--body", "B", "--author", ALICE, "--delay", "1day"]);
    let e = w.fails(&["vote", "1", "for", "--voter", ALICE]);
    assert!(e.contains("voting on proposal #1 opens at"), "{e}");
    assert!(w.ok(&["proposal", "cancel", "1"]).contains("proposal #1 is cancelled"));
    let e = w.fails(&["proposal", "cancel", "1"]);
    assert!(e.contains("proposal #1 is cancelled; it cannot be cancelled"), "{e}");
}

#[test]
fn a_bad_config_value_fails_at_start_naming_the_key() {
    let w = Workdir::new();
    std::fs::write(w.file("iodao.toml"), "[governance]\nthreshold = \"abc\"\n").unwrap();
    let e = w.fails(&["migrate"]);
    assert!(e.contains("config key `governance.threshold`"), "{e}");
    let e = w
        .cmd(&["migrate"])
        .env("IODAO_GOVERNANCE__THRESHOLD", "50")
        .env("IODAO_WEB__BIND", "nowhere")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&e.stderr).contains("config key `web.bind`"));
    // Environment values are read as exact text: 19 decimals are refused, not rounded.
    let e = w
        .cmd(&["migrate"])
        .env("IODAO_GOVERNANCE__THRESHOLD", "50")
        .env("IODAO_GOVERNANCE__QUORUM", "0.1000000000000000001")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&e.stderr)
            .contains("config key `governance.quorum`: `0.1000000000000000001` has more than 18 decimals")
    );
    let e = w.fails(&["--config", "missing.toml", "migrate"]);
    assert!(e.contains("missing.toml does not exist"), "{e}");
}

#[test]
fn a_bad_stake_file_names_the_line() {
    let w = Workdir::new();
    std::fs::write(w.file("stake.csv"), format!("address,amount\n{ALICE},1\n{BOB},lots\n")).unwrap();
    let e = w.fails(&["proposal", "list"]);
    assert!(e.contains("stake file stake.csv, line 3"), "{e}");
}

#[test]
fn every_command_has_help() {
    let w = Workdir::new();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["demo", "--help"],
        vec!["proposal", "--help"],
        vec!["proposal", "create", "--help"],
        vec!["proposal", "list", "--help"],
        vec!["proposal", "show", "--help"],
        vec!["proposal", "cancel", "--help"],
        vec!["vote", "--help"],
        vec!["tally", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["audit", "log", "--help"],
    ] {
        let out = w.ok(&args);
        assert!(out.contains("Usage: iodao"), "{args:?}: {out}");
    }
}

#[test]
fn json_logs_are_one_json_object_per_line() {
    let w = Workdir::new();
    let out = w.cmd(&["--json-logs", "proposal", "list"]).env("RUST_LOG", "info").output().expect("run");
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "an info line is expected (no stake CSV)");
    for line in lines {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string() && v["fields"].is_object(), "{line}");
    }
}
