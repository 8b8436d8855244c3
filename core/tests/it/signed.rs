use alloy_primitives::{B256, hex, keccak256};
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct as _;
use chrono::{DateTime, Duration, Utc};
use iodao_core::signed::types;
use iodao_core::{Address, Amount, Ballot, GovernanceError, Proposal, ProposalState, SignedError, VoteSource};

use crate::helpers::*;

struct Wallet {
    signer: PrivateKeySigner,
    address: Address,
}

fn wallet(seed: u8) -> Wallet {
    let signer = PrivateKeySigner::from_bytes(&[seed; 32].into()).expect("key");
    Wallet { address: Address::from(signer.address()), signer }
}

/// This deployment's EIP-712 salt in these tests.
fn salt() -> B256 {
    keccak256("iodao core tests")
}

async fn setup() -> (TestGov, Wallet, Wallet, Proposal) {
    let (w1, w2) = (wallet(11), wallet(12));
    let mut g =
        TestGov::with_stakers([(w1.address, Amount::from_iotx(500)), (w2.address, Amount::from_iotx(300))]).await;
    g.gov = g.gov.clone().with_eip712(4689, salt());
    let p = g.proposal().await;
    (g, w1, w2, p)
}

fn vote_msg(voter: &Wallet, p: &Proposal, choice: &str, at: DateTime<Utc>) -> types::Vote {
    types::Vote {
        voter: voter.address.as_evm(),
        proposal: u64::try_from(p.id.get()).expect("positive"),
        choice: choice.into(),
        timestamp: u64::try_from(at.timestamp()).expect("after 1970"),
    }
}

fn sign(g: &TestGov, who: &Wallet, msg: &types::Vote) -> String {
    let hash = msg.eip712_signing_hash(g.gov.eip712_domain());
    hex::encode_prefixed(who.signer.sign_hash_sync(&hash).expect("sign").as_bytes())
}

#[tokio::test]
async fn an_eip712_vote_signed_by_the_voter_is_counted() {
    let (g, w1, _, p) = setup().await;
    let msg = vote_msg(&w1, &p, "For", t(150));
    let cast = g.gov.cast_signed_vote(msg.clone(), &sign(&g, &w1, &msg), t(150)).await.unwrap();
    assert_eq!(cast.vote.voter, w1.address);
    assert_eq!(cast.vote.source, VoteSource::Signed);
    assert_eq!(cast.vote.power, Amount::from_iotx(500));
    assert_eq!(cast.vote.digest, Some(msg.eip712_signing_hash(g.gov.eip712_domain())));
    let (_, tally) = g.gov.tally(p.id).await.unwrap();
    assert_eq!(tally.totals()[0], Amount::from_iotx(500));
    let stored = g.gov.votes(p.id, 10, 0).await.unwrap();
    assert_eq!(stored[0].digest, cast.vote.digest);
}

#[tokio::test]
async fn a_replayed_message_is_refused_and_changes_nothing() {
    let (g, w1, _, p) = setup().await;
    let first = vote_msg(&w1, &p, "For", t(150));
    let first_sig = sign(&g, &w1, &first);
    g.gov.cast_signed_vote(first.clone(), &first_sig, t(150)).await.unwrap();
    // The voter changes their mind by chat…
    g.gov
        .cast_vote(
            Ballot { proposal: p.id, voter: w1.address, choice: "Against".into(), source: VoteSource::Discord },
            t(151),
        )
        .await
        .unwrap();
    let (_, before) = g.gov.tally(p.id).await.unwrap();
    let log_before = g.gov.audit_entries(0, 1000).await.unwrap().len();
    // …and someone relays the old signed "For" again.
    let err = g.gov.cast_signed_vote(first, &first_sig, t(152)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Signed(SignedError::Replayed)), "{err}");
    assert_eq!(g.gov.tally(p.id).await.unwrap().1, before);
    assert_eq!(before.totals()[1], Amount::from_iotx(500), "the chat vote, the last one, counts");
    assert_eq!(g.gov.audit_entries(0, 1000).await.unwrap().len(), log_before);
}

