//! The Telegram adapter (teloxide): updates in, the command layer, rendered
//! replies out. Long polling by default; in webhook mode the updates arrive
//! on an axum [`Router`] that the binary merges into its web server, each
//! request checked against Telegram's secret-token header.

pub mod render;

use std::sync::Arc;

use axum::Router;
use chrono::Utc;
use iodao_core::{ChatAccount, Platform};
use teloxide::dispatching::{Dispatcher, ShutdownToken, UpdateFilterExt};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::payloads::{
    AnswerCallbackQuerySetters, EditMessageReplyMarkupSetters, SendMessageSetters, SetWebhookSetters,
};
use teloxide::requests::Requester;
use teloxide::types::{CallbackQuery, ChatId, Message, ParseMode, Update, UpdateKind, UserId};
use teloxide::update_listeners::Polling;
use teloxide::{Bot, dptree};

use crate::commands::{Commands, Origin};
use crate::reply::{Reply, Tone};

/// Why the Telegram adapter could not start. Never carries the token.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    /// The Bot API refused or could not be reached (token hidden by teloxide).
    #[error("the Telegram Bot API failed: {0}")]
    Api(#[from] teloxide::RequestError),
    /// A URL in the configuration does not parse.
    #[error("`{0}` is not a URL")]
    BadUrl(String),
    /// The webhook secret does not satisfy Telegram (1-256 of A-Z a-z 0-9 _ -).
    #[error("the webhook secret must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -")]
    BadSecret,
}

struct Shared {
    commands: Commands,
    username: Option<String>,
}

/// The Telegram bot.
#[derive(Clone)]
pub struct Telegram {
    bot: Bot,
    commands: Commands,
    announce_chats: Arc<Vec<ChatId>>,
}

/// A running dispatcher.
pub struct Running {
    shutdown: ShutdownToken,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops taking updates, lets the handlers in flight finish and confirms
    /// the updates handled so far to Telegram, then returns.
    pub async fn stop(self) {
        match self.shutdown.shutdown() {
            Ok(done) => done.await,
            Err(_) => self.task.abort(),
        }
        let _ = self.task.await;
    }
}

impl Telegram {
    /// A bot with this token (a secret: it is never logged).
    pub fn new(token: &str, commands: Commands) -> Self {
        Self { bot: Bot::new(token), commands, announce_chats: Arc::default() }
    }

    /// Talks to another Bot API server (a local one, or a test stand-in).
    pub fn with_api_url(mut self, url: &str) -> Result<Self, TelegramError> {
        let url = url.parse().map_err(|_| TelegramError::BadUrl(url.to_owned()))?;
        self.bot = self.bot.set_api_url(url);
        Ok(self)
    }

    /// Chats that get announcements.
    #[must_use]
    pub fn with_announce_chats(mut self, chats: Vec<i64>) -> Self {
        self.announce_chats = Arc::new(chats.into_iter().map(ChatId).collect());
        self
    }

    async fn shared(&self) -> Result<Arc<Shared>, TelegramError> {
        let me = self.bot.get_me().await?;
        tracing::info!(username = me.username(), "telegram bot connected");
        Ok(Arc::new(Shared { commands: self.commands.clone(), username: me.user.username.clone() }))
    }

    async fn dispatcher(
        &self,
    ) -> Result<Dispatcher<Bot, teloxide::RequestError, teloxide::dispatching::DefaultKey>, TelegramError> {
        let shared = self.shared().await?;
        let handler = dptree::entry()
            .branch(Update::filter_message().endpoint(on_message))
            .branch(Update::filter_callback_query().endpoint(on_callback));
        Ok(Dispatcher::builder(self.bot.clone(), handler).dependencies(dptree::deps![shared]).build())
    }

    /// Starts long polling (after removing any webhook).
    pub async fn start_polling(&self) -> Result<Running, TelegramError> {
        let mut dispatcher = self.dispatcher().await?;
        let shutdown = dispatcher.shutdown_token();
        let listener = Polling::builder(self.bot.clone())
            .timeout(std::time::Duration::from_secs(20))
            .delete_webhook()
            .await
            .build();
        let task = tokio::spawn(async move {
            dispatcher
                .dispatch_with_listener(listener, LoggingErrorHandler::with_custom_text("telegram update listener"))
                .await;
        });
        Ok(Running { shutdown, task })
    }

    /// Registers the webhook with Telegram and returns the router that
    /// serves its path (merge it into the web server). Updates are handled
    /// as they are posted; a request without the right secret header gets
    /// 401 and is not read.
    pub async fn start_webhook(&self, url: &str, secret: &str) -> Result<Router, TelegramError> {
        let router = self.webhook_router(url, secret).await?;
        let parsed: url::Url = url.parse().map_err(|_| TelegramError::BadUrl(url.to_owned()))?;
        self.bot.set_webhook(parsed).secret_token(secret.to_owned()).await?;
        tracing::info!(%url, "telegram webhook registered");
        Ok(router)
    }

