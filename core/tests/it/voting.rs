use iodao_core::{Amount, ChoiceError, GovernanceError, ProposalState};

use crate::helpers::*;

#[tokio::test]
async fn a_vote_counts_the_power_at_the_snapshot_block() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    let cast = g.vote(&p, alice(), "for", t(150)).await.unwrap();
    assert_eq!(cast.vote.power, Amount::from_iotx(100));
    assert_eq!(cast.proposal.snapshot_block, Some(4242));
    assert_eq!(cast.proposal.state, ProposalState::Active);
    assert!(cast.replaced.is_none());
    let (_, tally) = g.gov.tally(p.id).await.unwrap();
    assert_eq!(tally.totals(), &[Amount::from_iotx(100), Amount::ZERO, Amount::ZERO]);
    assert_eq!(tally.voters(), 1);
}

#[tokio::test]
async fn a_new_vote_replaces_the_old_one_in_the_tally() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    g.vote(&p, alice(), "1", t(110)).await.unwrap();
    g.vote(&p, bob(), "against", t(111)).await.unwrap();
    let again = g.vote(&p, alice(), "against", t(120)).await.unwrap();
    assert_eq!(again.replaced.map(|(c, a)| (c.number(), a)), Some((1, Amount::from_iotx(100))));
    let (_, live) = g.gov.tally(p.id).await.unwrap();
    assert_eq!(live.totals(), &[Amount::ZERO, Amount::from_iotx(160), Amount::ZERO]);
    assert_eq!(live.voters(), 2, "one current vote per voter");
    let votes = g.gov.votes(p.id, 10, 0).await.unwrap();
    assert_eq!(votes.len(), 2);
    assert_eq!(votes[0].voter, alice());
    assert_eq!(votes[0].choice.number(), 2);
    let (_, recount) = g.gov.recount(p.id).await.unwrap();
    assert_eq!(recount, live);
}

#[tokio::test]
async fn votes_before_the_window_are_rejected_and_change_nothing() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    let err = g.vote(&p, alice(), "for", t(99)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::VotingNotOpen { opens, .. } if opens == t(100)), "{err}");
    let (p2, tally) = g.gov.tally(p.id).await.unwrap();
    assert_eq!(p2.state, ProposalState::Pending);
    assert_eq!(tally.voters(), 0);
}

#[tokio::test]
async fn votes_at_or_after_the_close_are_rejected_and_close_the_proposal() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    g.vote(&p, alice(), "for", t(199)).await.unwrap();
    let err = g.vote(&p, bob(), "against", t(200)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::VotingClosed { closed, .. } if closed == t(200)), "{err}");
    assert!(err.to_string().contains("votes after the close do not count"));
    let (p2, tally) = g.gov.tally(p.id).await.unwrap();
    assert_eq!(tally.totals()[1], Amount::ZERO, "the late vote was not counted");
    assert_eq!(p2.state, ProposalState::Closed(iodao_core::Outcome::Passed));
    // And a later attempt still says closed, not some other error.
    let err = g.vote(&p, carol(), "for", t(500)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::VotingClosed { .. }), "{err}");
}

#[tokio::test]
async fn a_voter_without_stake_is_told_so_and_nothing_is_stored() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    let err = g.vote(&p, nobody(), "for", t(150)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::NoPower { block: 4242, .. }), "{err}");
    assert!(g.gov.votes(p.id, 10, 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_choice_or_proposal_is_a_clear_error() {
    let g = TestGov::new().await;
    let p = g.proposal().await;
    let err = g.vote(&p, alice(), "maybe", t(150)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Choice(ChoiceError::Unknown { .. })), "{err}");
    let err = g.vote(&p, alice(), "9", t(150)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Choice(ChoiceError::OutOfRange { count: 3, .. })), "{err}");
    let ghost = iodao_core::ProposalId::parse("999").unwrap();
    let err = g.gov.proposal(ghost).await.unwrap_err();
    assert_eq!(err.to_string(), "proposal #999 does not exist: list proposals to find its number");
    assert_eq!(g.gov.votes(p.id, 10, 0).await.unwrap().len(), 0);
}

#[tokio::test]
async fn accepted_votes_survive_a_restart() {
    let mut g = TestGov::new().await;
    let p = g.proposal().await;
    g.vote(&p, alice(), "for", t(150)).await.unwrap();
    g.vote(&p, bob(), "against", t(151)).await.unwrap();
    g.vote(&p, carol(), "abstain", t(152)).await.unwrap();
    let (_, before) = g.gov.tally(p.id).await.unwrap();
    g.restart().await;
    let (after_p, after) = g.gov.tally(p.id).await.unwrap();
    assert_eq!(after, before);
    assert_eq!(after.voters(), 3);
    assert_eq!(after_p.state, ProposalState::Active);
    assert_eq!(g.gov.recount(p.id).await.unwrap().1, before);
}

#[tokio::test]
async fn the_live_tally_always_equals_a_full_recount() {
    // A deterministic pseudo-random sequence of votes and revotes.
    let g = TestGov::new().await;
    let p = g.proposal().await;
    let voters = [alice(), bob(), carol()];
    let mut x: u32 = 12345;
    for step in 0..60 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let voter = voters[(x >> 8) as usize % 3];
        let choice = ((x >> 16) % 3 + 1).to_string();
        g.vote(&p, voter, &choice, t(100 + step)).await.unwrap();
        let (_, live) = g.gov.tally(p.id).await.unwrap();
        let (_, recount) = g.gov.recount(p.id).await.unwrap();
        assert_eq!(live, recount, "after step {step}");
    }
}
