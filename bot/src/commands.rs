//! The command layer: a parsed [`Command`] or a pressed [`Action`] in, core
//! service calls, a [`Reply`] out. Platform adapters only translate.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use iodao_core::{
    Address, Allocations, ChatAccount, DraftProgress, Drafts, Epochs, Governance, GovernanceError, Links, ProposalId,
    ProposalQuery, ProposalState, StakeSource, VotingMethod,
};

use crate::action::{Action, chosen};
use crate::announce::Event;
use crate::command::Command;
use crate::refusals::{
    allocations_refusal, failed_inside, governance_refusal, link_refusal, not_linked, stake_unavailable,
};
use crate::reply::{ActionReply, Reply, Visibility};
use crate::views::{
    approval_keyboard, describe_allocation, draft_prompt, help, proposal_reply, summary, until, usage_reply, when,
};

/// The next epoch slot after a time (from the binary's cron schedule).
pub type Schedule = Arc<dyn Fn(DateTime<Utc>) -> Option<DateTime<Utc>> + Send + Sync>;

/// Where a message came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Who sent it.
    pub account: ChatAccount,
    /// Whether it came from a private chat with the bot (dialogues run only there).
    pub private: bool,
}

/// The services every command calls.
#[derive(Clone)]
pub struct Commands {
    governance: Governance,
    links: Links,
    allocations: Allocations,
    epochs: Epochs,
    drafts: Drafts,
    stake: Arc<dyn StakeSource>,
    schedule: Option<Schedule>,
    explorer_tx_url: Option<Arc<str>>,
}

impl Commands {
    /// The command layer over these services; `stake` is the source the
    /// services read (for `/power`).
    pub fn new(
        governance: Governance,
        links: Links,
        allocations: Allocations,
        epochs: Epochs,
        stake: Arc<dyn StakeSource>,
    ) -> Self {
        let drafts = Drafts::new(governance.clone());
        Self { governance, links, allocations, epochs, drafts, stake, schedule: None, explorer_tx_url: None }
    }

