//! Every page, its 400 and 404 paths, escaping and the security headers.

use chrono::{Duration, Utc};
use iodao_core::{Actor, Amount, Choices, VotingMethod};

use crate::helpers::Portal;

#[tokio::test]
async fn the_proposal_list_filters_and_paginates() {
    let p = Portal::start().await;
    for i in 0..23 {
        p.proposal(&format!("Proposal number {i}"), "body").await;
    }
    p.proposal_with(
        "Later one",
        "body",
        VotingMethod::SingleChoice,
        Choices::for_against_abstain(),
        Duration::hours(2),
    )
    .await;

    let (status, home) = p.get("/").await;
    assert_eq!(status, 200);
    assert!(home.contains("Later one"), "newest first on page 1");
    assert!(home.contains("Page 1 of 2"), "{home}");
    assert!(!home.contains("Proposal number 0<"), "the oldest is on page 2");
    let (_, page2) = p.get("/proposals?page=2").await;
    assert!(page2.contains("Proposal number 0<"));
    assert!(page2.contains("Page 2 of 2"));

    let (_, pending) = p.get("/proposals?state=pending").await;
    assert!(pending.contains("Later one"));
    assert!(!pending.contains("Proposal number 1<"), "only pending ones");
    assert!(pending.contains("Page 1 of 1"));

    assert_eq!(p.get("/proposals?page=3").await.0, 404);
    let (status, bad) = p.get("/proposals?state=open-ish").await;
    assert_eq!(status, 400);
    assert!(bad.contains("is not a state"), "{bad}");
    assert_eq!(p.get("/proposals?page=0").await.0, 400);
    assert_eq!(p.get("/proposals?page=two").await.0, 400);
}

#[tokio::test]
async fn the_proposal_list_shows_each_proposals_voters_and_turnout() {
    let p = Portal::start().await;
    let two = p.proposal("Two voters", "body").await;
    let one = p.proposal("One voter", "body").await;
    p.proposal("Nobody yet", "body").await;
    let mut free = p.new_proposal("No quorum at all");
    free.quorum = Amount::ZERO;
    let free = p.gov.create_proposal(free, &Actor::Cli, Utc::now()).await.expect("create");
    let votes = [(&two, 0, "For"), (&two, 2, "Against"), (&one, 1, "Abstain"), (&free, 2, "For")];
    for (prop, staker, choice) in votes {
        let (status, _) = p.post("/api/v1/votes", &p.stakers[staker].signed_vote(prop.id.get(), choice), false).await;
        assert_eq!(status, 200);
    }

    let (status, html) = p.get("/proposals").await;
    assert_eq!(status, 200);
    // Each proposal's row, found from its title.
    let row = |title: &str| {
        let row = &html[html.find(&format!(">{title}</a>")).expect(title)..];
        row[..row.find("</tr>").expect("row end")].to_owned()
    };
    // Quorum 1500 IOTX; powers 1000, 600 and 400.
    assert!(row("Two voters").contains("2 voters · 1400 IOTX (93.33% of quorum)"), "{html}");
    assert!(row("One voter").contains("1 voters · 600 IOTX (40% of quorum)"));
    assert!(row("Nobody yet").contains("0 voters · 0 IOTX (0% of quorum)"));
    assert!(row("No quorum at all").contains("1 voters · 400 IOTX (no quorum of quorum)"));
}

