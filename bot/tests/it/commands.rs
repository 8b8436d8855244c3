//! Every command and every refusal of the command layer, against a real
//! SQLite file.

use iodao_bot::{Action, Block, Reply, Tone, Visibility};
use iodao_core::{ProposalId, VoteSource, VotingMethod};

use crate::helpers::*;

fn ok(r: &Reply) -> String {
    assert_eq!(r.tone, Tone::Ok, "{}", r.plain_text());
    r.plain_text()
}

fn refused(r: &Reply) -> String {
    assert_eq!(r.tone, Tone::Error, "{}", r.plain_text());
    assert_eq!(r.visibility, Visibility::Private, "refusals go to the sender only");
    r.plain_text()
}

#[tokio::test]
async fn help_lists_every_command() {
    let b = TestBot::new().await;
    let text = ok(&b.text(&group(1), "/help", t(0)).await);
    for c in [
        "/link",
        "/verify",
        "/proposals",
        "/proposal",
        "/vote",
        "/allocate",
        "/allocation",
        "/propose",
        "/power",
        "/epoch",
    ] {
        assert!(text.contains(c), "{c} missing from {text}");
    }
    assert_eq!(ok(&b.text(&private(1), "/start", t(0)).await), text);
}

#[tokio::test]
async fn a_malformed_or_unknown_command_gets_its_usage_and_changes_nothing() {
    let b = TestBot::new().await;
    let r = b.text(&group(1), "/vote 1", t(0)).await;
    assert!(refused(&r).contains("Usage: /vote <id> <choice>"), "{}", r.plain_text());
    assert!(refused(&b.text(&group(1), "/proposal abc", t(0)).await).contains("`abc` is not a proposal id"));
    assert!(refused(&b.text(&group(1), "/nope", t(0)).await).contains("`/nope` is not a command"));
    // Plain text in a group, or in private without a dialogue, is not for the bot.
    assert!(b.commands.on_text(&group(1), "hello", Some("iodao_bot"), t(0)).await.is_none());
    assert!(b.commands.on_text(&private(1), "hello", Some("iodao_bot"), t(0)).await.is_none());
}

#[tokio::test]
async fn link_then_verify_links_the_wallet_privately() {
    let b = TestBot::new().await;
    let w = wallet(ALICE);
    let r = b.text(&group(7), &format!("/link {}", address(&w).to_io()), t(0)).await;
    assert_eq!(r.visibility, Visibility::Private);
    let text = ok(&r);
    assert!(text.contains("https://dao.example.org/link/"), "{text}");
    assert!(text.contains("/verify <signature>"), "{text}");
    let Some(Block::Code(message)) = r.body.iter().find(|b| matches!(b, Block::Code(_))) else { panic!("no message") };
    assert!(message.starts_with("dao.example.org wants you to sign in"), "{message}");

    let e = refused(&b.text(&private(7), "/verify 0xdead", t(1)).await);
    assert!(e.contains("the signature is not valid"), "{e}");
    let e = refused(&b.text(&private(7), &format!("/verify {}", sign(&wallet(BOB), message)), t(1)).await);
    assert!(e.contains("not by"), "{e}");
    assert_eq!(b.links.address_of(&tg(7)).await.unwrap(), None, "refusals change nothing");

    let text = ok(&b.text(&private(7), &format!("/verify {}", sign(&w, message)), t(2)).await);
    assert!(text.contains(&address(&w).to_string()), "{text}");
    assert_eq!(b.links.address_of(&tg(7)).await.unwrap(), Some(address(&w)));
    let e = refused(&b.text(&private(7), &format!("/verify {}", sign(&w, message)), t(3)).await);
    assert!(e.contains("no open link challenge"), "{e}");
    assert!(refused(&b.text(&private(7), "/link 0x12", t(3)).await).contains("Usage: /link <address>"));
}

#[tokio::test]
async fn proposals_lists_the_active_ones_with_their_tallies() {
    let b = TestBot::new().await;
    assert!(ok(&b.text(&group(1), "/proposals", t(0)).await).contains("No proposal is open"));
    let p = b.proposal().await;
    b.link(1, ALICE, t(0)).await;
    ok(&b.text(&group(1), &format!("/vote {} For", p.id.get()), t(5)).await);
    let r = b.text(&group(1), "/proposals", t(6)).await;
    assert_eq!(r.visibility, Visibility::Public);
    let text = ok(&r);
    assert!(text.contains("#1 Fund device onboarding"), "{text}");
    assert!(text.contains("For 100 IOTX (100.00%)") && text.contains("1 voters"), "{text}");
}