#[tokio::test]
async fn a_newer_signed_vote_replaces_a_chat_vote() {
    let (g, w1, w2, p) = setup().await;
    g.gov
        .cast_vote(
            Ballot { proposal: p.id, voter: w1.address, choice: "For".into(), source: VoteSource::Telegram },
            t(150),
        )
        .await
        .unwrap();
    let msg = vote_msg(&w1, &p, "Abstain", t(160));
    let cast = g.gov.cast_signed_vote(msg.clone(), &sign(&g, &w1, &msg), t(161)).await.unwrap();
    assert!(cast.replaced.is_some());
    let other = vote_msg(&w2, &p, "2", t(160));
    g.gov.cast_signed_vote(other.clone(), &sign(&g, &w2, &other), t(161)).await.unwrap();
    let (_, tally) = g.gov.tally(p.id).await.unwrap();
    assert_eq!(tally.totals(), &[Amount::ZERO, Amount::from_iotx(300), Amount::from_iotx(500)]);
    assert_eq!(g.gov.recount(p.id).await.unwrap().1, tally);
}

#[tokio::test]
async fn a_vote_signed_by_someone_else_is_refused() {
    let (g, w1, w2, p) = setup().await;
    let msg = vote_msg(&w1, &p, "For", t(150));
    let err = g.gov.cast_signed_vote(msg.clone(), &sign(&g, &w2, &msg), t(150)).await.unwrap_err();
    assert!(
        matches!(err, GovernanceError::Signed(SignedError::WrongSigner { claimed, recovered })
            if claimed == w1.address && recovered == w2.address),
        "{err}"
    );
    let err = g.gov.cast_signed_vote(msg, "0x1234", t(150)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Signed(SignedError::Malformed(_))), "{err}");
    assert_eq!(g.gov.tally(p.id).await.unwrap().1.voters(), 0);
}

#[tokio::test]
async fn a_signature_for_another_chain_does_not_verify() {
    let (g, w1, _, p) = setup().await;
    let testnet = g.gov.clone().with_eip712(4690, salt());
    let msg = vote_msg(&w1, &p, "For", t(150));
    let hash = msg.eip712_signing_hash(testnet.eip712_domain());
    let sig = hex::encode_prefixed(w1.signer.sign_hash_sync(&hash).unwrap().as_bytes());
    let err = g.gov.cast_signed_vote(msg, &sig, t(150)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Signed(SignedError::WrongSigner { .. })), "{err}");
}

#[tokio::test]
async fn a_signature_for_another_deployment_on_the_same_chain_is_refused_and_says_why() {
    let (g, w1, _, p) = setup().await;
    let elsewhere = g.gov.clone().with_eip712(4689, keccak256("another iodao"));
    let msg = vote_msg(&w1, &p, "For", t(150));
    let hash = msg.eip712_signing_hash(elsewhere.eip712_domain());
    let sig = hex::encode_prefixed(w1.signer.sign_hash_sync(&hash).unwrap().as_bytes());
    let err = g.gov.cast_signed_vote(msg.clone(), &sig, t(150)).await.unwrap_err();
    assert!(
        matches!(&err, GovernanceError::Signed(SignedError::WrongSigner { claimed, .. }) if *claimed == w1.address),
        "{err}"
    );
    assert!(err.to_string().contains("this deployment's EIP-712 salt"), "{err}");
    assert_eq!(g.gov.tally(p.id).await.unwrap().1.voters(), 0);
    // The same message signed for this deployment counts.
    g.gov.cast_signed_vote(msg.clone(), &sign(&g, &w1, &msg), t(150)).await.unwrap();
}

#[tokio::test]
async fn an_older_signed_vote_relayed_after_a_newer_one_is_refused_and_changes_nothing() {
    let (g, w1, _, p) = setup().await;
    let older = vote_msg(&w1, &p, "Against", t(150));
    let older_sig = sign(&g, &w1, &older);
    let newer = vote_msg(&w1, &p, "For", t(155));
    g.gov.cast_signed_vote(newer.clone(), &sign(&g, &w1, &newer), t(156)).await.unwrap();
    let (_, before) = g.gov.tally(p.id).await.unwrap();
    let log_before = g.gov.audit_entries(0, 1000).await.unwrap().len();
    // Someone held back the older signature and relays it now, still fresh.
    let err = g.gov.cast_signed_vote(older.clone(), &older_sig, t(157)).await.unwrap_err();
    assert!(
        matches!(err, GovernanceError::Signed(SignedError::Superseded { signed, current, .. })
            if signed == t(150) && current == t(155)),
        "{err}"
    );
    assert!(err.to_string().contains("an older signed vote never replaces a newer one"), "{err}");
    assert_eq!(g.gov.tally(p.id).await.unwrap().1, before);
    assert_eq!(before.totals()[0], Amount::from_iotx(500), "the newer For counts");
    assert_eq!(g.gov.audit_entries(0, 1000).await.unwrap().len(), log_before);
    let stored = g.gov.votes(p.id, 10, 0).await.unwrap();
    assert_eq!(stored[0].signed_at, Some(t(155)));
    // Refused, its digest was not recorded: it is refused again for the same reason, not as a replay.
    let err = g.gov.cast_signed_vote(older.clone(), &older_sig, t(158)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Signed(SignedError::Superseded { .. })), "{err}");
}

