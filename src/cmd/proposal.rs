//! `iodao proposal …`, `iodao vote`, `iodao tally`: operator commands that
//! call the governance service and print the result (text or `--json`).

use anyhow::Context;
use chrono::{Duration, Utc};
use iodao_core::{
    Actor, Address, Amount, Ballot, Body, Bps, Choices, NewProposal, Proposal, ProposalId, ProposalQuery,
    ProposalState, TallyReport, Title, VoteSource, VotingMethod, Window,
};
use serde::Serialize;

use crate::cli::{CreateArgs, ListArgs, ShowArgs, SignedVoteArgs, TallyArgs, VoteArgs};
use crate::config::Config;
use crate::wiring;

fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn duration(flag: &str, text: &str) -> anyhow::Result<Duration> {
    let d = humantime::parse_duration(text)
        .with_context(|| format!("--{flag} `{text}`: use a duration like 30m, 2h or 3days"))?;
    Duration::from_std(d).with_context(|| format!("--{flag} `{text}` is too long"))
}

/// `iodao proposal create`.
pub async fn create(cfg: &Config, a: CreateArgs) -> anyhow::Result<()> {
    let body_text = match (&a.body, &a.body_file) {
        (Some(b), _) => b.clone(),
        (None, Some(path)) => {
            std::fs::read_to_string(path).with_context(|| format!("cannot read --body-file {}", path.display()))?
        }
        (None, None) => anyhow::bail!("give the proposal a body with --body TEXT or --body-file PATH"),
    };
    let choices = if a.choices.is_empty() { Choices::for_against_abstain() } else { Choices::parse(&a.choices)? };
    let now = Utc::now();
    let delay = match &a.delay {
        Some(d) => duration("delay", d)?,
        None => cfg.proposal_rules.voting_delay,
    };
    let period = match &a.period {
        Some(p) => duration("period", p)?,
        None => cfg.proposal_rules.voting_period,
    };
    let start = now + delay;
    let new = NewProposal {
        title: Title::parse(&a.title)?,
        body: Body::parse(&body_text)?,
        author: Address::parse(&a.author).context("--author")?,
        choices,
        method: VotingMethod::parse(&a.method).with_context(|| {
            format!("--method `{}` is not a method: use single-choice, approval, weighted or quadratic", a.method)
        })?,
        window: Window::new(start, start + period)?,
        quorum: a
            .quorum
            .as_deref()
            .map(Amount::parse_iotx)
            .transpose()
            .context("--quorum")?
            .unwrap_or(cfg.proposal_rules.quorum),
        threshold: a
            .threshold
            .as_deref()
            .map(Bps::parse_percent)
            .transpose()
            .context("--threshold")?
            .unwrap_or(cfg.proposal_rules.threshold),
    };
    let gov = wiring::governance(cfg).await?;
    let p = gov.create_proposal(new, &Actor::Cli, now).await?;
    if a.json {
        return print_json(&p);
    }
    println!("created proposal {} ({}): {}", p.id, p.state, p.title);
    println!(
        "voting {} → {}",
        p.window.start().format("%Y-%m-%d %H:%M UTC"),
        p.window.end().format("%Y-%m-%d %H:%M UTC")
    );
    Ok(())
}

