//! The Discord adapter (serenity): interactions in, the shared command
//! layer, rendered embeds and components out. Two transports share one
//! [`handler`]: the HTTP interactions endpoint (an axum [`Router`] serving
//! `POST /discord/interactions`, every request's Ed25519 signature checked
//! against the application's public key) and the gateway (a serenity
//! [`serenity::Client`]). Announcements are posted to channels over
//! Discord's REST API; `register_commands` installs the slash commands.

pub mod cooldown;
pub mod handler;
pub mod render;
pub mod slash;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serenity::all::{ChannelId, Context, EventHandler, GatewayIntents, GuildId, Interaction, Ready};
use serenity::http::{Http, HttpBuilder};
use serenity::interactions_endpoint::Verifier;
use serenity::model::id::ApplicationId;

use self::cooldown::Cooldown;
use self::handler::Handler;
use crate::commands::Commands;
use crate::reply::Reply;

/// Discord's REST API base; serenity adds `/api/v10/…`.
pub const API_URL: &str = "https://discord.com";
/// The path of the interactions endpoint.
pub const ENDPOINT_PATH: &str = "/discord/interactions";
/// How old (or how far ahead) a signed request's timestamp may be, so a
/// captured request cannot be replayed later.
const MAX_CLOCK_SKEW_SECS: i64 = 300;
/// Discord's interaction deadline is 3 s; defer a little before.
const DEFAULT_DEADLINE: Duration = Duration::from_millis(2_500);

/// Why the Discord adapter could not start or act. Never carries the token.
#[derive(Debug, thiserror::Error)]
pub enum DiscordError {
    /// The application's public key is not 64 hex digits of a valid Ed25519 key.
    #[error("the Discord public key must be the 64 hex digits shown on the application's page")]
    BadPublicKey,
    /// Discord's API refused or could not be reached.
    #[error("the Discord API failed: {0}")]
    Api(Box<serenity::Error>),
}

impl From<serenity::Error> for DiscordError {
    fn from(e: serenity::Error) -> Self {
        Self::Api(Box::new(e))
    }
}

/// The Discord bot.
#[derive(Clone)]
pub struct Discord {
    /// The bot token: a secret, only handed to serenity.
    token: Arc<str>,
    application_id: ApplicationId,
    api_url: Option<Arc<str>>,
    http: Arc<Http>,
    commands: Commands,
    announce_channels: Arc<Vec<ChannelId>>,
    cooldown: (NonZeroU32, Duration),
    deadline: Duration,
}

/// A running gateway client.
pub struct Running {
    shards: Arc<serenity::gateway::ShardManager>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Closes the gateway connection and waits for the client to end.
    pub async fn stop(self) {
        self.shards.shutdown_all().await;
        let _ = self.task.await;
    }
}

