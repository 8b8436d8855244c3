//! The JSON API: every endpoint, its errors as `{error, message}`, admin
//! tokens, rate limits, body limits and the OpenAPI document.

use std::time::Duration as StdDuration;

use chrono::Duration;
use iodao_core::{Choices, VotingMethod};
use iodao_web::{RateLimit, Settings};
use serde_json::json;

use crate::helpers::{ADMIN, Portal, admin_token};

fn error_of(v: &serde_json::Value) -> &str {
    v["error"].as_str().unwrap_or_else(|| panic!("an error body: {v}"))
}

#[tokio::test]
async fn proposals_tally_and_votes_read_back() {
    let p = Portal::start().await;
    let prop = p.proposal("Read me", "body").await;
    let id = prop.id.get();
    let (status, cast) = p.post("/api/v1/votes", &p.stakers[1].signed_vote(id, "For"), false).await;
    assert_eq!(status, 200, "{cast}");
    assert_eq!(cast["power"], "600000000000000000000");
    assert_eq!(cast["described"], "For");
    assert_eq!(cast["replaced"], false);

    let (status, list) = p.get_json("/api/v1/proposals?state=active&limit=5").await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["title"], "Read me");
    assert_eq!(list["items"][0]["snapshot_block"], 7);

    let (_, one) = p.get_json(&format!("/api/v1/proposals/{id}")).await;
    assert_eq!(one["choices"], json!(["For", "Against", "Abstain"]));
    assert_eq!(one["quorum"], "1500000000000000000000");

    let (_, tally) = p.get_json(&format!("/api/v1/proposals/{id}/tally")).await;
    assert_eq!(tally["choices"][0]["power"], "600000000000000000000");
    assert_eq!(tally["voters"], 1);
    assert_eq!(tally["quorum_met"], false);
    assert_eq!(tally["outcome"], "quorum-not-met");

    let (_, votes) = p.get_json(&format!("/api/v1/proposals/{id}/votes")).await;
    assert_eq!(votes[0]["voter"], p.stakers[1].address.to_hex());
    assert_eq!(votes[0]["source"], "signed");

    for (path, status, code) in [
        ("/api/v1/proposals/999".to_owned(), 404, "not_found"),
        ("/api/v1/proposals/x/tally".to_owned(), 400, "bad_request"),
        ("/api/v1/proposals?limit=1000".to_owned(), 400, "bad_request"),
        ("/api/v1/proposals?state=nope".to_owned(), 400, "bad_request"),
        (format!("/api/v1/proposals/{id}/votes?offset=-1"), 400, "bad_request"),
        ("/api/v1/nothing".to_owned(), 404, "not_found"),
    ] {
        let (s, body) = p.get_json(&path).await;
        assert_eq!((s, error_of(&body)), (status, code), "{path}");
    }
}

#[tokio::test]
async fn a_signed_vote_counts_once_and_bad_ones_change_nothing() {
    let p = Portal::start().await;
    let prop = p.proposal("Vote on me", "body").await;
    let id = prop.id.get();
    let voter = &p.stakers[0];
    let body = voter.signed_vote(id, "Against");
    assert_eq!(p.post("/api/v1/votes", &body, false).await.0, 200);

    let (status, replay) = p.post("/api/v1/votes", &body, false).await;
    assert_eq!((status, error_of(&replay)), (409, "replayed"));

    let mut forged = voter.signed_vote(id, "For");
    forged["choice"] = json!("Abstain");
    let (status, e) = p.post("/api/v1/votes", &forged, false).await;
    assert_eq!((status, error_of(&e)), (400, "bad_signature"), "{e}");

    let mut bad = voter.signed_vote(id, "For");
    bad["signature"] = json!("0x1234");
    assert_eq!(error_of(&p.post("/api/v1/votes", &bad, false).await.1), "bad_signature");

    let (status, e) = p.post("/api/v1/votes", &voter.signed_vote(999, "For"), false).await;
    assert_eq!((status, error_of(&e)), (404, "not_found"));
    let (status, e) = p.post("/api/v1/votes", &voter.signed_vote(id, "Maybe"), false).await;
    assert_eq!((status, error_of(&e)), (400, "bad_request"), "{e}");

    let later = p
        .proposal_with("Not yet", "b", VotingMethod::SingleChoice, Choices::for_against_abstain(), Duration::hours(1))
        .await;
    let (status, e) = p.post("/api/v1/votes", &voter.signed_vote(later.id.get(), "For"), false).await;
    assert_eq!((status, error_of(&e)), (409, "voting_not_open"));

    // A signer with no stake.
    let stranger = alloy_signer_local::PrivateKeySigner::from_bytes(&[77u8; 32].into()).expect("key");
    let nobody = crate::helpers::Staker {
        address: iodao_core::Address::from(stranger.address().0.0),
        key: stranger,
        power: iodao_core::Amount::ZERO,
    };
    let (status, e) = p.post("/api/v1/votes", &nobody.signed_vote(id, "For"), false).await;
    assert_eq!((status, error_of(&e)), (403, "no_power"));

    let (_, tally) = p.get_json(&format!("/api/v1/proposals/{id}/tally")).await;
    assert_eq!(tally["voters"], 1, "only the one good vote counted");
    assert_eq!(tally["choices"][1]["power"], "1000000000000000000000");
}

