//! Configuration: `iodao.toml` (or `--config`), overridden by `IODAO_…`
//! environment variables (`__` separates sections: `IODAO_WEB__BIND`).
//! Every value is checked at start; a bad one fails with the key's name.
//! Secrets are never read from the TOML file (later issues read bot tokens
//! and keys from the environment or from files named here).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy_primitives::B256;
use anyhow::bail;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use iodao_allocator::{CategoryBounds, Policy};
use iodao_core::epochs::parse_limit;
use iodao_core::{Address, Amount, Bps, Category, EpochSettings, LinkSettings, ProposalRules, RecipientBounds};
use serde::{Deserialize, Serialize};

/// Reads a value written as text or as a whole number, keeping it as text.
/// A TOML float is refused: it has already been rounded.
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("text or a whole number")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<String, E> {
            Err(E::custom(format!("{v} is a float; write decimals in quotes (\"{v}\") so they stay exact")))
        }
    }
    d.deserialize_any(V)
}

/// The authority (host and port) of an http(s) URL: the EIP-4361 domain.
fn authority(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("`{url}` is not an http:// or https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains('@') {
        return Err(format!("`{url}` has no host (or has credentials)"));
    }
    Ok(host.to_owned())
}

/// An EIP-712 salt: 32 bytes as 0x and 64 hex digits, not all zero (the
/// salt of anything left unset).
fn salt(text: &str) -> Result<B256, String> {
    let hex = text.strip_prefix("0x").ok_or_else(|| format!("`{text}` does not start with 0x"))?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("`{text}` is not 0x and 64 hex digits (32 bytes; e.g. `openssl rand -hex 32` after 0x)"));
    }
    let salt: B256 = text.parse().map_err(|e| format!("`{text}`: {e}"))?;
    if salt.is_zero() {
        return Err("a salt of zeros is every unset salt; pick random bytes (`openssl rand -hex 32`)".into());
    }
    Ok(salt)
}

/// Reads a list written as an array or as one comma-separated string (the
/// form an environment variable can carry).
fn list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        Many(Vec<String>),
        One(String),
    }
    Ok(match Form::deserialize(d)? {
        Form::Many(v) => v,
        Form::One(s) => s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect(),
    })
}

/// The file as written: plain strings, checked by [`Config::from_raw`].
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    database_url: String,
    web: RawWeb,
    chain: RawChain,
    links: RawLinks,
    stake: RawStake,
    governance: RawGovernance,
    epochs: RawEpochs,
    discord: RawDiscord,
    telegram: RawTelegram,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawDiscord {
    #[serde(deserialize_with = "text")]
    application_id: String,
    public_key: String,
    mode: String,
    #[serde(deserialize_with = "text")]
    guild: String,
    #[serde(deserialize_with = "id_list")]
    announce_channels: Vec<String>,
    token_file: String,
    api_url: String,
    vote_cooldown: String,
    #[serde(deserialize_with = "text")]
    vote_burst: String,
}

