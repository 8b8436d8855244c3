//! Ingesting signed votes: EIP-712 verify + durable store, against the raw
//! rate of signature recovery alone (the physical limit of this path).
//!
//! Target (issue 3): at least 5 000 signed votes/s durably stored on the
//! 2-core reference machine, and at least half the raw recovery rate.
//! Prints its figures; `cargo bench -p iodao-core --bench ingest`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use alloy_primitives::{B256, Signature, keccak256};
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct as _;
use chrono::{Duration, Utc};
use iodao_core::signed::{self, types};
use iodao_core::{
    Actor, Address, Amount, Body, Bps, Choices, CsvStakeSource, Governance, NewProposal, Selection, Store, Title, Vote,
    VoteSource, VotingMethod, Window,
};

const VOTES: usize = 20_000;
const IN_FLIGHT: usize = 2_048;

/// A single-choice proposal open for a day, created now.
async fn open_proposal(gov: &Governance, author: Address, title: &str) -> iodao_core::Proposal {
    let now = Utc::now();
    gov.create_proposal(
        NewProposal {
            title: Title::parse(title).expect("title"),
            body: Body::parse("bench").expect("body"),
            author,
            choices: Choices::for_against_abstain(),
            method: VotingMethod::SingleChoice,
            window: Window::new(now - Duration::hours(1), now + Duration::days(1)).expect("window"),
            quorum: Amount::ZERO,
            threshold: Bps::new(5000).expect("bps"),
        },
        &Actor::Cli,
        now,
    )
    .await
    .expect("proposal")
}

fn main() {
    let (signers, addresses): (Vec<PrivateKeySigner>, Vec<Address>) = (0..VOTES)
        .map(|i| {
            let key = keccak256(format!("iodao bench voter {i}"));
            let signer = PrivateKeySigner::from_bytes(&key).expect("key");
            let address = Address::from(signer.address());
            (signer, address)
        })
        .unzip();

    // 1. Raw recovery, one thread, on signatures over distinct hashes.
    let sample: Vec<(Signature, B256)> = signers
        .iter()
        .take(5_000)
        .enumerate()
        .map(|(i, s)| {
            let h = keccak256(i.to_be_bytes());
            (s.sign_hash_sync(&h).expect("sign"), h)
        })
        .collect();
    let started = Instant::now();
    for (sig, h) in &sample {
        std::hint::black_box(signed::recover(sig, h).expect("recover"));
    }
    let secp_rate = sample.len() as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    for (sig, h) in &sample {
        std::hint::black_box(sig.recover_address_from_prehash(h).expect("recover"));
    }
    let k256_rate = sample.len() as f64 / started.elapsed().as_secs_f64();

    // 2. Ingest: every vote verified and committed before it is acknowledged.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("ingest.db").display());
    let (rate, store_rate, verify_rate, voters) = rt.block_on(async {
        let store = Store::open(&url).await.expect("open");
        let stake = CsvStakeSource::from_entries(addresses.iter().map(|a| (*a, Amount::from_iotx(100))));
        let gov = Governance::new(store, Arc::new(stake));
        let now = Utc::now();
        let p = open_proposal(&gov, addresses[0], "bench").await;
        let timestamp = u64::try_from(now.timestamp()).expect("time");
        let domain = gov.eip712_domain().clone();
        let signed: Vec<(types::Vote, String)> = signers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let msg = types::Vote {
                    voter: s.address(),
                    proposal: u64::try_from(p.id.get()).expect("id"),
                    choice: ["For", "Against", "Abstain"][i % 3].into(),
                    timestamp,
                };
                let sig = s.sign_hash_sync(&msg.eip712_signing_hash(&domain)).expect("sign");
                (msg, alloy_primitives::hex::encode_prefixed(sig.as_bytes()))
            })
            .collect();
        // Verification alone, as concurrent tasks on the same runtime.
        let started = Instant::now();
        let checks: Vec<_> = signed
            .iter()
            .cloned()
            .map(|(msg, sig)| {
                let domain = domain.clone();
                tokio::spawn(async move {
                    let voter = Address::from(msg.voter);
                    let ts = msg.timestamp;
                    signed::verify(msg, voter, ts, &sig, &domain, Utc::now()).map(|v| v.signer)
                })
            })
            .collect();
        for c in checks {
            c.await.expect("task").expect("valid");
        }
        let verify_rate = VOTES as f64 / started.elapsed().as_secs_f64();

        // Every vote is submitted at once, as concurrent requests would be;
        // at most IN_FLIGHT are being verified or waiting for their commit.
        let limit = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        let started = Instant::now();
        let tasks: Vec<_> = signed
            .into_iter()
            .map(|(msg, sig)| {
                let gov = gov.clone();
                let limit = limit.clone();
                tokio::spawn(async move {
                    let _permit = limit.acquire_owned().await.expect("semaphore");
                    gov.cast_signed_vote(msg, &sig, Utc::now()).await
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task").expect("vote accepted");
        }
        let rate = VOTES as f64 / started.elapsed().as_secs_f64();
        let (_, tally) = gov.tally(p.id).await.expect("tally");
        assert_eq!(gov.recount(p.id).await.expect("recount").1, tally);
        gov.verify_audit().await.expect("audit chain");

        // 3. The store's share alone: the same number of votes, already
        //    verified, committed in batches of 1 000 on a second proposal.
        let q = open_proposal(&gov, addresses[0], "bench 2").await;
        let votes: Vec<Vote> = addresses
            .iter()
            .enumerate()
            .map(|(i, a)| Vote {
                proposal: q.id,
                voter: *a,
                selection: Selection::single(q.choices.choice(&(i % 3 + 1).to_string()).expect("choice")),
                power: Amount::from_iotx(100),
                source: VoteSource::Signed,
                cast_at: Utc::now(),
                digest: Some(keccak256(format!("digest {i}"))),
                signed_at: Some(Utc::now()),
            })
            .collect();
        let started = Instant::now();
        for chunk in votes.chunks(1_000) {
            gov.store().record_votes(&q, chunk).await.expect("store");
        }
        let store_rate = VOTES as f64 / started.elapsed().as_secs_f64();
        (rate, store_rate, verify_rate, tally.voters())
    });
    assert_eq!(voters, VOTES as u64, "every acknowledged vote is stored");

    println!("raw signature recovery, 1 thread, libsecp256k1: {secp_rate:>8.0} /s");
    println!("raw signature recovery, 1 thread, k256 (alloy):  {k256_rate:>8.0} /s");
    println!("verify only (EIP-712 + recovery, 2 workers):     {verify_rate:>8.0} /s");
    println!("store only (verified votes, batches of 1 000):    {store_rate:>8.0} /s");
    println!(
        "signed votes verified and durably stored:        {rate:>8.0} /s  ({VOTES} votes, {:.0}% of raw libsecp256k1 recovery)",
        100.0 * rate / secp_rate
    );
}
