//! Wallet links: a chat account proves it controls an address by signing a
//! one-time EIP-4361 (Sign-In with Ethereum) challenge with that address.
//!
//! The `siwe` crate writes and parses the message; alloy recovers the signer
//! of its EIP-191 signature. A challenge is single-use and expires after
//! [`LinkSettings::ttl`]; any refused attempt changes nothing.

use std::str::FromStr;
use std::sync::Arc;

use alloy_primitives::Signature;
use chrono::{DateTime, Duration, Utc};

use crate::domain::{Address, ChatAccount, Quoted};
use crate::store::{Consumed, Store, StoreError, StoredChallenge};

/// What the DAO puts in every challenge.
#[derive(Clone, Debug)]
pub struct LinkSettings {
    /// The EIP-4361 domain (an RFC 3986 authority, e.g. `dao.example.org`).
    pub domain: String,
    /// The portal's base URL; challenges point at `{base}/link/{nonce}`.
    pub base_url: String,
    /// The chain id wallets sign for (IoTeX mainnet 4689, testnet 4690).
    pub chain_id: u64,
    /// How long a challenge is accepted.
    pub ttl: Duration,
}

/// A challenge to show the user.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Challenge {
    /// The single-use nonce.
    pub nonce: String,
    /// The exact text to sign with `personal_sign`.
    pub message: String,
    /// The portal page that asks the wallet to sign it.
    pub url: String,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// A link that was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linked {
    /// The account.
    pub account: ChatAccount,
    /// The address it now votes with.
    pub address: Address,
    /// The address it had before, if it was linked already.
    pub previous: Option<Address>,
}

/// Why a link was refused. Each refusal changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The text is not an EIP-4361 message.
    #[error("the signed text is not a Sign-In with Ethereum message ({0}); sign the challenge exactly as given")]
    MalformedMessage(String),
    /// The signature is not 65 bytes of hex.
    #[error("the signature is not valid: expected 65 bytes as 0x-prefixed hex ({0})")]
    MalformedSignature(String),
    /// The message names another site.
    #[error("the message is for {}, not `{expected}`: only challenges issued here can link", Quoted(found))]
    WrongDomain {
        /// Our domain.
        expected: String,
        /// The message's.
        found: String,
    },
    /// The message names another chain.
    #[error("the message is for chain {found}, not {expected}")]
    WrongChain {
        /// Our chain id.
        expected: u64,
        /// The message's.
        found: u64,
    },
    /// No challenge has this nonce.
    #[error("no link challenge has nonce {}: ask for a new one with /link", Quoted(.0))]
    UnknownNonce(String),
    /// The challenge was used already.
    #[error("this link challenge was already used; ask for a new one with /link")]
    Replayed,
    /// The challenge expired.
    #[error("this link challenge expired at {0}; ask for a new one with /link")]
    Expired(DateTime<Utc>),
    /// The message names another address than the challenge.
    #[error("the message is for {found} but the challenge was issued for {expected}")]
    WrongAddress {
        /// The challenge's address.
        expected: Address,
        /// The message's.
        found: Address,
    },
    /// The message was altered after it was issued.
    #[error("the signed message differs from the challenge that was issued; sign it exactly as given")]
    Altered,
    /// Someone else signed.
    #[error("the signature was made by {recovered}, not by {expected}: sign with the wallet you are linking")]
    WrongSigner {
        /// The address being linked.
        expected: Address,
        /// Who actually signed.
        recovered: Address,
    },
    /// A chat user sent a signature but has no open challenge.
    #[error("you have no open link challenge: send /link <address> first, then sign the text it gives you")]
    NoOpenChallenge,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The link service.
#[derive(Clone)]
pub struct Links {
    store: Store,
    settings: Arc<LinkSettings>,
}

impl Links {
    /// A link service over `store`.
    pub fn new(store: Store, settings: LinkSettings) -> Self {
        Self { store, settings: Arc::new(settings) }
    }

    /// Issues a challenge for `account` to prove control of `address`.
    pub async fn challenge(
        &self,
        account: &ChatAccount,
        address: Address,
        now: DateTime<Utc>,
    ) -> Result<Challenge, LinkError> {
        let s = &self.settings;
        let nonce = siwe::generate_nonce();
        let expires_at = now + s.ttl;
        let url = format!("{}/link/{nonce}", s.base_url.trim_end_matches('/'));
        let message = siwe::Message {
            domain: s.domain.parse().map_err(|e| LinkError::MalformedMessage(format!("domain: {e}")))?,
            address: *address.as_bytes(),
            statement: Some(format!("Link {account} to this wallet to vote in the DAO.")),
            uri: url.parse().map_err(|e| LinkError::MalformedMessage(format!("uri: {e}")))?,
            version: siwe::Version::V1,
            chain_id: s.chain_id,
            nonce: nonce.clone(),
            issued_at: timestamp(now)?,
            expiration_time: Some(timestamp(expires_at)?),
            not_before: None,
            request_id: None,
            resources: vec![
                format!("urn:iodao:{account}")
                    .parse()
                    .map_err(|e| LinkError::MalformedMessage(format!("resource: {e}")))?,
            ],
        }
        .to_string();
        self.store
            .insert_challenge(&StoredChallenge {
                nonce: nonce.clone(),
                account: account.clone(),
                address,
                message: message.clone(),
                issued_at: now,
                expires_at,
                used_at: None,
            })
            .await?;
        Ok(Challenge { nonce, message, url, expires_at })
    }