/// Reads a list of snowflakes: an array of numbers or strings, or one
/// comma-separated string.
fn id_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(u64),
        Text(String),
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        Many(Vec<Id>),
        One(String),
    }
    Ok(match Form::deserialize(d)? {
        Form::Many(v) => v
            .into_iter()
            .map(|i| match i {
                Id::Number(n) => n.to_string(),
                Id::Text(t) => t,
            })
            .collect(),
        Form::One(s) => s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect(),
    })
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawTelegram {
    mode: String,
    #[serde(deserialize_with = "list")]
    announce_chats: Vec<String>,
    token_file: String,
    webhook_secret_file: String,
    api_url: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawEpochs {
    schedule: String,
    #[serde(deserialize_with = "text")]
    budget: String,
    recipient_cap: String,
    #[serde(deserialize_with = "text")]
    min_payout: String,
    smoothing: String,
    #[serde(default)]
    categories: BTreeMap<String, RawCategory>,
    #[serde(default)]
    groups: BTreeMap<String, String>,
    #[serde(default)]
    recipients: BTreeMap<String, RawRecipient>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    #[serde(default)]
    min: String,
    #[serde(default)]
    max: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawRecipient {
    #[serde(default)]
    cap: String,
    #[serde(default)]
    floor: String,
    #[serde(default)]
    group: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawWeb {
    bind: String,
    public_url: String,
    admin_token_file: String,
    explorer_tx_url: String,
    rate_limit_period: String,
    #[serde(deserialize_with = "text")]
    rate_limit_burst: String,
    cache_ttl: String,
    #[serde(deserialize_with = "text")]
    cache_bytes: String,
    #[serde(deserialize_with = "list")]
    trusted_proxies: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawChain {
    #[serde(deserialize_with = "text")]
    id: String,
    rpc_url: String,
    distributor: String,
    #[serde(deserialize_with = "text")]
    confirmations: String,
    #[serde(deserialize_with = "text")]
    batch_size: String,
    #[serde(deserialize_with = "text")]
    batch_gas: String,
    executor_key_file: String,
    ioid_registry: String,
    eip712_salt: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawLinks {
    ttl: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawStake {
    source: String,
    csv: String,
    #[serde(deserialize_with = "text")]
    block: String,
    rpc_url: String,
    token: String,
    #[serde(deserialize_with = "text")]
    from_block: String,
    #[serde(deserialize_with = "text")]
    log_chunk: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawGovernance {
    #[serde(deserialize_with = "text")]
    quorum: String,
    #[serde(deserialize_with = "text")]
    threshold: String,
    voting_delay: String,
    voting_period: String,
    lifecycle_interval: String,
    #[serde(deserialize_with = "text")]
    proposal_threshold: String,
    #[serde(deserialize_with = "list")]
    admins: Vec<String>,
}

impl Default for Raw {
    fn default() -> Self {
        Self {
            database_url: "sqlite://iodao.db".into(),
            web: RawWeb {
                bind: "127.0.0.1:8080".into(),
                public_url: "http://127.0.0.1:8080".into(),
                admin_token_file: String::new(),
                explorer_tx_url: String::new(),
                rate_limit_period: "500ms".into(),
                rate_limit_burst: "20".into(),
                cache_ttl: "1s".into(),
                cache_bytes: "67108864".into(),
                trusted_proxies: Vec::new(),
            },
            chain: RawChain {
                id: "4689".into(),
                rpc_url: String::new(),
                distributor: String::new(),
                confirmations: "1".into(),
                batch_size: "200".into(),
                batch_gas: "15000000".into(),
                executor_key_file: String::new(),
                ioid_registry: String::new(),
                eip712_salt: String::new(),
            },
            links: RawLinks { ttl: "10m".into() },
            stake: RawStake {
                source: "csv".into(),
                csv: "stake.csv".into(),
                block: "0".into(),
                rpc_url: String::new(),
                token: String::new(),
                from_block: "0".into(),
                log_chunk: "10000".into(),
            },
            governance: RawGovernance {
                quorum: "1000".into(),
                threshold: "50".into(),
                voting_delay: "0s".into(),
                voting_period: "7days".into(),
                lifecycle_interval: "15s".into(),
                proposal_threshold: "100".into(),
                admins: Vec::new(),
            },
            telegram: RawTelegram {
                mode: "polling".into(),
                announce_chats: Vec::new(),
                token_file: String::new(),
                webhook_secret_file: String::new(),
                api_url: "https://api.telegram.org".into(),
            },
            epochs: RawEpochs {
                schedule: "0 0 * * 1".into(),
                budget: "10000".into(),
                recipient_cap: String::new(),
                min_payout: "1".into(),
                smoothing: String::new(),
                categories: BTreeMap::new(),
                groups: BTreeMap::new(),
                recipients: BTreeMap::new(),
            },
            discord: RawDiscord {
                application_id: String::new(),
                public_key: String::new(),
                mode: "gateway".into(),
                guild: String::new(),
                announce_channels: Vec::new(),
                token_file: String::new(),
                api_url: iodao_bot::discord::API_URL.into(),
                vote_cooldown: "3s".into(),
                vote_burst: "5".into(),
            },
        }
    }
}

/// How Discord interactions arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscordMode {
    /// The bot connects to Discord's gateway (no public URL needed).
    Gateway,
    /// Discord posts interactions to `POST /discord/interactions` on the web
    /// server (its public URL is the application's Interactions Endpoint URL).
    Endpoint,
}

/// The Discord bot. The token is not here: it is read from
/// `IODAO_DISCORD_TOKEN` or the file `discord.token_file` when the bot
/// starts, and never logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscordConfig {
    /// The application (client) id.
    pub application_id: u64,
    /// The application's Ed25519 public key, 64 hex digits (endpoint mode).
    pub public_key: Option<String>,
    /// Gateway or interactions endpoint.
    pub mode: DiscordMode,
    /// The guild `discord register-commands` installs into by default.
    pub guild: Option<u64>,
    /// Channels that get announcements.
    pub announce_channels: Vec<u64>,
    /// A file holding the bot token.
    pub token_file: Option<PathBuf>,
    /// The REST API's base, without `/api/v10` (serenity adds it).
    pub api_url: String,
    /// Votes per user at once, before the cooldown applies.
    pub vote_burst: NonZeroU32,
    /// After the burst, one more vote per user every this long.
    pub vote_cooldown: Duration,
}

impl DiscordConfig {
    /// The bot token: `IODAO_DISCORD_TOKEN`, else the token file; `None`
    /// when neither is set.
    pub fn token(&self) -> anyhow::Result<Option<String>> {
        if let Ok(t) = std::env::var("IODAO_DISCORD_TOKEN")
            && !t.trim().is_empty()
        {
            return Ok(Some(t.trim().to_owned()));
        }
        let Some(path) = &self.token_file else {
            return Ok(None);
        };
        let t = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the Discord token file {}: {e}", path.display()))?;
        Ok(Some(t.trim().to_owned()).filter(|t| !t.is_empty()))
    }
}

impl RawDiscord {
    /// `None` when no application id is set (Discord is off).
    fn check(self) -> anyhow::Result<Option<DiscordConfig>> {
        fn snowflake(name: &str, s: &str) -> anyhow::Result<u64> {
            s.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| anyhow::anyhow!("config key `discord.{name}`: `{s}` is not a Discord id (digits)"))
        }
        if self.application_id.trim().is_empty() {
            return Ok(None);
        }
        let mode = match self.mode.trim() {
            "gateway" => DiscordMode::Gateway,
            "endpoint" => DiscordMode::Endpoint,
            other => bail!("config key `discord.mode`: `{other}` is not gateway or endpoint"),
        };
        let public_key = match self.public_key.trim() {
            "" => None,
            k if k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()) => Some(k.to_ascii_lowercase()),
            _ => bail!("config key `discord.public_key`: expected the 64 hex digits of the application's public key"),
        };
        if mode == DiscordMode::Endpoint && public_key.is_none() {
            bail!("config key `discord.public_key`: needed for discord.mode = endpoint");
        }
        Ok(Some(DiscordConfig {
            application_id: snowflake("application_id", &self.application_id)?,
            public_key,
            mode,
            guild: match self.guild.trim() {
                "" => None,
                g => Some(snowflake("guild", g)?),
            },
            announce_channels: self
                .announce_channels
                .iter()
                .map(|c| snowflake("announce_channels", c))
                .collect::<anyhow::Result<_>>()?,
            token_file: match self.token_file.trim() {
                "" => None,
                f => Some(PathBuf::from(f)),
            },
            api_url: match self.api_url.trim().trim_end_matches('/') {
                // The form Discord documents; serenity adds the version itself.
                u if u.ends_with("/api/v10") => u.trim_end_matches("/api/v10").to_owned(),
                u if (u.starts_with("http://") || u.starts_with("https://")) && !u.contains("/api/") => u.to_owned(),
                u => bail!(
                    "config key `discord.api_url`: `{u}` is not an http:// or https:// base URL (like https://discord.com)"
                ),
            },
            vote_burst: self.vote_burst.trim().parse::<NonZeroU32>().map_err(|_| {
                anyhow::anyhow!(
                    "config key `discord.vote_burst`: `{}` is not a whole number of votes above zero",
                    self.vote_burst
                )
            })?,
            vote_cooldown: match humantime::parse_duration(self.vote_cooldown.trim()) {
                Ok(d) if !d.is_zero() => d,
                Ok(_) => bail!("config key `discord.vote_cooldown`: must be longer than zero"),
                Err(e) => bail!("config key `discord.vote_cooldown`: {e}"),
            },
        }))
    }
}

/// Where voting power comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StakeConfig {
    /// The CSV snapshot (`stake.csv`, reported at `stake.block`).
    Csv,
    /// IoTeX system staking buckets (IIP-13 NFT contract) over JSON-RPC.
    Buckets {
        /// The node.
        rpc_url: String,
        /// The staking contract.
        contract: Address,
        /// The block it was deployed at (where transfer scans start).
        from_block: u64,
        /// Blocks per `eth_getLogs` call of the transfer scan.
        log_chunk: u64,
    },
    /// A token contract over JSON-RPC.
    Token {
        /// ERC20Votes checkpoints or plain balances.
        power: iodao_chain::stake::TokenPower,
        /// The node.
        rpc_url: String,
        /// The contract.
        token: Address,
    },
}

fn stake_source(raw: &RawStake) -> anyhow::Result<StakeConfig> {
    use iodao_chain::stake::TokenPower;
    let power = match raw.source.trim() {
        "csv" => return Ok(StakeConfig::Csv),
        "erc20votes" => TokenPower::Votes,
        "erc20balance" => TokenPower::Balance,
        "system-staking" => TokenPower::Votes, // replaced below
        other => {
            bail!("config key `stake.source`: `{other}` is not one of csv, erc20votes, erc20balance, system-staking")
        }
    };
    if raw.rpc_url.trim().is_empty() {
        bail!("config key `stake.rpc_url`: needed for stake.source = {}", raw.source.trim());
    }
    let token = Address::parse(raw.token.trim()).map_err(|e| anyhow::anyhow!("config key `stake.token`: {e}"))?;
    if raw.source.trim() == "system-staking" {
        let from_block =
            raw.from_block.parse::<u64>().map_err(|e| anyhow::anyhow!("config key `stake.from_block`: {e}"))?;
        let log_chunk =
            raw.log_chunk.parse::<u64>().map_err(|e| anyhow::anyhow!("config key `stake.log_chunk`: {e}"))?;
        if log_chunk == 0 {
            bail!("config key `stake.log_chunk`: must be at least 1 block");
        }
        return Ok(StakeConfig::Buckets {
            rpc_url: raw.rpc_url.trim().to_owned(),
            contract: token,
            from_block,
            log_chunk,
        });
    }
    Ok(StakeConfig::Token { power, rpc_url: raw.rpc_url.trim().to_owned(), token })
}

/// When epochs run and what they split.
#[derive(Debug, Clone)]
pub struct EpochConfig {
    /// The schedule, as written (5 or 6 cron fields, UTC).
    pub schedule_text: String,
    /// The parsed schedule.
    pub schedule: cron::Schedule,
    /// Budget and policy.
    pub settings: EpochSettings,
}

impl EpochConfig {
    /// The latest slot at or before `now` (the epoch `epoch run` runs).
    pub fn latest_slot(&self, now: chrono::DateTime<chrono::Utc>) -> Option<chrono::DateTime<chrono::Utc>> {
        // Walking back from a second after `now`, the first slot not after it.
        self.schedule.after(&(now + chrono::Duration::seconds(1))).rev().take(3).find(|t| *t <= now)
    }

    /// The first slot after `t`.
    pub fn next_slot(&self, t: chrono::DateTime<chrono::Utc>) -> Option<chrono::DateTime<chrono::Utc>> {
        self.schedule.after(&t).next()
    }
}

/// Crontab numbers weekdays 0-7 from Sunday (0 and 7); the cron crate 1-7
/// from Sunday. Names (MON-FRI) mean the same in both and pass through.
fn crontab_weekdays(field: &str) -> Result<String, String> {
    let day = |d: &str| -> Result<String, String> {
        match d.parse::<u8>() {
            Ok(n @ 0..=6) => Ok((n + 1).to_string()),
            Ok(7) => Ok("1".into()),
            Ok(n) => Err(format!("weekday {n} is not 0-7")),
            Err(_) => Ok(d.to_owned()),
        }
    };
    let mut out = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        let mapped = match range.split_once('-') {
            // A range ending on Sunday-as-7 wraps: Fri-Sun is 6-7 plus 1.
            Some((a, "7")) if a != "7" => {
                out.push("1".to_owned());
                format!("{}-7", day(a)?)
            }
            Some((a, b)) => format!("{}-{}", day(a)?, day(b)?),
            None => day(range)?,
        };
        out.push(match step {
            Some(s) => format!("{mapped}/{s}"),
            None => mapped,
        });
    }
    Ok(out.join(","))
}

/// Parses a cron line: the familiar 5 fields (minute first) or 6 with
/// seconds first. The cron crate wants seconds, so 5 fields get `0`.
fn schedule(s: &str) -> Result<cron::Schedule, String> {
    let fields = s.split_whitespace().count();
    let line = match fields {
        5 => {
            let f: Vec<&str> = s.split_whitespace().collect();
            format!("0 {} {} {} {} {}", f[0], f[1], f[2], f[3], crontab_weekdays(f[4])?)
        }
        6 | 7 => s.to_owned(),
        _ => {
            return Err(format!("`{s}` has {fields} fields; write a cron line like \"0 0 * * 1\" (Mondays 00:00 UTC)"));
        }
    };
    line.parse::<cron::Schedule>().map_err(|e| format!("`{s}` is not a cron schedule: {e}"))
}

impl RawEpochs {
    fn check(self) -> anyhow::Result<EpochConfig> {
        fn key<T, E: std::fmt::Display>(name: &str, r: Result<T, E>) -> anyhow::Result<T> {
            r.map_err(|e| anyhow::anyhow!("config key `epochs.{name}`: {e}"))
        }
        let optional = |name: &str, s: &str| -> anyhow::Result<_> {
            if s.trim().is_empty() { Ok(None) } else { key(name, parse_limit(s)).map(Some) }
        };
        let percent = |name: &str, s: &str| -> anyhow::Result<Option<Bps>> {
            if s.trim().is_empty() { Ok(None) } else { key(name, Bps::parse_percent(s)).map(Some) }
        };
        let mut categories = BTreeMap::new();
        for (name, b) in &self.categories {
            let c = Category::parse(name).ok_or_else(|| {
                anyhow::anyhow!(
                    "config key `epochs.categories.{name}`: not a category (device-program, depin-project, dapp)"
                )
            })?;
            let bounds = CategoryBounds {
                min: percent(&format!("categories.{name}.min"), &b.min)?,
                max: percent(&format!("categories.{name}.max"), &b.max)?,
            };
            categories.insert(c, bounds);
        }
        let mut group_caps = BTreeMap::new();
        for (name, cap) in &self.groups {
            group_caps.insert(name.clone(), key(&format!("groups.{name}"), parse_limit(cap))?);
        }
        let mut recipients = BTreeMap::new();
        for (name, r) in &self.recipients {
            let group = (!r.group.trim().is_empty()).then(|| r.group.trim().to_owned());
            if let Some(g) = &group
                && !group_caps.contains_key(g)
            {
                anyhow::bail!("config key `epochs.recipients.{name}.group`: no group `{g}` under [epochs.groups]");
            }
            let bounds = RecipientBounds {
                cap: optional(&format!("recipients.{name}.cap"), &r.cap)?,
                floor: optional(&format!("recipients.{name}.floor"), &r.floor)?,
                group,
            };
            recipients.insert(name.clone(), bounds);
        }
        let policy = Policy {
            categories,
            recipient_cap: optional("recipient_cap", &self.recipient_cap)?,
            min_payout: key("min_payout", Amount::parse_iotx(&self.min_payout))?.wei(),
            smoothing: percent("smoothing", &self.smoothing)?,
            group_caps,
        };
        Ok(EpochConfig {
            schedule: key("schedule", schedule(&self.schedule))?,
            schedule_text: self.schedule,
            settings: EpochSettings { budget: key("budget", Amount::parse_iotx(&self.budget))?, policy, recipients },
        })
    }
}

/// Checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// sqlx URL of the database.
    pub database_url: String,
    /// Where the web server listens.
    pub web_bind: SocketAddr,
    /// The portal's settings.
    pub web: WebConfig,
    /// What wallet-link challenges name: domain, portal URL, chain id, lifetime.
    pub links: LinkSettings,
    /// The salt of the EIP-712 domain signed votes and proposals use; `None`:
    /// the one stored in the database (drawn at random at first start).
    pub eip712_salt: Option<B256>,
    /// Where voting power comes from.
    pub stake_source: StakeConfig,
    /// The CSV stake snapshot (`address,amount`).
    pub stake_csv: PathBuf,
    /// The block the CSV snapshot is reported at.
    pub stake_block: u64,
    /// How often the server takes due lifecycle steps.
    pub lifecycle_interval: Duration,
    /// Who may propose.
    pub proposal_rules: ProposalRules,
    /// Epochs: schedule, budget, policy.
    pub epochs: EpochConfig,
    /// Paying epochs on-chain.
    pub payouts: PayoutConfig,
    /// The Discord bot, if an application is configured.
    pub discord: Option<DiscordConfig>,
    /// The Telegram bot.
    pub telegram: TelegramConfig,
}