#[tokio::test]
async fn a_vote_signed_over_the_published_domain_counts_and_one_for_another_deployment_is_refused() {
    use alloy_signer::SignerSync as _;
    let p = Portal::start().await;
    let id = p.proposal("Signed here", "body").await.id.get();
    let (status, eip712) = p.get_json("/api/v1/eip712").await;
    assert_eq!(status, 200, "{eip712}");
    assert_eq!(eip712["domain"]["salt"], crate::helpers::salt().to_string());
    assert_eq!(eip712["domain"]["chainId"], crate::helpers::CHAIN);
    let voter = &p.stakers[2];
    let timestamp = chrono::Utc::now().timestamp();
    let message =
        json!({ "voter": voter.address.to_hex(), "proposal": id, "choice": "Abstain", "timestamp": timestamp });
    // A script signs exactly what the API publishes, as a wallet would.
    let sign = |domain: &serde_json::Value| {
        let typed: alloy_dyn_abi::TypedData = serde_json::from_value(json!({
            "types": { "EIP712Domain": eip712["types"]["EIP712Domain"], "Vote": eip712["types"]["Vote"] },
            "primaryType": "Vote",
            "domain": domain,
            "message": message,
        }))
        .expect("typed data");
        let sig = voter.key.sign_hash_sync(&typed.eip712_signing_hash().expect("hash")).expect("sign");
        let mut body = message.clone();
        body["signature"] = json!(alloy_primitives::hex::encode_prefixed(sig.as_bytes()));
        body
    };
    let mut elsewhere = eip712["domain"].clone();
    elsewhere["salt"] = json!(alloy_primitives::B256::repeat_byte(0x42).to_string());
    let (status, e) = p.post("/api/v1/votes", &sign(&elsewhere), false).await;
    assert_eq!((status, error_of(&e)), (400, "bad_signature"), "{e}");
    assert!(e["message"].as_str().expect("message").contains("this deployment's EIP-712 salt"), "{e}");
    let (status, cast) = p.post("/api/v1/votes", &sign(&eip712["domain"]), false).await;
    assert_eq!(status, 200, "{cast}");
    assert_eq!(cast["described"], "Abstain");
}

#[tokio::test]
async fn an_older_signature_relayed_after_a_newer_vote_is_refused_as_superseded() {
    let p = Portal::start().await;
    let id = p.proposal("Changed my mind", "body").await.id.get();
    let voter = &p.stakers[0];
    let stamp = u64::try_from(chrono::Utc::now().timestamp()).expect("after 1970");
    // Signed a second before the vote that is relayed first.
    let older = voter.signed_vote_at(id, "Against", stamp - 1);
    assert_eq!(p.post("/api/v1/votes", &voter.signed_vote_at(id, "For", stamp), false).await.0, 200);
    let (status, e) = p.post("/api/v1/votes", &older, false).await;
    assert_eq!((status, error_of(&e)), (409, "superseded"), "{e}");
    let (_, tally) = p.get_json(&format!("/api/v1/proposals/{id}/tally")).await;
    assert_eq!(tally["choices"][0]["power"], "1000000000000000000000", "For stands");
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_refused_as_json() {
    let p = Portal::start().await;
    let send = |body: String, ct: &'static str| {
        p.http.post(p.url("/api/v1/votes")).header("content-type", ct).body(body).send()
    };
    let r = send("{not json".into(), "application/json").await.expect("POST");
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<serde_json::Value>().await.expect("JSON")["error"], "bad_request");
    let r = send("{}".into(), "text/plain").await.expect("POST");
    assert_eq!(r.status(), 415);
    let r = send(json!({"voter": "0x1", "extra": 1}).to_string(), "application/json").await.expect("POST");
    assert_eq!(r.status(), 400);
    let huge = json!({"voter": "x".repeat(100_000), "proposal": 1, "choice": "1", "timestamp": 1, "signature": "0x"});
    let r = send(huge.to_string(), "application/json").await.expect("POST");
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<serde_json::Value>().await.expect("JSON")["error"], "too_large");
}