    /// The webhook's router, without telling Telegram (for tests, and for a
    /// webhook registered by hand). It serves `POST` on `url`'s path.
    pub async fn webhook_router(&self, url: &str, secret: &str) -> Result<Router, TelegramError> {
        let parsed: url::Url = url.parse().map_err(|_| TelegramError::BadUrl(url.to_owned()))?;
        if secret.is_empty()
            || secret.len() > 256
            || !secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(TelegramError::BadSecret);
        }
        let shared = self.shared().await?;
        let state = WebhookState { bot: self.bot.clone(), shared, secret: Arc::from(secret) };
        Ok(Router::new().route(parsed.path(), axum::routing::post(webhook)).with_state(state))
    }

    /// Posts `reply` to every announcement chat; failures are logged.
    pub async fn announce(&self, reply: &Reply) {
        for chat in self.announce_chats.iter() {
            if let Err(e) = send(&self.bot, *chat, reply).await {
                tracing::warn!(chat = chat.0, error = %e, "telegram announcement failed");
            }
        }
    }
}

#[async_trait::async_trait]
impl crate::announce::Sink for Telegram {
    async fn post(&self, reply: &Reply) {
        self.announce(reply).await;
    }
}

async fn send(bot: &Bot, chat: ChatId, reply: &Reply) -> Result<Message, teloxide::RequestError> {
    let mut req = bot.send_message(chat, render::html(reply)).parse_mode(ParseMode::Html);
    if let Some(kb) = render::keyboard(&reply.buttons) {
        req = req.reply_markup(kb);
    }
    req.await
}

#[derive(Clone)]
struct WebhookState {
    bot: Bot,
    shared: Arc<Shared>,
    secret: Arc<str>,
}

/// Compares in time independent of where the first difference is.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

async fn webhook(
    axum::extract::State(s): axum::extract::State<WebhookState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::http::StatusCode {
    use axum::http::StatusCode;
    let given = headers.get("x-telegram-bot-api-secret-token").map(axum::http::HeaderValue::as_bytes);
    if !given.is_some_and(|g| same_secret(g, s.secret.as_bytes())) {
        tracing::warn!("telegram webhook request without the right secret token refused");
        return StatusCode::UNAUTHORIZED;
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            // Telegram would resend it forever: log and accept.
            tracing::warn!(error = %e, "telegram webhook update does not parse");
            return StatusCode::OK;
        }
    };
    let handled = match update.kind {
        UpdateKind::Message(m) => on_message(s.bot, m, s.shared).await,
        UpdateKind::CallbackQuery(q) => on_callback(s.bot, q, s.shared).await,
        _ => Ok(()),
    };
    if let Err(e) = handled {
        tracing::warn!(error = %e, "telegram webhook update failed");
    }
    StatusCode::OK
}

fn account(user: UserId) -> ChatAccount {
    ChatAccount::new(Platform::Telegram, user.0)
}

async fn on_message(bot: Bot, msg: Message, shared: Arc<Shared>) -> Result<(), teloxide::RequestError> {
    let (Some(text), Some(user)) = (msg.text(), msg.from.as_ref()) else {
        return Ok(());
    };
    if user.is_bot {
        return Ok(());
    }
    let private = msg.chat.is_private();
    let from = Origin { account: account(user.id), private };
    let Some(reply) = shared.commands.on_text(&from, text, shared.username.as_deref(), Utc::now()).await else {
        return Ok(());
    };
    if reply.is_private() && !private {
        // To the user alone; a user who never opened a chat with the bot
        // cannot be messaged first, so say so in the group.
        if send(&bot, ChatId::from(user.id), &reply).await.is_err() {
            let note = Reply::public().text(
                "I cannot message you privately yet: open a chat with me, press Start, then send the command again.",
            );
            send(&bot, msg.chat.id, &note).await?;
        }
        return Ok(());
    }
    send(&bot, msg.chat.id, &reply).await?;
    Ok(())
}

async fn on_callback(bot: Bot, q: CallbackQuery, shared: Arc<Shared>) -> Result<(), teloxide::RequestError> {
    let data = q.data.as_deref().unwrap_or_default();
    let done = shared.commands.on_action(&account(q.from.id), data, Utc::now()).await;
    if let (Some(kb), Some(m)) = (done.keyboard.as_deref(), q.regular_message())
        && let Some(markup) = render::keyboard(kb)
    {
        bot.edit_message_reply_markup(m.chat.id, m.id).reply_markup(markup).await?;
    }
    bot.answer_callback_query(q.id.clone())
        .text(render::toast(&done.answer))
        .show_alert(done.answer.tone == Tone::Error)
        .await?;
    Ok(())
}
