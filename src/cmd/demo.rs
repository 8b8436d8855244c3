//! `iodao demo`: seeds a demo DAO (stakers, proposals in every state, votes)
//! into the configured database once, then serves it.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use iodao_core::{
    Actor, Address, Allocations, Amount, Ballot, Body, Bps, Category, Choices, CsvStakeSource, Governance, NewProposal,
    ProposalQuery, Ran, Title, VoteSource, VotingMethod, Window,
};

use crate::cli::DemoArgs;
use crate::config::Config;
use crate::{cmd, wiring};

/// Demo stakers: (name, IOTX).
const STAKERS: [(&str, u64); 10] = [
    ("atlas", 420_000),
    ("boreal", 260_000),
    ("cinder", 180_000),
    ("delta", 150_000),
    ("ember", 95_000),
    ("fjord", 60_000),
    ("gale", 42_000),
    ("harbor", 25_000),
    ("iris", 12_500),
    ("juniper", 3_200),
];

/// A stable address per demo name, so demo data is the same on every machine.
fn demo_address(name: &str) -> Address {
    let hash = alloy_primitives::keccak256(format!("iodao demo staker {name}"));
    let mut bytes = [0u8; 20];
    bytes.copy_from_slice(&hash[12..]);
    Address::from(bytes)
}

/// Seeds (if the database has no proposals yet) and serves unless `--no-serve`.
pub async fn run(cfg: &Config, args: &DemoArgs) -> anyhow::Result<()> {
    if !cfg.stake_csv.exists() {
        write_stakers(cfg)?;
    }
    let gov = wiring::governance(cfg).await?;
    let existing = gov.proposals(ProposalQuery { limit: 1, ..ProposalQuery::default() }).await?;
    if existing.is_empty() {
        let stakers: Vec<Address> = {
            let csv = CsvStakeSource::load(&cfg.stake_csv)?;
            let mut s: Vec<(Address, Amount)> = csv.stakers().collect();
            s.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            s.into_iter().map(|(a, _)| a).collect()
        };
        anyhow::ensure!(stakers.len() >= 4, "the demo needs at least 4 stakers in {}", cfg.stake_csv.display());
        seed(&gov, &stakers, Utc::now()).await?;
        println!("demo data created in {}", cfg.database_url);
    } else {
        println!("{} already has proposals; demo data not added again", cfg.database_url);
    }
    seed_epoch(cfg, &gov).await?;
    if args.no_serve {
        gov.store().close().await;
        return Ok(());
    }
    cmd::serve::run(cfg, gov).await
}

/// Demo recipients: (name, category).
const RECIPIENTS: [(&str, Category); 6] = [
    ("solar-meters", Category::DeviceProgram),
    ("air-quality-sensors", Category::DeviceProgram),
    ("ev-chargers", Category::DepinProject),
    ("wifi-mesh", Category::DepinProject),
    ("depin-swap", Category::Dapp),
    ("device-explorer", Category::Dapp),
];

/// Demo allocations, by staker index.
const SPLITS: [&str; 8] = [
    "solar-meters=40 ev-chargers=35 depin-swap=25",
    "air-quality-sensors=50 wifi-mesh=50",
    "depin-swap=70 device-explorer=30",
    "solar-meters=100",
    "ev-chargers=60 wifi-mesh=20 device-explorer=20",
    "air-quality-sensors=80",
    "solar-meters=30 depin-swap=30",
    "wifi-mesh=100",
];

/// Adds the demo recipients and allocations (once) and runs the epoch of
/// the schedule's latest slot (once), printing its allocation.
async fn seed_epoch(cfg: &Config, gov: &Governance) -> anyhow::Result<()> {
    let now = Utc::now();
    let allocations = Allocations::new(gov.store().clone(), gov.stake().clone());
    if allocations.recipients().await?.is_empty() {
        for (name, category) in RECIPIENTS {
            allocations.add_recipient(name, category, demo_address(name), &Actor::Cli, now).await?;
        }
        let mut stakers: Vec<(Address, Amount)> = CsvStakeSource::load(&cfg.stake_csv)?.stakers().collect();
        stakers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for ((voter, _), split) in stakers.iter().zip(SPLITS) {
            allocations.set(*voter, split, now).await?;
        }
    }
    let epochs = wiring::epochs(cfg, gov.store().clone(), gov.stake().clone())?;
    let slot = cfg.epochs.latest_slot(now).unwrap_or(now);
    match epochs.run(slot, now).await? {
        Ran::New(e) => println!(
            "epoch {} allocated: {} IOTX to {} recipients (see `iodao epoch show {}`)",
            e.number,
            e.spent.to_iotx_string(),
            epochs.get(e.number).await?.map_or(0, |(_, p)| p.iter().filter(|p| !p.amount.is_zero()).count()),
            e.number
        ),
        Ran::Existing(e) => println!("epoch {} already ran for slot {}", e.number, e.slot),
    }
    Ok(())
}

