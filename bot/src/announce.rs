//! Announcements: what the configured chats and channels are told when a
//! proposal opens or closes and when an epoch is allocated or executed. The
//! same content on every platform: the [`Watcher`] finds the news in the
//! store, the [`Announcer`] builds each announcement once and posts it to
//! every [`Sink`] (a platform's chats or channels).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use iodao_core::{EpochRow, PayoutRow, Proposal, Recipient, Tally};

use crate::commands::Commands;
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

/// An epoch's split (`txs` is `None`: allocated) or its payment (executed,
/// with its transactions).
pub fn epoch(e: &EpochRow, payouts: &[PayoutRow], recipients: &[Recipient], txs: Option<&[String]>) -> Reply {
    let verb = if txs.is_some() { "executed" } else { "allocated" };
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
    for (i, tx) in txs.unwrap_or_default().iter().enumerate() {
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
            let old = before.epochs.get(n);
            if old.is_none() {
                events.push(Event::EpochAllocated(*n));
            }
            // Also when it was allocated and paid between two looks.
            if state == EXECUTED && old.is_none_or(|o| o != EXECUTED) {
                events.push(Event::EpochExecuted(*n, Vec::new()));
            }
        }
        events
    }
}

/// The state of a paid epoch (by pushed batches or by a claim root).
const EXECUTED: &str = "executed";

/// Where announcements are posted: one platform's configured chats or
/// channels. Posting never fails the announcer: a sink logs what it could
/// not deliver.
#[async_trait::async_trait]
pub trait Sink: Send + Sync {
    /// Posts `reply` everywhere this sink reaches.
    async fn post(&self, reply: &Reply);
}

/// Finds news with a [`Watcher`] and posts each announcement to every sink.
/// One per process, however many platforms announce, so every platform
/// hears of every change exactly once, whoever made it.
pub struct Announcer {
    commands: Commands,
    sinks: Vec<Arc<dyn Sink>>,
    watcher: Watcher,
}

impl Announcer {
    /// An announcer over the process's command layer, with no sink yet.
    pub fn new(commands: Commands) -> Self {
        Self { commands, sinks: Vec::new(), watcher: Watcher::new() }
    }

    /// Also posts to `sink`.
    #[must_use]
    pub fn with_sink(mut self, sink: Arc<dyn Sink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Whether there is nowhere to post (then there is no point running).
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    /// Builds the announcement of `event` once and posts it to every sink.
    pub async fn announce(&self, event: &Event) {
        if let Some(reply) = self.commands.announcement(event).await {
            for sink in &self.sinks {
                sink.post(&reply).await;
            }
        }
    }

    /// Looks for news once and announces it; returns how many events there
    /// were. The first look only remembers what is there.
    pub async fn look(&mut self) -> usize {
        let events = self.watcher.poll(&self.commands).await;
        for event in &events {
            self.announce(event).await;
        }
        events.len()
    }

    /// Looks for news at once, then every `every`, until `stop` completes.
    pub async fn run(mut self, every: Duration, stop: impl Future<Output = ()>) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut stop = std::pin::pin!(stop);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = &mut stop => return,
            }
            self.look().await;
        }
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