    /// Tells `/epoch` when the next epoch runs.
    #[must_use]
    pub fn with_schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = Some(schedule);
        self
    }

    /// Links announced payment transactions to a block explorer: `base`
    /// followed by the transaction hash (e.g. `https://iotexscan.io/tx/`).
    #[must_use]
    pub fn with_explorer_tx_url(mut self, base: Option<&str>) -> Self {
        self.explorer_tx_url = base.map(Arc::from);
        self
    }

    /// The governance service (for announcements and adapters).
    pub fn governance(&self) -> &Governance {
        &self.governance
    }

    /// The wallet-link service (for adapters that check a link first).
    pub fn links(&self) -> &Links {
        &self.links
    }

    /// The allocation service (for adapters that suggest recipients).
    pub fn allocations(&self) -> &Allocations {
        &self.allocations
    }

    /// The epoch service.
    pub fn epochs(&self) -> &Epochs {
        &self.epochs
    }

    /// Handles a text message: a command, or an answer to the sender's
    /// `/propose` dialogue in a private chat. `None`: not for the bot.
    pub async fn on_text(&self, from: &Origin, text: &str, bot: Option<&str>, now: DateTime<Utc>) -> Option<Reply> {
        match crate::command::parse(text, bot) {
            Some(Ok(cmd)) => Some(self.run(from, cmd, now).await),
            Some(Err(e)) => Some(usage_reply(&e)),
            None if from.private => self.continue_draft(&from.account, text, now).await,
            None => None,
        }
    }

    /// Runs a command.
    pub async fn run(&self, from: &Origin, cmd: Command, now: DateTime<Utc>) -> Reply {
        let account = &from.account;
        let result = match cmd {
            Command::Help => Ok(help()),
            Command::Link(address) => self.link(account, address, now).await,
            Command::Verify(signature) => self.verify(account, &signature, now).await,
            Command::Proposals => self.proposals().await,
            Command::Proposal(id) => self.proposal(id).await,
            Command::Vote(id, choice) => self.vote(account, id, &choice, now).await,
            Command::Allocate(weights) => self.allocate(account, &weights, now).await,
            Command::Allocation => self.allocation(account).await,
            Command::Propose => self.propose(from, now).await,
            Command::Cancel => self.cancel(account).await,
            Command::Power => self.power(account).await,
            Command::Epoch => self.epoch(now).await,
        };
        result.unwrap_or_else(|e| e)
    }

    /// Handles a pressed button. Unknown data gets a short refusal.
    pub async fn on_action(&self, account: &ChatAccount, data: &str, now: DateTime<Utc>) -> ActionReply {
        let Some(action) = Action::decode(data) else {
            return ActionReply { answer: Reply::error("This button is not one of mine any more."), keyboard: None };
        };
        let vote = |id: ProposalId, choice: String| async move {
            let answer = self.vote(account, id, &choice, now).await.unwrap_or_else(|e| e);
            ActionReply { answer, keyboard: None }
        };
        match action {
            Action::Vote { id, choice } => vote(id, choice.to_string()).await,
            Action::Submit { selected: 0, .. } => ActionReply {
                answer: Reply::error("Nothing is selected: tap the choices you approve, then Submit."),
                keyboard: None,
            },
            Action::Submit { id, selected } => {
                vote(id, chosen(selected).map(|n| n.to_string()).collect::<Vec<_>>().join(",")).await
            }
            Action::Toggle { id, selected, choice } => match self.governance.proposal(id).await {
                Ok(p) if p.method == VotingMethod::Approval && choice <= p.choices.len() => {
                    let selected = selected ^ (1 << (choice - 1));
                    let labels: Vec<&str> = chosen(selected).filter_map(|n| p.choices.labels().nth(n - 1)).collect();
                    let text = if labels.is_empty() {
                        "Nothing selected yet.".to_owned()
                    } else {
                        format!("Selected: {}. Press Submit to vote.", labels.join(", "))
                    };
                    ActionReply { answer: Reply::private().text(text), keyboard: Some(approval_keyboard(&p, selected)) }
                }
                Ok(_) => ActionReply { answer: Reply::error("This button is out of date."), keyboard: None },
                Err(e) => ActionReply { answer: governance_refusal(&e), keyboard: None },
            },
        }
    }

    async fn address(&self, account: &ChatAccount) -> Result<Address, Reply> {
        match self.links.address_of(account).await {
            Ok(Some(a)) => Ok(a),
            Ok(None) => Err(not_linked(account)),
            Err(e) => Err(link_refusal(&e)),
        }
    }

    async fn link(&self, account: &ChatAccount, address: Address, now: DateTime<Utc>) -> Result<Reply, Reply> {
        let c = self.links.challenge(account, address, now).await.map_err(|e| link_refusal(&e))?;
        Ok(Reply::private()
            .title("Link your wallet")
            .text(format!("Open this page and sign with the wallet of {address}:"))
            .link("Sign in with your wallet", c.url)
            .text(
                "No browser wallet? Sign this message exactly as it is (personal_sign), then send /verify <signature>:",
            )
            .code(c.message)
            .field("Expires", c.expires_at.format("%Y-%m-%d %H:%M UTC").to_string()))
    }

    async fn verify(&self, account: &ChatAccount, signature: &str, now: DateTime<Utc>) -> Result<Reply, Reply> {
        let l = self.links.verify_latest(account, signature, now).await.map_err(|e| link_refusal(&e))?;
        let mut r = Reply::private().title("Wallet linked").text(format!("You now vote with {}.", l.address));
        if let Some(p) = l.previous {
            r = r.text(format!("It replaces {p}."));
        }
        Ok(r)
    }

    async fn proposals(&self) -> Result<Reply, Reply> {
        let query = ProposalQuery { state: Some(ProposalState::Active), limit: 10, offset: 0 };
        let list = self.governance.proposals_with_tallies(query).await.map_err(|e| governance_refusal(&e))?;
        if list.is_empty() {
            return Ok(Reply::public().title("Active proposals").text("No proposal is open for voting."));
        }
        let mut r = Reply::public().title("Active proposals");
        for (p, tally) in list {
            r = r.field(format!("#{} {}", p.id.get(), p.title.as_str()), summary(&p, &tally));
        }
        Ok(r.text("Send /proposal <id> to see one and vote."))
    }

    async fn proposal(&self, id: ProposalId) -> Result<Reply, Reply> {
        let (p, tally) = self.governance.tally(id).await.map_err(|e| governance_refusal(&e))?;
        Ok(proposal_reply(&p, &tally))
    }

    async fn vote(
        &self,
        account: &ChatAccount,
        id: ProposalId,
        choice: &str,
        now: DateTime<Utc>,
    ) -> Result<Reply, Reply> {
        let c = self.governance.cast_chat_vote(account, id, choice, now).await.map_err(|e| governance_refusal(&e))?;
        let what = c.vote.selection.describe(&c.proposal.choices, c.proposal.method);
        let block = c.proposal.snapshot_block.unwrap_or_default();
        let mut r = Reply::private().title("Vote recorded").text(format!(
            "#{} {}: {what}, with {} at block {block}.",
            id.get(),
            c.proposal.title.as_str(),
            c.vote.power
        ));
        if let Some((old, _)) = c.replaced {
            r = r.text(format!("It replaces your vote {}.", old.describe(&c.proposal.choices, c.proposal.method)));
        }
        Ok(r)
    }

    async fn allocate(&self, account: &ChatAccount, weights: &str, now: DateTime<Utc>) -> Result<Reply, Reply> {
        let voter = self.address(account).await?;
        let a = self.allocations.set(voter, weights, now).await.map_err(|e| allocations_refusal(&e))?;
        if a.is_empty() {
            return Ok(Reply::private()
                .title("Allocation withdrawn")
                .text("Your power no longer backs any recipient."));
        }
        let recipients = self.allocations.recipients().await.map_err(|e| allocations_refusal(&e))?;
        Ok(Reply::private().title("Allocation recorded").text(describe_allocation(&a, &recipients)))
    }

    async fn allocation(&self, account: &ChatAccount) -> Result<Reply, Reply> {
        let voter = self.address(account).await?;
        let a = self.allocations.of(voter).await.map_err(|e| allocations_refusal(&e))?;
        if a.is_empty() {
            return Ok(Reply::private()
                .title("Your allocation")
                .text("You allocate nothing yet: send /allocate <recipient=percent …>."));
        }
        let recipients = self.allocations.recipients().await.map_err(|e| allocations_refusal(&e))?;
        Ok(Reply::private().title("Your allocation").text(describe_allocation(&a, &recipients)))
    }

    async fn propose(&self, from: &Origin, now: DateTime<Utc>) -> Result<Reply, Reply> {
        if !from.private {
            return Err(Reply::error("Write proposals in a private chat with me: open it and send /propose."));
        }
        self.address(&from.account).await?;
        let d = self.drafts.start(&from.account, now).await.map_err(|e| governance_refusal(&e))?;
        Ok(draft_prompt(&d))
    }

    async fn cancel(&self, account: &ChatAccount) -> Result<Reply, Reply> {
        let had = self.drafts.discard(account).await.map_err(|e| governance_refusal(&e))?;
        Ok(Reply::private().text(if had { "Proposal draft discarded." } else { "There was nothing to cancel." }))
    }

    async fn continue_draft(&self, account: &ChatAccount, text: &str, now: DateTime<Utc>) -> Option<Reply> {
        let draft = match self.drafts.get(account).await {
            Ok(Some(d)) => d,
            Ok(None) => return None,
            Err(e) => return Some(governance_refusal(&e)),
        };
        Some(match self.drafts.answer(draft.clone(), text, now).await {
            Ok(DraftProgress::Next(d)) => draft_prompt(&d),
            Ok(DraftProgress::Created(p)) => Reply::private()
                .title(format!("Proposal #{} created", p.id.get()))
                .text(p.title.as_str().to_owned())
                .field("Voting", format!("{} to {}", when(p.window.start()), when(p.window.end())))
                .text(format!("Send /proposal {} to see it.", p.id.get())),
            Err(e) => {
                let mut r = governance_refusal(&e);
                if !matches!(e, GovernanceError::NotLinked(_)) {
                    r = r.text(draft_prompt(&draft).plain_text());
                }
                r
            }
        })
    }

    async fn power(&self, account: &ChatAccount) -> Result<Reply, Reply> {
        let voter = self.address(account).await?;
        let unavailable = |e: iodao_core::StakeError| stake_unavailable(&e, "nothing was changed");
        // Peeked at a recent block: asking writes nothing.
        let peek = |block: u64| async move {
            let powers = self.stake.peek_powers_at(&[voter], block).await?;
            powers.first().copied().ok_or_else(|| iodao_core::StakeError::Unavailable("no power answered".into()))
        };
        let block = self.stake.recent_block().await.map_err(unavailable)?;
        let now = peek(block).await.map_err(unavailable)?;
        let mut r = Reply::private().title("Your voting power").field(format!("Now (block {block})"), now.to_string());
        let query = ProposalQuery { state: Some(ProposalState::Active), limit: 10, offset: 0 };
        for p in self.governance.proposals(query).await.map_err(|e| governance_refusal(&e))? {
            if let Some(b) = p.snapshot_block {
                let at = peek(b).await.map_err(unavailable)?;
                r = r.field(format!("#{} at its snapshot (block {b})", p.id.get()), at.to_string());
            }
        }
        Ok(r.text(format!("Wallet: {voter}")))
    }

    async fn epoch(&self, now: DateTime<Utc>) -> Result<Reply, Reply> {
        let fail = |e: iodao_core::EpochError| failed_inside(&e);
        let mut r =
            Reply::public().title("Epochs").field("Budget per epoch", self.epochs.settings().budget.to_string());
        if let Some(next) = self.schedule.as_ref().and_then(|s| s(now)) {
            r = r.field("Next epoch", format!("{} (in {})", when(next), until(now, next)));
        }
        let list = self.epochs.list().await.map_err(fail)?;
        let Some(last) = list.first() else {
            return Ok(r.text("No epoch has run yet."));
        };
        let payouts = self.epochs.get(last.number).await.map_err(fail)?.map(|(_, p)| p).unwrap_or_default();
        let recipients = self.allocations.recipients().await.map_err(|e| allocations_refusal(&e))?;
        r = r.field(
            format!("Epoch {}", last.number),
            format!("{} ({}), spent {}", when(last.slot), last.state, last.spent),
        );
        let mut top = payouts;
        top.sort_by_key(|p| std::cmp::Reverse(p.amount));
        for p in top.iter().take(5) {
            let name = recipients.iter().find(|r| r.id.get() == p.recipient_id).map_or("?", |r| r.name.as_str());
            r = r.field(name.to_owned(), p.amount.to_string());
        }
        Ok(r)
    }
}

