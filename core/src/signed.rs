//! Gasless signed messages (EIP-712), like Snapshot and Governor's
//! `castVoteBySig`: a wallet signs a typed vote or proposal, anyone relays it,
//! and iodao counts it for the signer.
//!
//! Domain: `{ name: "iodao", version: "1", chainId, salt }` (no verifying
//! contract: nothing on-chain checks these). The salt is the deployment's own
//! 32 bytes (configured, or drawn at random when the database is made), so a
//! message signed for another iodao on the same chain never verifies here.
//! Types:
//!
//! ```text
//! Vote(address voter,uint64 proposal,string choice,uint64 timestamp)
//! Proposal(address author,string title,string body,string[] choices,string method,uint64 timestamp)
//! ```
//!
//! `choice` is the selection as a voter types it (`2`, `Against`, `1,3`,
//! `1=60 2=40`); `timestamp` is Unix seconds. A message is accepted only if
//! its signer is the named voter or author, its timestamp is fresh, and its
//! digest was never accepted before.
//!
//! A voter's votes on a proposal are ordered by when the voter made them:
//! a signed vote by its own timestamp, a chat or operator vote by when it was
//! cast. A signed vote counts only if it is newer than the voter's current
//! vote, so relaying a signature the voter made earlier never undoes a later
//! change (of either kind). One made at the same time as the current vote
//! (a second message signed within the same second) is refused too: which of
//! the two the voter meant last cannot be told. A chat or operator vote is
//! made as it arrives and cannot be relayed later, so it always replaces the
//! current vote.

use std::str::FromStr;

use alloy_primitives::{B256, Signature, keccak256};
use alloy_sol_types::{Eip712Domain, SolStruct, eip712_domain};
use chrono::{DateTime, Duration, Utc};

use crate::domain::{Address, ProposalId};

/// The typed structs, exactly as wallets sign them.
pub mod types {
    alloy_sol_types::sol! {
        /// A vote: `choice` as the voter would type it.
        #[derive(Debug, PartialEq, Eq)]
        struct Vote {
            address voter;
            uint64 proposal;
            string choice;
            uint64 timestamp;
        }

        /// A proposal: the method by name (`single-choice`, `approval`, …).
        #[derive(Debug, PartialEq, Eq)]
        struct Proposal {
            address author;
            string title;
            string body;
            string[] choices;
            string method;
            uint64 timestamp;
        }
    }
}

/// EIP-712 domain version.
pub const VERSION: &str = "1";

/// How old a signed message may be when it arrives.
pub const MAX_AGE: Duration = Duration::minutes(10);

/// How far ahead of our clock a message's timestamp may be.
pub const MAX_SKEW: Duration = Duration::minutes(1);

/// How long after it was accepted a message could still arrive fresh: its
/// timestamp is at most [`MAX_SKEW`] past its acceptance, and it is fresh
/// until [`MAX_AGE`] past its timestamp. Past this a replay is refused as
/// stale, so its digest need not be kept to refuse it.
pub const REPLAY_WINDOW: Duration = Duration::minutes(11);

/// The EIP-712 domain for `chain_id` and the deployment's `salt`.
pub fn domain(chain_id: u64, salt: B256) -> Eip712Domain {
    eip712_domain! { name: "iodao", version: VERSION, chain_id: chain_id, salt: salt, }
}

/// What a wallet needs to sign for this deployment, in the JSON shape of
/// `eth_signTypedData_v4` (EIP-712): `{ "domain": { name, version, chainId,
/// salt }, "types": { EIP712Domain, Vote, Proposal } }`, each type a list of
/// `{ name, type }` read from the structs themselves. Add `primaryType` and
/// `message` to sign.
pub fn typed_data(domain: &Eip712Domain) -> serde_json::Value {
    let fields = |root: &str| -> serde_json::Value {
        // `Vote(address voter,uint64 proposal,…)` → [{ name, type }, …]
        let inner = root.split_once('(').map_or("", |(_, rest)| rest.trim_end_matches(')'));
        inner
            .split(',')
            .filter_map(|f| f.rsplit_once(' '))
            .map(|(ty, name)| serde_json::json!({ "name": name, "type": ty }))
            .collect()
    };
    let mut domain_json = serde_json::Map::new();
    let mut domain_type = Vec::new();
    if let Some(name) = &domain.name {
        domain_json.insert("name".into(), name.as_ref().into());
        domain_type.push(serde_json::json!({ "name": "name", "type": "string" }));
    }
    if let Some(version) = &domain.version {
        domain_json.insert("version".into(), version.as_ref().into());
        domain_type.push(serde_json::json!({ "name": "version", "type": "string" }));
    }
    if let Some(chain_id) = domain.chain_id {
        domain_json.insert("chainId".into(), chain_id.to::<u64>().into());
        domain_type.push(serde_json::json!({ "name": "chainId", "type": "uint256" }));
    }
    if let Some(salt) = domain.salt {
        domain_json.insert("salt".into(), salt.to_string().into());
        domain_type.push(serde_json::json!({ "name": "salt", "type": "bytes32" }));
    }
    serde_json::json!({
        "domain": domain_json,
        "types": {
            "EIP712Domain": domain_type,
            "Vote": fields(&types::Vote::eip712_root_type()),
            "Proposal": fields(&types::Proposal::eip712_root_type()),
        },
    })
}

