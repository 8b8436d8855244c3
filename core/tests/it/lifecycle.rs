use iodao_core::{
    Actor, Amount, GovernanceError, Outcome, ProposalQuery, ProposalRules, ProposalState, Step, TransitionError,
};

use crate::helpers::*;

#[tokio::test]
async fn advance_activates_then_closes_with_the_outcome() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    assert_eq!(p.state, ProposalState::Pending);
    assert!(g.gov.advance(t(99)).await.unwrap().is_empty());
    assert_eq!(g.gov.advance(t(100)).await.unwrap(), vec![Step { id: p.id, state: ProposalState::Active }]);
    g.vote(&p, alice(), "for", t(150)).await.unwrap();
    g.vote(&p, bob(), "against", t(151)).await.unwrap();
    assert!(g.gov.advance(t(199)).await.unwrap().is_empty());
    let steps = g.gov.advance(t(200)).await.unwrap();
    assert_eq!(steps, vec![Step { id: p.id, state: ProposalState::Closed(Outcome::Passed) }]);
    assert!(g.gov.advance(t(10_000)).await.unwrap().is_empty(), "nothing is due twice");
}

#[tokio::test]
async fn a_proposal_below_quorum_closes_as_quorum_not_met() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    g.vote(&p, carol(), "for", t(150)).await.unwrap(); // 40 < 100
    g.gov.advance(t(200)).await.unwrap();
    assert_eq!(g.gov.proposal(p.id).await.unwrap().state, ProposalState::Closed(Outcome::QuorumNotMet));
}

#[tokio::test]
async fn a_proposal_whose_window_is_open_is_active_at_creation() {
    let g = TestGov::new().await;
    let p = g.gov.create_proposal(new_proposal(t(0), t(10)), &Actor::Cli, t(5)).await.unwrap();
    assert_eq!(p.state, ProposalState::Active);
    assert_eq!(p.snapshot_block, Some(4242));
}

#[tokio::test]
async fn authors_below_the_proposal_threshold_are_refused_but_admins_may_always_propose() {
    let g = TestGov::new().await;
    let rules =
        ProposalRules { proposal_threshold: Amount::from_iotx(60), admins: vec![nobody()], ..Default::default() };
    let gov = g.gov.clone().with_rules(rules);
    let mut draft = new_proposal(t(100), t(200));
    draft.author = carol(); // 40 IOTX < 60
    let err = gov.create_proposal(draft.clone(), &Actor::Cli, t(0)).await.unwrap_err();
    assert!(
        matches!(err, GovernanceError::BelowProposalThreshold { power, needed, block: 4242, .. }
            if power == Amount::from_iotx(40) && needed == Amount::from_iotx(60)),
        "{err}"
    );
    assert!(gov.proposals(ProposalQuery::default()).await.unwrap().is_empty(), "nothing was stored");
    assert_eq!(gov.audit_entries(0, 10).await.unwrap().len(), 0, "nothing was logged");
    draft.author = bob(); // 60 IOTX: exactly the threshold is enough
    gov.create_proposal(draft.clone(), &Actor::Cli, t(0)).await.unwrap();
    draft.author = nobody(); // no stake, but an admin
    gov.create_proposal(draft, &Actor::Cli, t(0)).await.unwrap();
}

#[tokio::test]
async fn cancel_stops_voting_and_cannot_be_repeated() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    let c = g.gov.cancel(p.id, &Actor::Cli, t(50)).await.unwrap();
    assert_eq!(c.state, ProposalState::Cancelled);
    let err = g.vote(&p, alice(), "for", t(150)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::NotVotable { state: ProposalState::Cancelled, .. }), "{err}");
    let err = g.gov.cancel(p.id, &Actor::Cli, t(51)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Transition(TransitionError::Illegal { action: "cancelled", .. })), "{err}");
    assert!(g.gov.advance(t(1000)).await.unwrap().is_empty());
}

#[tokio::test]
async fn only_a_passed_proposal_can_be_marked_executed() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    let err = g.gov.mark_executed(p.id, &Actor::Cli, t(1)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Transition(_)), "{err}");
    g.vote(&p, alice(), "for", t(150)).await.unwrap();
    g.gov.advance(t(200)).await.unwrap();
    assert_eq!(g.gov.mark_executed(p.id, &Actor::Cli, t(300)).await.unwrap().state, ProposalState::Executed);
    assert_eq!(g.gov.proposal(p.id).await.unwrap().state, ProposalState::Executed);
}

#[tokio::test]
async fn proposals_list_newest_first_and_filter_by_state() {
    let g = TestGov::new().await;
    let a = g.proposal().await;
    let b = g.proposal().await;
    g.gov.cancel(a.id, &Actor::Cli, t(1)).await.unwrap();
    let all = g.gov.proposals(ProposalQuery::default()).await.unwrap();
    assert_eq!(all.iter().map(|p| p.id).collect::<Vec<_>>(), vec![b.id, a.id]);
    let cancelled =
        g.gov.proposals(ProposalQuery { state: Some(ProposalState::Cancelled), ..Default::default() }).await.unwrap();
    assert_eq!(cancelled.iter().map(|p| p.id).collect::<Vec<_>>(), vec![a.id]);
    let page2 = g.gov.proposals(ProposalQuery { limit: 1, offset: 1, ..Default::default() }).await.unwrap();
    assert_eq!(page2.iter().map(|p| p.id).collect::<Vec<_>>(), vec![a.id]);
    // The stored proposal reads back as created.
    let back = g.gov.proposal(b.id).await.unwrap();
    assert_eq!(back.title, b.title);
    assert_eq!(back.body, b.body);
    assert_eq!(back.choices, b.choices);
    assert_eq!(back.window, b.window);
    assert_eq!(back.quorum, b.quorum);
    assert_eq!(back.threshold, b.threshold);
    assert_eq!(back.author, b.author);
}

#[tokio::test]
async fn a_cancel_by_another_process_is_respected_by_a_server_that_saw_the_proposal_open() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    g.vote(&p, alice(), "for", t(150)).await.unwrap(); // the server now knows #1 is open
    let other = iodao_core::Governance::new(
        iodao_core::Store::open(&g.url).await.unwrap(),
        std::sync::Arc::new(iodao_core::CsvStakeSource::from_entries([])),
    );
    other.cancel(p.id, &Actor::Cli, t(151)).await.unwrap();
    let err = g.vote(&p, bob(), "for", t(152)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::NotVotable { state: ProposalState::Cancelled, .. }), "{err}");
    assert_eq!(g.gov.tally(p.id).await.unwrap().1.voters(), 1);
}
