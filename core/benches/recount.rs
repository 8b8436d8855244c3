//! Recounting a proposal's tally from 1 000 000 stored votes.
//!
//! Target (issue 2): under 1 s in release on the 2-core reference machine.
//! Setup builds the database once (votes written in large batches through
//! the store's own batch path), then criterion times `Store::recount`.

#![allow(missing_docs)]

use std::hint::black_box;

use alloy_primitives::U256;
use chrono::{Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use iodao_core::{
    Actor, Address, Amount, Body, Bps, Choices, NewProposal, Selection, Store, Title, Vote, VoteSource, VotingMethod,
    Window,
};

const VOTES: u32 = 1_000_000;
const BATCH: u32 = 50_000;

fn recount(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let (store, proposal) = rt.block_on(async {
        let store = Store::open(&url).await.expect("open");
        let now = Utc::now();
        let new = NewProposal {
            title: Title::parse("bench").expect("title"),
            body: Body::parse("bench").expect("body"),
            author: Address::from([1; 20]),
            choices: Choices::for_against_abstain(),
            method: VotingMethod::SingleChoice,
            window: Window::new(now - Duration::hours(1), now + Duration::days(1)).expect("window"),
            quorum: Amount::ZERO,
            threshold: Bps::new(5000).expect("bps"),
        };
        let p = store.insert_proposal(&new, &Actor::Cli, None, now).await.expect("insert");
        let p = store.transition(p.id, &Actor::System, now, |p, _| p.activate(1, now)).await.expect("activate");
        let started = std::time::Instant::now();
        for batch in 0..VOTES / BATCH {
            let votes: Vec<Vote> = (batch * BATCH..(batch + 1) * BATCH)
                .map(|i| {
                    let mut bytes = [0u8; 20];
                    bytes[..4].copy_from_slice(&i.to_be_bytes());
                    Vote {
                        proposal: p.id,
                        voter: Address::from(bytes),
                        selection: Selection::single(p.choices.choice(&(i % 3 + 1).to_string()).expect("choice")),
                        // Realistic stakes: 100 IOTX plus a per-voter number of wei.
                        power: Amount::from_wei(Amount::from_iotx(100).wei() + U256::from(i)),
                        source: VoteSource::Cli,
                        cast_at: now,
                        digest: None,
                        signed_at: None,
                    }
                })
                .collect();
            store.record_votes(&p, &votes).await.expect("record");
        }
        eprintln!("setup: stored {VOTES} votes in {:.1} s", started.elapsed().as_secs_f64());
        (store, p)
    });
    let live = rt.block_on(store.live_tally(&proposal)).expect("live");
    assert_eq!(rt.block_on(store.recount(&proposal)).expect("recount"), live);
    assert_eq!(live.voters(), u64::from(VOTES));

    let mut group = c.benchmark_group("tally");
    group.sample_size(10);
    group.bench_function("recount_1m_votes", |b| {
        b.to_async(&rt).iter(|| async { black_box(store.recount(&proposal).await.expect("recount")) });
    });
    group.bench_function("live_tally", |b| {
        b.to_async(&rt).iter(|| async { black_box(store.live_tally(&proposal).await.expect("live")) });
    });
    group.finish();
}

criterion_group!(benches, recount);
criterion_main!(benches);