#[tokio::test]
async fn links_need_the_admin_token_to_issue_and_verify_once() {
    let p = Portal::start().await;
    let s = &p.stakers[2];
    let ask = json!({"account": "discord:42", "address": s.address.to_io()});
    let (status, e) = p.post("/api/v1/links/challenge", &ask, false).await;
    assert_eq!((status, error_of(&e)), (401, "unauthorized"));
    let wrong =
        p.http.post(p.url("/api/v1/links/challenge")).bearer_auth("guess").json(&ask).send().await.expect("POST");
    assert_eq!(wrong.status(), 401);
    let (status, bad) =
        p.post("/api/v1/links/challenge", &json!({"account": "irc:1", "address": s.address.to_hex()}), true).await;
    assert_eq!((status, error_of(&bad)), (400, "bad_request"));

    let (status, c) = p.post("/api/v1/links/challenge", &ask, true).await;
    assert_eq!(status, 200, "{c}");
    let nonce = c["nonce"].as_str().expect("nonce");
    let message = c["message"].as_str().expect("message");
    assert_eq!(c["url"], format!("{}/link/{nonce}", p.base));

    let (status, pending) = p.get_json(&format!("/api/v1/links/{nonce}")).await;
    assert_eq!(status, 200);
    assert_eq!((pending["platform"].as_str(), pending["used"].as_bool()), (Some("discord"), Some(false)));

    let other = &p.stakers[0];
    let (status, e) = p
        .post("/api/v1/links/verify", &json!({"message": message, "signature": other.personal_sign(message)}), false)
        .await;
    assert_eq!((status, error_of(&e)), (400, "bad_signature"), "{e}");
    let signed = json!({"message": message, "signature": s.personal_sign(message)});
    let (status, linked) = p.post("/api/v1/links/verify", &signed, false).await;
    assert_eq!(status, 200, "{linked}");
    assert_eq!(linked["address"], s.address.to_hex());
    assert_eq!(linked["platform"], "discord");
    let (status, e) = p.post("/api/v1/links/verify", &signed, false).await;
    assert_eq!((status, error_of(&e)), (409, "replayed"));
    let account = iodao_core::ChatAccount::parse("discord:42").expect("account");
    assert_eq!(p.links.address_of(&account).await.expect("read"), Some(s.address));
    assert_eq!(p.get_json("/api/v1/links/nosuchnonce").await.0, 404);
}

#[tokio::test]
async fn admin_endpoints_are_disabled_without_a_token() {
    let p = Portal::with(Settings::default()).await;
    let r = p
        .http
        .post(p.url("/api/v1/recipients"))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "x", "category": "dapp", "payout": "0x0000000000000000000000000000000000000001"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<serde_json::Value>().await.expect("JSON")["error"], "admin_disabled");
}