#[tokio::test]
async fn proposal_shows_buttons_by_method_and_an_unknown_one_is_refused() {
    let b = TestBot::new().await;
    let e = refused(&b.text(&group(1), "/proposal 9", t(0)).await);
    assert!(e.contains("proposal #9 does not exist"), "{e}");

    let single = b.proposal().await;
    let r = b.text(&group(1), &format!("/proposal {}", single.id.get()), t(1)).await;
    assert_eq!(r.visibility, Visibility::Public);
    let labels: Vec<&str> = r.buttons.iter().flatten().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["For", "Against", "Abstain"]);
    assert_eq!(Action::decode(&r.buttons[0][1].data), Some(Action::Vote { id: single.id, choice: 2 }));
    assert!(ok(&r).contains("Spend the Q4 budget on <devices> & _more_."), "the model keeps user text as written");

    let approval =
        b.proposal_with("Pick programs", &["Solar", "Wind", "Rain"], VotingMethod::Approval, t(0), t(1000), t(0)).await;
    let r = b.text(&group(1), &format!("/proposal {}", approval.id.get()), t(1)).await;
    let last = r.buttons.last().unwrap();
    assert_eq!(last[0].label, "Submit");
    assert_eq!(r.buttons.iter().flatten().count(), 4);

    let weighted = b.proposal_with("Split it", &["A", "B"], VotingMethod::Weighted, t(0), t(1000), t(0)).await;
    let r = b.text(&group(1), &format!("/proposal {}", weighted.id.get()), t(1)).await;
    assert!(r.buttons.is_empty());
    assert!(ok(&r).contains(&format!("/vote {} followed by choice=percent pairs", weighted.id.get())));

    // Closed: no buttons.
    let r = b.text(&group(1), &format!("/proposal {}", single.id.get()), t(2000)).await;
    assert!(!r.buttons.is_empty(), "still active until the lifecycle closes it");
    b.gov.advance(t(2000)).await.unwrap();
    let r = b.text(&group(1), &format!("/proposal {}", single.id.get()), t(2000)).await;
    assert!(r.buttons.is_empty());
}

#[tokio::test]
async fn a_linked_user_votes_and_a_second_vote_replaces_the_first() {
    let b = TestBot::new().await;
    let p = b.proposal().await;
    b.link(1, ALICE, t(0)).await;
    let r = b.text(&group(1), &format!("/vote {} For", p.id.get()), t(10)).await;
    assert_eq!(r.visibility, Visibility::Private, "a vote's confirmation goes to the voter only");
    let text = ok(&r);
    assert!(text.contains("For, with 100 IOTX at block 4242"), "{text}");
    let text = ok(&b.text(&group(1), &format!("/vote {} 2", p.id.get()), t(11)).await);
    assert!(text.contains("Against") && text.contains("replaces your vote For"), "{text}");
    let votes = b.gov.votes(p.id, 10, 0).await.unwrap();
    assert_eq!(votes.len(), 1);
    assert_eq!(votes[0].source, VoteSource::Telegram);
}

