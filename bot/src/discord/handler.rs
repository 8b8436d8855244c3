//! One interaction in, one interaction response out: the same handler for
//! the HTTP endpoint and the gateway. Slash commands become shared commands,
//! buttons and the approval menu shared actions, the `/propose` modal a
//! proposal through core's draft service; autocomplete suggests recipient
//! names.
//!
//! Discord wants an answer within 3 seconds. Work that may wait on the chain
//! (votes, `/power`, a proposal's threshold check) runs as its own task: if
//! it is not done by the deadline, the answer is a deferral (type 5) and the
//! task edits the original response when it finishes.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use iodao_core::{ChatAccount, DraftProgress, Drafts, GovernanceError, Platform, ProposalId};
use serenity::all::{CommandInteraction, ComponentInteraction, ComponentInteractionDataKind, ModalInteraction};
use serenity::builder::{
    CreateActionRow, CreateAutocompleteResponse, CreateInputText, CreateInteractionResponse,
    CreateInteractionResponseMessage, CreateModal,
};
use serenity::http::Http;
use serenity::model::application::{ActionRowComponent, InputTextStyle, Interaction};

use super::cooldown::Cooldown;
use super::render;
use super::slash::{self, HELP, Slash};
use crate::action::Action;
use crate::command::Command;
use crate::commands::{Commands, Origin};
use crate::reply::Reply;

/// The modal's custom id and its inputs'.
const MODAL: &str = "propose";
const MODAL_TITLE: &str = "title";
const MODAL_BODY: &str = "body";
const MODAL_CHOICES: &str = "choices";
/// Discord's limit on a text input.
const INPUT_MAX: u16 = 4000;
/// Autocomplete shows at most 25 suggestions of at most 100 characters.
const SUGGESTIONS_MAX: usize = 25;
const SUGGESTION_MAX: usize = 100;
/// Tries at editing a deferred response, and the pause between them.
const EDIT_ATTEMPTS: u32 = 3;
const EDIT_RETRY: Duration = Duration::from_millis(750);

/// The interaction handler.
pub struct Handler {
    pub(super) commands: Commands,
    pub(super) http: Arc<Http>,
    pub(super) cooldown: Cooldown,
    /// How long to wait for slow work before deferring (zero: always defer).
    pub(super) deadline: Duration,
}

fn account(user: u64) -> ChatAccount {
    ChatAccount::new(Platform::Discord, user)
}

fn message(reply: &Reply) -> CreateInteractionResponse {
    CreateInteractionResponse::Message(render::response(reply))
}

impl Handler {
    /// The response to `interaction`; `None` for a kind iodao does not
    /// serve. Deferred work continues in the background.
    pub async fn handle(self: &Arc<Self>, interaction: Interaction) -> Option<CreateInteractionResponse> {
        match interaction {
            Interaction::Ping(_) => Some(CreateInteractionResponse::Pong),
            Interaction::Command(c) => Some(self.command(c).await),
            Interaction::Autocomplete(c) => Some(self.autocomplete(&c).await),
            Interaction::Component(c) => Some(self.component(c).await),
            Interaction::Modal(m) => Some(self.modal(m).await),
            _ => None,
        }
    }

    async fn command(self: &Arc<Self>, c: CommandInteraction) -> CreateInteractionResponse {
        let user = c.user.id.get();
        let from = Origin { account: account(user), private: c.guild_id.is_none() };
        let slash = match slash::parse(&c.data.name, &c.data.options) {
            Ok(s) => s,
            Err(e) => return message(&Reply::error(e.to_string())),
        };
        match slash {
            Slash::Help => message(&help()),
            Slash::ProposeModal => self.open_modal(&from.account).await,
            Slash::Run(cmd @ (Command::Vote(..) | Command::Power)) => {
                if matches!(cmd, Command::Vote(..))
                    && let Err(wait) = self.cooldown.check(user)
                {
                    return message(&too_fast(wait));
                }
                let commands = self.commands.clone();
                self.in_time(c.token.clone(), async move { commands.run(&from, cmd, Utc::now()).await }).await
            }
            Slash::Run(cmd) => message(&self.commands.run(&from, cmd, Utc::now()).await),
        }
    }

