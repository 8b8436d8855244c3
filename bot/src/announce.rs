//! Announcements: what the configured chats and channels are told when a
//! proposal opens or closes and when an epoch is allocated or executed. The
//! same content on every platform.

use iodao_core::{EpochRow, PayoutRow, Proposal, Recipient, Tally};

use crate::reply::Reply;
use crate::views::proposal_reply;

/// Something worth announcing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A proposal's vote opened.
    ProposalOpened(iodao_core::ProposalId),
    /// A proposal's vote closed (with its result).
    ProposalClosed(iodao_core::ProposalId),
    /// An epoch's split was decided.
    EpochAllocated(u64),
    /// An epoch was paid; its transactions' hashes (read from the payout
    /// journal when empty).
    EpochExecuted(u64, Vec<String>),
}

/// A proposal whose vote just opened, with its vote buttons.
pub fn proposal_opened(p: &Proposal, tally: &Tally) -> Reply {
    let mut r = proposal_reply(p, tally);
    r.title = Some(format!("Voting opened: #{} {}", p.id.get(), p.title.as_str()));
    r
}

/// A proposal whose vote just closed, with the result.
pub fn proposal_closed(p: &Proposal, tally: &Tally) -> Reply {
    let result = p.state.as_str();
    let mut r = proposal_reply(p, tally);
    r.title = Some(format!("Voting closed: #{} {} ({result})", p.id.get(), p.title.as_str()));
    r.buttons.clear();
    r
}

/// An epoch's split (allocated) or its payment (executed, with its transactions).
pub fn epoch(e: &EpochRow, payouts: &[PayoutRow], recipients: &[Recipient], txs: &[String]) -> Reply {
    let verb = if txs.is_empty() { "allocated" } else { "executed" };
    let mut r = Reply::public()
        .title(format!("Epoch {} {verb}", e.number))
        .field("Budget", e.budget.to_string())
        .field("Spent", e.spent.to_string())
        .field("Recipients paid", payouts.iter().filter(|p| !p.amount.is_zero()).count().to_string());
    let mut top: Vec<&PayoutRow> = payouts.iter().collect();
    top.sort_by_key(|p| std::cmp::Reverse(p.amount));
    for p in top.into_iter().take(5) {
        let name = recipients.iter().find(|r| r.id.get() == p.recipient_id).map_or("?", |r| r.name.as_str());
        r = r.field(name.to_owned(), p.amount.to_string());
    }
    for (i, tx) in txs.iter().enumerate() {
        r = r.field(format!("Transaction {}", i + 1), tx.clone());
    }
    r.text(format!("Bundle digest: {}", e.digest))
}

/// Finds what to announce by comparing the store with what it saw on its
/// previous look, whoever made the change (a vote that closed a proposal,
/// the lifecycle timer, the CLI, the epoch scheduler or `epoch execute`).
/// The first look only remembers, so a restart announces nothing twice.
#[derive(Debug, Default)]
pub struct Watcher {
    seen: Option<Seen>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Seen {
    active: std::collections::BTreeSet<iodao_core::ProposalId>,
    epochs: std::collections::BTreeMap<u64, String>,
}

impl Watcher {
    /// A watcher that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// What changed since the previous call. A failure to read is logged
    /// and reported as nothing new (the next call catches up).
    pub async fn poll(&mut self, commands: &crate::Commands) -> Vec<Event> {
        let now = match read(commands).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for announcements; trying again later");
                return Vec::new();
            }
        };
        let Some(before) = self.seen.replace(now.clone()) else {
            return Vec::new();
        };
        let mut events: Vec<Event> =
            now.active.difference(&before.active).map(|id| Event::ProposalOpened(*id)).collect();
        for id in before.active.difference(&now.active) {
            match commands.governance().proposal(*id).await {
                Ok(p) if matches!(p.state, iodao_core::ProposalState::Closed(_)) => {
                    events.push(Event::ProposalClosed(*id));
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, %id, "cannot read a proposal that left the active list"),
            }
        }
        for (n, state) in &now.epochs {
            match before.epochs.get(n) {
                None => events.push(Event::EpochAllocated(*n)),
                Some(old) if old != "executed" && state == "executed" => {
                    events.push(Event::EpochExecuted(*n, Vec::new()))
                }
                Some(_) => {}
            }
        }
        events
    }
}

async fn read(commands: &crate::Commands) -> Result<Seen, String> {
    let query = iodao_core::ProposalQuery { state: Some(iodao_core::ProposalState::Active), limit: 1000, offset: 0 };
    let active = commands.governance().proposals(query).await.map_err(|e| e.to_string())?;
    let epochs = commands.epochs().list().await.map_err(|e| e.to_string())?;
    Ok(Seen {
        active: active.into_iter().map(|p| p.id).collect(),
        epochs: epochs.into_iter().map(|e| (e.number, e.state)).collect(),
    })
}