/// How Telegram updates reach the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TelegramMode {
    /// The bot asks Telegram for updates (no public URL needed).
    Polling,
    /// Telegram posts updates to `{web.public_url}/telegram/webhook`.
    Webhook,
}

/// The Telegram bot. Its token and webhook secret are not here: they are
/// read from `IODAO_TELEGRAM_TOKEN` / `IODAO_TELEGRAM_WEBHOOK_SECRET` or the
/// files named here when the bot starts, and never logged.
#[derive(Debug, Clone)]
pub struct TelegramConfig {
    /// Polling or webhook.
    pub mode: TelegramMode,
    /// Chats (ids; groups and channels are negative) that get announcements.
    pub announce_chats: Vec<i64>,
    /// A file holding the bot token.
    pub token_file: Option<PathBuf>,
    /// A file holding the webhook secret.
    pub webhook_secret_file: Option<PathBuf>,
    /// The Bot API server.
    pub api_url: String,
}

/// A secret from an environment variable, else from a file; `None` when
/// neither is set. The value is never part of an error.
fn secret(env: &str, file: Option<&Path>, key: &str) -> anyhow::Result<Option<String>> {
    if let Ok(v) = std::env::var(env)
        && !v.trim().is_empty()
    {
        return Ok(Some(v.trim().to_owned()));
    }
    let Some(path) = file else {
        return Ok(None);
    };
    let v = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("config key `{key}`: cannot read {}: {e}", path.display()))?;
    if v.trim().is_empty() {
        bail!("config key `{key}`: {} is empty", path.display());
    }
    Ok(Some(v.trim().to_owned()))
}