/// Why a signed message was refused. Nothing is stored.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignedError {
    /// Not 65 bytes of hex, or not a valid secp256k1 signature.
    #[error("the signature is not valid: expected 65 bytes as 0x-prefixed hex ({0})")]
    Malformed(String),
    /// The signature is by someone other than the named voter or author, or
    /// was made over another EIP-712 domain (another chain id or another
    /// deployment's salt), which recovers some other address.
    #[error(
        "the message names {claimed} but its signature recovers to {recovered}: it was signed by another wallet, or for another domain (check the chain id and this deployment's EIP-712 salt)"
    )]
    WrongSigner {
        /// Who the message names.
        claimed: Address,
        /// Who signed it.
        recovered: Address,
    },
    /// Older than [`MAX_AGE`].
    #[error("the message was signed at {0}, more than 10 minutes ago: sign a new one")]
    Stale(DateTime<Utc>),
    /// Timestamped in the future.
    #[error("the message is timestamped {0}, in the future: check your clock")]
    FromTheFuture(DateTime<Utc>),
    /// The exact message was accepted before.
    #[error("this signed message was already counted; sign a new one to change your vote")]
    Replayed,
    /// Signed before the voter's current vote on the proposal was made: an
    /// older signed vote never replaces a newer one.
    #[error(
        "this vote was signed at {signed}, before your current vote on proposal {proposal} (made at {current}): an older signed vote never replaces a newer one; sign a new one to change your vote"
    )]
    Superseded {
        /// Which proposal.
        proposal: ProposalId,
        /// This message's timestamp.
        signed: DateTime<Utc>,
        /// When the current vote was made.
        current: DateTime<Utc>,
    },
    /// Signed at the same time (to the second) as the voter's current vote
    /// on the proposal, by another message: which is newer cannot be told.
    #[error(
        "your current vote on proposal {proposal} was made at the same time as this one ({at}), so which is newer cannot be told and this one is refused; sign a new one to change your vote"
    )]
    SameTime {
        /// Which proposal.
        proposal: ProposalId,
        /// The time both carry.
        at: DateTime<Utc>,
    },
}

/// A message with its signature, checked: the signer is the named party, the
/// timestamp fresh. Replay is checked by the store when it is recorded.
#[derive(Clone, Debug)]
pub struct Verified<T> {
    /// The message.
    pub message: T,
    /// Who signed it.
    pub signer: Address,
    /// Its EIP-712 signing hash, the replay key.
    pub digest: B256,
    /// When it was signed, by its own timestamp.
    pub signed_at: DateTime<Utc>,
}

/// Checks `signature` over `message` in `domain`: recovers the signer and
/// requires it to be `claimed`, and the timestamp to be fresh at `now`.
pub fn verify<T: SolStruct>(
    message: T,
    claimed: Address,
    timestamp: u64,
    signature: &str,
    domain: &Eip712Domain,
    now: DateTime<Utc>,
) -> Result<Verified<T>, SignedError> {
    let signature = Signature::from_str(signature.trim()).map_err(|e| SignedError::Malformed(e.to_string()))?;
    let digest = message.eip712_signing_hash(domain);
    let recovered = recover(&signature, &digest)?;
    if recovered != claimed {
        return Err(SignedError::WrongSigner { claimed, recovered });
    }
    let signed_at = i64::try_from(timestamp)
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or(SignedError::FromTheFuture(DateTime::<Utc>::MAX_UTC))?;
    if signed_at > now + MAX_SKEW {
        return Err(SignedError::FromTheFuture(signed_at));
    }
    if signed_at < now - MAX_AGE {
        return Err(SignedError::Stale(signed_at));
    }
    Ok(Verified { message, signer: recovered, digest, signed_at })
}