#[tokio::test]
async fn a_proposal_page_shows_tally_quorum_voters_and_the_vote_form() {
    let p = Portal::start().await;
    let prop = p.proposal("Fund onboarding", "Pay **5 IOTX** per device.").await;
    let id = prop.id.get();
    for (staker, choice) in [(0, "For"), (2, "Against")] {
        let (status, _) = p.post("/api/v1/votes", &p.stakers[staker].signed_vote(id, choice), false).await;
        assert_eq!(status, 200);
    }
    let (status, html) = p.get(&format!("/proposals/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<strong>5 IOTX</strong>"), "Markdown rendered");
    assert!(html.contains(r#"data-choice-power="1">1000<"#), "For has 1000 IOTX: {html}");
    assert!(html.contains(r#"data-choice-power="2">400<"#));
    assert!(html.contains(r#"<span id="participation">1400</span> of 1500 IOTX (93.33%)"#), "{html}");
    assert!(html.contains("71.42%"), "For's share of 1400");
    assert!(html.contains(&p.stakers[0].address.to_hex()), "the voter list");
    assert!(html.contains(r#"id="vote-form""#), "an open proposal has the form");
    // The script reads what to sign from /api/v1/eip712, as any signer does.
    assert!(html.contains(&format!(r#"data-proposal="{id}""#)), "{html}");

    assert_eq!(p.get("/proposals/999").await.0, 404);
    let (status, bad) = p.get("/proposals/abc").await;
    assert_eq!(status, 400);
    assert!(bad.contains("is not a proposal id"), "{bad}");
    assert_eq!(p.get(&format!("/proposals/{id}?voters=0")).await.0, 400);
}

#[tokio::test]
async fn user_text_is_escaped_everywhere() {
    let p = Portal::start().await;
    let prop = p
        .proposal(
            "<script>alert('title')</script>",
            "<script>alert('body')</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(2)>",
        )
        .await;
    for path in ["/proposals".to_owned(), format!("/proposals/{}", prop.id.get())] {
        let (status, html) = p.get(&path).await;
        assert_eq!(status, 200);
        assert!(!html.contains("<script>alert"), "{path}: {html}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(!html.contains("javascript:"), "{path}");
        assert!(html.contains("&#60;script&#62;alert(") || html.contains("&lt;script&gt;alert("), "{path}: {html}");
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let p = Portal::start().await;
    for path in ["/proposals", "/nope", "/api/v1/proposals", "/api/v1/nope"] {
        let r = p.http.get(p.url(path)).send().await.expect("GET");
        let h = r.headers();
        let csp = h.get("content-security-policy").expect("CSP").to_str().expect("text");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
        assert_eq!(h.get("x-content-type-options").expect("nosniff"), "nosniff");
        assert_eq!(h.get("x-frame-options").expect("frame options"), "DENY");
    }
}

#[tokio::test]
async fn epochs_pages_show_the_split_chart_table_and_bundle() {
    let p = Portal::start().await;
    let (_, empty) = p.get("/epochs").await;
    assert!(empty.contains("No epoch has run yet"));
    p.epoch().await;

    let (status, list) = p.get("/epochs").await;
    assert_eq!(status, 200);
    assert!(list.contains(r#"<a href="/epochs/1">1</a>"#));
    let (status, html) = p.get("/epochs/1").await;
    assert_eq!(status, 200);
    // Weights: solar 600, swap 400 + 600 = 1000 of 1600 → 375 and 625 IOTX.
    assert!(html.contains(">375<") && html.contains(">625<"), "{html}");
    assert!(html.contains("37.5%") && html.contains("62.5%"));
    assert!(html.contains(r#"class="cat cat-device-program""#), "category chart");
    assert!(html.contains(r#"class="bar cat-dapp""#), "recipient chart");
    assert!(html.contains("Not executed yet"));

    let r = p.http.get(p.url("/epochs/1/bundle.json")).send().await.expect("GET");
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().expect("text").contains("epoch-1.json"));
    let bundle: iodao_core::Bundle = r.json().await.expect("a bundle");
    iodao_core::epochs::verify(&bundle).expect("the downloaded bundle verifies");

    assert_eq!(p.get("/epochs/2").await.0, 404);
    assert_eq!(p.get("/epochs/0").await.0, 400);
    assert_eq!(p.get("/epochs/x/bundle.json").await.0, 400);

    // A run that failed is listed by its state; its reason (which may
    // quote the node) is for the operator, not the page.
    let store = p.gov.store();
    let slot = chrono::DateTime::from_timestamp(4_000_000_000, 0).expect("a time");
    let run = store.open_run(slot, 77, chrono::Utc::now()).await.expect("open").expect("a run");
    store.fail_run(slot, "node at http://rpc.example/key-123 refused", chrono::Utc::now()).await.expect("fail");
    let (_, list) = p.get("/epochs").await;
    assert_eq!(run.number, 2);
    assert!(list.contains(r#"<td>2</td>"#) && list.contains(r#"class="state state-failed""#), "{list}");
    assert!(!list.contains("key-123") && !list.contains(r#"href="/epochs/2""#), "{list}");
}

#[tokio::test]
async fn recipients_show_both_address_forms_and_weights() {
    let p = Portal::start().await;
    p.epoch().await;
    let (status, html) = p.get("/recipients").await;
    assert_eq!(status, 200);
    let solar = iodao_core::Address::from([0x5a; 20]);
    assert!(html.contains(&solar.to_hex()) && html.contains(&solar.to_io()), "{html}");
    assert!(html.contains("Device programs") && html.contains("Dapps"));
    assert!(html.contains(">600<") && html.contains(">1000<"), "current weights: {html}");
}

#[tokio::test]
async fn link_and_voter_pages_never_show_chat_ids() {
    let p = Portal::start().await;
    let s = &p.stakers[1];
    let account = iodao_core::ChatAccount::parse("telegram:987654321").expect("account");
    let c = p.links.challenge(&account, s.address, chrono::Utc::now()).await.expect("challenge");

    let (status, page) = p.get(&format!("/link/{}", c.nonce)).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"<pre id="siwe-message">"#) && page.contains(&s.address.to_hex()));
    assert_eq!(p.get("/link/unknownnonce123").await.0, 404);
    assert_eq!(p.get("/link/bad!nonce").await.0, 400);

    let (status, linked) = p
        .post(
            "/api/v1/links/verify",
            &serde_json::json!({"message": c.message, "signature": s.personal_sign(&c.message)}),
            false,
        )
        .await;
    assert_eq!(status, 200, "{linked}");
    let (_, used) = p.get(&format!("/link/{}", c.nonce)).await;
    assert!(used.contains("This challenge was used"), "{used}");

    let prop = p.proposal("Voted on", "b").await;
    assert_eq!(p.post("/api/v1/votes", &s.signed_vote(prop.id.get(), "Against"), false).await.0, 200);
    for form in [s.address.to_hex(), s.address.to_io()] {
        let (status, voter) = p.get(&format!("/voters/{form}")).await;
        assert_eq!(status, 200);
        assert!(voter.contains("<li>telegram</li>"), "{voter}");
        assert!(!voter.contains("987654321"), "never the chat user id");
        assert!(voter.contains("Voted on") && voter.contains(">600<"), "votes and power: {voter}");
    }
    assert_eq!(p.get("/voters/0x123").await.0, 400);
    // A multi-byte character where `io1` would be once panicked the handler
    // and the client got an empty reply.
    let (status, page) = p.get("/voters/io%C3%A91abc").await;
    assert_eq!(status, 400);
    assert!(page.contains("is not an address"), "{page}");
}

#[tokio::test]
async fn unknown_paths_get_an_error_page_and_health_answers() {
    let p = Portal::start().await;
    let (status, html) = p.get("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("404 · Not Found") && html.contains("/no/such/page"));
    assert!(!html.to_lowercase().contains("panicked"));
    assert_eq!(p.get("/static/nothing.js").await.0, 404);
    let (status, js) = p.get("/static/portal.js").await;
    assert_eq!(status, 200);
    assert!(js.contains("eth_signTypedData_v4"));
    assert_eq!(p.get("/healthz").await, (200, "ok".to_owned()));
}
