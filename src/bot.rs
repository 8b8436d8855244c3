//! The chat bots in `serve`: built from configuration when their token is
//! set, with the command layer over the process's services, and one
//! announcer that tells every configured Telegram chat and Discord channel
//! what changed.

use std::sync::Arc;

use anyhow::Context;
use iodao_bot::telegram::{Running, Telegram};
use iodao_bot::{Announcer, Commands};
use tokio::sync::watch;

use crate::config::{Config, TelegramMode};

/// The path the Telegram webhook is served on, under `web.public_url`.
pub const TELEGRAM_WEBHOOK_PATH: &str = "/telegram/webhook";

/// What `serve` started for Telegram.
#[derive(Default)]
pub struct Bots {
    /// Routes to merge into the web server (the Telegram webhook).
    pub router: Option<axum::Router>,
    /// The bot, when it is configured (an announcement sink if it has chats).
    pub telegram: Option<Telegram>,
    polling: Option<Running>,
}

impl Bots {
    /// Stops the dispatcher (confirming the updates it handled).
    pub async fn stop(self) {
        if let Some(p) = self.polling {
            p.stop().await;
        }
    }
}

/// Starts the Telegram bot if its token is configured.
pub async fn start(cfg: &Config, commands: &Commands) -> anyhow::Result<Bots> {
    let Some(token) = cfg.telegram.token()? else {
        tracing::info!("no Telegram token (IODAO_TELEGRAM_TOKEN or telegram.token_file): the Telegram bot is off");
        return Ok(Bots::default());
    };
    let telegram = Telegram::new(&token, commands.clone())
        .with_api_url(&cfg.telegram.api_url)
        .context("config key `telegram.api_url`")?
        .with_announce_chats(cfg.telegram.announce_chats.clone());
    let mut bots = Bots::default();
    match cfg.telegram.mode {
        TelegramMode::Polling => {
            bots.polling = Some(telegram.start_polling().await.context("cannot start the Telegram bot")?);
            tracing::info!("telegram bot polling for updates");
        }
        TelegramMode::Webhook => {
            let url = format!("{}{TELEGRAM_WEBHOOK_PATH}", cfg.links.base_url);
            let secret = cfg.telegram.webhook_secret()?;
            bots.router =
                Some(telegram.start_webhook(&url, &secret).await.context("cannot register the Telegram webhook")?);
        }
    }
    bots.telegram = Some(telegram);
    Ok(bots)
}

/// Starts the one announcer of the process: it takes its first look now
/// (remembering what is already there, so a restart announces nothing
/// twice), then every `governance.lifecycle_interval` looks in the store for
/// news, whoever made it, and posts each piece to every sink. `None` when no
/// bot has anywhere to announce.
pub async fn announce(
    cfg: &Config,
    commands: &Commands,
    telegram: Option<&Telegram>,
    discord: Option<&iodao_bot::discord::Discord>,
    mut stop: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let mut announcer = Announcer::new(commands.clone());
    if let Some(t) = telegram.filter(|_| !cfg.telegram.announce_chats.is_empty()) {
        announcer = announcer.with_sink(Arc::new(t.clone()));
    }
    if let Some(d) = discord.filter(|_| cfg.discord.as_ref().is_some_and(|d| !d.announce_channels.is_empty())) {
        announcer = announcer.with_sink(Arc::new(d.clone()));
    }
    if announcer.is_empty() {
        return None;
    }
    announcer.look().await;
    let stop = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    Some(tokio::spawn(announcer.run(cfg.lifecycle_interval, stop)))
}
