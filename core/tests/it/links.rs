use alloy_primitives::hex;
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use chrono::Duration;
use iodao_core::{Address, ChatAccount, LinkError, LinkSettings, Links, Platform};

use crate::helpers::*;

fn links(g: &TestGov) -> Links {
    Links::new(
        g.gov.store().clone(),
        LinkSettings {
            domain: "dao.example.org".into(),
            base_url: "https://dao.example.org".into(),
            chain_id: 4689,
            ttl: Duration::minutes(10),
        },
    )
}

fn wallet(seed: u8) -> (PrivateKeySigner, Address) {
    let signer = PrivateKeySigner::from_bytes(&[seed; 32].into()).expect("key");
    let address = Address::from(signer.address());
    (signer, address)
}

fn sign(signer: &PrivateKeySigner, message: &str) -> String {
    hex::encode_prefixed(signer.sign_message_sync(message.as_bytes()).expect("sign").as_bytes())
}

fn discord(id: u64) -> ChatAccount {
    ChatAccount::new(Platform::Discord, id)
}

#[tokio::test]
async fn a_signed_challenge_links_once_and_its_replay_is_refused() {
    let g = TestGov::new().await;
    let l = links(&g);
    let (signer, address) = wallet(7);
    let c = l.challenge(&discord(1), address, t(0)).await.unwrap();
    assert!(
        c.message.starts_with("dao.example.org wants you to sign in with your Ethereum account:\n"),
        "{}",
        c.message
    );
    assert!(c.message.contains(&address.to_hex()));
    assert!(c.message.contains("Chain ID: 4689"));
    assert!(c.message.contains("urn:iodao:discord:1"));
    assert_eq!(c.url, format!("https://dao.example.org/link/{}", c.nonce));
    assert_eq!(c.expires_at, t(600));

    let sig = sign(&signer, &c.message);
    let linked = l.verify(&c.message, &sig, t(60)).await.unwrap();
    assert_eq!((linked.address, linked.previous), (address, None));
    assert_eq!(l.address_of(&discord(1)).await.unwrap(), Some(address));

    let err = l.verify(&c.message, &sig, t(61)).await.unwrap_err();
    assert!(matches!(err, LinkError::Replayed), "{err}");
}

#[tokio::test]
async fn an_expired_challenge_is_refused() {
    let g = TestGov::new().await;
    let l = links(&g);
    let (signer, address) = wallet(7);
    let c = l.challenge(&discord(1), address, t(0)).await.unwrap();
    let err = l.verify(&c.message, &sign(&signer, &c.message), t(600)).await.unwrap_err();
    assert!(matches!(err, LinkError::Expired(at) if at == t(600)), "{err}");
    assert_eq!(l.address_of(&discord(1)).await.unwrap(), None);
}

#[tokio::test]
async fn a_signature_by_another_wallet_is_refused_and_changes_nothing() {
    let g = TestGov::new().await;
    let l = links(&g);
    let (signer, address) = wallet(7);
    let (other, other_address) = wallet(8);
    let c = l.challenge(&discord(1), address, t(0)).await.unwrap();
    let err = l.verify(&c.message, &sign(&other, &c.message), t(1)).await.unwrap_err();
    assert!(
        matches!(err, LinkError::WrongSigner { expected, recovered } if expected == address && recovered == other_address),
        "{err}"
    );
    assert_eq!(l.address_of(&discord(1)).await.unwrap(), None);
    // The challenge was not used up by the failed attempt.
    l.verify(&c.message, &sign(&signer, &c.message), t(2)).await.unwrap();
}