impl Commands {
    /// The announcement of `event`, if there is anything to say (a failure
    /// to read is logged and announces nothing).
    pub async fn announcement(&self, event: &Event) -> Option<Reply> {
        let read = match event {
            Event::ProposalOpened(id) => self
                .governance
                .tally(*id)
                .await
                .map(|(p, t)| crate::announce::proposal_opened(&p, &t))
                .map_err(|e| e.to_string()),
            Event::ProposalClosed(id) => self
                .governance
                .tally(*id)
                .await
                .map(|(p, t)| crate::announce::proposal_closed(&p, &t))
                .map_err(|e| e.to_string()),
            Event::EpochAllocated(n) => self.epoch_announcement(*n, None).await,
            Event::EpochExecuted(n, txs) if txs.is_empty() => {
                let txs = self.payment_transactions(*n).await;
                self.epoch_announcement(*n, Some(&txs)).await
            }
            Event::EpochExecuted(n, txs) => self.epoch_announcement(*n, Some(txs)).await,
        };
        read.map_err(|e| tracing::warn!(error = %e, ?event, "cannot build the announcement")).ok()
    }

    async fn epoch_announcement(&self, n: u64, txs: Option<&[String]>) -> Result<Reply, String> {
        match (self.epochs.get(n).await, self.allocations.recipients().await) {
            (Ok(Some((row, payouts))), Ok(recipients)) => Ok(crate::announce::epoch(&row, &payouts, &recipients, txs)),
            (Ok(None), _) => Err(format!("epoch {n} does not exist")),
            (Err(e), _) => Err(e.to_string()),
            (_, Err(e)) => Err(e.to_string()),
        }
    }

    /// The transactions that paid epoch `n`, from its journal: the pushed
    /// batches', or the claim root's; each linked to the explorer when one
    /// is configured. A journal that cannot be read gives none (logged).
    async fn payment_transactions(&self, n: u64) -> Vec<String> {
        let hashes = match self.epochs.payment(n).await {
            Ok(journal) => journal.transactions(),
            Err(e) => {
                tracing::warn!(error = %e, epoch = n, "cannot read the payout journal");
                Vec::new()
            }
        };
        match &self.explorer_tx_url {
            Some(base) => hashes.into_iter().map(|tx| format!("{base}{tx}")).collect(),
            None => hashes,
        }
    }
}

impl Reply {
    /// Whether only the sender should see it.
    pub fn is_private(&self) -> bool {
        self.visibility == Visibility::Private
    }
}
