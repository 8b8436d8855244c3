//! How the command layer's answers look: proposals with their buttons,
//! tallies, help, dialogue prompts. Plain text only; renderers escape it.

use chrono::{DateTime, Utc};
use iodao_core::{DraftStep, Proposal, ProposalDraft, ProposalState, Recipient, Tally, VotingMethod};

use crate::action::Action;
use crate::command::{COMMANDS, UsageError};
use crate::reply::{Button, Reply};

/// The longest part of a proposal body a chat message carries.
const BODY_EXCERPT: usize = 1_500;

pub(crate) fn help() -> Reply {
    let mut r = Reply::public().title("iodao: vote on the DAO's proposals and incentives");
    for (name, args, what) in COMMANDS {
        let line = if args.is_empty() { format!("/{name}") } else { format!("/{name} {args}") };
        r = r.field(line, *what);
    }
    r
}

pub(crate) fn usage_reply(e: &UsageError) -> Reply {
    Reply::error(e.to_string())
}

pub(crate) fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub(crate) fn until(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let d = (t - now).num_minutes().max(0);
    match (d / 1440, d % 1440 / 60, d % 60) {
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (days, h, _) => format!("{days}d {h}h"),
    }
}

/// One line per choice with its power and share.
pub(crate) fn summary(p: &Proposal, tally: &Tally) -> String {
    let report = p.report(tally);
    let rows: Vec<String> = report
        .choices
        .iter()
        .map(|c| format!("{} {} ({}.{:02}%)", c.label, c.power, c.share_bps / 100, c.share_bps % 100))
        .collect();
    format!(
        "{}; {} voters; quorum {} of {}; closes {}",
        rows.join(", "),
        report.voters,
        if report.quorum_met { "met" } else { "not met" },
        report.quorum,
        when(p.window.end())
    )
}

/// A proposal with its tally and, while it is open, its vote buttons.
pub fn proposal_reply(p: &Proposal, tally: &Tally) -> Reply {
    let report = p.report(tally);
    let mut body: String = p.body.as_str().chars().take(BODY_EXCERPT).collect();
    if body.len() < p.body.as_str().len() {
        body.push('…');
    }
    let mut r = Reply::public()
        .title(format!("#{} {}", p.id.get(), p.title.as_str()))
        .text(body)
        .field("State", p.state.to_string())
        .field("Method", p.method.to_string())
        .field("Voting", format!("{} to {}", when(p.window.start()), when(p.window.end())));
    if let Some(b) = p.snapshot_block {
        r = r.field("Snapshot block", b.to_string());
    }
    for c in &report.choices {
        r = r.field(
            format!("{}. {}", c.number, c.label),
            format!("{} ({}.{:02}%)", c.power, c.share_bps / 100, c.share_bps % 100),
        );
    }
    r = r.field(
        "Quorum",
        format!(
            "{} of {} ({})",
            report.participation,
            report.quorum,
            if report.quorum_met { "met" } else { "not met" }
        ),
    );
    if p.state != ProposalState::Active {
        return r;
    }
    match p.method {
        VotingMethod::SingleChoice => {
            let buttons: Vec<Button> = p
                .choices
                .labels()
                .enumerate()
                .map(|(i, l)| Button { label: l.to_owned(), data: Action::Vote { id: p.id, choice: i + 1 }.encode() })
                .collect();
            for row in buttons.chunks(3) {
                r = r.buttons(row.to_vec());
            }
            r
        }
        VotingMethod::Approval => {
            r.buttons = approval_keyboard(p, 0);
            r.text("Tap the choices you approve, then Submit.")
        }
        VotingMethod::Weighted | VotingMethod::Quadratic => {
            r.text(format!("Vote with /vote {} followed by {}.", p.id.get(), p.method.syntax()))
        }
    }
}

/// Toggle buttons (✅ on the selected) and Submit, for an approval proposal.
pub(crate) fn approval_keyboard(p: &Proposal, selected: u32) -> Vec<Vec<Button>> {
    let toggles: Vec<Button> = p
        .choices
        .labels()
        .enumerate()
        .map(|(i, l)| {
            let on = selected & (1 << i) != 0;
            Button {
                label: if on { format!("✅ {l}") } else { l.to_owned() },
                data: Action::Toggle { id: p.id, selected, choice: i + 1 }.encode(),
            }
        })
        .collect();
    let mut rows: Vec<Vec<Button>> = toggles.chunks(3).map(<[Button]>::to_vec).collect();
    rows.push(vec![Button { label: "Submit".into(), data: Action::Submit { id: p.id, selected }.encode() }]);
    rows
}

pub(crate) fn describe_allocation(a: &iodao_core::Allocation, recipients: &[Recipient]) -> String {
    a.entries()
        .iter()
        .map(|(id, bps)| {
            let name = recipients.iter().find(|r| r.id == *id).map_or("?", |r| r.name.as_str());
            format!("{name} {}.{:02}%", bps / 100, bps % 100)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn draft_prompt(d: &ProposalDraft) -> Reply {
    let r = Reply::private();
    match d.step() {
        DraftStep::Title => r.title("New proposal (1/3)").text("Send its title, one line. /cancel stops."),
        DraftStep::Body => r.title("New proposal (2/3)").text("Send its body: what you propose and why."),
        DraftStep::Choices => r
            .title("New proposal (3/3)")
            .text("Send the choices, comma-separated or one per line (For, Against, Abstain)."),
    }
}