#[tokio::test]
async fn a_message_for_another_domain_chain_or_address_is_refused() {
    let g = TestGov::new().await;
    let l = links(&g);
    let (signer, address) = wallet(7);
    let (other, other_address) = wallet(8);
    let c = l.challenge(&discord(1), address, t(0)).await.unwrap();

    let phishing = c.message.replacen("dao.example.org", "evil.example.com", 1);
    let err = l.verify(&phishing, &sign(&signer, &phishing), t(1)).await.unwrap_err();
    assert!(matches!(&err, LinkError::WrongDomain { found, .. } if found == "evil.example.com"), "{err}");

    let testnet = c.message.replace("Chain ID: 4689", "Chain ID: 4690");
    let err = l.verify(&testnet, &sign(&signer, &testnet), t(1)).await.unwrap_err();
    assert!(matches!(err, LinkError::WrongChain { found: 4690, .. }), "{err}");

    let swapped = c.message.replace(&address.to_hex(), &other_address.to_hex());
    let err = l.verify(&swapped, &sign(&other, &swapped), t(1)).await.unwrap_err();
    assert!(matches!(err, LinkError::WrongAddress { found, .. } if found == other_address), "{err}");

    let reworded = c.message.replace("to vote in the DAO", "to vote in the DAO forever");
    let err = l.verify(&reworded, &sign(&signer, &reworded), t(1)).await.unwrap_err();
    assert!(matches!(err, LinkError::Altered), "{err}");

    assert_eq!(l.address_of(&discord(1)).await.unwrap(), None);
}

#[tokio::test]
async fn malformed_messages_signatures_and_nonces_get_specific_errors() {
    let g = TestGov::new().await;
    let l = links(&g);
    let (signer, address) = wallet(7);
    let err = l.verify("please link me", "0x00", t(0)).await.unwrap_err();
    assert!(matches!(err, LinkError::MalformedMessage(_)), "{err}");
    let c = l.challenge(&discord(1), address, t(0)).await.unwrap();
    let err = l.verify(&c.message, "0x1234", t(1)).await.unwrap_err();
    assert!(matches!(err, LinkError::MalformedSignature(_)), "{err}");
    let forged = c.message.replace(&c.nonce, "aaaaaaaaaaaaaaaa");
    let err = l.verify(&forged, &sign(&signer, &forged), t(1)).await.unwrap_err();
    assert!(matches!(&err, LinkError::UnknownNonce(n) if n == "aaaaaaaaaaaaaaaa"), "{err}");
}

#[tokio::test]
async fn relinking_replaces_and_is_logged_and_accounts_can_share_an_address() {
    let g = TestGov::new().await;
    let l = links(&g);
    let (a_signer, a) = wallet(7);
    let (b_signer, b) = wallet(8);
    let tg = ChatAccount::parse("telegram:99").unwrap();
    for (account, signer, address) in [(discord(1), &a_signer, a), (tg.clone(), &a_signer, a)] {
        let c = l.challenge(&account, address, t(0)).await.unwrap();
        l.verify(&c.message, &sign(signer, &c.message), t(1)).await.unwrap();
    }
    assert_eq!(l.accounts_of(a).await.unwrap(), vec![discord(1), tg.clone()]);

    let c = l.challenge(&discord(1), b, t(10)).await.unwrap();
    let relinked = l.verify(&c.message, &sign(&b_signer, &c.message), t(11)).await.unwrap();
    assert_eq!(relinked.previous, Some(a));
    assert_eq!(l.address_of(&discord(1)).await.unwrap(), Some(b));
    assert_eq!(l.accounts_of(a).await.unwrap(), vec![tg.clone()]);

    assert_eq!(l.unlink(&tg, t(20)).await.unwrap(), Some(a));
    assert_eq!(l.unlink(&tg, t(21)).await.unwrap(), None);
    assert_eq!(l.address_of(&tg).await.unwrap(), None);

    let actions: Vec<String> = g.gov.audit_entries(0, 100).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, vec!["link.made", "link.made", "link.replaced", "link.removed"]);
    assert_eq!(g.gov.verify_audit().await.unwrap(), 4);
}

