//! A voter's current vote on a proposal.

use std::fmt;

use alloy_primitives::B256;
use chrono::{DateTime, Utc};

use super::{Address, Amount, ProposalId, Selection};

/// Where a vote came from. Every source lands in the same table and tally.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VoteSource {
    /// Recorded by the operator with `iodao vote`.
    Cli,
    /// A linked Discord account.
    Discord,
    /// A linked Telegram account.
    Telegram,
    /// A wallet signature (EIP-712), from the portal or any script.
    Signed,
}

impl VoteSource {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Cli => "cli",
            Self::Discord => "discord",
            Self::Telegram => "telegram",
            Self::Signed => "signed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "cli" => Self::Cli,
            "discord" => Self::Discord,
            "telegram" => Self::Telegram,
            "signed" => Self::Signed,
            _ => return None,
        })
    }
}

impl fmt::Display for VoteSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One voter's current vote. The power is the voter's stake at the
/// proposal's snapshot block, kept with the vote so a recount needs no chain.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct Vote {
    /// On which proposal.
    pub proposal: ProposalId,
    /// Who.
    pub voter: Address,
    /// For what.
    pub selection: Selection,
    /// With how much power.
    pub power: Amount,
    /// Through which front-end.
    pub source: VoteSource,
    /// When it was accepted.
    pub cast_at: DateTime<Utc>,
    /// For a signed (EIP-712) vote, the message's digest: stored so that a
    /// replay of the same message is refused.
    pub digest: Option<B256>,
    /// For a signed vote, when it was signed (the message's own timestamp):
    /// a signed vote not newer than the voter's current one is refused.
    pub signed_at: Option<DateTime<Utc>>,
}

impl Vote {
    /// When the voter made this vote, which orders it among their votes on
    /// the proposal: a signed vote's own timestamp, else when it was cast.
    pub fn made_at(&self) -> DateTime<Utc> {
        self.signed_at.unwrap_or(self.cast_at)
    }
}