    async fn component(self: &Arc<Self>, c: ComponentInteraction) -> CreateInteractionResponse {
        let user = c.user.id.get();
        let data = match (&c.data.kind, c.data.custom_id.strip_prefix(render::APPROVAL_SELECT)) {
            (ComponentInteractionDataKind::StringSelect { values }, Some(id)) => {
                let Ok(id) = ProposalId::parse(id) else {
                    return message(&Reply::error("This menu is not one of mine any more."));
                };
                let selected = values
                    .iter()
                    .filter_map(|v| v.parse::<u32>().ok().filter(|n| (1..=32).contains(n)))
                    .fold(0u32, |m, n| m | 1 << (n - 1));
                Action::Submit { id, selected }.encode()
            }
            _ => c.data.custom_id.clone(),
        };
        if matches!(Action::decode(&data), Some(Action::Vote { .. } | Action::Submit { .. }))
            && let Err(wait) = self.cooldown.check(user)
        {
            return message(&too_fast(wait));
        }
        let commands = self.commands.clone();
        self.in_time(c.token.clone(), async move { commands.on_action(&account(user), &data, Utc::now()).await.answer })
            .await
    }

    async fn autocomplete(&self, c: &CommandInteraction) -> CreateInteractionResponse {
        let typed = c.data.autocomplete().map(|o| o.value.to_owned()).unwrap_or_default();
        let recipients = self.commands.allocations().recipients().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "recipients could not be read for autocomplete");
            Vec::new()
        });
        let names: Vec<&str> = recipients.iter().filter(|r| r.active).map(|r| r.name.as_str()).collect();
        let mut r = CreateAutocompleteResponse::new();
        for s in suggestions(&typed, &names) {
            r = r.add_string_choice(s.clone(), s);
        }
        CreateInteractionResponse::Autocomplete(r)
    }

    async fn open_modal(&self, account: &ChatAccount) -> CreateInteractionResponse {
        match self.commands.links().address_of(account).await {
            Ok(Some(_)) => {}
            Ok(None) => return message(&not_linked(account)),
            Err(e) => return message(&crate::refusals::failed_inside(&e)),
        }
        let input = |style, label: &str, id: &str, max: u16| {
            CreateActionRow::InputText(CreateInputText::new(style, label, id).max_length(max))
        };
        let modal = CreateModal::new(MODAL, "New proposal").components(vec![
            input(InputTextStyle::Short, "Title", MODAL_TITLE, 200),
            input(InputTextStyle::Paragraph, "What you propose and why", MODAL_BODY, INPUT_MAX),
            CreateActionRow::InputText(
                CreateInputText::new(
                    InputTextStyle::Paragraph,
                    "Choices (one per line or comma-separated)",
                    MODAL_CHOICES,
                )
                .placeholder("For, Against, Abstain")
                .required(false)
                .max_length(INPUT_MAX),
            ),
        ]);
        CreateInteractionResponse::Modal(modal)
    }

    async fn modal(self: &Arc<Self>, m: ModalInteraction) -> CreateInteractionResponse {
        if m.data.custom_id != MODAL {
            return message(&Reply::error("This form is not one of mine any more."));
        }
        let value = |id: &str| {
            m.data
                .components
                .iter()
                .flat_map(|row| &row.components)
                .find_map(|c| match c {
                    ActionRowComponent::InputText(t) if t.custom_id == id => t.value.clone(),
                    _ => None,
                })
                .unwrap_or_default()
        };
        let (title, body, mut choices) = (value(MODAL_TITLE), value(MODAL_BODY), value(MODAL_CHOICES));
        if choices.trim().is_empty() {
            "For, Against, Abstain".clone_into(&mut choices);
        }
        let drafts = Drafts::new(self.commands.governance().clone());
        let who = account(m.user.id.get());
        self.in_time(m.token.clone(), async move { propose(&drafts, &who, &title, &body, &choices).await }).await
    }

    /// Runs `work` as a task; its reply if it finishes by the deadline, else
    /// a deferral (ephemeral) and the reply edited in when it is done.
    async fn in_time(
        self: &Arc<Self>,
        token: String,
        work: impl Future<Output = Reply> + Send + 'static,
    ) -> CreateInteractionResponse {
        let mut task = tokio::spawn(work);
        if !self.deadline.is_zero()
            && let Ok(done) = tokio::time::timeout(self.deadline, &mut task).await
        {
            return message(&done.unwrap_or_else(|_| failed()));
        }
        let http = self.http.clone();
        tokio::spawn(async move {
            let reply = task.await.unwrap_or_else(|_| failed());
            let edit = render::edit(&reply);
            // Work that ends just after the deadline can race the deferral
            // to Discord (the endpoint's answer is still on its way): Discord
            // then does not know the response yet, so try again shortly.
            for attempt in 1..=EDIT_ATTEMPTS {
                match http.edit_original_interaction_response(&token, &edit, Vec::new()).await {
                    Ok(_) => return,
                    Err(e) if attempt == EDIT_ATTEMPTS => {
                        tracing::warn!(error = %e, "the deferred discord response could not be edited");
                    }
                    Err(_) => tokio::time::sleep(EDIT_RETRY).await,
                }
            }
        });
        CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true))
    }
}

