//! Announcements: what the configured chats and channels are told when a
//! proposal opens or closes and when an epoch is allocated or executed. The
//! same content on every platform.

use iodao_core::{EpochRow, PayoutRow, Proposal, Recipient, Tally};

use crate::commands::proposal_reply;
use crate::reply::Reply;

/// Something worth announcing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A proposal's vote opened.
    ProposalOpened(iodao_core::ProposalId),
    /// A proposal's vote closed (with its result).
    ProposalClosed(iodao_core::ProposalId),
    /// An epoch's split was decided.
    EpochAllocated(u64),
    /// An epoch was paid; the transactions' explorer links.
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

/// An epoch's split (allocated) or its payment (executed, with tx links).
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
        r = r.link(format!("Transaction {}", i + 1), tx.clone());
    }
    r.text(format!("Bundle digest: {}", e.digest))
}
