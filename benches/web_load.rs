//! Portal load: requests/s and p99 latency of `/proposals` and
//! `/proposals/{id}` served by the release `iodao serve`, with 1 000
//! proposals and 100 000 votes in its SQLite database, measured by wrk on
//! the same 2 cores (the load generator shares them).
//!
//! Target (issue 6): at least 15 000 requests/s with p99 under 10 ms.
//! Run with `scripts/bench-web.sh` (installs wrk, then `cargo bench --bench
//! web_load`); it prints its figures.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, Utc};
use iodao_core::{
    Actor, Address, Amount, Body, Bps, Choices, CsvStakeSource, Governance, NewProposal, Selection, Store, Title, Vote,
    VoteSource, VotingMethod, Window,
};

const PROPOSALS: usize = 1_000;
const VOTES_PER_PROPOSAL: usize = 100;
const STAKERS: usize = 1_000;

fn staker(i: usize) -> Address {
    let mut b = [0u8; 20];
    b[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    b[19] = 0x77;
    Address::from(b)
}

async fn seed(dir: &std::path::Path) -> i64 {
    let csv = dir.join("stake.csv");
    let mut f = std::fs::File::create(&csv).expect("stake.csv");
    writeln!(f, "address,amount").expect("write");
    for i in 0..STAKERS {
        writeln!(f, "{},{}", staker(i).to_hex(), 1_000 + i).expect("write");
    }
    drop(f);
    let stake = Arc::new(CsvStakeSource::load(&csv).expect("load csv"));
    let store = Store::open(&format!("sqlite://{}", dir.join("iodao.db").display())).await.expect("store");
    let gov = Governance::new(store.clone(), stake);
    let now = Utc::now();
    let mut last = 0;
    for n in 0..PROPOSALS {
        let p = gov
            .create_proposal(
                NewProposal {
                    title: Title::parse(&format!("Proposal {n}: fund the device program of region {}", n % 37))
                        .expect("title"),
                    body: Body::parse("## Why\n\nMore **devices** onboarded.\n\n- 5 IOTX per device\n- capped at 20%")
                        .expect("body"),
                    author: staker(n % STAKERS),
                    choices: Choices::for_against_abstain(),
                    method: VotingMethod::SingleChoice,
                    window: Window::new(now - Duration::hours(1), now + Duration::days(7)).expect("window"),
                    quorum: Amount::from_iotx(50_000),
                    threshold: Bps::new(5000).expect("bps"),
                },
                &Actor::Cli,
                now,
            )
            .await
            .expect("proposal");
        let votes: Vec<Vote> = (0..VOTES_PER_PROPOSAL)
            .map(|k| {
                let who = (n * 7 + k) % STAKERS;
                Vote {
                    proposal: p.id,
                    voter: staker(who),
                    selection: Selection::parse(&((k % 3) + 1).to_string(), &p.choices, p.method).expect("choice"),
                    power: Amount::from_iotx(1_000 + who as u64),
                    source: VoteSource::Cli,
                    cast_at: now,
                    digest: None,
                    signed_at: None,
                }
            })
            .collect();
        store.record_votes(&p, &votes).await.expect("votes");
        last = p.id.get();
    }
    store.close().await;
    last
}

struct Run {
    rps: f64,
    p99_ms: f64,
}

fn wrk(url: &str, threads: u32, connections: u32, seconds: u32) -> Run {
    let out = Command::new("wrk")
        .args([
            format!("-t{threads}"),
            format!("-c{connections}"),
            format!("-d{seconds}s"),
            "--latency".into(),
            url.into(),
        ])
        .output()
        .expect("run wrk (scripts/bench-web.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Non-2xx"), "errors under load:\n{text}");
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in:\n{text}"));
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| parse_latency(v.trim()))
        .unwrap_or_else(|| panic!("no 99% latency in:\n{text}"));
    Run { rps, p99_ms: p99 }
}

fn parse_latency(v: &str) -> f64 {
    let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len()));
    let n: f64 = num.parse().expect("a latency");
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        other => panic!("unit {other}"),
    }
}

fn main() {
    // The binary built with this bench, in the same profile and features.
    let bin = env!("CARGO_BIN_EXE_iodao");
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let started = Instant::now();
    let busiest = rt.block_on(seed(dir.path()));
    println!(
        "seeded {PROPOSALS} proposals and {} votes in {:.1} s",
        PROPOSALS * VOTES_PER_PROPOSAL,
        started.elapsed().as_secs_f64()
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let mut server = Command::new(bin)
        .arg("serve")
        .current_dir(dir.path())
        .env("IODAO_WEB__BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start iodao serve");
    let mut stdout = BufReader::new(server.stdout.take().expect("stdout"));
    let mut line = String::new();
    while !line.starts_with("listening on") {
        line.clear();
        assert!(stdout.read_line(&mut line).expect("read") > 0, "the server stopped before listening");
    }

    let threads: u32 = std::env::var("WRK_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let connections: u32 = std::env::var("WRK_CONNECTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(32);
    let seconds: u32 = std::env::var("WRK_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    println!("wrk -t{threads} -c{connections} -d{seconds}s, server and wrk on the same machine");
    for path in ["/proposals".to_owned(), format!("/proposals/{busiest}")] {
        let url = format!("http://127.0.0.1:{port}{path}");
        let _warm = wrk(&url, 1, 4, 1);
        let r = wrk(&url, threads, connections, seconds);
        let verdict = if r.rps >= 15_000.0 && r.p99_ms < 10.0 { "met" } else { "NOT met" };
        println!(
            "{path:<20} {:>9.0} requests/s   p99 {:>6.2} ms   (target ≥ 15 000/s, p99 < 10 ms: {verdict})",
            r.rps, r.p99_ms
        );
    }
    server.kill().expect("stop the server");
    let _ = server.wait();
}
