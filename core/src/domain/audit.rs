//! The audit log's entries and their hash chain.

use std::fmt;

use alloy_primitives::{B256, keccak256};
use chrono::{DateTime, Utc};

use super::{Address, ChatAccount, ProposalId};

/// Who caused a state change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The operator, through the command line.
    Cli,
    /// iodao itself (the lifecycle timer, an epoch run).
    System,
    /// The operator, through the portal's admin API (bearer token).
    Admin,
    /// A wallet, proven by a signature or a link.
    Address(Address),
    /// A chat account.
    Chat(ChatAccount),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cli => f.write_str("cli"),
            Self::System => f.write_str("system"),
            Self::Admin => f.write_str("admin-api"),
            Self::Address(a) => write!(f, "{a}"),
            Self::Chat(c) => write!(f, "{c}"),
        }
    }
}

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    /// A proposal was created.
    ProposalCreated,
    /// A proposal opened for voting.
    ProposalActivated,
    /// A proposal closed with an outcome.
    ProposalClosed,
    /// A proposal was cancelled.
    ProposalCancelled,
    /// A passed proposal was carried out.
    ProposalExecuted,
    /// A voter's first vote on a proposal.
    VoteCast,
    /// A voter changed their vote.
    VoteReplaced,
    /// A chat account linked an address.
    LinkMade,
    /// A chat account linked a different address, replacing its link.
    LinkReplaced,
    /// A chat account's link was removed.
    LinkRemoved,
    /// A recipient was added.
    RecipientAdded,
    /// A device program listed a device (or changed its score).
    DeviceSet,
    /// A device program stopped listing a device.
    DeviceRemoved,
    /// A voter set (or withdrew) their allocation across recipients.
    AllocationSet,
    /// An epoch's run was opened at its snapshot block.
    EpochOpened,
    /// An epoch's inputs (recipients, votes with powers) were stored.
    EpochTallied,
    /// An epoch's budget was split and its payouts stored.
    EpochAllocated,
    /// An epoch's run failed (its reason in the detail).
    EpochFailed,
}

impl AuditAction {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ProposalCreated => "proposal.created",
            Self::ProposalActivated => "proposal.activated",
            Self::ProposalClosed => "proposal.closed",
            Self::ProposalCancelled => "proposal.cancelled",
            Self::ProposalExecuted => "proposal.executed",
            Self::VoteCast => "vote.cast",
            Self::VoteReplaced => "vote.replaced",
            Self::LinkMade => "link.made",
            Self::LinkReplaced => "link.replaced",
            Self::LinkRemoved => "link.removed",
            Self::RecipientAdded => "recipient.added",
            Self::DeviceSet => "recipient.device_set",
            Self::DeviceRemoved => "recipient.device_removed",
            Self::AllocationSet => "allocation.set",
            Self::EpochOpened => "epoch.opened",
            Self::EpochTallied => "epoch.tallied",
            Self::EpochAllocated => "epoch.allocated",
            Self::EpochFailed => "epoch.failed",
        }
    }
}

/// One row of the audit log as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (display form of [`Actor`]).
    pub actor: String,
    /// What (an [`AuditAction`] name).
    pub action: String,
    /// On what, e.g. `proposal:3`.
    pub subject: String,
    /// Details as JSON text.
    pub detail: String,
    /// The previous entry's hash.
    pub prev_hash: B256,
    /// This entry's hash.
    pub hash: B256,
}

/// The subject string of a proposal.
pub fn proposal_subject(id: ProposalId) -> String {
    format!("proposal:{}", id.get())
}

/// keccak-256 over the entry's fields, each length-prefixed (so no field can
/// bleed into the next), and the previous hash.
pub fn chain_hash(
    seq: u64,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
    prev: B256,
) -> B256 {
    let mut buf = Vec::with_capacity(128 + detail.len());
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.extend_from_slice(&at.timestamp_millis().to_be_bytes());
    for field in [actor, action, subject, detail] {
        buf.extend_from_slice(&(field.len() as u64).to_be_bytes());
        buf.extend_from_slice(field.as_bytes());
    }
    buf.extend_from_slice(prev.as_slice());
    keccak256(buf)
}