#[tokio::test]
async fn recipients_are_added_by_admins_and_listed_for_all() {
    let p = Portal::start().await;
    let new = json!({"name": "sensor-net", "category": "depin-project", "payout": "0x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"});
    assert_eq!(p.post("/api/v1/recipients", &new, false).await.0, 401);
    let (status, added) = p.post("/api/v1/recipients", &new, true).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["payout_io"], iodao_core::Address::from([0x5a; 20]).to_io());
    let (status, e) = p.post("/api/v1/recipients", &new, true).await;
    assert_eq!((status, error_of(&e)), (409, "name_taken"));
    let (status, e) = p
        .post(
            "/api/v1/recipients",
            &json!({"name": "y", "category": "casino", "payout": "0x0000000000000000000000000000000000000001"}),
            true,
        )
        .await;
    assert_eq!((status, error_of(&e)), (400, "bad_request"));
    let (status, e) =
        p.post("/api/v1/recipients", &json!({"name": "y", "category": "dapp", "payout": "0xnope"}), true).await;
    assert_eq!((status, error_of(&e)), (400, "bad_request"));
    let numeric = json!({"name": "7", "category": "dapp", "payout": "0x0000000000000000000000000000000000000001"});
    let (status, e) = p.post("/api/v1/recipients", &numeric, true).await;
    assert_eq!((status, error_of(&e)), (400, "bad_request"), "{e}");
    assert!(e["message"].as_str().expect("message").contains("only a number"), "{e}");

    let (_, list) = p.get_json("/api/v1/recipients").await;
    assert_eq!(list.as_array().expect("array").len(), 1);
    assert_eq!(list[0]["name"], "sensor-net");
    assert_eq!(list[0]["weight"], "0");
}

#[tokio::test]
async fn epochs_read_back_with_payouts_bundle_and_a_dry_run() {
    let p = Portal::start().await;
    p.epoch().await;
    let (_, list) = p.get_json("/api/v1/epochs").await;
    assert_eq!(list[0]["number"], 1);
    assert_eq!(list[0]["spent"], "1000000000000000000000");
    let (_, one) = p.get_json("/api/v1/epochs/1").await;
    assert_eq!(one["state"], "allocated");
    let (_, payouts) = p.get_json("/api/v1/epochs/1/payouts").await;
    let amounts: Vec<&str> =
        payouts.as_array().expect("array").iter().map(|x| x["amount"].as_str().expect("wei")).collect();
    assert_eq!(amounts, ["375000000000000000000", "625000000000000000000"]);
    let (status, bundle) = p.get_json("/api/v1/epochs/1/bundle").await;
    assert_eq!(status, 200);
    assert_eq!(bundle["digest"], one["digest"]);
    assert_eq!(p.get_json("/api/v1/epochs/5/payouts").await.0, 404);
    assert_eq!(p.get_json("/api/v1/epochs/abc").await.0, 400);

    assert_eq!(p.post("/api/v1/admin/epochs/plan", &json!({}), false).await.0, 401);
    let (status, plan) = p.post("/api/v1/admin/epochs/plan", &json!({}), true).await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["epoch"], 2, "the next epoch's dry run");
    assert_eq!(p.get_json("/api/v1/epochs").await.1.as_array().expect("array").len(), 1, "a dry run stores nothing");
}

#[tokio::test]
async fn writes_are_rate_limited_per_ip() {
    let p = Portal::with(Settings {
        admin_token: admin_token(),
        rate_limit: RateLimit { per: StdDuration::from_secs(3600), burst: 2 },
        ..Settings::default()
    })
    .await;
    let body = json!({"message": "x", "signature": "0x"});
    for _ in 0..2 {
        assert_eq!(p.post("/api/v1/links/verify", &body, false).await.0, 400, "refused on its merits");
    }
    let (status, e) = p.post("/api/v1/links/verify", &body, false).await;
    assert_eq!((status, error_of(&e)), (429, "rate_limited"));
    assert_eq!(p.get("/proposals").await.0, 200, "reads are not limited");
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let p = Portal::start().await;
    let (status, doc) = p.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/proposals",
        "/api/v1/proposals/{id}",
        "/api/v1/proposals/{id}/tally",
        "/api/v1/proposals/{id}/votes",
        "/api/v1/votes",
        "/api/v1/eip712",
        "/api/v1/links/challenge",
        "/api/v1/links/{nonce}",
        "/api/v1/links/verify",
        "/api/v1/recipients",
        "/api/v1/epochs",
        "/api/v1/epochs/{number}",
        "/api/v1/epochs/{number}/payouts",
        "/api/v1/epochs/{number}/bundle",
        "/api/v1/epochs/{number}/claims",
        "/api/v1/admin/epochs/plan",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert!(paths["/api/v1/proposals"]["post"].is_object() && paths["/api/v1/recipients"]["post"].is_object());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}