#[tokio::test]
async fn every_vote_refusal_says_why_and_changes_nothing() {
    let b = TestBot::new().await;
    let p = b.proposal().await;
    let vote = |user: u64, choice: &str, at| {
        let b = &b;
        let text = format!("/vote {} {choice}", p.id.get());
        async move { refused(&b.text(&group(user), &text, at).await) }
    };
    // Not linked: the link instructions.
    let e = vote(1, "For", t(10)).await;
    assert!(e.contains("telegram:1 is not linked to a wallet") && e.contains("/link <your address>"), "{e}");
    // Unknown proposal.
    b.link(1, ALICE, t(0)).await;
    let e = refused(&b.text(&group(1), "/vote 42 For", t(10)).await);
    assert!(e.contains("proposal #42 does not exist"), "{e}");
    // Bad choice.
    let e = vote(1, "Maybe", t(10)).await;
    assert!(e.contains("`Maybe` is not a choice"), "{e}");
    // No power at the snapshot.
    b.link(9, ZED, t(0)).await;
    let e = vote(9, "For", t(10)).await;
    assert!(e.contains("had no voting power at block 4242"), "{e}");
    // Closed window.
    let e = vote(1, "For", t(1000)).await;
    assert!(e.contains("closed at"), "{e}");
    assert!(b.gov.votes(p.id, 10, 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn weighted_votes_over_100_percent_or_malformed_are_refused() {
    let b = TestBot::new().await;
    let p = b.proposal_with("Split it", &["A", "B"], VotingMethod::Weighted, t(0), t(1000), t(0)).await;
    b.link(1, ALICE, t(0)).await;
    let e = refused(&b.text(&group(1), &format!("/vote {} 1=60 2=50", p.id.get()), t(1)).await);
    assert!(e.contains("110.00%, more than 100%"), "{e}");
    let e = refused(&b.text(&group(1), &format!("/vote {} 1:60", p.id.get()), t(1)).await);
    assert!(e.contains("is not a choice=percent pair"), "{e}");
    assert!(b.gov.votes(p.id, 10, 0).await.unwrap().is_empty());
    let text = ok(&b.text(&group(1), &format!("/vote {} 1=60 2=40", p.id.get()), t(1)).await);
    assert!(text.contains("A 60%, B 40%"), "{text}");
}

#[tokio::test]
async fn allocate_and_allocation_with_every_refusal() {
    let b = TestBot::new().await;
    b.recipients().await;
    let e = refused(&b.text(&private(1), "/allocate solar-farms=60", t(0)).await);
    assert!(e.contains("is not linked to a wallet"), "{e}");
    b.link(1, ALICE, t(0)).await;
    let e = refused(&b.text(&private(1), "/allocate solar-farms:60", t(1)).await);
    assert!(e.contains("`solar-farms:60` is not a recipient=percent pair"), "{e}");
    let e = refused(&b.text(&private(1), "/allocate solar-farms=60 weather-dapp=50", t(1)).await);
    assert!(e.contains("110.00%, more than 100%"), "{e}");
    let e = refused(&b.text(&private(1), "/allocate moon=10", t(1)).await);
    assert!(e.contains("`moon` is not an active recipient"), "{e}");
    let voter = address(&wallet(ALICE));
    assert!(b.allocations.of(voter).await.unwrap().is_empty(), "refusals change nothing");
    assert!(ok(&b.text(&private(1), "/allocation", t(1)).await).contains("You allocate nothing yet"));

    let text = ok(&b.text(&private(1), "/allocate solar-farms=60 2=40", t(2)).await);
    assert!(text.contains("solar-farms 60.00%, weather-dapp 40.00%"), "{text}");
    assert_eq!(b.allocations.of(voter).await.unwrap().entries().len(), 2);
    assert!(ok(&b.text(&private(1), "/allocation", t(3)).await).contains("solar-farms 60.00%"));
    assert!(ok(&b.text(&private(1), "/allocate none", t(4)).await).contains("withdrawn"));
    assert!(b.allocations.of(voter).await.unwrap().is_empty());
}

#[tokio::test]
async fn power_shows_stake_now_and_at_each_open_snapshot() {
    let b = TestBot::new().await;
    assert!(refused(&b.text(&private(2), "/power", t(0)).await).contains("is not linked"));
    let p = b.proposal().await;
    b.link(2, BOB, t(0)).await;
    let text = ok(&b.text(&private(2), "/power", t(1)).await);
    assert!(text.contains("Now (block 4242): 60 IOTX"), "{text}");
    assert!(text.contains(&format!("#{} at its snapshot (block 4242): 60 IOTX", p.id.get())), "{text}");
}

#[tokio::test]
async fn epoch_shows_the_budget_the_next_run_and_the_last_split() {
    let b = TestBot::new().await;
    let text = ok(&b.text(&group(1), "/epoch", t(0)).await);
    assert!(text.contains("Budget per epoch: 1000 IOTX") && text.contains("No epoch has run yet"), "{text}");
    assert!(text.contains("Next epoch:") && text.contains("(in 2d 0h)"), "{text}");
    b.recipients().await;
    b.link(1, ALICE, t(0)).await;
    ok(&b.text(&private(1), "/allocate solar-farms=75 weather-dapp=25", t(1)).await);
    b.epochs.run(t(10), t(10)).await.unwrap();
    let text = ok(&b.text(&group(1), "/epoch", t(20)).await);
    assert!(
        text.contains("Epoch 1:") && text.contains("solar-farms: 750 IOTX") && text.contains("weather-dapp: 250 IOTX"),
        "{text}"
    );
}

#[tokio::test]
async fn propose_is_a_dialogue_in_private_that_creates_the_proposal() {
    let b = TestBot::new().await;
    assert!(refused(&b.text(&group(1), "/propose", t(0)).await).contains("private chat"));
    assert!(refused(&b.text(&private(1), "/propose", t(0)).await).contains("is not linked"));
    b.link(1, ALICE, t(0)).await;
    assert!(ok(&b.text(&private(1), "/propose", t(1)).await).contains("(1/3)"));
    assert!(ok(&b.text(&private(1), "Fund <b>solar</b> & _wind_", t(2)).await).contains("(2/3)"));
    // A refused answer asks the same step again.
    let r = b.text(&private(1), "   \u{7}  ", t(3)).await;
    assert!(refused(&r).contains("the body is empty") && r.plain_text().contains("(2/3)"), "{}", r.plain_text());
    assert!(ok(&b.text(&private(1), "Panels for every rooftop.", t(3)).await).contains("(3/3)"));
    let r = b.text(&private(1), "Yes", t(4)).await;
    assert!(refused(&r).contains("2 to 20 choices"), "{}", r.plain_text());
    let text = ok(&b.text(&private(1), "Yes, No, Abstain", t(5)).await);
    assert!(text.contains("Proposal #1 created") && text.contains("Fund <b>solar</b> & _wind_"), "{text}");
    let p = b.gov.proposal(ProposalId::parse("1").unwrap()).await.unwrap();
    assert_eq!(p.choices.labels().collect::<Vec<_>>(), ["Yes", "No", "Abstain"]);
    assert_eq!(p.author, address(&wallet(ALICE)));
    // The dialogue is over: plain text is not for the bot any more.
    assert!(b.commands.on_text(&private(1), "more", Some("iodao_bot"), t(6)).await.is_none());
    assert!(ok(&b.text(&private(1), "/cancel", t(6)).await).contains("nothing to cancel"));
}

#[tokio::test]
async fn a_propose_dialogue_resumes_after_a_restart_and_cancel_ends_it() {
    let b = TestBot::new().await;
    b.link(1, ALICE, t(0)).await;
    ok(&b.text(&private(1), "/propose", t(1)).await);
    ok(&b.text(&private(1), "A title", t(2)).await);
    let b = b.restart().await;
    assert!(ok(&b.text(&private(1), "A body", t(3)).await).contains("(3/3)"));
    assert!(ok(&b.text(&private(1), "/cancel", t(4)).await).contains("discarded"));
    assert!(b.commands.on_text(&private(1), "For, Against", Some("iodao_bot"), t(5)).await.is_none());
}

#[tokio::test]
async fn buttons_vote_toggle_and_submit() {
    let b = TestBot::new().await;
    let single = b.proposal().await;
    let approval =
        b.proposal_with("Pick programs", &["Solar", "Wind", "Rain"], VotingMethod::Approval, t(0), t(1000), t(0)).await;
    let press = |user: u64, a: Action| {
        let b = &b;
        async move { b.commands.on_action(&tg(user), &a.encode(), t(10)).await }
    };
    // Unlinked: the link instructions, nothing stored.
    let r = press(1, Action::Vote { id: single.id, choice: 1 }).await;
    assert!(refused(&r.answer).contains("/link <your address>"));
    b.link(1, ALICE, t(0)).await;
    let r = press(1, Action::Vote { id: single.id, choice: 1 }).await;
    assert!(ok(&r.answer).contains("For, with 100 IOTX"));
    assert_eq!(b.gov.votes(single.id, 10, 0).await.unwrap().len(), 1);

    let r = press(1, Action::Toggle { id: approval.id, selected: 0, choice: 3 }).await;
    assert!(ok(&r.answer).contains("Selected: Rain"));
    let kb = r.keyboard.expect("new buttons");
    assert_eq!(kb[0][2].label, "✅ Rain");
    assert_eq!(Action::decode(&kb[0][0].data), Some(Action::Toggle { id: approval.id, selected: 0b100, choice: 1 }));
    let e = press(1, Action::Submit { id: approval.id, selected: 0 }).await;
    assert!(refused(&e.answer).contains("Nothing is selected"));
    let r = press(1, Action::Submit { id: approval.id, selected: 0b101 }).await;
    assert!(ok(&r.answer).contains("Solar, Rain"), "{}", r.answer.plain_text());
    let votes = b.gov.votes(approval.id, 10, 0).await.unwrap();
    assert_eq!(votes[0].selection.describe(&approval.choices, approval.method), "Solar, Rain");
    // A toggle on a single-choice proposal, or foreign data, is refused.
    assert!(
        refused(&press(1, Action::Toggle { id: single.id, selected: 0, choice: 1 }).await.answer)
            .contains("out of date")
    );
    assert!(refused(&b.commands.on_action(&tg(1), "garbage", t(10)).await.answer).contains("not one of mine"));
}

#[tokio::test]
async fn announcements_carry_the_proposal_its_result_and_the_epoch() {
    let b = TestBot::new().await;
    let p = b.proposal_with("Later", &["For", "Against"], VotingMethod::SingleChoice, t(100), t(200), t(0)).await;
    b.gov.advance(t(100)).await.unwrap();
    let r = b.commands.announcement(&iodao_bot::Event::ProposalOpened(p.id)).await.unwrap();
    assert!(r.title.as_deref().unwrap().starts_with("Voting opened: #1 Later"));
    assert_eq!(r.buttons.iter().flatten().count(), 2);
    b.link(1, ALICE, t(0)).await;
    ok(&b.text(&group(1), "/vote 1 For", t(150)).await);
    b.gov.advance(t(200)).await.unwrap();
    let r = b.commands.announcement(&iodao_bot::Event::ProposalClosed(p.id)).await.unwrap();
    assert_eq!(r.title.as_deref(), Some("Voting closed: #1 Later (passed)"));
    assert!(r.buttons.is_empty());
    assert!(b.commands.announcement(&iodao_bot::Event::EpochAllocated(1)).await.is_none());
    b.recipients().await;
    ok(&b.text(&private(1), "/allocate solar-farms=100", t(201)).await);
    b.epochs.run(t(300), t(300)).await.unwrap();
    let r = b.commands.announcement(&iodao_bot::Event::EpochExecuted(1, vec!["0xab".into()])).await.unwrap();
    let text = ok(&r);
    assert!(
        text.starts_with("Epoch 1 executed")
            && text.contains("solar-farms: 1000 IOTX")
            && text.contains("Transaction 1: 0xab"),
        "{text}"
    );
}

#[tokio::test]
async fn the_watcher_announces_openings_closings_and_epochs_once() {
    use iodao_bot::{Event, Watcher};
    let b = TestBot::new().await;
    let seeded = b.proposal().await;
    let mut w = Watcher::new();
    assert!(w.poll(&b.commands).await.is_empty(), "the first look only remembers");
    let later = b.proposal_with("Later", &["For", "Against"], VotingMethod::SingleChoice, t(100), t(200), t(0)).await;
    assert!(w.poll(&b.commands).await.is_empty(), "pending is not open");
    b.gov.advance(t(100)).await.unwrap();
    assert_eq!(w.poll(&b.commands).await, [Event::ProposalOpened(later.id)]);
    assert!(w.poll(&b.commands).await.is_empty(), "announced once");
    b.gov.advance(t(1000)).await.unwrap();
    let mut closed = w.poll(&b.commands).await;
    closed.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(closed, [Event::ProposalClosed(seeded.id), Event::ProposalClosed(later.id)]);
    b.recipients().await;
    b.link(1, ALICE, t(0)).await;
    ok(&b.text(&private(1), "/allocate solar-farms=100", t(1001)).await);
    b.epochs.run(t(1100), t(1100)).await.unwrap();
    assert_eq!(w.poll(&b.commands).await, [Event::EpochAllocated(1)]);
    assert!(w.poll(&b.commands).await.is_empty());
}

#[tokio::test]
async fn the_watcher_sees_what_another_process_changed() {
    use iodao_bot::{Event, Watcher};
    let b = TestBot::new().await;
    b.recipients().await;
    b.link(1, ALICE, t(0)).await;
    ok(&b.text(&private(1), "/allocate solar-farms=100", t(1)).await);
    b.epochs.run(t(100), t(100)).await.unwrap();
    let mut w = Watcher::new();
    assert!(w.poll(&b.commands).await.is_empty(), "the first look only remembers");

    let other = b.other_process().await;
    // Its window has started: it is created active, never pending.
    let new = new_proposal("Open at once", &["For", "Against"], VotingMethod::SingleChoice, t(150), t(900));
    let p = other.create_proposal(new, &iodao_core::Actor::Cli, t(200)).await.unwrap();
    assert_eq!(p.state, iodao_core::ProposalState::Active);
    pay(other.store(), 1, "0xabc", t(300)).await;
    assert_eq!(w.poll(&b.commands).await, [Event::ProposalOpened(p.id), Event::EpochExecuted(1, Vec::new())]);
    assert!(w.poll(&b.commands).await.is_empty(), "announced once");

    let r = b.commands.announcement(&Event::EpochExecuted(1, Vec::new())).await.unwrap();
    let text = ok(&r);
    assert!(text.starts_with("Epoch 1 executed") && text.contains("Transaction 1: 0xabc"), "{text}");
    let linked = b.commands.clone().with_explorer_tx_url(Some("https://iotexscan.io/tx/"));
    let text = ok(&linked.announcement(&Event::EpochExecuted(1, Vec::new())).await.unwrap());
    assert!(text.contains("Transaction 1: https://iotexscan.io/tx/0xabc"), "{text}");
}

#[tokio::test]
async fn an_epoch_allocated_and_paid_between_two_looks_is_announced_as_both() {
    use iodao_bot::{Event, Watcher};
    let b = TestBot::new().await;
    b.recipients().await;
    b.link(1, ALICE, t(0)).await;
    ok(&b.text(&private(1), "/allocate solar-farms=100", t(1)).await);
    let mut w = Watcher::new();
    assert!(w.poll(&b.commands).await.is_empty());
    b.epochs.run(t(100), t(100)).await.unwrap();
    pay(b.gov.store(), 1, "0xdef", t(101)).await;
    assert_eq!(w.poll(&b.commands).await, [Event::EpochAllocated(1), Event::EpochExecuted(1, Vec::new())]);
}

/// The path of the node's URL: a provider's API key.
const SECRET: &str = "v3-key-5ecre7c0ffee";

#[tokio::test]
async fn a_stake_failure_is_told_with_a_reference_and_never_the_nodes_url() {
    use std::sync::Arc;
    use std::time::Duration as StdDuration;

    use iodao_chain::stake::{TokenPower, TokenStake};
    use iodao_core::{Actor, Address, CachedStake, StakeSource as _};

    // A stand-in node answering every call with an error quoting its path.
    let app = axum::Router::new().fallback(|uri: axum::http::Uri| async move {
        (axum::http::StatusCode::UNAUTHORIZED, format!("{{\"error\":\"invalid project id in {}\"}}", uri.path()))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/{SECRET}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let node = TokenStake::connect(&url, Address::from([7; 20]), TokenPower::Votes)
        .expect("url")
        .with_retries(0, StdDuration::from_millis(1));
    let raw = node.power_at(Address::from([1; 20]), 4242).await.expect_err("the node refuses");
    assert!(raw.to_string().contains(SECRET), "the node's answer is in the error: {raw}");

    let bot =
        TestBot::with_stake(|_, store| Arc::new(CachedStake::new(Arc::new(node), store.clone(), "erc20votes"))).await;
    // Opened (its snapshot fixed) by another process reading the CSV.
    let other = bot.other_process().await;
    let new = new_proposal("Fund it", &["For", "Against"], VotingMethod::SingleChoice, t(0), t(1000));
    let p = other.create_proposal(new, &Actor::Cli, t(0)).await.expect("open");
    bot.link(1, ALICE, t(1)).await;

    for text in [format!("/vote {} For", p.id.get()), "/power".to_owned()] {
        let reply = bot.text(&private(1), &text, t(2)).await;
        let shown = format!("{reply:?}");
        assert!(!shown.contains(SECRET) && !shown.contains("127.0.0.1"), "{text}: {shown}");
        let said = reply.plain_text();
        assert!(said.contains("Voting power could not be read right now;"), "{text}: {said}");
        assert!(said.contains("Try again later (ref "), "{text}: {said}");
    }
    let (_, tally) = bot.gov.tally(p.id).await.expect("tally");
    assert_eq!(tally.voters(), 0, "nothing was counted");
}