/// Recovers who signed a 32-byte prehash, with libsecp256k1 (measured about
/// five times faster than the pure-Rust k256 path on this kind of machine;
/// see the `ingest` benchmark). Agrees with alloy's recovery (tested).
pub fn recover(signature: &Signature, prehash: &B256) -> Result<Address, SignedError> {
    use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
    let bad = |e: secp256k1::Error| SignedError::Malformed(e.to_string());
    let id = RecoveryId::try_from(i32::from(signature.v())).map_err(bad)?;
    let mut compact = [0u8; 64];
    compact[..32].copy_from_slice(&signature.r().to_be_bytes::<32>());
    compact[32..].copy_from_slice(&signature.s().to_be_bytes::<32>());
    let sig = RecoverableSignature::from_compact(&compact, id).map_err(bad)?;
    let key = secp256k1::SECP256K1.recover_ecdsa(&secp256k1::Message::from_digest(prehash.0), &sig).map_err(bad)?;
    let hash = keccak256(&key.serialize_uncompressed()[1..]);
    let mut bytes = [0u8; 20];
    bytes.copy_from_slice(&hash[12..]);
    Ok(Address::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libsecp256k1_recovery_agrees_with_alloy() {
        use alloy_signer::SignerSync as _;
        for seed in 1u8..=20 {
            let signer = alloy_signer_local::PrivateKeySigner::from_bytes(&[seed; 32].into()).unwrap();
            let hash = keccak256([seed]);
            let sig = signer.sign_hash_sync(&hash).unwrap();
            let ours = recover(&sig, &hash).unwrap();
            assert_eq!(ours, Address::from(sig.recover_address_from_prehash(&hash).unwrap()));
            assert_eq!(ours, Address::from(signer.address()));
        }
    }

    #[test]
    fn the_replay_window_covers_the_skew_and_the_age() {
        assert_eq!(REPLAY_WINDOW, MAX_AGE + MAX_SKEW);
    }

    #[test]
    fn a_signature_for_another_salt_is_refused_and_says_where_to_look() {
        use alloy_signer::SignerSync as _;
        let signer = alloy_signer_local::PrivateKeySigner::from_bytes(&[7u8; 32].into()).unwrap();
        let voter = Address::from(signer.address());
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let msg = types::Vote { voter: voter.as_evm(), proposal: 1, choice: "For".into(), timestamp: 1_800_000_000 };
        let ours = domain(4689, B256::repeat_byte(1));
        let theirs = domain(4689, B256::repeat_byte(2));
        let sig = |d: &Eip712Domain| {
            alloy_primitives::hex::encode_prefixed(
                signer.sign_hash_sync(&msg.eip712_signing_hash(d)).unwrap().as_bytes(),
            )
        };
        assert!(verify(msg.clone(), voter, msg.timestamp, &sig(&ours), &ours, now).is_ok());
        let err = verify(msg.clone(), voter, msg.timestamp, &sig(&theirs), &ours, now).unwrap_err();
        assert!(matches!(err, SignedError::WrongSigner { claimed, .. } if claimed == voter), "{err}");
        assert!(err.to_string().contains("for another domain (check the chain id and this deployment's EIP-712 salt)"));
    }

    #[test]
    fn the_domain_carries_the_salt() {
        let d = domain(4690, B256::repeat_byte(0xab));
        assert_eq!(d.salt, Some(B256::repeat_byte(0xab)));
        assert_eq!(d.chain_id.map(|c| c.to::<u64>()), Some(4690));
        assert_ne!(d.separator(), domain(4690, B256::repeat_byte(0xac)).separator());
    }

    #[test]
    fn the_typed_data_is_what_a_wallet_signs_for_this_domain() {
        let d = domain(4689, B256::repeat_byte(0x5a));
        let typed = typed_data(&d);
        assert_eq!(
            typed["domain"],
            serde_json::json!({ "name": "iodao", "version": "1", "chainId": 4689, "salt": format!("0x{}", "5a".repeat(32)) })
        );
        assert_eq!(
            d.encode_type(),
            format!(
                "EIP712Domain({})",
                typed["types"]["EIP712Domain"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| format!("{} {}", f["type"].as_str().unwrap(), f["name"].as_str().unwrap()))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        );
        assert_eq!(
            typed["types"]["Vote"],
            serde_json::json!([
                { "name": "voter", "type": "address" },
                { "name": "proposal", "type": "uint64" },
                { "name": "choice", "type": "string" },
                { "name": "timestamp", "type": "uint64" },
            ])
        );
        assert_eq!(typed["types"]["Proposal"][3], serde_json::json!({ "name": "choices", "type": "string[]" }));
    }

    #[test]
    fn the_type_strings_are_the_documented_ones() {
        assert_eq!(
            types::Vote::eip712_encode_type(),
            "Vote(address voter,uint64 proposal,string choice,uint64 timestamp)"
        );
        assert_eq!(
            types::Proposal::eip712_encode_type(),
            "Proposal(address author,string title,string body,string[] choices,string method,uint64 timestamp)"
        );
    }
}