impl TelegramConfig {
    /// The bot token: `IODAO_TELEGRAM_TOKEN`, else `telegram.token_file`;
    /// `None` means the bot is not configured and does not start.
    pub fn token(&self) -> anyhow::Result<Option<String>> {
        secret("IODAO_TELEGRAM_TOKEN", self.token_file.as_deref(), "telegram.token_file")
    }

    /// The webhook secret: `IODAO_TELEGRAM_WEBHOOK_SECRET`, else
    /// `telegram.webhook_secret_file`; webhook mode needs one.
    pub fn webhook_secret(&self) -> anyhow::Result<String> {
        secret("IODAO_TELEGRAM_WEBHOOK_SECRET", self.webhook_secret_file.as_deref(), "telegram.webhook_secret_file")?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "telegram.mode = webhook needs a secret: set IODAO_TELEGRAM_WEBHOOK_SECRET or config key `telegram.webhook_secret_file`"
                )
            })
    }
}

/// The portal's settings. The admin token is not here: it is read from
/// `IODAO_ADMIN_TOKEN` or the file `web.admin_token_file` at start, and never
/// logged.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// A file holding the admin token.
    pub admin_token_file: Option<PathBuf>,
    /// Explorer transaction URL prefix.
    pub explorer_tx_url: Option<String>,
    /// One more write per IP every this long.
    pub rate_limit_period: Duration,
    /// Writes per IP at once.
    pub rate_limit_burst: u32,
    /// How long a rendered page is served from memory.
    pub cache_ttl: Duration,
    /// The most the page cache holds, in bytes.
    pub cache_bytes: u64,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: iodao_web::TrustedProxies,
}

impl WebConfig {
    /// The admin token: `IODAO_ADMIN_TOKEN`, else the token file, else none.
    pub fn admin_token(&self) -> anyhow::Result<Option<String>> {
        if let Ok(t) = std::env::var("IODAO_ADMIN_TOKEN")
            && !t.trim().is_empty()
        {
            return Ok(Some(t.trim().to_owned()));
        }
        let Some(path) = &self.admin_token_file else { return Ok(None) };
        let t = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the admin token file {}: {e}", path.display()))?;
        if t.trim().is_empty() {
            bail!("the admin token file {} is empty", path.display());
        }
        Ok(Some(t.trim().to_owned()))
    }
}

/// Where and how epochs are paid. The executor's key is not here: it is read
/// from `IODAO_EXECUTOR_KEY` or the file `chain.executor_key_file` when
/// paying, and never logged.
#[derive(Debug, Clone)]
pub struct PayoutConfig {
    /// The node.
    pub rpc_url: String,
    /// The push-mode Distributor.
    pub distributor: Option<Address>,
    /// Blocks a payout must be buried under before it counts as confirmed.
    pub confirmations: u64,
    /// Recipients per transaction (at most; see [`PayoutConfig::recipients_per_batch`]).
    pub batch_size: usize,
    /// Gas a batch transaction may use.
    pub batch_gas: u64,
    /// A file holding the executor key.
    pub key_file: Option<PathBuf>,
    /// The ioID registry device programs' devices are checked in (read
    /// through `rpc_url`).
    pub ioid_registry: Option<Address>,
}

impl PayoutConfig {
    /// The most a batch's fixed part costs: the transaction, the batch bit
    /// (a fresh storage word) and the event.
    const BATCH_OVERHEAD_GAS: u64 = 60_000;
    /// The most one recipient costs: a native transfer that creates the
    /// account, or a refused one credited to `owed`, or an ERC-20 transfer
    /// to a fresh holder, with its calldata priced as IoTeX prices it (100
    /// gas a byte). Measured on Ethereum's schedule: ~10 100 and ~25 800.
    const RECIPIENT_GAS: u64 = 45_000;

    /// Recipients per transaction: `batch_size`, or fewer if `batch_gas`
    /// cannot hold that many at the worst case per recipient.
    pub fn recipients_per_batch(&self) -> usize {
        let fit = self.batch_gas.saturating_sub(Self::BATCH_OVERHEAD_GAS) / Self::RECIPIENT_GAS;
        self.batch_size.min(usize::try_from(fit).unwrap_or(usize::MAX)).max(1)
    }

