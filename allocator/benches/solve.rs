//! Allocation solve times with every policy rule on, at 1 000 to 1 000 000
//! recipients, by the path `allocate` takes; then the LP method on the same
//! instances (`allocate_with(.., Method::Lp)`), its first round, and every
//! LP that round solves, solved by microlp and, exported as JSON, by
//! scipy's `linprog` (HiGHS): the summed solve times as a ratio, and the
//! largest difference between the two solvers' optima.
//!
//! `cargo bench -p iodao-allocator --bench solve` (scripts/bench-allocator.sh
//! installs scipy first). `IODAO_BENCH_SIZES=1000,10000` picks sizes;
//! `IODAO_BENCH_PEER_SIZES` the LP method's (default 1000,10000,100000);
//! `IODAO_BENCH_PEER=0` skips the LP part; `IODAO_BENCH_SPANNING=1` lets
//! groups span categories (then `allocate` takes the LP method too, and
//! "vs closed" compares it with itself); `IODAO_BENCH_DIGEST=1` prints a
//! digest of each split (Keccak-256 of its JSON), to show that an
//! optimisation changed no payout.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use iodao_allocator::{
    Binding, Bps, Candidate, Category, CategoryBounds, Limit, Method, Policy, Problem, SparseLp, U256, allocate,
    allocate_with, first_round_lps,
};

// The binary's global allocator (src/main.rs says why), so the figures are
// the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// splitmix64: a fixed instance per seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
}

fn bps(n: u16) -> Bps {
    Bps::new(n).expect("bps")
}

/// `n` recipients with heavy-tailed votes and every rule on: recipient
/// caps, floors, category minimum and maximum, smoothing against a previous
/// epoch, group caps (projects of five programs), and a minimum payout.
/// With `IODAO_BENCH_SPANNING=1` a project's programs may be in different
/// categories (only the LP method solves that).
fn instance(n: usize, seed: u64) -> Problem {
    let spanning = std::env::var("IODAO_BENCH_SPANNING").is_ok_and(|v| v == "1");
    let mut rng = Rng(seed);
    let budget = U256::from(1_000_000u64) * U256::from(10u64).pow(U256::from(18u8));
    let groups = n / 50;
    let mut candidates = Vec::with_capacity(n);
    for i in 0..n {
        let category = match rng.next() % 10 {
            0..=3 => Category::DeviceProgram,
            4..=6 => Category::DepinProject,
            _ => Category::Dapp,
        };
        // Pareto-like: a few recipients draw most votes.
        let weight = U256::from((1e15 / rng.unit().powf(1.3)) as u128);
        let target_share = 1.0 / n as f64;
        let previous =
            rng.next().is_multiple_of(2).then(|| U256::from((target_share * (0.5 + rng.unit()) * 1e24) as u128));
        // A floor of the average payout for one in a thousand.
        let floor = rng.next().is_multiple_of(1000).then(|| Limit::Wei(budget / U256::from(n as u64)));
        let group = (i % 10 == 0 && groups > 0).then(|| {
            let project = rng.next() % groups as u64;
            if spanning { format!("project-{project}") } else { format!("{category}-{project}") }
        });
        candidates.push(Candidate { id: i as u64, category, weight, cap: None, floor, group, previous });
    }
    let mut categories = BTreeMap::new();
    categories.insert(Category::DeviceProgram, CategoryBounds { min: Some(bps(3000)), max: None });
    categories.insert(Category::Dapp, CategoryBounds { min: None, max: Some(bps(2500)) });
    let mut group_caps = BTreeMap::new();
    for c in &candidates {
        if let Some(g) = &c.group {
            group_caps.entry(g.clone()).or_insert(Limit::Share(bps(20)));
        }
    }
    let policy = Policy {
        categories,
        recipient_cap: Some(Limit::Share(bps(200))),
        // A fifth of the average payout: the long tail is dropped.
        min_payout: budget / U256::from(5 * n as u64),
        smoothing: Some(bps(2500)),
        group_caps,
    };
    Problem { budget, previous_budget: Some(budget), candidates, policy }
}

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn sizes(var: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(var)
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

/// What scipy's HiGHS made of the exported LPs.
struct Peer {
    /// Its solve times (best of 3 each), summed.
    seconds: f64,
    /// The largest difference between its optimum and ours.
    max_diff: f64,
    /// LPs where one solver found it infeasible and the other did not.
    disagree: usize,
}

/// Runs `peer_highs.py` on the exported LPs, if python has scipy.
fn highs(path: &std::path::Path) -> Option<Peer> {
    let python = std::env::var("IODAO_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peer_highs.py");
    let out = match Command::new(&python).arg(script).arg(path).output() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("scipy peer: cannot run {python}: {e}");
            return None;
        }
    };
    if !out.status.success() {
        eprintln!("scipy peer: {}", String::from_utf8_lossy(&out.stderr).trim());
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace();
    Some(Peer {
        seconds: fields.next()?.parse().ok()?,
        max_diff: fields.next()?.parse().ok()?,
        disagree: fields.next()?.parse().ok()?,
    })
}

