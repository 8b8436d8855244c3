//! Every parser of outside text in core, fed hostile text (multi-byte,
//! controls, bidi marks, up to 10 kB; at least 10 000 cases each): it
//! returns a value or a readable error and never panics; what it accepts
//! round-trips, and what it refuses changes nothing.

use std::path::Path;

use alloy_primitives::hex;
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use chrono::Duration;
use iodao_core::signed::types;
use iodao_core::{
    Actor, Address, Allocations, Amount, Body, Bps, Category, ChatAccount, ChoiceLabel, Choices, CsvStakeSource,
    LinkSettings, Links, Platform, ProposalId, ProposalState, Selection, Title, VoteSource, VotingMethod,
};
use iodao_testkit::hostile::{self, check, readable};
use proptest::prelude::*;

use crate::helpers::*;

const HEX: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const IO: &str = "io1t2htvpfl862vnwdqnuekd9p4ulh3h6hdf9mua7";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn wallet(seed: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&[seed; 32].into()).expect("key")
}

#[test]
fn addresses_parse_or_are_refused_and_what_parses_round_trips() {
    let seeds = [HEX, IO, "0x0000000000000000000000000000000000000000", "io1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqd39ym7"];
    check("address", hostile::text(&seeds), |s| {
        match Address::parse(&s) {
            Ok(a) => {
                prop_assert_eq!(Address::parse(&a.to_hex()), Ok(a));
                prop_assert_eq!(Address::parse(&a.to_io()), Ok(a));
            }
            Err(e) => readable(&e.to_string())?,
        }
        Ok(())
    });
}

#[test]
fn amounts_parse_exactly_or_are_refused() {
    let seeds =
        ["1.5", "0.000000000000000001", "1000000", "115792089237316195423570985008687907853269984665640564039457"];
    check("amount", hostile::text(&seeds), |s| {
        match Amount::parse_iotx(&s) {
            Ok(a) => {
                prop_assert_eq!(Amount::parse_iotx(&a.to_iotx_string()), Ok(a));
                prop_assert_eq!(Amount::parse_wei(&a.to_wei_string()), Ok(a));
            }
            Err(e) => readable(&e.to_string())?,
        }
        match Amount::parse_wei(&s) {
            Ok(a) => prop_assert_eq!(Amount::parse_wei(&a.to_wei_string()), Ok(a)),
            Err(e) => readable(&e.to_string())?,
        }
        Ok(())
    });
}

