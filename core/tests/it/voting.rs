use iodao_core::{Amount, ChoiceError, GovernanceError, ProposalState, SelectionError};

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
    assert_eq!(again.replaced.map(|(s, a)| (s.to_stored(), a)), Some(("1=10000".to_owned(), Amount::from_iotx(100))));
    let (_, live) = g.gov.tally(p.id).await.unwrap();
    assert_eq!(live.totals(), &[Amount::ZERO, Amount::from_iotx(160), Amount::ZERO]);
    assert_eq!(live.voters(), 2, "one current vote per voter");
    let votes = g.gov.votes(p.id, 10, 0).await.unwrap();
    assert_eq!(votes.len(), 2);
    assert_eq!(votes[0].voter, alice());
    assert_eq!(votes[0].selection.to_stored(), "2=10000");
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
    assert!(matches!(err, GovernanceError::Selection(SelectionError::Choice(ChoiceError::Unknown { .. }))), "{err}");
    let err = g.vote(&p, alice(), "9", t(150)).await.unwrap_err();
    assert!(
        matches!(err, GovernanceError::Selection(SelectionError::Choice(ChoiceError::OutOfRange { count: 3, .. }))),
        "{err}"
    );
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

async fn proposal_with(g: &TestGov, method: iodao_core::VotingMethod, labels: &[&str]) -> iodao_core::Proposal {
    let mut new = new_proposal(t(100), t(200));
    new.method = method;
    new.choices = iodao_core::Choices::parse(labels).expect("choices");
    g.gov.create_proposal(new, &iodao_core::Actor::Cli, t(0)).await.expect("create")
}

#[tokio::test]
async fn every_method_keeps_live_tally_and_recount_equal_through_revotes() {
    use iodao_core::VotingMethod::*;
    let inputs: [(iodao_core::VotingMethod, [&str; 4]); 4] = [
        (SingleChoice, ["1", "2", "3", "Abstain"]),
        (Approval, ["1,2", "3", "1, 2, 3", "4"]),
        (Weighted, ["1=50 2=50", "3=33.33", "1=100", "2=12.5 4=87.5"]),
        (Quadratic, ["1=64 2=36", "3=100", "2=1", "1=25 3=25 4=50"]),
    ];
    for (method, ballots) in inputs {
        let g = TestGov::new().await;
        let p = proposal_with(&g, method, &["Red", "Green", "Blue", "Abstain"]).await;
        let voters = [alice(), bob(), carol()];
        for (step, ballot) in ballots.iter().cycle().take(10).enumerate() {
            let voter = voters[step % 3];
            g.vote(&p, voter, ballot, t(100 + i64::try_from(step).unwrap())).await.unwrap();
            let (_, live) = g.gov.tally(p.id).await.unwrap();
            let (_, recount) = g.gov.recount(p.id).await.unwrap();
            assert_eq!(live, recount, "{method} after step {step}");
        }
        let (_, t) = g.gov.tally(p.id).await.unwrap();
        assert_eq!(t.voters(), 3, "{method}");
        assert_eq!(t.participation(), iodao_core::Amount::from_iotx(200), "{method}: each voter's power once");
    }
}

#[tokio::test]
async fn a_weighted_vote_is_counted_by_share_and_a_bad_split_changes_nothing() {
    let g = TestGov::new().await;
    let p = proposal_with(&g, iodao_core::VotingMethod::Weighted, &["A", "B"]).await;
    g.vote(&p, alice(), "1=60 2=40", t(150)).await.unwrap(); // 100 IOTX
    let (_, tally) = g.gov.tally(p.id).await.unwrap();
    assert_eq!(tally.totals(), &[Amount::from_iotx(60), Amount::from_iotx(40)]);
    let err = g.vote(&p, alice(), "1=60 2=41", t(151)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Selection(SelectionError::OverFull(10_100))), "{err}");
    let err = g.vote(&p, alice(), "2", t(151)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Selection(SelectionError::BadPair(_))), "{err}");
    assert_eq!(g.gov.tally(p.id).await.unwrap().1, tally, "refused votes changed nothing");
}

#[tokio::test]
async fn approval_votes_through_the_service() {
    let g = TestGov::new().await;
    let p = proposal_with(&g, iodao_core::VotingMethod::Approval, &["A", "B", "C"]).await;
    g.vote(&p, alice(), "A, C", t(150)).await.unwrap();
    g.vote(&p, bob(), "3", t(151)).await.unwrap();
    let (p, tally) = g.gov.tally(p.id).await.unwrap();
    assert_eq!(tally.totals(), &[Amount::from_iotx(100), Amount::ZERO, Amount::from_iotx(160)]);
    let report = p.report(&tally);
    assert_eq!(report.leader, Some(3));
    assert_eq!(report.participation, Amount::from_iotx(160));
    let err = g.vote(&p, carol(), "1,1", t(152)).await.unwrap_err();
    assert!(matches!(err, GovernanceError::Selection(SelectionError::Duplicate(1))), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_votes_are_group_committed_and_all_acknowledged_votes_are_stored() {
    let stakers: Vec<(iodao_core::Address, Amount)> = (1..=300u16)
        .map(|i| {
            (
                iodao_core::Address::from([
                    (i % 251) as u8,
                    (i / 251) as u8,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                ]),
                Amount::from_iotx(u64::from(i)),
            )
        })
        .collect();
    let g = TestGov::with_stakers(stakers.clone()).await;
    let p = g.proposal().await;
    let mut handles = Vec::new();
    for (i, (voter, _)) in stakers.iter().enumerate() {
        let gov = g.gov.clone();
        let ballot = iodao_core::Ballot {
            proposal: p.id,
            voter: *voter,
            choice: ["1", "2", "3"][i % 3].into(),
            source: iodao_core::VoteSource::Cli,
        };
        handles.push(tokio::spawn(async move { gov.cast_vote(ballot, t(150)).await }));
    }
    for h in handles {
        h.await.expect("task").expect("vote");
    }
    let (_, live) = g.gov.tally(p.id).await.unwrap();
    assert_eq!(live.voters(), 300);
    assert_eq!(live.participation(), Amount::from_iotx((1..=300u64).sum()));
    assert_eq!(g.gov.recount(p.id).await.unwrap().1, live);
    // created + activated + 300 votes, one unbroken chain.
    assert_eq!(g.gov.verify_audit().await.unwrap(), 302);
}