#[tokio::test]
async fn a_chat_account_votes_only_through_its_linked_address() {
    let (signer, address) = wallet(7);
    let g = TestGov::with_stakers([(address, iodao_core::Amount::from_iotx(250))]).await;
    let l = links(&g);
    let p = g.proposal().await;
    let err = g.gov.cast_chat_vote(&discord(5), p.id, "for", t(150)).await.unwrap_err();
    assert_eq!(err.to_string(), "discord:5 is not linked to a wallet: run /link and sign the challenge first");
    let c = l.challenge(&discord(5), address, t(140)).await.unwrap();
    l.verify(&c.message, &sign(&signer, &c.message), t(141)).await.unwrap();
    let cast = g.gov.cast_chat_vote(&discord(5), p.id, "against", t(150)).await.unwrap();
    assert_eq!((cast.vote.voter, cast.vote.source), (address, iodao_core::VoteSource::Discord));
    assert_eq!(cast.vote.power, iodao_core::Amount::from_iotx(250));
    l.unlink(&discord(5), t(160)).await.unwrap();
    let err = g.gov.cast_chat_vote(&discord(5), p.id, "for", t(161)).await.unwrap_err();
    assert!(matches!(err, iodao_core::GovernanceError::NotLinked(_)), "{err}");
    assert_eq!(g.gov.tally(p.id).await.unwrap().1.totals()[1], iodao_core::Amount::from_iotx(250));
}

#[tokio::test]
async fn a_chat_user_verifies_the_newest_open_challenge_by_signature_alone() {
    let g = TestGov::new().await;
    let l = links(&g);
    let (signer, address) = wallet(9);
    let account = ChatAccount::new(Platform::Telegram, 5);
    let e = l.verify_latest(&account, "0x00", t(0)).await.unwrap_err();
    assert!(matches!(e, LinkError::NoOpenChallenge), "{e}");
    let older = l.challenge(&account, address, t(0)).await.unwrap();
    let newest = l.challenge(&account, address, t(1)).await.unwrap();
    let e = l.verify_latest(&account, &sign(&signer, &older.message), t(2)).await.unwrap_err();
    assert!(matches!(e, LinkError::MalformedSignature(_) | LinkError::WrongSigner { .. }), "{e}");
    let linked = l.verify_latest(&account, &sign(&signer, &newest.message), t(2)).await.unwrap();
    assert_eq!(linked.address, address);
    // The used challenge is not open any more; the same signature now meets
    // the older challenge and is refused.
    let e = l.verify_latest(&account, &sign(&signer, &newest.message), t(3)).await.unwrap_err();
    assert!(matches!(e, LinkError::WrongSigner { .. }), "{e}");
    // Past every expiry, nothing is open.
    let e = l.verify_latest(&account, &sign(&signer, &older.message), t(3600)).await.unwrap_err();
    assert!(matches!(e, LinkError::NoOpenChallenge), "{e}");
}

#[tokio::test]
async fn challenges_long_expired_are_pruned_and_open_ones_kept() {
    let g = TestGov::new().await;
    let l = links(&g);
    let (signer, address) = wallet(7);
    let used = l.challenge(&discord(1), address, t(0)).await.unwrap();
    l.verify(&used.message, &sign(&signer, &used.message), t(60)).await.unwrap();
    let unused = l.challenge(&discord(2), address, t(0)).await.unwrap();
    let later = t(0) + iodao_core::links::EXPIRED_CHALLENGES_KEPT;
    let open = l.challenge(&discord(3), address, later).await.unwrap();

    // Expired, but for less than a day: kept, and still says "expired".
    assert_eq!(l.prune_challenges(later).await.unwrap(), 0);
    let err = l.verify(&unused.message, &sign(&signer, &unused.message), later).await.unwrap_err();
    assert!(matches!(err, LinkError::Expired(_)), "{err}");

    let now = later + Duration::minutes(11);
    assert_eq!(l.prune_challenges(now).await.unwrap(), 2, "the used and the unused expired challenge");
    for gone in [&used, &unused] {
        let err = l.pending_challenge(&gone.nonce).await.unwrap_err();
        assert!(matches!(err, LinkError::UnknownNonce(_)), "{err}");
        // Pruned, a challenge still never links.
        let err = l.verify(&gone.message, &sign(&signer, &gone.message), now).await.unwrap_err();
        assert!(matches!(err, LinkError::UnknownNonce(_)), "{err}");
    }
    assert_eq!(l.pending_challenge(&open.nonce).await.unwrap().nonce, open.nonce);
    assert_eq!(l.prune_challenges(now).await.unwrap(), 0);
}