impl AuditEntry {
    /// The hash this entry should have.
    pub fn expected_hash(&self) -> B256 {
        chain_hash(self.seq, self.at, &self.actor, &self.action, &self.subject, &self.detail, self.prev_hash)
    }
}

/// Why the audit chain does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuditBreak {
    /// A row's content does not match its hash: it was edited.
    #[error("audit entry {seq} was altered: its content does not match its hash")]
    Altered {
        /// The entry.
        seq: u64,
    },
    /// A row does not point at its predecessor's hash: a row was removed or replaced.
    #[error("audit entry {seq} does not follow entry {}: a row was removed or replaced", seq - 1)]
    Broken {
        /// The entry.
        seq: u64,
    },
    /// Sequence numbers skip.
    #[error("audit entry {found} follows entry {}: entries are missing", expected - 1)]
    Gap {
        /// The number expected.
        expected: u64,
        /// The number found.
        found: u64,
    },
}

/// Checks the chain entry by entry, from the log's first entry, so a log of
/// any length can be verified in pages.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    prev: B256,
    checked: u64,
}

impl ChainVerifier {
    /// A verifier expecting entry 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next entry.
    pub fn check(&mut self, e: &AuditEntry) -> Result<(), AuditBreak> {
        let expected = self.checked + 1;
        if e.seq != expected {
            return Err(AuditBreak::Gap { expected, found: e.seq });
        }
        if e.prev_hash != self.prev {
            return Err(AuditBreak::Broken { seq: e.seq });
        }
        if e.expected_hash() != e.hash {
            return Err(AuditBreak::Altered { seq: e.seq });
        }
        self.prev = e.hash;
        self.checked = e.seq;
        Ok(())
    }

    /// How many entries checked out.
    pub const fn checked(&self) -> u64 {
        self.checked
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut prev = B256::ZERO;
        (1..=n)
            .map(|seq| {
                let at = Utc.timestamp_opt(1_900_000_000 + i64::try_from(seq).unwrap(), 0).unwrap();
                let detail = format!("{{\"n\":{seq}}}");
                let hash = chain_hash(seq, at, "cli", "vote.cast", "proposal:1", &detail, prev);
                let e = AuditEntry {
                    seq,
                    at,
                    actor: "cli".into(),
                    action: "vote.cast".into(),
                    subject: "proposal:1".into(),
                    detail,
                    prev_hash: prev,
                    hash,
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry]) -> Result<u64, AuditBreak> {
        let mut v = ChainVerifier::new();
        for e in entries {
            v.check(e)?;
        }
        Ok(v.checked())
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn an_edited_field_is_detected() {
        let mut c = chain(5);
        c[2].actor = "0xattacker".into();
        assert_eq!(verify(&c), Err(AuditBreak::Altered { seq: 3 }));
        let mut c = chain(5);
        c[3].detail = "{\"n\":40}".into();
        assert_eq!(verify(&c), Err(AuditBreak::Altered { seq: 4 }));
    }

    #[test]
    fn a_removed_row_is_detected() {
        let mut c = chain(5);
        c.remove(2);
        assert_eq!(verify(&c), Err(AuditBreak::Gap { expected: 3, found: 4 }));
    }

    #[test]
    fn a_rewritten_row_with_a_fresh_hash_breaks_the_next_link() {
        let mut c = chain(5);
        c[1].detail = "{}".into();
        c[1].hash = c[1].expected_hash();
        assert_eq!(verify(&c), Err(AuditBreak::Broken { seq: 3 }));
    }

    #[test]
    fn field_boundaries_are_part_of_the_hash() {
        let at = Utc.timestamp_opt(0, 0).unwrap();
        let a = chain_hash(1, at, "ab", "c", "s", "d", B256::ZERO);
        let b = chain_hash(1, at, "a", "bc", "s", "d", B256::ZERO);
        assert_ne!(a, b);
    }
}