    /// The executor key: `IODAO_EXECUTOR_KEY`, else the key file.
    pub fn key(&self) -> anyhow::Result<String> {
        if let Ok(k) = std::env::var("IODAO_EXECUTOR_KEY")
            && !k.trim().is_empty()
        {
            return Ok(k.trim().to_owned());
        }
        let Some(path) = &self.key_file else {
            bail!("no executor key: set IODAO_EXECUTOR_KEY or config key `chain.executor_key_file`");
        };
        let k = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the executor key file {}: {e}", path.display()))?;
        Ok(k.trim().to_owned())
    }
}

impl Config {
    /// Loads defaults, then `path` (if it exists; an explicit `--config` must
    /// exist), then the environment.
    pub fn load(path: &Path, explicit: bool) -> anyhow::Result<Self> {
        if explicit && !path.exists() {
            bail!("config file {} does not exist", path.display());
        }
        let mut figment = Figment::from(Serialized::defaults(Raw::default())).merge(Toml::file(path));
        // Environment values are taken as text, exactly as written: figment
        // would otherwise read `0.1000000000000000001` as a float and round it.
        for (key, value) in Env::prefixed("IODAO_").split("__").iter() {
            // Not keys: IODAO_CONFIG names the file; the rest are secrets,
            // read only where they are used (never from `iodao.toml`).
            const NOT_KEYS: [&str; 6] =
                ["config", "executor_key", "admin_token", "telegram_token", "telegram_webhook_secret", "discord_token"];
            if NOT_KEYS.iter().any(|k| key.as_str().eq_ignore_ascii_case(k)) {
                continue;
            }
            figment = figment.merge(Serialized::default(&key.as_str().to_ascii_lowercase(), value));
        }
        let raw: Raw = figment.extract().map_err(|e| anyhow::anyhow!("bad configuration: {e}"))?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: Raw) -> anyhow::Result<Self> {
        fn key<T, E: std::fmt::Display>(name: &str, r: Result<T, E>) -> anyhow::Result<T> {
            r.map_err(|e| anyhow::anyhow!("config key `{name}`: {e}"))
        }
        let duration = |name: &str, s: &str| key(name, humantime::parse_duration(s));
        let cfg = Self {
            database_url: raw.database_url,
            web_bind: key("web.bind", raw.web.bind.parse::<SocketAddr>())?,
            web: WebConfig {
                admin_token_file: match raw.web.admin_token_file.trim() {
                    "" => None,
                    f => Some(PathBuf::from(f)),
                },
                explorer_tx_url: match raw.web.explorer_tx_url.trim() {
                    "" => None,
                    u => Some(u.to_owned()),
                },
                rate_limit_period: duration("web.rate_limit_period", &raw.web.rate_limit_period)?,
                rate_limit_burst: key("web.rate_limit_burst", raw.web.rate_limit_burst.parse::<u32>())?,
                cache_ttl: duration("web.cache_ttl", &raw.web.cache_ttl)?,
                cache_bytes: key("web.cache_bytes", raw.web.cache_bytes.trim().parse::<u64>())?,
                trusted_proxies: key(
                    "web.trusted_proxies",
                    iodao_web::TrustedProxies::parse(&raw.web.trusted_proxies),
                )?,
            },
            links: LinkSettings {
                domain: key("web.public_url", authority(&raw.web.public_url))?,
                base_url: raw.web.public_url.trim_end_matches('/').to_owned(),
                chain_id: key("chain.id", raw.chain.id.parse::<u64>())?,
                ttl: chrono::Duration::from_std(duration("links.ttl", &raw.links.ttl)?)?,
            },
            eip712_salt: match raw.chain.eip712_salt.trim() {
                "" => None,
                text => Some(key("chain.eip712_salt", salt(text))?),
            },
            stake_source: stake_source(&raw.stake)?,
            stake_csv: PathBuf::from(raw.stake.csv),
            stake_block: key("stake.block", raw.stake.block.parse::<u64>())?,
            lifecycle_interval: duration("governance.lifecycle_interval", &raw.governance.lifecycle_interval)?,
            proposal_rules: ProposalRules {
                proposal_threshold: key(
                    "governance.proposal_threshold",
                    Amount::parse_iotx(&raw.governance.proposal_threshold),
                )?,
                admins: raw
                    .governance
                    .admins
                    .iter()
                    .map(|a| key("governance.admins", Address::parse(a)))
                    .collect::<anyhow::Result<_>>()?,
                voting_delay: chrono::Duration::from_std(duration(
                    "governance.voting_delay",
                    &raw.governance.voting_delay,
                )?)?,
                voting_period: chrono::Duration::from_std(duration(
                    "governance.voting_period",
                    &raw.governance.voting_period,
                )?)?,
                quorum: key("governance.quorum", Amount::parse_iotx(&raw.governance.quorum))?,
                threshold: key("governance.threshold", Bps::parse_percent(&raw.governance.threshold))?,
            },
            epochs: raw.epochs.check()?,
            telegram: TelegramConfig {
                mode: match raw.telegram.mode.trim() {
                    "polling" => TelegramMode::Polling,
                    "webhook" => TelegramMode::Webhook,
                    other => bail!("config key `telegram.mode`: `{other}` is not polling or webhook"),
                },
                announce_chats: raw
                    .telegram
                    .announce_chats
                    .iter()
                    .map(|c| {
                        key(
                            "telegram.announce_chats",
                            c.trim().parse::<i64>().map_err(|_| {
                                format!("`{c}` is not a chat id (a whole number; groups and channels are negative)")
                            }),
                        )
                    })
                    .collect::<anyhow::Result<_>>()?,
                token_file: match raw.telegram.token_file.trim() {
                    "" => None,
                    f => Some(PathBuf::from(f)),
                },
                webhook_secret_file: match raw.telegram.webhook_secret_file.trim() {
                    "" => None,
                    f => Some(PathBuf::from(f)),
                },
                api_url: match raw.telegram.api_url.trim() {
                    u if u.starts_with("http://") || u.starts_with("https://") => u.trim_end_matches('/').to_owned(),
                    u => bail!("config key `telegram.api_url`: `{u}` is not an http:// or https:// URL"),
                },
            },
            payouts: PayoutConfig {
                rpc_url: raw.chain.rpc_url.trim().to_owned(),
                distributor: match raw.chain.distributor.trim() {
                    "" => None,
                    d => Some(key("chain.distributor", Address::parse(d))?),
                },
                confirmations: key("chain.confirmations", raw.chain.confirmations.parse::<u64>())?,
                batch_size: key("chain.batch_size", raw.chain.batch_size.parse::<usize>())?,
                batch_gas: key("chain.batch_gas", raw.chain.batch_gas.parse::<u64>())?,
                key_file: match raw.chain.executor_key_file.trim() {
                    "" => None,
                    f => Some(PathBuf::from(f)),
                },
                ioid_registry: match raw.chain.ioid_registry.trim() {
                    "" => None,
                    r => Some(key("chain.ioid_registry", Address::parse(r))?),
                },
            },
            discord: raw.discord.check()?,
        };
        if cfg.payouts.ioid_registry.is_some() && cfg.payouts.rpc_url.is_empty() {
            bail!("config key `chain.rpc_url`: needed to read the ioID registry named by `chain.ioid_registry`");
        }
        if !cfg.database_url.starts_with("sqlite:") {
            bail!("config key `database_url`: `{}` is not supported yet; use sqlite://PATH", cfg.database_url);
        }
        if cfg.proposal_rules.voting_period <= chrono::Duration::zero() {
            bail!("config key `governance.voting_period`: must be longer than zero");
        }
        if cfg.web.rate_limit_period.is_zero() || cfg.web.rate_limit_burst == 0 {
            bail!("config keys `web.rate_limit_period` and `web.rate_limit_burst`: must be more than zero");
        }
        if cfg.web.cache_bytes < 64 * 1024 {
            bail!(
                "config key `web.cache_bytes`: at least 65536 (64 KiB); turn the cache off with `web.cache_ttl = \"0s\"`"
            );
        }
        if cfg.lifecycle_interval.is_zero() {
            bail!("config key `governance.lifecycle_interval`: must be longer than zero");
        }
        Ok(cfg)
    }

