//! The Discord bot: `iodao discord register-commands`, and starting it in
//! `serve` (gateway client or interactions endpoint) when it is configured.

use anyhow::{Context, bail};
use iodao_bot::Commands;
use iodao_bot::discord::Discord;

use crate::config::{Config, DiscordConfig, DiscordMode};
use crate::wiring;

/// The bot over the configured services, if Discord is configured and a
/// token is present. The token is read here and handed only to serenity.
pub fn bot(cfg: &Config, commands: &Commands) -> anyhow::Result<Option<(Discord, DiscordConfig)>> {
    let Some(d) = cfg.discord.clone() else {
        return Ok(None);
    };
    let Some(token) = d.token()? else {
        tracing::warn!("discord.application_id is set but no token: set IODAO_DISCORD_TOKEN or discord.token_file");
        return Ok(None);
    };
    let bot = Discord::new(&token, d.application_id, commands.clone())
        .with_api_url(&d.api_url)
        .with_vote_cooldown(d.vote_burst, d.vote_cooldown)
        .with_announce_channels(d.announce_channels.clone());
    Ok(Some((bot, d)))
}

/// What `serve` runs for Discord.
pub enum Started {
    /// The gateway client (stop it at shutdown).
    Gateway(iodao_bot::discord::Running),
    /// The interactions endpoint's routes, to merge into the web server.
    Endpoint(axum::Router),
}

/// Starts the configured transport.
pub async fn start(bot: &Discord, d: &DiscordConfig) -> anyhow::Result<Started> {
    match d.mode {
        DiscordMode::Gateway => {
            let running = bot.start_gateway().await.context("cannot start the Discord gateway client")?;
            tracing::info!("discord bot started (gateway)");
            Ok(Started::Gateway(running))
        }
        DiscordMode::Endpoint => {
            let key = d.public_key.as_deref().unwrap_or_default();
            let router = bot.endpoint_router(key).context("config key `discord.public_key`")?;
            tracing::info!(path = iodao_bot::discord::ENDPOINT_PATH, "discord bot started (interactions endpoint)");
            Ok(Started::Endpoint(router))
        }
    }
}

/// `iodao discord register-commands`.
pub async fn register_commands(cfg: &Config, guild: Option<u64>, global: bool) -> anyhow::Result<()> {
    let Some(d) = cfg.discord.clone() else {
        bail!("Discord is not configured: set config key `discord.application_id`");
    };
    let Some(token) = d.token()? else {
        bail!("no Discord token: set IODAO_DISCORD_TOKEN or config key `discord.token_file`");
    };
    let governance = wiring::governance(cfg).await?;
    let epochs = wiring::epochs(cfg, governance.store().clone(), governance.stake().clone())?;
    let commands = wiring::bot_commands(cfg, &governance, epochs);
    let bot = Discord::new(&token, d.application_id, commands).with_api_url(&d.api_url);
    let guild = if global { None } else { guild.or(d.guild) };
    let n = bot.register_commands(guild).await.context("Discord refused the commands")?;
    match guild {
        Some(g) => println!("{n} slash commands registered in guild {g}"),
        None => println!("{n} slash commands registered globally (they can take up to an hour to show)"),
    }
    governance.store().close().await;
    Ok(())
}