/// `iodao proposal list`.
pub async fn list(cfg: &Config, a: ListArgs) -> anyhow::Result<()> {
    let state = a
        .state
        .as_deref()
        .map(|s| {
            ProposalState::parse(s).with_context(|| {
                format!("--state `{s}` is not a state: use pending, active, passed, rejected, quorum-not-met, executed or cancelled")
            })
        })
        .transpose()?;
    let gov = wiring::governance(cfg).await?;
    let proposals = gov.proposals(ProposalQuery { state, limit: a.limit, offset: a.offset }).await?;
    if a.json {
        return print_json(&proposals);
    }
    if proposals.is_empty() {
        println!("no proposals");
        return Ok(());
    }
    println!("{:>5}  {:<14}  {:<17}  {:<17}  title", "id", "state", "opens", "closes");
    for p in &proposals {
        println!(
            "{:>5}  {:<14}  {:<17}  {:<17}  {}",
            p.id.to_string(),
            p.state.as_str(),
            p.window.start().format("%Y-%m-%d %H:%M"),
            p.window.end().format("%Y-%m-%d %H:%M"),
            p.title
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct ProposalWithTally<'a> {
    proposal: &'a Proposal,
    tally: &'a TallyReport,
}

/// `iodao proposal show`.
pub async fn show(cfg: &Config, a: ShowArgs) -> anyhow::Result<()> {
    let id = ProposalId::parse(&a.id)?;
    let gov = wiring::governance(cfg).await?;
    let (p, tally) = gov.tally(id).await?;
    let report = p.report(&tally);
    if a.json {
        return print_json(&ProposalWithTally { proposal: &p, tally: &report });
    }
    println!("Proposal {}: {}", p.id, p.title);
    println!("state {} · {} · by {}", p.state, p.method, p.author);
    println!(
        "voting {} → {} · snapshot block {}",
        p.window.start().format("%Y-%m-%d %H:%M UTC"),
        p.window.end().format("%Y-%m-%d %H:%M UTC"),
        p.snapshot_block.map_or_else(|| "not yet fixed".to_owned(), |b| b.to_string())
    );
    println!();
    println!("{}", p.body);
    println!();
    print_report(&report);
    Ok(())
}

fn print_report(r: &TallyReport) {
    for c in &r.choices {
        println!(
            "  {:>2}. {:<24} {:>32}  {:>3}.{:02}%",
            c.number,
            c.label,
            c.power.to_string(),
            c.share_bps / 100,
            c.share_bps % 100
        );
    }
    println!(
        "voters {} · participation {} of quorum {} ({}) · threshold {}",
        r.voters,
        r.participation,
        r.quorum,
        if r.quorum_met { "met" } else { "not met" },
        r.threshold
    );
    println!("outcome with these votes: {}", iodao_core::ProposalState::Closed(r.outcome));
}

/// `iodao proposal cancel`.
pub async fn cancel(cfg: &Config, a: ShowArgs) -> anyhow::Result<()> {
    let id = ProposalId::parse(&a.id)?;
    let gov = wiring::governance(cfg).await?;
    let p = gov.cancel(id, &Actor::Cli, Utc::now()).await?;
    if a.json {
        return print_json(&p);
    }
    println!("proposal {} is {}", p.id, p.state);
    Ok(())
}

/// `iodao vote`.
pub async fn vote(cfg: &Config, a: VoteArgs) -> anyhow::Result<()> {
    let ballot = Ballot {
        proposal: ProposalId::parse(&a.id)?,
        voter: Address::parse(&a.voter).context("--voter")?,
        choice: a.choice,
        source: VoteSource::Cli,
    };
    let gov = wiring::governance(cfg).await?;
    let cast = gov.cast_vote(ballot, Utc::now()).await?;
    if a.json {
        return print_json(&cast.vote);
    }
    let (p, v) = (&cast.proposal, &cast.vote);
    let what = v.selection.describe(&p.choices, p.method);
    match &cast.replaced {
        Some((old, _)) => println!(
            "{} now votes {what} on proposal {} with {}, replacing {}",
            v.voter,
            p.id,
            v.power,
            old.describe(&p.choices, p.method)
        ),
        None => println!("{} votes {what} on proposal {} with {}", v.voter, p.id, v.power),
    }
    Ok(())
}

/// A signed vote as relayed in JSON.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedVoteFile {
    voter: String,
    proposal: u64,
    choice: String,
    timestamp: u64,
    signature: String,
}

/// `iodao eip712`.
pub async fn eip712(cfg: &Config) -> anyhow::Result<()> {
    let gov = wiring::governance(cfg).await?;
    print_json(&iodao_core::signed::typed_data(gov.eip712_domain()))
}

/// `iodao signed-vote`.
pub async fn signed_vote(cfg: &Config, a: SignedVoteArgs) -> anyhow::Result<()> {
    let text = if a.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read standard input")?
    } else {
        std::fs::read_to_string(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?
    };
    let f: SignedVoteFile =
        serde_json::from_str(&text).context("the signed vote is not valid JSON of the documented form")?;
    let message = iodao_core::signed::types::Vote {
        voter: Address::parse(&f.voter).context("voter")?.as_evm(),
        proposal: f.proposal,
        choice: f.choice,
        timestamp: f.timestamp,
    };
    let gov = wiring::governance(cfg).await?;
    let cast = gov.cast_signed_vote(message, &f.signature, Utc::now()).await?;
    let (p, v) = (&cast.proposal, &cast.vote);
    println!(
        "{} votes {} on proposal {} with {} (signed)",
        v.voter,
        v.selection.describe(&p.choices, p.method),
        p.id,
        v.power
    );
    Ok(())
}

/// `iodao tally`.
pub async fn tally(cfg: &Config, a: TallyArgs) -> anyhow::Result<()> {
    let id = ProposalId::parse(&a.id)?;
    let gov = wiring::governance(cfg).await?;
    let (p, t) = if a.recount { gov.recount(id).await? } else { gov.tally(id).await? };
    let report = p.report(&t);
    if a.json {
        return print_json(&report);
    }
    println!("Proposal {}: {} ({})", p.id, p.title, p.state);
    print_report(&report);
    Ok(())
}