    /// A challenge by nonce (for the portal's `/link/{nonce}` page).
    pub async fn pending_challenge(&self, nonce: &str) -> Result<StoredChallenge, LinkError> {
        self.store.challenge(nonce).await?.ok_or_else(|| LinkError::UnknownNonce(nonce.to_owned()))
    }

    /// Checks a signed challenge and, if every check passes, links the
    /// challenge's account to its address.
    pub async fn verify(&self, message: &str, signature: &str, now: DateTime<Utc>) -> Result<Linked, LinkError> {
        let parsed = siwe::Message::from_str(message).map_err(|e| LinkError::MalformedMessage(e.to_string()))?;
        if parsed.domain.as_str() != self.settings.domain {
            return Err(LinkError::WrongDomain {
                expected: self.settings.domain.clone(),
                found: parsed.domain.to_string(),
            });
        }
        if parsed.chain_id != self.settings.chain_id {
            return Err(LinkError::WrongChain { expected: self.settings.chain_id, found: parsed.chain_id });
        }
        let challenge = self.pending_challenge(&parsed.nonce).await?;
        if challenge.used_at.is_some() {
            return Err(LinkError::Replayed);
        }
        if now >= challenge.expires_at {
            return Err(LinkError::Expired(challenge.expires_at));
        }
        let claimed = Address::from(parsed.address);
        if claimed != challenge.address {
            return Err(LinkError::WrongAddress { expected: challenge.address, found: claimed });
        }
        if message != challenge.message {
            return Err(LinkError::Altered);
        }
        let signature =
            Signature::from_str(signature.trim()).map_err(|e| LinkError::MalformedSignature(e.to_string()))?;
        let recovered = signature
            .recover_address_from_msg(message.as_bytes())
            .map_err(|e| LinkError::MalformedSignature(e.to_string()))?;
        let recovered = Address::from(recovered);
        if recovered != challenge.address {
            return Err(LinkError::WrongSigner { expected: challenge.address, recovered });
        }
        match self.store.consume_challenge(&challenge, now).await? {
            Consumed::AlreadyUsed => Err(LinkError::Replayed),
            Consumed::Linked { previous } => {
                tracing::info!(account = %challenge.account, address = %challenge.address, relinked = previous.is_some(), "wallet linked");
                Ok(Linked { account: challenge.account, address: challenge.address, previous })
            }
        }
    }

    /// Checks `signature` against the newest open challenge issued to
    /// `account` (a chat user who signed the text the bot showed and pastes
    /// only the signature back) and links it as [`Links::verify`] does.
    pub async fn verify_latest(
        &self,
        account: &ChatAccount,
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<Linked, LinkError> {
        let challenge = self.store.latest_open_challenge(account, now).await?.ok_or(LinkError::NoOpenChallenge)?;
        self.verify(&challenge.message, signature, now).await
    }

    /// Removes an account's link; returns the address it had, if any.
    pub async fn unlink(&self, account: &ChatAccount, now: DateTime<Utc>) -> Result<Option<Address>, LinkError> {
        Ok(self.store.remove_link(account, now).await?)
    }

    /// The address an account votes with.
    pub async fn address_of(&self, account: &ChatAccount) -> Result<Option<Address>, LinkError> {
        Ok(self.store.linked_address(account).await?)
    }

    /// The accounts linked to an address.
    pub async fn accounts_of(&self, address: Address) -> Result<Vec<ChatAccount>, LinkError> {
        Ok(self.store.linked_accounts(address).await?)
    }

    /// Deletes challenges that expired more than [`EXPIRED_CHALLENGES_KEPT`]
    /// before `now`, used or not; returns how many.
    pub async fn prune_challenges(&self, now: DateTime<Utc>) -> Result<u64, LinkError> {
        Ok(self.store.prune_link_challenges(now - EXPIRED_CHALLENGES_KEPT).await?)
    }
}

/// How long an expired challenge is kept before it is pruned. It can never
/// link again, but for a day its link page and `/verify` still say
/// "expired" rather than "unknown".
pub const EXPIRED_CHALLENGES_KEPT: Duration = Duration::days(1);

fn timestamp(t: DateTime<Utc>) -> Result<siwe::TimeStamp, LinkError> {
    // Whole seconds: the RFC 3339 text in the message stays short and exact.
    let odt = time::OffsetDateTime::from_unix_timestamp(t.timestamp())
        .map_err(|e| LinkError::MalformedMessage(format!("time: {e}")))?;
    Ok(siwe::TimeStamp::from(odt))
}