/// The largest payout difference between two splits, as a share of the
/// budget.
fn largest_difference(p: &Problem, a: &iodao_allocator::Split, b: &iodao_allocator::Split) -> f64 {
    let wei = |x: U256| f64::from(x);
    let budget = wei(p.budget);
    a.payouts.iter().zip(&b.payouts).map(|(x, y)| (wei(x.amount) - wei(y.amount)).abs() / budget).fold(0.0, f64::max)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is expected.
    println!("allocator: every rule on (caps, floors, category min/max, smoothing, group caps, minimum payout)");
    println!("{:>10} {:>12} {:>10} {:>10} {:>8} {:>8}", "recipients", "method", "solve", "paid", "dropped", "capped");
    for n in sizes("IODAO_BENCH_SIZES", &[1_000, 10_000, 100_000, 1_000_000]) {
        let p = instance(n, 42);
        let split = allocate(&p).expect("the instance is feasible");
        // A change meant only to be faster must leave every payout as it was.
        if std::env::var("IODAO_BENCH_DIGEST").is_ok() {
            let json = serde_json::to_vec(&split).expect("json");
            println!("digest {n} {}", alloy_primitives::keccak256(&json));
        }
        let runs = if n >= 1_000_000 { 3 } else { 7 };
        let t = best_of(runs, || {
            std::hint::black_box(allocate(&p).expect("solves"));
        });
        let count = |b: Binding| split.payouts.iter().filter(|x| x.binding == b).count();
        let paid = split.payouts.iter().filter(|x| !x.amount.is_zero()).count();
        println!(
            "{n:>10} {:>12} {:>8.1}ms {paid:>10} {:>8} {:>8}",
            format!("{:?}", split.method),
            t.as_secs_f64() * 1e3,
            count(Binding::MinimumPayout),
            count(Binding::Cap),
        );
        assert_eq!(split.spent + split.unallocated, p.budget);
    }

    if std::env::var("IODAO_BENCH_PEER").is_ok_and(|v| v == "0") {
        return;
    }
    println!();
    println!("the LP method on the same instances (best of 3), and the LPs of its first round:");
    println!("microlp vs scipy linprog (HiGHS) on the exported LPs, solve times summed (best of 3 each)");
    println!(
        "{:>10} {:>10} {:>10} {:>9} {:>5} {:>10} {:>10} {:>7} {:>9}",
        "recipients", "LP method", "vs closed", "1st round", "LPs", "microlp", "HiGHS", "ratio", "max diff"
    );
    let dir = std::env::temp_dir();
    for n in sizes("IODAO_BENCH_PEER_SIZES", &[1_000, 10_000, 100_000]) {
        let p = instance(n, 42);
        let split = allocate_with(&p, Method::Lp).expect("the LP method solves it");
        let closed = allocate(&p).expect("solves");
        let whole = best_of(3, || {
            std::hint::black_box(allocate_with(&p, Method::Lp).expect("solves"));
        });
        let first = best_of(3, || {
            std::hint::black_box(first_round_lps(&p).expect("solves"));
        });
        let lps = first_round_lps(&p).expect("solves");
        let ours: f64 = lps
            .iter()
            .map(|lp: &SparseLp| {
                best_of(3, || {
                    std::hint::black_box(lp.solve().expect("solves"));
                })
                .as_secs_f64()
            })
            .sum();
        let path = dir.join(format!("iodao-first-round-lps-{n}.json"));
        std::fs::write(&path, serde_json::to_vec(&serde_json::json!({ "lps": lps })).expect("json"))
            .expect("write the LPs");
        let ms = |s: f64| format!("{:.2}ms", s * 1e3);
        let (theirs, ratio, diff) = match highs(&path) {
            Some(peer) => {
                if peer.disagree > 0 {
                    println!("HiGHS and microlp disagree on the feasibility of {} LPs", peer.disagree);
                }
                (ms(peer.seconds), format!("{:.3}x", ours / peer.seconds), format!("{:.1e}", peer.max_diff))
            }
            None => ("-".into(), "-".into(), "(scipy missing: scripts/bench-allocator.sh installs it)".into()),
        };
        println!(
            "{n:>10} {:>10} {:>10.1e} {:>9} {:>5} {:>10} {theirs:>10} {ratio:>7} {diff:>9}",
            ms(whole.as_secs_f64()),
            largest_difference(&p, &split, &closed),
            ms(first.as_secs_f64()),
            lps.len(),
            ms(ours),
        );
    }
}