fn write_stakers(cfg: &Config) -> anyhow::Result<()> {
    let mut text = String::from("# iodao demo stakers (fixed snapshot)\nname,address,amount\n");
    for (name, iotx) in STAKERS {
        text.push_str(&format!("{name},{},{iotx}\n", demo_address(name)));
    }
    std::fs::write(&cfg.stake_csv, text).with_context(|| format!("cannot write {}", cfg.stake_csv.display()))?;
    println!("wrote demo stakers to {}", cfg.stake_csv.display());
    Ok(())
}

struct Spec<'a> {
    title: &'a str,
    method: VotingMethod,
    body: &'a str,
    choices: &'a [&'a str],
    /// Window relative to now.
    opens: Duration,
    closes: Duration,
    /// (staker index, choice number) cast an hour after opening.
    votes: &'a [(usize, &'a str)],
    cancel: bool,
}

async fn seed(gov: &Governance, stakers: &[Address], now: DateTime<Utc>) -> anyhow::Result<()> {
    let yes_no: &[&str] = &["For", "Against", "Abstain"];
    let specs = [
        Spec {
            method: VotingMethod::SingleChoice,
            title: "Raise the device-program share to 40% for Q1",
            body: "Device programs onboarded **3 100** new ioID devices last quarter.\n\nThis proposal raises their category share of the epoch budget from 30% to 40%.",
            choices: yes_no,
            opens: Duration::days(-10),
            closes: Duration::days(-3),
            votes: &[(0, "1"), (1, "1"), (2, "2"), (4, "3")],
            cancel: false,
        },
        Spec {
            method: VotingMethod::SingleChoice,
            title: "Sponsor the DePIN builders' hackathon",
            body: "Spend 250 000 IOTX from the treasury on prizes for a builders' hackathon.",
            choices: yes_no,
            opens: Duration::days(-8),
            closes: Duration::days(-1),
            votes: &[(8, "1"), (9, "2")],
            cancel: false,
        },
        Spec {
            method: VotingMethod::SingleChoice,
            title: "Fund ioID onboarding for 10 000 new devices",
            body: "Pay a one-off onboarding bonus per registered device, capped per project.\n\n- 5 IOTX per device\n- at most 20% per project",
            choices: yes_no,
            opens: Duration::days(-1),
            closes: Duration::days(6),
            votes: &[(0, "For"), (1, "Against"), (3, "For"), (5, "Abstain"), (6, "For")],
            cancel: false,
        },
        Spec {
            method: VotingMethod::Approval,
            title: "Which dapp categories get the Q1 bonus pool?",
            body: "Approve every category you support; the pool goes to the most approved.",
            choices: &["DeFi", "Gaming", "Social", "Abstain"],
            opens: Duration::hours(-12),
            closes: Duration::days(4),
            votes: &[(1, "DeFi, Social"), (2, "Gaming"), (3, "Gaming, DeFi"), (7, "Social")],
            cancel: false,
        },
        Spec {
            method: VotingMethod::SingleChoice,
            title: "Adopt quadratic voting for grants",
            body: "Count grant votes quadratically to weaken whale influence.",
            choices: yes_no,
            opens: Duration::days(1),
            closes: Duration::days(8),
            votes: &[],
            cancel: false,
        },
        Spec {
            method: VotingMethod::SingleChoice,
            title: "Move epochs from weekly to daily",
            body: "Withdrawn by the author after discussion.",
            choices: yes_no,
            opens: Duration::days(2),
            closes: Duration::days(9),
            votes: &[],
            cancel: true,
        },
    ];
    for spec in specs {
        let opens = now + spec.opens;
        let created = opens - Duration::hours(2);
        let p = gov
            .create_proposal(
                NewProposal {
                    title: Title::parse(spec.title)?,
                    body: Body::parse(spec.body)?,
                    author: stakers[0],
                    choices: Choices::parse(spec.choices)?,
                    method: spec.method,
                    window: Window::new(opens, now + spec.closes)?,
                    quorum: Amount::from_iotx(500_000),
                    threshold: Bps::new(5000).context("threshold")?,
                },
                &Actor::Address(stakers[0]),
                created,
            )
            .await?;
        for (i, (staker, choice)) in spec.votes.iter().enumerate() {
            let at = opens + Duration::hours(1) + Duration::minutes(i64::try_from(i)?);
            let voter = *stakers.get(*staker).context("not enough demo stakers")?;
            gov.cast_vote(Ballot { proposal: p.id, voter, choice: (*choice).into(), source: VoteSource::Cli }, at)
                .await?;
        }
        if spec.cancel {
            gov.cancel(p.id, &Actor::Address(stakers[0]), created + Duration::minutes(30)).await?;
        }
    }
    gov.advance(now).await?;
    Ok(())
}