#[tokio::test]
async fn a_signature_made_before_a_chat_vote_never_undoes_it() {
    let (g, w1, _, p) = setup().await;
    let signed_earlier = vote_msg(&w1, &p, "For", t(150));
    let sig = sign(&g, &w1, &signed_earlier);
    g.gov
        .cast_vote(
            Ballot { proposal: p.id, voter: w1.address, choice: "Against".into(), source: VoteSource::Telegram },
            t(152),
        )
        .await
        .unwrap();
    let err = g.gov.cast_signed_vote(signed_earlier, &sig, t(153)).await.unwrap_err();
    assert!(
        matches!(err, GovernanceError::Signed(SignedError::Superseded { current, .. }) if current == t(152)),
        "{err}"
    );
    assert_eq!(g.gov.tally(p.id).await.unwrap().1.totals()[1], Amount::from_iotx(500), "Against, by chat, stands");
}

#[tokio::test]
async fn two_signed_votes_of_the_same_second_are_ambiguous_and_the_second_is_refused() {
    let (g, w1, _, p) = setup().await;
    let a = vote_msg(&w1, &p, "For", t(150));
    let b = vote_msg(&w1, &p, "Against", t(150));
    g.gov.cast_signed_vote(a.clone(), &sign(&g, &w1, &a), t(150)).await.unwrap();
    let err = g.gov.cast_signed_vote(b.clone(), &sign(&g, &w1, &b), t(151)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Signed(SignedError::SameTime { at, .. }) if at == t(150)), "{err}");
    assert!(err.to_string().contains("which is newer cannot be told"), "{err}");
    assert_eq!(g.gov.tally(p.id).await.unwrap().1.totals()[0], Amount::from_iotx(500));
}

#[tokio::test]
async fn a_chat_vote_replaces_a_signed_vote_timestamped_ahead_of_the_clock() {
    let (g, w1, _, p) = setup().await;
    // Signed by a wallet whose clock runs 40 s ahead: within the skew allowed.
    let ahead = vote_msg(&w1, &p, "For", t(200) - Duration::seconds(10));
    g.gov.cast_signed_vote(ahead.clone(), &sign(&g, &w1, &ahead), t(150)).await.unwrap();
    let cast = g
        .gov
        .cast_vote(
            Ballot { proposal: p.id, voter: w1.address, choice: "Abstain".into(), source: VoteSource::Discord },
            t(155),
        )
        .await
        .unwrap();
    assert!(cast.replaced.is_some(), "a chat vote is made as it arrives and always replaces");
    assert_eq!(g.gov.tally(p.id).await.unwrap().1.totals()[2], Amount::from_iotx(500));
    // A later signature beats the chat vote again.
    let later = vote_msg(&w1, &p, "Against", t(160));
    g.gov.cast_signed_vote(later.clone(), &sign(&g, &w1, &later), t(160)).await.unwrap();
    assert_eq!(g.gov.tally(p.id).await.unwrap().1.totals()[1], Amount::from_iotx(500));
    assert_eq!(g.gov.recount(p.id).await.unwrap().1, g.gov.tally(p.id).await.unwrap().1);
}

#[tokio::test]
async fn a_pruned_digest_is_still_refused_as_stale_and_a_fresh_one_is_kept() {
    let (g, w1, w2, p) = setup().await;
    let old = vote_msg(&w1, &p, "For", t(100));
    let old_sig = sign(&g, &w1, &old);
    g.gov.cast_signed_vote(old.clone(), &old_sig, t(100)).await.unwrap();
    let fresh = vote_msg(&w2, &p, "Against", t(190));
    g.gov.cast_signed_vote(fresh.clone(), &sign(&g, &w2, &fresh), t(190)).await.unwrap();
    let now = t(100) + iodao_core::signed::REPLAY_WINDOW + iodao_core::DIGEST_MARGIN + Duration::seconds(1);
    assert_eq!(g.gov.prune_signed_messages(now).await.unwrap(), 1, "only the old digest");
    // A replay of the pruned message cannot be fresh.
    let err = g.gov.cast_signed_vote(old, &old_sig, now).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Signed(SignedError::Stale(_))), "{err}");
    assert_eq!(g.gov.prune_signed_messages(now).await.unwrap(), 0);
}