#[test]
fn ids_accounts_methods_states_categories_and_percentages_parse_or_are_refused() {
    let seeds = [
        "12",
        "#12",
        "9223372036854775807",
        "discord:80351110224678912",
        "telegram:42",
        "single-choice",
        "weighted",
        "quorum-not-met",
        "signed",
        "device-program",
        "depin-project",
        "66.67%",
        "5%",
    ];
    check("proposal id, chat account, method, state, source, category, percent", hostile::text(&seeds), |s| {
        match ProposalId::parse(&s) {
            Ok(id) => prop_assert_eq!(ProposalId::parse(&id.to_string()), Ok(id)),
            Err(e) => readable(&e.to_string())?,
        }
        match ChatAccount::parse(&s) {
            Ok(a) => prop_assert_eq!(ChatAccount::parse(&a.to_string()), Ok(a)),
            Err(e) => readable(&e.to_string())?,
        }
        if let Some(m) = VotingMethod::parse(&s) {
            prop_assert_eq!(m.as_str(), s.as_str());
        }
        if let Some(st) = ProposalState::parse(&s) {
            prop_assert_eq!(ProposalState::parse(st.as_str()), Some(st));
        }
        if let Some(v) = VoteSource::parse(&s) {
            prop_assert_eq!(VoteSource::parse(v.as_str()), Some(v));
        }
        if let Some(c) = Category::parse(&s) {
            prop_assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        match Bps::parse_percent(&s) {
            Ok(b) => prop_assert!(b.get() <= Bps::MAX),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        match iodao_core::epochs::parse_limit(&s) {
            Ok(_) => {}
            Err(e) => prop_assert!(!e.is_empty()),
        }
        Ok(())
    });
}

#[test]
fn proposal_text_is_cleaned_and_bounded_or_refused() {
    let seeds = ["Fund the solar meters", "Line one\nline two", "For"];
    check("proposal title, body, choice label", hostile::text(&seeds), |s| {
        match Title::parse(&s) {
            Ok(t) => {
                prop_assert!(t.as_str().chars().count() <= Title::MAX_CHARS);
                prop_assert!(!t.as_str().chars().any(char::is_control));
                prop_assert_eq!(Title::parse(t.as_str()), Ok(t.clone()));
            }
            Err(e) => readable(&e.to_string())?,
        }
        match Body::parse(&s) {
            Ok(b) => {
                prop_assert!(b.as_str().chars().count() <= Body::MAX_CHARS);
                prop_assert!(!b.as_str().chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
            }
            Err(e) => readable(&e.to_string())?,
        }
        match ChoiceLabel::parse(&s) {
            Ok(l) => prop_assert!(l.as_str().chars().count() <= ChoiceLabel::MAX_CHARS),
            Err(e) => readable(&e.to_string())?,
        }
        Ok(())
    });
}

#[test]
fn choice_lists_are_two_to_twenty_distinct_labels_or_refused() {
    let labels = prop::collection::vec(hostile::text(&["For", "Against", "Abstain", "solar"]), 0..24);
    check("choices", labels, |labels| {
        match Choices::parse(&labels) {
            Ok(c) => prop_assert!((Choices::MIN..=Choices::MAX).contains(&c.len())),
            Err(e) => readable(&e.to_string())?,
        }
        Ok(())
    });
}

#[test]
fn selections_parse_for_every_method_or_are_refused() {
    let sets = [
        Choices::for_against_abstain(),
        Choices::parse(["alpha", "beta", "gamma", "delta", "epsilon"]).expect("five labels"),
    ];
    let seeds = ["2", "For", "1,3", "1=60 2=40", "alpha=50 beta=50", "3=100", "1=33.33"];
    check("selection", hostile::words(&seeds), |s| {
        for choices in &sets {
            if let Err(e) = choices.choice(&s) {
                readable(&e.to_string())?;
            }
            for method in VotingMethod::ALL {
                match Selection::parse(&s, choices, method) {
                    Ok(sel) => {
                        prop_assert_eq!(Selection::from_stored(&sel.to_stored(), choices), Some(sel.clone()));
                        let total: u32 = sel.entries().iter().map(|(_, bps)| u32::from(*bps)).sum();
                        prop_assert!(total <= u32::from(Bps::MAX) || method == VotingMethod::Approval);
                    }
                    Err(e) => readable(&e.to_string())?,
                }
            }
            // What the store holds is read back with the same care.
            let _ = Selection::from_stored(&s, choices);
        }
        Ok(())
    });
}

#[test]
fn allocation_splits_are_stored_as_given_or_refused_changing_nothing() {
    let rt = runtime();
    let (g, a) = rt.block_on(async {
        let g = TestGov::in_memory_fs([(alice(), Amount::from_iotx(100))]).await;
        let a = Allocations::new(
            g.gov.store().clone(),
            std::sync::Arc::new(CsvStakeSource::from_entries([(alice(), Amount::from_iotx(100))])),
        );
        for (name, category) in [("solar-farms", Category::DeviceProgram), ("swap-dapp", Category::Dapp)] {
            a.add_recipient(name, category, carol(), &Actor::Cli, t(0)).await.expect("recipient");
        }
        a.set(alice(), "solar-farms=60 swap-dapp=40", t(1)).await.expect("first split");
        (g, a)
    });
    let seeds = ["solar-farms=60", "swap-dapp=40", "1=25", "2=75.5", "none", "3=10"];
    check("allocation split", hostile::words(&seeds), |s| {
        rt.block_on(async {
            let before = a.of(alice()).await.expect("read");
            match a.set(alice(), &s, t(2)).await {
                Ok(split) => {
                    prop_assert_eq!(a.of(alice()).await.expect("read"), split.clone());
                    let total: u32 = split.entries().iter().map(|(_, bps)| u32::from(*bps)).sum();
                    prop_assert!(total <= u32::from(Bps::MAX));
                    // Put the standing split back for the next case.
                    a.set(alice(), "solar-farms=60 swap-dapp=40", t(3)).await.expect("restore");
                }
                Err(e) => {
                    readable(&e.to_string())?;
                    prop_assert_eq!(a.of(alice()).await.expect("read"), before);
                }
            }
            Ok(())
        })
    });
    drop(g);
}

#[test]
fn siwe_messages_and_signatures_verify_or_are_refused_linking_nothing() {
    let rt = runtime();
    let signer = wallet(7);
    let address = Address::from(signer.address());
    let account = ChatAccount::new(Platform::Discord, 1);
    let (g, links, message) = rt.block_on(async {
        let g = TestGov::new().await;
        let links = Links::new(
            g.gov.store().clone(),
            LinkSettings {
                domain: "dao.example.org".into(),
                base_url: "https://dao.example.org".into(),
                chain_id: 4689,
                ttl: Duration::minutes(10),
            },
        );
        let c = links.challenge(&account, address, t(0)).await.expect("challenge");
        (g, links, c.message)
    });
    let good = hex::encode_prefixed(signer.sign_message_sync(message.as_bytes()).expect("sign").as_bytes());
    let messages =
        hostile::text(&[message.as_str(), "dao.example.org wants you to sign in", "Nonce: ", "Chain ID: 4689"]);
    let signatures = hostile::text(&[good.as_str(), "0x", "0xab"]);
    check("SIWE message and signature", (messages, signatures), |(m, sig)| {
        rt.block_on(async {
            // Only the untouched message with its own signature may link.
            match links.verify(&m, &sig, t(1)).await {
                Ok(_) => prop_assert!(m == message && sig.trim() == good, "linked by {:?} / {:?}", m, sig),
                Err(e) => readable(&e.to_string())?,
            }
            if let Err(e) = links.verify_latest(&account, &sig, t(1)).await {
                readable(&e.to_string())?;
            }
            // Put the challenge back if a case used it.
            if links.address_of(&account).await.expect("read").is_some() {
                links.unlink(&account, t(1)).await.expect("unlink");
                links.challenge(&account, address, t(0)).await.expect("challenge");
            }
            Ok(())
        })
    });
    drop(g);
}

struct SignedSetup {
    rt: tokio::runtime::Runtime,
    signer: PrivateKeySigner,
    voter: Address,
    g: TestGov,
    proposal: iodao_core::Proposal,
    domain: alloy_sol_types::Eip712Domain,
}

impl SignedSetup {
    fn new() -> Self {
        let rt = runtime();
        let signer = wallet(11);
        let voter = Address::from(signer.address());
        let (g, proposal) = rt.block_on(async {
            let g = TestGov::in_memory_fs([(voter, Amount::from_iotx(500))]).await;
            // Open now, as signed messages are checked against the clock.
            let now = chrono::Utc::now();
            let open = new_proposal(now - Duration::minutes(1), now + Duration::days(1));
            let p = g.gov.create_proposal(open, &Actor::Cli, now - Duration::minutes(2)).await.expect("proposal");
            (g, p)
        });
        let domain = g.gov.eip712_domain().clone();
        Self { rt, signer, voter, g, proposal, domain }
    }

    fn sign(&self, message: &impl alloy_sol_types::SolStruct) -> String {
        let hash = message.eip712_signing_hash(&self.domain);
        hex::encode_prefixed(self.signer.sign_hash_sync(&hash).expect("sign").as_bytes())
    }

    fn now() -> (chrono::DateTime<chrono::Utc>, u64) {
        let now = chrono::Utc::now();
        (now, u64::try_from(now.timestamp()).expect("after 1970"))
    }
}

#[test]
fn signed_votes_with_a_hostile_choice_or_signature_count_or_are_refused() {
    let s = SignedSetup::new();
    let fields = (hostile::words(&["For", "2", "1,3", "Against"]), hostile::text(&["0x", "0x1b", "0x00"]));
    check("signed vote", fields, |(choice, junk_signature)| {
        s.rt.block_on(async {
            let (now, timestamp) = SignedSetup::now();
            let vote = types::Vote {
                voter: s.voter.as_evm(),
                proposal: u64::try_from(s.proposal.id.get()).expect("positive"),
                choice,
                timestamp,
            };
            match s.g.gov.cast_signed_vote(vote.clone(), &s.sign(&vote), now).await {
                Ok(cast) => prop_assert_eq!(cast.vote.power, Amount::from_iotx(500)),
                Err(e) => readable(&e.to_string())?,
            }
            let refused = s.g.gov.cast_signed_vote(vote, &junk_signature, now).await;
            prop_assert!(refused.is_err(), "a vote counted with the signature {:?}", junk_signature);
            readable(&refused.err().map(|e| e.to_string()).unwrap_or_default())?;
            Ok(())
        })
    });
}

#[test]
fn signed_proposals_with_hostile_fields_are_created_clean_or_refused() {
    let s = SignedSetup::new();
    let fields = (hostile::text(&["Title", "single-choice"]), hostile::text(&["Body", "approval"]));
    check("signed proposal", fields, |(a, b)| {
        s.rt.block_on(async {
            let (now, timestamp) = SignedSetup::now();
            let new = types::Proposal {
                author: s.voter.as_evm(),
                title: a.clone(),
                body: b.clone(),
                choices: vec![a.clone(), b.clone()],
                method: if a.len() % 2 == 0 { a } else { b },
                timestamp,
            };
            match s.g.gov.create_signed_proposal(new.clone(), &s.sign(&new), now).await {
                Ok(p) => {
                    prop_assert!(p.title.as_str().chars().count() <= Title::MAX_CHARS);
                    prop_assert!(p.choices.len() == 2);
                }
                Err(e) => readable(&e.to_string())?,
            }
            Ok(())
        })
    });
}

#[test]
fn stake_csv_and_payout_lines_parse_or_name_the_bad_line() {
    let seeds = [
        "address,amount\n",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed,100\n",
        "io1t2htvpfl862vnwdqnuekd9p4ulh3h6hdf9mua7,1.5\n",
        "# comment\n",
        "\"",
        ",",
        "\n",
    ];
    check("stake CSV, payout lines", hostile::text(&seeds), |s| {
        match CsvStakeSource::from_reader(s.as_bytes(), Path::new("stake.csv")) {
            Ok(src) => {
                for (_, amount) in src.stakers() {
                    prop_assert_eq!(Amount::parse_wei(&amount.to_wei_string()), Ok(amount));
                }
            }
            Err(e) => readable(&e.to_string())?,
        }
        match iodao_core::merkle::parse_payouts(&s) {
            Ok(lines) => prop_assert!(lines.len() <= s.lines().count()),
            Err(e) => readable(&e.to_string())?,
        }
        Ok(())
    });
}
