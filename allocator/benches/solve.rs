//! Allocation solve times with every policy rule on, at 1 000 to 1 000 000
//! recipients, by the path `allocate` takes; and the first LP of the LP
//! method solved by microlp and, on the same exported formulation, by
//! scipy's `linprog` (HiGHS), printed as a ratio.
//!
//! `cargo bench -p iodao-allocator --bench solve` (scripts/bench-allocator.sh
//! installs scipy first). `IODAO_BENCH_SIZES=1000,10000` picks sizes;
//! `IODAO_BENCH_DIGEST=1` prints a digest of each split (Keccak-256 of its
//! JSON), to show that an optimisation changed no payout.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use iodao_allocator::{
    Binding, Bps, Candidate, Category, CategoryBounds, Limit, Policy, Problem, U256, allocate, first_level_lp,
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
fn instance(n: usize, seed: u64) -> Problem {
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
        let group = (i % 10 == 0 && groups > 0).then(|| format!("{category}-{}", rng.next() % groups as u64));
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

fn sizes() -> Vec<usize> {
    std::env::var("IODAO_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000, 1_000_000])
}

/// Seconds scipy's HiGHS takes on an exported LP, if python3 has scipy.
fn scipy_seconds(path: &std::path::Path) -> Option<f64> {
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
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is expected.
    println!("allocator: every rule on (caps, floors, category min/max, smoothing, group caps, minimum payout)");
    println!("{:>10} {:>12} {:>10} {:>10} {:>8} {:>8}", "recipients", "method", "solve", "paid", "dropped", "capped");
    for n in sizes() {
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
    println!("first LP of the LP method (same exported formulation): microlp vs scipy linprog (HiGHS)");
    println!("{:>10} {:>12} {:>12} {:>8}", "recipients", "microlp", "HiGHS", "ratio");
    let dir = std::env::temp_dir();
    for n in [1_000usize, 10_000] {
        let p = instance(n, 42);
        let lp = first_level_lp(&p).expect("feasible");
        let ours = best_of(3, || {
            std::hint::black_box(lp.maximise_level().expect("solves"));
        });
        let path = dir.join(format!("iodao-level-lp-{n}.json"));
        std::fs::write(&path, serde_json::to_vec(&lp).expect("json")).expect("write the LP");
        match scipy_seconds(&path) {
            Some(theirs) => println!(
                "{n:>10} {:>10.1}ms {:>10.1}ms {:>7.2}x",
                ours.as_secs_f64() * 1e3,
                theirs * 1e3,
                ours.as_secs_f64() / theirs
            ),
            None => println!(
                "{n:>10} {:>10.1}ms {:>12} (scipy missing: scripts/bench-allocator.sh installs it)",
                ours.as_secs_f64() * 1e3,
                "-"
            ),
        }
    }
}