#[tokio::test]
async fn stale_and_future_messages_are_refused() {
    let (g, w1, _, p) = setup().await;
    let old = vote_msg(&w1, &p, "For", t(150) - Duration::minutes(10) - Duration::seconds(1));
    let err = g.gov.cast_signed_vote(old.clone(), &sign(&g, &w1, &old), t(150)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Signed(SignedError::Stale(_))), "{err}");
    let edge = vote_msg(&w1, &p, "For", t(150) - Duration::minutes(10));
    g.gov.cast_signed_vote(edge.clone(), &sign(&g, &w1, &edge), t(150)).await.unwrap();
    let ahead = vote_msg(&w1, &p, "Against", t(150) + Duration::seconds(61));
    let err = g.gov.cast_signed_vote(ahead.clone(), &sign(&g, &w1, &ahead), t(150)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Signed(SignedError::FromTheFuture(_))), "{err}");
}

#[tokio::test]
async fn a_signed_vote_for_a_closed_proposal_is_refused() {
    let (g, w1, _, p) = setup().await;
    let msg = vote_msg(&w1, &p, "For", t(200));
    let err = g.gov.cast_signed_vote(msg.clone(), &sign(&g, &w1, &msg), t(200)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::VotingClosed { .. }), "{err}");
    assert_eq!(g.gov.proposal(p.id).await.unwrap().state, ProposalState::Closed(iodao_core::Outcome::QuorumNotMet));
    let ghost = types::Vote { proposal: 0, ..msg };
    let err = g.gov.cast_signed_vote(ghost.clone(), &sign(&g, &w1, &ghost), t(200)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::ProposalId(_)), "{err}");
}

fn proposal_msg(author: &Wallet, title: &str, at: DateTime<Utc>) -> types::Proposal {
    types::Proposal {
        author: author.address.as_evm(),
        title: title.into(),
        body: "Fund **devices**".into(),
        choices: vec!["Yes".into(), "No".into()],
        method: "single-choice".into(),
        timestamp: u64::try_from(at.timestamp()).expect("after 1970"),
    }
}

fn sign_proposal(g: &TestGov, who: &Wallet, msg: &types::Proposal) -> String {
    let hash = msg.eip712_signing_hash(g.gov.eip712_domain());
    hex::encode_prefixed(who.signer.sign_hash_sync(&hash).expect("sign").as_bytes())
}

#[tokio::test]
async fn a_signed_proposal_is_created_once_with_the_daos_defaults() {
    let (g, w1, w2, _) = setup().await;
    let msg = proposal_msg(&w1, "Signed proposal", t(50));
    let sig = sign_proposal(&g, &w1, &msg);
    let p = g.gov.create_signed_proposal(msg.clone(), &sig, t(50)).await.unwrap();
    assert_eq!(p.author, w1.address);
    assert_eq!(p.title.as_str(), "Signed proposal");
    assert_eq!(p.window.start(), t(50), "default delay 0");
    assert_eq!(p.window.end(), t(50) + Duration::days(7), "default period 7 days");
    assert_eq!(p.state, ProposalState::Active);
    let err = g.gov.create_signed_proposal(msg.clone(), &sig, t(51)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Signed(SignedError::Replayed)), "{err}");
    let err = g.gov.create_signed_proposal(msg.clone(), &sign_proposal(&g, &w2, &msg), t(51)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Signed(SignedError::WrongSigner { .. })), "{err}");
    let long = proposal_msg(&w1, &"x".repeat(201), t(52));
    let err = g.gov.create_signed_proposal(long.clone(), &sign_proposal(&g, &w1, &long), t(52)).await.unwrap_err();
    assert_eq!(err.to_string(), "the title is 201 characters long; the limit is 200");
    let mut ranked = proposal_msg(&w1, "Ranked", t(53));
    ranked.method = "ranked".into();
    let err = g.gov.create_signed_proposal(ranked.clone(), &sign_proposal(&g, &w1, &ranked), t(53)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::UnknownMethod(_)), "{err}");
    assert_eq!(
        g.gov.proposals(Default::default()).await.unwrap().len(),
        2,
        "only the setup's and the first signed one"
    );
}