    /// Reads TOML text with no environment, for tests of the example file.
    #[cfg(test)]
    fn from_toml_str(text: &str) -> anyhow::Result<Self> {
        let raw: Raw = Figment::from(Serialized::defaults(Raw::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(|e| anyhow::anyhow!("bad configuration: {e}"))?;
        Self::from_raw(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_valid_and_matches_the_defaults() {
        let example = Config::from_toml_str(include_str!("../iodao.example.toml")).unwrap();
        let defaults = Config::from_raw(Raw::default()).unwrap();
        assert_eq!(format!("{example:?}"), format!("{defaults:?}"));
    }

    #[test]
    fn the_page_cache_size_and_trusted_proxies_are_read_and_checked() {
        let c =
            Config::from_toml_str("[web]\ncache_bytes = 1048576\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]").unwrap();
        assert_eq!(c.web.cache_bytes, 1 << 20);
        assert_eq!(c.web.trusted_proxies, iodao_web::TrustedProxies::parse(&["10.0.0.0/8", "::1"]).unwrap());
        let c = Config::from_toml_str("[web]\ntrusted_proxies = \"127.0.0.1, 192.168.0.0/16\"").unwrap();
        assert_eq!(c.web.trusted_proxies, iodao_web::TrustedProxies::parse(&["127.0.0.1", "192.168.0.0/16"]).unwrap());
        let defaults = Config::from_raw(Raw::default()).unwrap();
        assert_eq!(defaults.web.trusted_proxies, iodao_web::TrustedProxies::default(), "no proxy trusted by default");
        for (text, key) in [
            ("[web]\ntrusted_proxies = [\"10.0.0.0/40\"]", "web.trusted_proxies"),
            ("[web]\ntrusted_proxies = [\"proxy.internal\"]", "web.trusted_proxies"),
            ("[web]\ncache_bytes = \"64MB\"", "web.cache_bytes"),
            ("[web]\ncache_bytes = 1000", "web.cache_bytes"),
        ] {
            let e = Config::from_toml_str(text).unwrap_err();
            assert!(e.to_string().starts_with(&format!("config key `{key}`:")), "{text}: {e}");
        }
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let e = Config::from_toml_str("[governance]\nquorum = \"-5\"").unwrap_err();
        assert!(e.to_string().starts_with("config key `governance.quorum`:"), "{e}");
        let e = Config::from_toml_str("[web]\nbind = \"localhost\"").unwrap_err();
        assert!(e.to_string().starts_with("config key `web.bind`:"), "{e}");
        let e = Config::from_toml_str("[governance]\nvoting_period = \"soon\"").unwrap_err();
        assert!(e.to_string().starts_with("config key `governance.voting_period`:"), "{e}");
        let e = Config::from_toml_str("[governance]\nthreshold = \"150\"").unwrap_err();
        assert!(e.to_string().starts_with("config key `governance.threshold`:"), "{e}");
    }

    #[test]
    fn whole_numbers_may_be_written_bare_but_floats_must_be_quoted() {
        let c = Config::from_toml_str("[stake]\nblock = 123\n[governance]\nquorum = 2500\nthreshold = 60").unwrap();
        assert_eq!(c.stake_block, 123);
        assert_eq!(c.proposal_rules.quorum, Amount::from_iotx(2500));
        assert_eq!(c.proposal_rules.threshold.get(), 6000);
        let e = Config::from_toml_str("[governance]\nquorum = 0.1").unwrap_err();
        assert!(e.to_string().contains("write decimals in quotes"), "{e}");
    }

    #[test]
    fn admins_are_addresses_in_an_array_or_a_comma_separated_string() {
        let a = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        let b = Address::parse(a).unwrap().to_io();
        let from_array = Config::from_toml_str(&format!("[governance]\nadmins = [\"{a}\", \"{b}\"]")).unwrap();
        let from_string = Config::from_toml_str(&format!("[governance]\nadmins = \"{a}, {b}\"")).unwrap();
        assert_eq!(from_array.proposal_rules.admins, from_string.proposal_rules.admins);
        assert_eq!(from_array.proposal_rules.admins.len(), 2);
        let e = Config::from_toml_str("[governance]\nadmins = [\"0x1234\"]").unwrap_err();
        assert!(e.to_string().starts_with("config key `governance.admins`:"), "{e}");
    }

    #[test]
    fn the_link_domain_is_the_public_urls_authority() {
        let c = Config::from_toml_str("[web]\npublic_url = \"https://dao.example.org:8443/portal/\"").unwrap();
        assert_eq!(c.links.domain, "dao.example.org:8443");
        assert_eq!(c.links.base_url, "https://dao.example.org:8443/portal");
        let e = Config::from_toml_str("[web]\npublic_url = \"dao.example.org\"").unwrap_err();
        assert!(e.to_string().starts_with("config key `web.public_url`:"), "{e}");
    }

    #[test]
    fn an_unknown_key_is_refused() {
        let e = Config::from_toml_str("[web]\nbnid = \"127.0.0.1:1\"").unwrap_err();
        assert!(format!("{e:#}").contains("bnid"), "{e:#}");
    }
}

#[cfg(test)]
mod schedule_tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn epochs(schedule: &str) -> EpochConfig {
        let mut raw = Raw::default();
        raw.epochs.schedule = schedule.into();
        Config::from_raw(raw).unwrap().epochs
    }

    #[test]
    fn the_latest_and_next_slots_follow_the_schedule() {
        let weekly = epochs("0 0 * * 1");
        let wed = Utc.with_ymd_and_hms(2026, 11, 25, 13, 30, 0).unwrap();
        let monday = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
        assert_eq!(weekly.latest_slot(wed), Some(monday));
        assert_eq!(weekly.latest_slot(monday), Some(monday));
        assert_eq!(weekly.next_slot(wed), Some(monday + chrono::Duration::days(7)));
        // Crontab weekdays: 1-5 is Monday to Friday, 0 and 7 are Sunday.
        let weekdays = epochs("0 9 * * 1-5");
        let saturday = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        assert_eq!(weekdays.latest_slot(saturday), Some(Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap()));
        let weekend = epochs("0 9 * * 6-7");
        assert_eq!(weekend.next_slot(saturday), Some(Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap()));
        assert_eq!(
            epochs("0 9 * * 0").latest_slot(saturday),
            Some(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap())
        );
        let every_second = epochs("* * * * * *");
        let t = Utc.with_ymd_and_hms(2026, 11, 25, 13, 30, 7).unwrap() + chrono::Duration::milliseconds(250);
        assert_eq!(every_second.latest_slot(t), Some(Utc.with_ymd_and_hms(2026, 11, 25, 13, 30, 7).unwrap()));
    }

    #[test]
    fn a_schedule_needs_five_or_six_cron_fields() {
        let mut raw = Raw::default();
        raw.epochs.schedule = "0 0 *".into();
        let e = Config::from_raw(raw).unwrap_err().to_string();
        assert!(e.contains("epochs.schedule") && e.contains("3 fields"), "{e}");
    }
}

#[cfg(test)]
mod stake_tests {
    use super::*;

    #[test]
    fn a_token_source_needs_a_node_and_a_contract() {
        let c = Config::from_toml_str(
            "[stake]\nsource = \"erc20votes\"\nrpc_url = \"http://127.0.0.1:8545\"\ntoken = \"io1ld53vz2u580kpwmee6fvu048fsmut56ep6dmat\"",
        )
        .unwrap();
        assert!(matches!(
            c.stake_source,
            StakeConfig::Token { power: iodao_chain::stake::TokenPower::Votes, ref rpc_url, .. } if rpc_url == "http://127.0.0.1:8545"
        ));
        let e = Config::from_toml_str("[stake]\nsource = \"erc20votes\"").unwrap_err().to_string();
        assert!(e.contains("stake.rpc_url"), "{e}");
        let e = Config::from_toml_str("[stake]\nsource = \"erc20balance\"\nrpc_url = \"http://x\"\ntoken = \"nope\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("stake.token"), "{e}");
        let c = Config::from_toml_str(
            "[stake]\nsource = \"system-staking\"\nrpc_url = \"http://127.0.0.1:8545\"\ntoken = \"0x68db92a6a78a39dcaff1745da9e89e230ef49d3d\"\nfrom_block = 21000000",
        )
        .unwrap();
        assert!(matches!(c.stake_source, StakeConfig::Buckets { from_block: 21_000_000, log_chunk: 10_000, .. }));
        let e = Config::from_toml_str(
            "[stake]\nsource = \"system-staking\"\nrpc_url = \"http://x\"\ntoken = \"0x68db92a6a78a39dcaff1745da9e89e230ef49d3d\"\nlog_chunk = 0",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("stake.log_chunk"), "{e}");
        let e = Config::from_toml_str("[stake]\nsource = \"buckets\"").unwrap_err().to_string();
        assert!(e.contains("stake.source") && e.contains("erc20votes"), "{e}");
    }
}

#[cfg(test)]
mod discord_tests {
    use super::*;

    #[test]
    fn discord_is_off_without_an_application_and_checked_with_one() {
        assert_eq!(Config::from_toml_str("").unwrap().discord, None);
        let key = "ab".repeat(32);
        let c = Config::from_toml_str(&format!(
            "[discord]\napplication_id = 1234\npublic_key = \"{key}\"\nmode = \"endpoint\"\nguild = \"77\"\nannounce_channels = [880, \"881\"]"
        ))
        .unwrap();
        let d = c.discord.unwrap();
        assert_eq!((d.application_id, d.mode, d.guild), (1234, DiscordMode::Endpoint, Some(77)));
        assert_eq!(d.announce_channels, [880, 881]);
        assert_eq!(d.public_key.as_deref(), Some(key.as_str()));
        assert_eq!(d.api_url, "https://discord.com");
        assert_eq!((d.vote_burst.get(), d.vote_cooldown), (5, Duration::from_secs(3)));
        let c = Config::from_toml_str("[discord]\napplication_id = \"1\"\nannounce_channels = \"5, 6\"").unwrap();
        assert_eq!(c.discord.unwrap().announce_channels, [5, 6]);
        for (toml, key) in [
            ("application_id = 1\nmode = \"endpoint\"", "discord.public_key"),
            ("application_id = 1\npublic_key = \"xyz\"", "discord.public_key"),
            ("application_id = 1\nmode = \"webhook\"", "discord.mode"),
            ("application_id = \"bot\"", "discord.application_id"),
            ("application_id = 1\nannounce_channels = [\"general\"]", "discord.announce_channels"),
            ("application_id = 1\napi_url = \"discord.com\"", "discord.api_url"),
            ("application_id = 1\napi_url = \"https://discord.com/api/v9\"", "discord.api_url"),
            ("application_id = 1\nvote_cooldown = \"3\"", "discord.vote_cooldown"),
            ("application_id = 1\nvote_cooldown = \"0s\"", "discord.vote_cooldown"),
            ("application_id = 1\nvote_burst = 0", "discord.vote_burst"),
            ("application_id = 1\nvote_burst = \"many\"", "discord.vote_burst"),
        ] {
            let e = Config::from_toml_str(&format!("[discord]\n{toml}")).unwrap_err().to_string();
            assert!(e.starts_with(&format!("config key `{key}`")), "{e}");
        }
        let e = Config::from_toml_str("[discord]\ntoken = \"secret\"").unwrap_err();
        assert!(format!("{e:#}").contains("token"), "the token is never a key: {e:#}");
    }

    #[test]
    fn the_rest_base_and_the_vote_cooldown_are_configurable() {
        let c = Config::from_toml_str(
            "[discord]\napplication_id = 1\napi_url = \"http://127.0.0.1:3000/\"\nvote_cooldown = \"1m 30s\"\nvote_burst = \"2\"",
        )
        .unwrap();
        let d = c.discord.unwrap();
        assert_eq!(d.api_url, "http://127.0.0.1:3000");
        assert_eq!((d.vote_burst.get(), d.vote_cooldown), (2, Duration::from_secs(90)));
        // Discord documents its base with the version, which serenity adds.
        let c =
            Config::from_toml_str("[discord]\napplication_id = 1\napi_url = \"https://discord.com/api/v10\"").unwrap();
        assert_eq!(c.discord.unwrap().api_url, "https://discord.com");
    }
}

#[cfg(test)]
mod telegram_tests {
    use super::*;

    #[test]
    fn telegram_keys_are_checked_and_secrets_come_only_from_env_or_files() {
        let c = Config::from_toml_str(
            "[telegram]\nmode = \"webhook\"\nannounce_chats = [\"-1001234\", \"42\"]\napi_url = \"http://127.0.0.1:8081/\"",
        )
        .unwrap();
        assert_eq!(c.telegram.mode, TelegramMode::Webhook);
        assert_eq!(c.telegram.announce_chats, [-1_001_234, 42]);
        assert_eq!(c.telegram.api_url, "http://127.0.0.1:8081");
        let c = Config::from_toml_str("[telegram]\nannounce_chats = \"-1, 2\"").unwrap();
        assert_eq!(c.telegram.announce_chats, [-1, 2]);
        let e = Config::from_toml_str("[telegram]\nmode = \"push\"").unwrap_err().to_string();
        assert!(e.starts_with("config key `telegram.mode`:"), "{e}");
        let e = Config::from_toml_str("[telegram]\nannounce_chats = [\"@dao\"]").unwrap_err().to_string();
        assert!(e.starts_with("config key `telegram.announce_chats`:"), "{e}");
        // A token in the file is an unknown key, refused.
        let e = Config::from_toml_str("[telegram]\ntoken = \"123:abc\"").unwrap_err();
        assert!(format!("{e:#}").contains("token"), "{e:#}");
        assert!(!format!("{e:#}").contains("123:abc"), "the value is never echoed: {e:#}");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "987:from-file\n").unwrap();
        let mut c = Config::from_toml_str("").unwrap().telegram;
        c.token_file = Some(file);
        if std::env::var("IODAO_TELEGRAM_TOKEN").is_err() {
            assert_eq!(c.token().unwrap().as_deref(), Some("987:from-file"));
        }
        c.token_file = Some(dir.path().join("missing"));
        if std::env::var("IODAO_TELEGRAM_TOKEN").is_err() {
            let e = c.token().unwrap_err().to_string();
            assert!(e.starts_with("config key `telegram.token_file`: cannot read"), "{e}");
        }
    }
}

#[cfg(test)]
mod payout_tests {
    use super::*;

    #[test]
    fn the_eip712_salt_is_32_bytes_of_hex_or_unset() {
        assert_eq!(Config::from_toml_str("").unwrap().eip712_salt, None, "unset: the stored one is used");
        let hex = format!("0x{}", "ab".repeat(32));
        let c = Config::from_toml_str(&format!("[chain]\neip712_salt = \"{hex}\"")).unwrap();
        assert_eq!(c.eip712_salt, Some(B256::repeat_byte(0xab)));
        for bad in [
            "ab".repeat(32),
            format!("0x{}", "ab".repeat(31)),
            format!("0x{}", "zz".repeat(32)),
            format!("0x{}", "00".repeat(32)),
        ] {
            let e = Config::from_toml_str(&format!("[chain]\neip712_salt = \"{bad}\"")).unwrap_err().to_string();
            assert!(e.contains("config key `chain.eip712_salt`"), "{bad}: {e}");
        }
    }

    #[test]
    fn batches_shrink_to_fit_their_gas() {
        let c = Config::from_toml_str("[chain]\nbatch_size = 500\nbatch_gas = 15000000").unwrap();
        assert_eq!(c.payouts.recipients_per_batch(), 332);
        let c = Config::from_toml_str("[chain]\nbatch_size = 100\nbatch_gas = 30000000").unwrap();
        assert_eq!(c.payouts.recipients_per_batch(), 100);
        let c = Config::from_toml_str("[chain]\nbatch_gas = 1000").unwrap();
        assert_eq!(c.payouts.recipients_per_batch(), 1);
    }

    #[test]
    fn the_ioid_registry_needs_a_node_and_a_valid_address() {
        let c = Config::from_toml_str(
            "[chain]\nrpc_url = \"http://127.0.0.1:8545\"\nioid_registry = \"0x04e4655Cf258EC802D17c23ec6112Ef7d97Fa2aF\"",
        )
        .unwrap();
        assert_eq!(
            c.payouts.ioid_registry.map(|a| a.to_hex()).as_deref(),
            Some("0x04e4655Cf258EC802D17c23ec6112Ef7d97Fa2aF")
        );
        let e = Config::from_toml_str("[chain]\nioid_registry = \"0x04e4655Cf258EC802D17c23ec6112Ef7d97Fa2aF\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("chain.rpc_url") && e.contains("chain.ioid_registry"), "{e}");
        let e = Config::from_toml_str("[chain]\nrpc_url = \"http://x\"\nioid_registry = \"0x1234\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("chain.ioid_registry"), "{e}");
    }
}

#[cfg(test)]
mod hostile_tests {
    use iodao_testkit::hostile::{self, check};
    use proptest::prelude::*;

    use super::*;

    /// Every string-valued key a durations, cron line, amount, percentage,
    /// address, URL or number is parsed from.
    const KEYS: &[(&str, &str)] = &[
        ("epochs", "schedule"),
        ("epochs", "budget"),
        ("epochs", "recipient_cap"),
        ("epochs", "min_payout"),
        ("epochs", "smoothing"),
        ("web", "bind"),
        ("web", "rate_limit_period"),
        ("web", "rate_limit_burst"),
        ("web", "cache_ttl"),
        ("chain", "id"),
        ("chain", "distributor"),
        ("chain", "batch_size"),
        ("links", "ttl"),
        ("stake", "source"),
        ("stake", "token"),
        ("stake", "block"),
        ("governance", "quorum"),
        ("governance", "threshold"),
        ("governance", "voting_delay"),
        ("governance", "voting_period"),
        ("governance", "proposal_threshold"),
        ("telegram", "mode"),
    ];

    #[test]
    fn hostile_cron_lines_and_durations_parse_or_are_refused() {
        let seeds = ["0 0 * * 1", "*/5 * * * * *", "0 0 * * 5-7", "MON-FRI", "1h 30m", "3days", "500ms"];
        check("cron line, weekday field, duration", hostile::words(&seeds), |s| {
            if let Ok(schedule) = schedule(&s) {
                let _ = schedule.upcoming(chrono::Utc).next();
            }
            let _ = crontab_weekdays(&s);
            let _ = humantime::parse_duration(&s);
            Ok(())
        });
    }

    #[test]
    fn a_configuration_with_a_hostile_value_loads_or_names_the_key() {
        let values = hostile::text(&["0 0 * * 1", "1000", "50%", "127.0.0.1:0", "10m", "csv", "4689", "0x00"]);
        check("configuration values", (prop::sample::select(KEYS), values), |((section, key), value)| {
            // A TOML basic string: JSON's escapes of controls and quotes are TOML's too.
            let quoted = serde_json::to_string(&value).expect("a string");
            let text = format!("[{section}]\n{key} = {quoted}\n");
            if let Err(e) = Config::from_toml_str(&text) {
                let message = format!("{e:#}");
                prop_assert!(!message.is_empty());
            }
            Ok(())
        });
    }
}
