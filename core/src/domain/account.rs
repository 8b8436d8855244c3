//! Chat accounts: who is speaking on Discord or Telegram.

use std::fmt;
use std::str::FromStr;

use super::Quoted;

/// A chat platform iodao serves.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Discord (user ids are snowflakes).
    Discord,
    /// Telegram (user ids are integers).
    Telegram,
}

impl Platform {
    /// The prefix in account strings.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Discord => "discord",
            Self::Telegram => "telegram",
        }
    }
}

/// One account on one platform: `discord:<user id>` or `telegram:<user id>`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ChatAccount {
    platform: Platform,
    user: u64,
}

/// Why a string is not a chat account.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{} is not a chat account: expected discord:<user id> or telegram:<user id>", Quoted(.0))]
pub struct ChatAccountError(pub String);

impl ChatAccount {
    /// An account from its parts.
    pub const fn new(platform: Platform, user: u64) -> Self {
        Self { platform, user }
    }

    /// Parses `discord:123` or `telegram:123`.
    pub fn parse(s: &str) -> Result<Self, ChatAccountError> {
        let bad = || ChatAccountError(s.to_owned());
        let (platform, user) = s.trim().split_once(':').ok_or_else(bad)?;
        let platform = match platform {
            "discord" => Platform::Discord,
            "telegram" => Platform::Telegram,
            _ => return Err(bad()),
        };
        if user.is_empty() || !user.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(Self { platform, user: user.parse().map_err(|_| bad())? })
    }

    /// The platform.
    pub const fn platform(&self) -> Platform {
        self.platform
    }

    /// The platform's user id.
    pub const fn user(&self) -> u64 {
        self.user
    }
}

impl FromStr for ChatAccount {
    type Err = ChatAccountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ChatAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.platform.as_str(), self.user)
    }
}

impl fmt::Debug for ChatAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChatAccount({self})")
    }
}

impl serde::Serialize for ChatAccount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_round_trip() {
        for s in ["discord:80351110224678912", "telegram:42"] {
            assert_eq!(ChatAccount::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn malformed_accounts_are_rejected() {
        for bad in ["discord", "discord:", "slack:1", "discord:-1", "discord:1a", "telegram:99999999999999999999999"] {
            assert!(ChatAccount::parse(bad).is_err(), "{bad}");
        }
    }
}