#[tokio::test]
async fn a_vote_shows_on_the_cached_page_at_once() {
    let p = Portal::start().await;
    let prop = p.proposal("Cached", "b").await;
    let path = format!("/proposals/{}", prop.id.get());
    let (_, before) = p.get(&path).await;
    assert!(before.contains(r#"<span id="voter-count">0</span>"#), "{before}");
    assert_eq!(p.post("/api/v1/votes", &p.stakers[0].signed_vote(prop.id.get(), "For"), false).await.0, 200);
    let (_, after) = p.get(&path).await;
    assert!(after.contains(r#"<span id="voter-count">1</span>"#), "the write invalidated the cache");
}

#[tokio::test]
async fn a_claim_mode_epoch_serves_proofs_that_verify_against_its_root() {
    use iodao_core::merkle::{PayoutTree, leaf_hash, verify};
    let p = Portal::start().await;
    p.epoch().await;
    assert_eq!(p.get_json("/api/v1/epochs/1/claims").await.0, 404, "not paid by claims (yet)");
    assert_eq!(p.get_json("/api/v1/epochs/3/claims").await.0, 404, "no such epoch");

    // Journal the root as `iodao epoch execute 1 --claim` does first.
    let store = p.gov.store();
    let leaves: Vec<(alloy_primitives::Address, alloy_primitives::U256)> =
        iodao_core::claims::leaves(store, 1).await.expect("leaves").into_iter().map(|(a, v)| (a.as_evm(), v)).collect();
    let root = PayoutTree::build(&leaves).expect("tree").root().to_string();
    let total: alloy_primitives::U256 = leaves.iter().map(|(_, v)| *v).sum();
    let pairs: Vec<(String, String)> = leaves.iter().map(|(a, v)| (a.to_checksum(None), v.to_string())).collect();
    store
        .plan_claims(
            1,
            "0x00000000000000000000000000000000000000d1",
            &root,
            &total.to_string(),
            &serde_json::to_string(&pairs).expect("json"),
            chrono::Utc::now(),
        )
        .await
        .expect("journal the root");

    let (status, claims) = p.get_json("/api/v1/epochs/1/claims").await;
    assert_eq!(status, 200, "{claims}");
    assert_eq!(claims["root"], root);
    let root_hash: alloy_primitives::B256 = root.parse().expect("root");
    let list = claims["claims"].as_array().expect("claims");
    assert_eq!(list.len(), 2);
    for c in list {
        let account: alloy_primitives::Address = c["account"].as_str().expect("account").parse().expect("address");
        let amount: alloy_primitives::U256 = c["amount"].as_str().expect("amount").parse().expect("wei");
        let proof: Vec<alloy_primitives::B256> = serde_json::from_value(c["proof"].clone()).expect("proof");
        let index = c["index"].as_u64().expect("index");
        assert!(verify(&proof, root_hash, leaf_hash(index, account, amount)), "claim {index} verifies");
    }
    let (status, page) = p.get("/epochs/1").await;
    assert_eq!(status, 200);
    assert!(page.contains(&root) && page.contains("/epochs/1/claims.json"), "the page names the root and the proofs");
    let r = p.http.get(p.url("/epochs/1/claims.json")).send().await.expect("GET");
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().expect("text").contains("epoch-1-claims.json"));
}

#[tokio::test]
async fn pages_are_served_from_the_cache_until_this_process_writes() {
    let p = Portal::with(Settings { cache_ttl: StdDuration::from_secs(3600), ..Settings::default() }).await;
    let first = p.proposal("First", "b").await;
    let (_, before) = p.get("/proposals").await;
    assert!(before.contains("First"));
    // Another process's write (a second handle on the same file) is not
    // counted by this process: the cached page stays as it was.
    let other = iodao_core::Store::open(&p.db_url).await.expect("second handle");
    let stranger = iodao_core::Governance::new(other, p.stake.clone());
    stranger
        .create_proposal(
            iodao_core::NewProposal {
                title: iodao_core::Title::parse("Second").expect("title"),
                ..p.new_proposal("x")
            },
            &iodao_core::Actor::Cli,
            chrono::Utc::now(),
        )
        .await
        .expect("create elsewhere");
    let (_, cached) = p.get("/proposals").await;
    assert_eq!(cached, before, "served from the cache");
    // A write of this process shows at once.
    assert_eq!(p.post("/api/v1/votes", &p.stakers[0].signed_vote(first.id.get(), "For"), false).await.0, 200);
    let (_, fresh) = p.get("/proposals").await;
    assert!(fresh.contains("Second"), "rendered afresh after this process wrote");
}
