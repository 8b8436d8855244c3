//! The chat bots in `serve`: built from configuration when their token is
//! set, with the command layer over the process's services, and an
//! announcer that tells the configured chats what changed.

use std::sync::Arc;

use anyhow::Context;
use iodao_bot::telegram::{Running, Telegram};
use iodao_bot::{Commands, Watcher};
use iodao_core::{Allocations, Governance, Links};
use tokio::sync::watch;

use crate::config::{Config, TelegramMode};
use crate::wiring;

/// The path the Telegram webhook is served on, under `web.public_url`.
pub const TELEGRAM_WEBHOOK_PATH: &str = "/telegram/webhook";

/// What `serve` started for the bots.
#[derive(Default)]
pub struct Bots {
    /// Routes to merge into the web server (the Telegram webhook).
    pub router: Option<axum::Router>,
    polling: Option<Running>,
    announcer: Option<tokio::task::JoinHandle<()>>,
}

impl Bots {
    /// Stops the dispatcher (confirming the updates it handled) and the announcer.
    pub async fn stop(self) {
        if let Some(p) = self.polling {
            p.stop().await;
        }
        if let Some(a) = self.announcer {
            let _ = a.await;
        }
    }
}

/// The command layer over the services of this process.
fn commands(cfg: &Config, governance: &Governance) -> anyhow::Result<Commands> {
    let store = governance.store().clone();
    let stake = wiring::stake(cfg, &store)?;
    let links = Links::new(store.clone(), cfg.links.clone());
    let allocations = Allocations::new(store.clone(), stake.clone());
    let epochs = wiring::epochs(cfg, store)?;
    let schedule = cfg.epochs.clone();
    Ok(Commands::new(governance.clone(), links, allocations, epochs, stake)
        .with_schedule(Arc::new(move |now| schedule.next_slot(now))))
}

/// Starts the Telegram bot if its token is configured.
pub async fn start(cfg: &Config, governance: &Governance, stop: watch::Receiver<bool>) -> anyhow::Result<Bots> {
    let Some(token) = cfg.telegram.token()? else {
        tracing::info!("no Telegram token (IODAO_TELEGRAM_TOKEN or telegram.token_file): the Telegram bot is off");
        return Ok(Bots::default());
    };
    let commands = commands(cfg, governance)?;
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
    if !cfg.telegram.announce_chats.is_empty() {
        bots.announcer = Some(tokio::spawn(announce(telegram, commands, cfg.lifecycle_interval, stop)));
    }
    Ok(bots)
}

/// Looks for news every `every` and posts each piece to the announcement chats.
async fn announce(telegram: Telegram, commands: Commands, every: std::time::Duration, mut stop: watch::Receiver<bool>) {
    let mut watcher = Watcher::new();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        for event in watcher.poll(&commands).await {
            if let Some(reply) = commands.announcement(&event).await {
                telegram.announce(&reply).await;
            }
        }
    }
}