impl Discord {
    /// A bot with this token (a secret: never logged) for this application.
    pub fn new(token: &str, application_id: u64, commands: Commands) -> Self {
        let mut d = Self {
            token: Arc::from(token.trim()),
            application_id: ApplicationId::new(application_id.max(1)),
            api_url: None,
            http: Arc::new(HttpBuilder::new("placeholder").build()),
            commands,
            announce_channels: Arc::default(),
            cooldown: (NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN), Duration::from_secs(3)),
            deadline: DEFAULT_DEADLINE,
        };
        d.http = Arc::new(d.http_builder().build());
        d
    }

    /// Talks to another REST API base (a test stand-in, or a proxy such as
    /// twilight-http-proxy) instead of [`API_URL`], without serenity's own
    /// rate limiter (the proxy's job then). The gateway's address comes from
    /// that API too (`GET /api/v10/gateway`).
    #[must_use]
    pub fn with_api_url(mut self, api_url: &str) -> Self {
        let url = api_url.trim_end_matches('/');
        self.api_url = (url != API_URL).then(|| Arc::from(url));
        self.http = Arc::new(self.http_builder().build());
        self
    }

    fn http_builder(&self) -> HttpBuilder {
        let b = HttpBuilder::new(&*self.token).application_id(self.application_id);
        match &self.api_url {
            Some(url) => b.proxy(&**url).ratelimiter_disabled(true),
            None => b,
        }
    }

    /// Channels that get announcements.
    #[must_use]
    pub fn with_announce_channels(mut self, channels: Vec<u64>) -> Self {
        self.announce_channels = Arc::new(channels.into_iter().filter(|c| *c != 0).map(ChannelId::new).collect());
        self
    }

    /// Votes per user: `burst` at once, then one every `every` (default 5, 3 s).
    #[must_use]
    pub fn with_vote_cooldown(mut self, burst: NonZeroU32, every: Duration) -> Self {
        self.cooldown = (burst, every);
        self
    }

    /// How long slow work may take before the answer is deferred (default
    /// 2.5 s; zero defers every vote).
    #[must_use]
    pub const fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    fn handler(&self) -> Arc<Handler> {
        Arc::new(Handler {
            commands: self.commands.clone(),
            http: self.http.clone(),
            cooldown: Cooldown::new(self.cooldown.0, self.cooldown.1),
            deadline: self.deadline,
        })
    }

    /// The interactions endpoint (`POST /discord/interactions`) for the
    /// application with this public key (hex); merge it into the web server
    /// and set its public URL as the application's Interactions Endpoint URL.
    pub fn endpoint_router(&self, public_key_hex: &str) -> Result<Router, DiscordError> {
        let key = public_key_bytes(public_key_hex).ok_or(DiscordError::BadPublicKey)?;
        let verifier = Verifier::try_new(key).map_err(|_| DiscordError::BadPublicKey)?;
        let state = EndpointState { verifier: Arc::new(verifier), handler: self.handler() };
        Ok(Router::new().route(ENDPOINT_PATH, axum::routing::post(interactions)).with_state(state))
    }

    /// Connects to the gateway and serves interactions from it until stopped.
    pub async fn start_gateway(&self) -> Result<Running, DiscordError> {
        let handler = GatewayHandler { handler: self.handler() };
        // Interactions need no intent; GUILDS is not privileged.
        let mut client =
            serenity::all::ClientBuilder::new_with_http(self.http_builder().build(), GatewayIntents::GUILDS)
                .event_handler(handler)
                .await?;
        let shards = client.shard_manager.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = client.start().await {
                tracing::error!(error = %e, "discord gateway client stopped");
            }
        });
        Ok(Running { shards, task })
    }

    /// Installs the slash commands, globally or in one guild (instant; global
    /// commands can take a while to show). Returns how many there are.
    pub async fn register_commands(&self, guild: Option<u64>) -> Result<usize, DiscordError> {
        let defs = slash::definitions();
        let made = match guild {
            Some(g) => self.http.create_guild_commands(GuildId::new(g.max(1)), &defs).await?,
            None => self.http.create_global_commands(&defs).await?,
        };
        Ok(made.len())
    }

    /// Posts `reply` to every announcement channel; failures are logged.
    pub async fn announce(&self, reply: &Reply) {
        for channel in self.announce_channels.iter() {
            if let Err(e) = channel.send_message(&self.http, render::message(reply)).await {
                tracing::warn!(channel = channel.get(), error = %e, "discord announcement failed");
            }
        }
    }
}

#[async_trait::async_trait]
impl crate::announce::Sink for Discord {
    async fn post(&self, reply: &Reply) {
        self.announce(reply).await;
    }
}

/// Reads a 64-hex-digit public key.
fn public_key_bytes(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[derive(Clone)]
struct EndpointState {
    verifier: Arc<Verifier>,
    handler: Arc<Handler>,
}

/// Checks the signature over timestamp + body, then answers the interaction.
async fn interactions(State(s): State<EndpointState>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(signature), Some(timestamp)) = (header("x-signature-ed25519"), header("x-signature-timestamp")) else {
        tracing::warn!("discord interaction without signature headers refused");
        return (StatusCode::UNAUTHORIZED, "missing request signature").into_response();
    };
    if s.verifier.verify(signature, timestamp, &body).is_err() {
        tracing::warn!("discord interaction with a bad signature refused");
        return (StatusCode::UNAUTHORIZED, "invalid request signature").into_response();
    }
    let fresh =
        timestamp.parse::<i64>().is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() <= MAX_CLOCK_SKEW_SECS);
    if !fresh {
        tracing::warn!("discord interaction with a stale timestamp refused");
        return (StatusCode::UNAUTHORIZED, "stale request timestamp").into_response();
    }
    let interaction: Interaction = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "discord interaction does not parse");
            return (StatusCode::BAD_REQUEST, "unreadable interaction").into_response();
        }
    };
    match s.handler.handle(interaction).await {
        Some(response) => axum::Json(response).into_response(),
        None => (StatusCode::BAD_REQUEST, "unsupported interaction type").into_response(),
    }
}

struct GatewayHandler {
    handler: Arc<Handler>,
}

#[serenity::async_trait]
impl EventHandler for GatewayHandler {
    async fn ready(&self, _: Context, ready: Ready) {
        tracing::info!(user = %ready.user.name, "discord gateway connected");
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let (id, token) = (interaction.id(), interaction.token().to_owned());
        if let Some(response) = self.handler.handle(interaction).await
            && let Err(e) = ctx.http.create_interaction_response(id, &token, &response, Vec::new()).await
        {
            tracing::warn!(error = %e, "discord interaction response failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_key_is_64_hex_digits() {
        assert!(public_key_bytes(&"ab".repeat(32)).is_some());
        assert!(public_key_bytes(&"ab".repeat(31)).is_none());
        assert!(public_key_bytes(&"zz".repeat(32)).is_none());
        assert!(public_key_bytes(&"é".repeat(32)).is_none());
    }
}