fn failed() -> Reply {
    Reply::error("Something went wrong on our side; nothing was changed. Try again later.")
}

fn too_fast(wait: Duration) -> Reply {
    Reply::error(format!("You are voting too fast: nothing was recorded. Try again in {} s.", wait.as_secs().max(1)))
}

fn not_linked(account: &ChatAccount) -> Reply {
    Reply::error(format!("{account} is not linked to a wallet yet, so nothing was done."))
        .text("Run /link wallet address:<your address>, sign the message it gives you, then try again.")
}

fn help() -> Reply {
    let mut r = Reply::private().title("iodao: vote on the DAO's proposals and incentives");
    for (usage, what) in HELP {
        r = r.field(*usage, *what);
    }
    r
}

/// Writes the proposal through the draft service (title, body, choices in
/// turn); on any refusal the draft is dropped, so nothing stays behind.
async fn propose(drafts: &Drafts, who: &ChatAccount, title: &str, body: &str, choices: &str) -> Reply {
    let now = Utc::now();
    let result = async {
        let d = drafts.start(who, now).await?;
        let DraftProgress::Next(d) = drafts.answer(d, title, now).await? else { unreachable!("a title never creates") };
        let DraftProgress::Next(d) = drafts.answer(d, body, now).await? else { unreachable!("a body never creates") };
        drafts.answer(d, choices, now).await
    }
    .await;
    match result {
        Ok(DraftProgress::Created(p)) => {
            let when = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
            Reply::private()
                .title(format!("Proposal #{} created", p.id.get()))
                .text(p.title.as_str().to_owned())
                .field("Voting", format!("{} to {}", when(p.window.start()), when(p.window.end())))
                .text(format!("Run /proposal id:{} to see it.", p.id.get()))
        }
        Ok(DraftProgress::Next(_)) => failed(),
        Err(e) => {
            if let Err(d) = drafts.discard(who).await {
                tracing::warn!(error = %d, "a refused draft could not be dropped");
            }
            match e {
                GovernanceError::NotLinked(a) => not_linked(&a),
                GovernanceError::Store(s) => crate::refusals::failed_inside(&s),
                GovernanceError::Stake(s) => crate::refusals::stake_unavailable(&s, "nothing was created"),
                other => Reply::error(format!("{other}. Nothing was created.")),
            }
        }
    }
}

/// Completions of the `recipient=percent` list being typed: the last word,
/// when it has no `=` yet, completed to each active recipient's name that
/// starts with (or contains) it, not already named. `names` are the
/// active recipients'.
pub fn suggestions(typed: &str, names: &[&str]) -> Vec<String> {
    let (done, last) = typed.rsplit_once(char::is_whitespace).map_or(("", typed), |(d, l)| (d, l));
    if last.contains('=') {
        return Vec::new();
    }
    let named: Vec<&str> = done.split_whitespace().filter_map(|p| p.split('=').next()).collect();
    let last = last.to_lowercase();
    let prefix = if done.trim().is_empty() { String::new() } else { format!("{} ", done.trim_end()) };
    let mut ranked: Vec<(bool, &str)> = names
        .iter()
        .filter(|n| !named.contains(n))
        .filter_map(|n| {
            let lower = n.to_lowercase();
            if lower.starts_with(&last) {
                Some((false, *n))
            } else if lower.contains(&last) {
                Some((true, *n))
            } else {
                None
            }
        })
        .collect();
    ranked.sort();
    ranked
        .into_iter()
        .map(|(_, name)| format!("{prefix}{name}="))
        .filter(|s| s.chars().count() <= SUGGESTION_MAX)
        .take(SUGGESTIONS_MAX)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autocomplete_completes_the_last_name_being_typed() {
        let all = ["solar-farms", "weather-dapp", "wind-solar"];
        assert_eq!(suggestions("", &all), ["solar-farms=", "weather-dapp=", "wind-solar="]);
        assert_eq!(suggestions("sol", &all), ["solar-farms=", "wind-solar="], "prefix matches first");
        assert_eq!(
            suggestions("solar-farms=60 w", &all),
            ["solar-farms=60 weather-dapp=", "solar-farms=60 wind-solar="]
        );
        assert_eq!(suggestions("solar-farms=60 so", &all), ["solar-farms=60 wind-solar="], "not named twice");
        assert!(suggestions("solar-farms=6", &all).is_empty());
    }
}
