//! Each policy rule in the case where it binds, the degenerate inputs, and
//! the errors. Amounts are small so the expected wei can be read off.

use iodao_allocator::{
    AllocError, Binding, Bps, Candidate, Category, CategoryBounds, Limit, Method, Policy, Problem, ProblemError, Split,
    U256, allocate, allocate_with,
};

fn wei(n: u128) -> U256 {
    U256::from(n)
}

fn bps(n: u16) -> Bps {
    Bps::new(n).expect("bps")
}

fn cand(id: u64, category: Category, weight: u128) -> Candidate {
    Candidate { id, category, weight: wei(weight), cap: None, floor: None, group: None, previous: None }
}

fn dapp(id: u64, weight: u128) -> Candidate {
    cand(id, Category::Dapp, weight)
}

fn problem(budget: u128, candidates: Vec<Candidate>, policy: Policy) -> Problem {
    Problem { budget: wei(budget), previous_budget: None, candidates, policy }
}

/// (id, amount, binding) per line.
fn lines(s: &Split) -> Vec<(u64, u128, Binding)> {
    s.payouts.iter().map(|p| (p.id, p.amount.to::<u128>(), p.binding)).collect()
}

fn solved(p: &Problem) -> Split {
    let s = allocate(p).expect("allocates");
    assert_eq!(s.spent + s.unallocated, s.budget);
    assert_eq!(s.payouts.iter().fold(U256::ZERO, |a, p| a + p.amount), s.spent);
    // Both solvers agree to the wei on these small cases.
    assert_eq!(allocate_with(p, Method::Lp).expect("lp").payouts, s.payouts, "LP and closed form differ");
    s
}

#[test]
fn without_bounds_the_split_is_vote_proportional() {
    let s = solved(&problem(600, vec![dapp(1, 1), dapp(2, 2), dapp(3, 3)], Policy::default()));
    assert_eq!(lines(&s), [(1, 100, Binding::None), (2, 200, Binding::None), (3, 300, Binding::None)]);
    assert_eq!(s.payouts[2].target, wei(300));
    assert_eq!(s.unallocated, U256::ZERO);
    assert_eq!(s.method, Method::ClosedForm);
}

#[test]
fn a_cap_binds_and_its_surplus_is_spread_in_proportion() {
    let policy = Policy { recipient_cap: Some(Limit::Share(bps(5000))), ..Policy::default() };
    let s = solved(&problem(1000, vec![dapp(1, 1), dapp(2, 3), dapp(3, 16)], policy));
    // 16/20 would be 800: capped at 500; 1:3 split the other 500.
    assert_eq!(lines(&s), [(1, 125, Binding::None), (2, 375, Binding::None), (3, 500, Binding::Cap)]);
}

#[test]
fn a_recipients_own_cap_overrides_the_policy_cap() {
    let policy = Policy { recipient_cap: Some(Limit::Share(bps(9000))), ..Policy::default() };
    let mut big = dapp(2, 3);
    big.cap = Some(Limit::Wei(wei(100)));
    let s = solved(&problem(1000, vec![dapp(1, 1), big], policy));
    assert_eq!(lines(&s), [(1, 900, Binding::Cap), (2, 100, Binding::Cap)]);
    assert_eq!(s.unallocated, U256::ZERO);
}

#[test]
fn a_floor_pays_a_recipient_without_votes() {
    let mut floored = dapp(1, 0);
    floored.floor = Some(Limit::Wei(wei(100)));
    let s = solved(&problem(1000, vec![floored, dapp(2, 5), dapp(3, 0)], Policy::default()));
    assert_eq!(lines(&s), [(1, 100, Binding::Floor), (2, 900, Binding::None), (3, 0, Binding::NoVotes)]);
}

#[test]
fn a_floor_lifts_a_recipient_with_few_votes() {
    let mut small = dapp(1, 1);
    small.floor = Some(Limit::Share(bps(2000)));
    let s = solved(&problem(1000, vec![small, dapp(2, 99)], Policy::default()));
    assert_eq!(lines(&s), [(1, 200, Binding::Floor), (2, 800, Binding::None)]);
}

#[test]
fn a_category_maximum_holds_it_down() {
    let mut policy = Policy::default();
    policy.categories.insert(Category::Dapp, CategoryBounds { min: None, max: Some(bps(2000)) });
    let s = solved(&problem(1000, vec![dapp(1, 30), dapp(2, 20), cand(3, Category::DeviceProgram, 50)], policy));
    assert_eq!(lines(&s), [(1, 120, Binding::CategoryMax), (2, 80, Binding::CategoryMax), (3, 800, Binding::None)]);
}

#[test]
fn a_category_minimum_lifts_it() {
    let mut policy = Policy::default();
    policy.categories.insert(Category::DeviceProgram, CategoryBounds { min: Some(bps(5000)), max: None });
    let s = solved(&problem(
        1000,
        vec![cand(1, Category::DeviceProgram, 1), cand(2, Category::DeviceProgram, 3), dapp(3, 96)],
        policy,
    ));
    assert_eq!(lines(&s), [(1, 125, Binding::CategoryMin), (2, 375, Binding::CategoryMin), (3, 500, Binding::None)]);
}

#[test]
fn a_category_minimum_its_recipients_cannot_take_is_met_as_far_as_they_can() {
    let mut policy = Policy { recipient_cap: Some(Limit::Share(bps(1000))), ..Policy::default() };
    policy.categories.insert(Category::DeviceProgram, CategoryBounds { min: Some(bps(5000)), max: None });
    let s =
        solved(&problem(1000, vec![cand(1, Category::DeviceProgram, 1), dapp(2, 1), dapp(3, 1), dapp(4, 1)], policy));
    // The device program is capped at 100; three dapps are capped at 100 each.
    assert_eq!(s.payouts.iter().map(|p| p.amount.to::<u128>()).collect::<Vec<_>>(), [100, 100, 100, 100]);
    assert!(s.payouts.iter().all(|p| p.binding == Binding::Cap));
    assert_eq!(s.unallocated, wei(600));
}

#[test]
fn a_fixed_share_for_a_category_without_votes_is_left_unallocated() {
    let mut policy = Policy::default();
    policy.categories.insert(Category::Dapp, CategoryBounds { min: Some(bps(3000)), max: Some(bps(3000)) });
    policy.categories.insert(Category::DeviceProgram, CategoryBounds { min: None, max: Some(bps(7000)) });
    let s = solved(&problem(1000, vec![cand(1, Category::DeviceProgram, 4), dapp(2, 0)], policy));
    assert_eq!(lines(&s), [(1, 700, Binding::CategoryMax), (2, 0, Binding::NoVotes)]);
    assert_eq!(s.unallocated, wei(300));
}

#[test]
fn the_minimum_payout_drops_the_smallest_and_respreads_its_share() {
    let policy = Policy { min_payout: wei(10), ..Policy::default() };
    let s = solved(&problem(2001, vec![dapp(1, 1), dapp(2, 1000), dapp(3, 1000)], policy));
    // 1001/1000 between equals: the odd wei goes to the lower id.
    assert_eq!(lines(&s), [(1, 0, Binding::MinimumPayout), (2, 1001, Binding::None), (3, 1000, Binding::None)]);
}

#[test]
fn the_minimum_payout_drops_as_few_as_it_can() {
    let policy = Policy { min_payout: wei(1000), ..Policy::default() };
    // Shares 9 % and 9.5 % of 10 000 are both under 1 000; dropping only the
    // smaller lifts the other to 9.5/91 of 10 000 = 1 043.
    let s = solved(&problem(10_000, vec![dapp(1, 90), dapp(2, 95), dapp(3, 815)], policy));
    assert_eq!(s.payouts[0].binding, Binding::MinimumPayout);
    assert_eq!(s.payouts[1].amount, wei(1044));
    assert_eq!(s.payouts[2].amount, wei(8956));
}

#[test]
fn smoothing_limits_the_change_of_a_share() {
    let policy = Policy { smoothing: Some(bps(2000)), ..Policy::default() };
    let mut a = dapp(1, 9);
    a.previous = Some(wei(500));
    let mut b = dapp(2, 1);
    b.previous = Some(wei(500));
    let mut p = problem(1000, vec![a, b, dapp(3, 0)], policy);
    p.previous_budget = Some(wei(1000));
    let s = solved(&p);
    assert_eq!(lines(&s), [(1, 600, Binding::Smoothing), (2, 400, Binding::Smoothing), (3, 0, Binding::NoVotes)]);

    // Half the budget: the band is on shares, so both halve.
    p.budget = wei(500);
    let s = solved(&p);
    assert_eq!(lines(&s)[..2], [(1, 300, Binding::Smoothing), (2, 200, Binding::Smoothing)]);
}

#[test]
fn a_newcomer_is_not_smoothed() {
    let policy = Policy { smoothing: Some(bps(1000)), ..Policy::default() };
    let mut old = dapp(1, 1);
    old.previous = Some(wei(1000));
    let mut p = problem(1000, vec![old, dapp(2, 1)], policy);
    p.previous_budget = Some(wei(1000));
    let s = solved(&p);
    assert_eq!(lines(&s), [(1, 900, Binding::Smoothing), (2, 100, Binding::None)]);
}

#[test]
fn a_group_cap_is_shared_by_its_members() {
    let mut policy = Policy::default();
    policy.group_caps.insert("acme".into(), Limit::Share(bps(3000)));
    let mut a = dapp(1, 4);
    a.group = Some("acme".into());
    let mut b = dapp(2, 2);
    b.group = Some("acme".into());
    let s = solved(&problem(1000, vec![a, b, dapp(3, 4)], policy));
    assert_eq!(lines(&s), [(1, 200, Binding::GroupCap), (2, 100, Binding::GroupCap), (3, 700, Binding::None)]);
    assert_eq!(s.method, Method::ClosedForm);
}

#[test]
fn a_group_across_categories_is_solved_by_the_lp() {
    let mut policy = Policy::default();
    policy.group_caps.insert("acme".into(), Limit::Share(bps(1500)));
    policy.categories.insert(Category::Dapp, CategoryBounds { min: None, max: Some(bps(3500)) });
    let mut a = dapp(1, 2);
    a.group = Some("acme".into());
    let mut b = cand(2, Category::DeviceProgram, 1);
    b.group = Some("acme".into());
    let p = problem(1000, vec![a, b, dapp(3, 3), cand(4, Category::DeviceProgram, 4)], policy);
    let s = allocate(&p).expect("allocates");
    assert_eq!(s.method, Method::Lp);
    assert!(matches!(allocate_with(&p, Method::ClosedForm), Err(AllocError::NotNested)));
    // Filling rises together: the group stops first (150, 2:1), then the
    // dapp maximum stops dapp 3 at 350 - 100, and the budget stops the rest.
    assert_eq!(
        lines(&s),
        [
            (1, 100, Binding::GroupCap),
            (2, 50, Binding::GroupCap),
            (3, 250, Binding::CategoryMax),
            (4, 600, Binding::None)
        ]
    );
    assert_eq!(s.spent, wei(1000));
}

#[test]
fn a_group_across_categories_with_a_category_minimum_fills_level_by_level() {
    let mut policy = Policy::default();
    policy.group_caps.insert("acme".into(), Limit::Share(bps(3000)));
    policy.categories.insert(Category::DeviceProgram, CategoryBounds { min: Some(bps(4000)), max: None });
    let mut a = dapp(1, 3);
    a.group = Some("acme".into());
    let mut b = cand(2, Category::DeviceProgram, 1);
    b.group = Some("acme".into());
    let candidates = vec![a, b, dapp(3, 3), cand(4, Category::DeviceProgram, 2), dapp(5, 1)];
    let p = problem(100_000, candidates, policy);
    let s = allocate(&p).expect("allocates");
    assert_eq!(s.method, Method::Lp);
    // Per unit of the 10 votes, in shares: the group stops 1 and 2 first,
    // at 0.75 (0.3 = 0.75·(0.3 + 0.1)). The devices' minimum then holds
    // 0.4 − 0.075 = 0.325 for 4, so dapps 3 and 5 (one class) stop at
    // 0.9375 when the budget runs out (0.3 + 0.4·0.9375 + 0.325 = 1); 4
    // sits at its minimum share until its own level reaches it.
    assert_eq!(
        s.payouts.iter().map(|x| (x.id, x.amount.to::<u128>())).collect::<Vec<_>>(),
        [(1, 22_500), (2, 7_500), (3, 28_125), (4, 32_500), (5, 9_375)]
    );
    assert_eq!(s.spent, wei(100_000));
}

#[test]
fn a_category_minimum_the_floors_of_a_shared_group_leave_no_room_for_is_met_as_far_as_it_can_be() {
    // Device 1 shares a 50 % group with dapp 2, whose floor is 40 %: the
    // devices' 30 % minimum can get at most the 10 % left in the group.
    let mut policy = Policy::default();
    policy.group_caps.insert("acme".into(), Limit::Share(bps(5000)));
    policy.categories.insert(Category::DeviceProgram, CategoryBounds { min: Some(bps(3000)), max: None });
    let mut device = cand(1, Category::DeviceProgram, 1);
    device.group = Some("acme".into());
    let mut floored = dapp(2, 1);
    floored.group = Some("acme".into());
    floored.floor = Some(Limit::Share(bps(4000)));
    let p = problem(1000, vec![device, floored, dapp(3, 1)], policy);
    let s = allocate(&p).expect("allocates: the minimum yields to the floor");
    assert_eq!(s.method, Method::Lp);
    assert_eq!(lines(&s), [(1, 100, Binding::GroupCap), (2, 400, Binding::Floor), (3, 500, Binding::None)]);
}

#[test]
fn category_minimums_that_one_shared_group_cannot_hold_together_are_a_clear_error() {
    // Each minimum alone fits in the 40 % group; both (60 %) do not.
    let mut policy = Policy::default();
    policy.group_caps.insert("acme".into(), Limit::Share(bps(4000)));
    for c in [Category::DeviceProgram, Category::DepinProject] {
        policy.categories.insert(c, CategoryBounds { min: Some(bps(3000)), max: None });
    }
    let mut device = cand(1, Category::DeviceProgram, 1);
    device.group = Some("acme".into());
    let mut depin = cand(2, Category::DepinProject, 1);
    depin.group = Some("acme".into());
    let e = allocate(&problem(1000, vec![device, depin, dapp(3, 1)], policy)).unwrap_err().to_string();
    assert!(e.contains("category minimums") && e.contains("group caps"), "{e}");
}

#[test]
fn budget_that_every_cap_blocks_is_unallocated() {
    let policy = Policy { recipient_cap: Some(Limit::Share(bps(1000))), ..Policy::default() };
    let s = solved(&problem(1000, vec![dapp(1, 1), dapp(2, 7)], policy));
    assert_eq!(lines(&s), [(1, 100, Binding::Cap), (2, 100, Binding::Cap)]);
    assert_eq!(s.unallocated, wei(800));
}

#[test]
fn degenerate_inputs() {
    // No votes at all.
    let s = solved(&problem(1000, vec![dapp(1, 0), dapp(2, 0)], Policy::default()));
    assert_eq!(lines(&s), [(1, 0, Binding::NoVotes), (2, 0, Binding::NoVotes)]);
    assert_eq!(s.unallocated, wei(1000));
    // No recipients.
    let s = solved(&problem(1000, vec![], Policy::default()));
    assert!(s.payouts.is_empty());
    assert_eq!(s.unallocated, wei(1000));
    // One recipient takes everything.
    let s = solved(&problem(1000, vec![dapp(7, 3)], Policy::default()));
    assert_eq!(lines(&s), [(7, 1000, Binding::None)]);
    // Zero budget.
    let s = solved(&problem(0, vec![dapp(1, 3), dapp(2, 1)], Policy::default()));
    assert!(s.payouts.iter().all(|p| p.amount.is_zero()));
    assert_eq!(s.spent, U256::ZERO);
}

#[test]
fn payouts_sum_exactly_to_a_huge_budget() {
    let budget = U256::from(10u8).pow(U256::from(27u8)) + wei(7);
    let weights = [3u128, 7, 11, 13, 1_000_000_007, 5];
    let p = Problem {
        budget,
        previous_budget: None,
        candidates: weights.iter().enumerate().map(|(i, &w)| dapp(i as u64, w)).collect(),
        policy: Policy { recipient_cap: Some(Limit::Share(bps(9000))), ..Policy::default() },
    };
    let s = allocate(&p).expect("allocates");
    assert_eq!(s.spent, budget);
    assert_eq!(s.payouts[4].amount, Bps::new(9000).expect("bps").of(budget));
    assert_eq!(s.payouts.iter().fold(U256::ZERO, |a, p| a + p.amount), budget);
}

#[test]
fn the_order_of_the_candidates_changes_nothing() {
    let mut policy = Policy { recipient_cap: Some(Limit::Share(bps(4000))), ..Policy::default() };
    policy.categories.insert(Category::Dapp, CategoryBounds { min: Some(bps(1000)), max: Some(bps(6000)) });
    let cands = vec![dapp(5, 7), cand(2, Category::DepinProject, 3), dapp(9, 7), cand(1, Category::DeviceProgram, 13)];
    let a = allocate(&problem(1_000_003, cands.clone(), policy.clone())).expect("a");
    let mut reversed = cands;
    reversed.reverse();
    let b = allocate(&problem(1_000_003, reversed, policy)).expect("b");
    assert_eq!(a, b);
    assert_eq!(a.payouts.iter().map(|p| p.id).collect::<Vec<_>>(), [1, 2, 5, 9]);
}

#[test]
fn contradictory_problems_are_refused_with_the_reason() {
    let err = |p: &Problem| match allocate(p) {
        Err(AllocError::Problem(e)) => e,
        other => panic!("expected a problem error, got {other:?}"),
    };
    assert_eq!(err(&problem(10, vec![dapp(1, 1), dapp(1, 2)], Policy::default())), ProblemError::DuplicateId(1));

    let mut stray = dapp(1, 1);
    stray.group = Some("nope".into());
    assert!(matches!(err(&problem(10, vec![stray], Policy::default())), ProblemError::UnknownGroup { id: 1, .. }));

    let mut policy = Policy::default();
    policy.categories.insert(Category::Dapp, CategoryBounds { min: Some(bps(5000)), max: Some(bps(4000)) });
    assert_eq!(err(&problem(10, vec![], policy)), ProblemError::CategoryMinAboveMax(Category::Dapp));

    let mut policy = Policy::default();
    policy.categories.insert(Category::Dapp, CategoryBounds { min: Some(bps(6000)), max: None });
    policy.categories.insert(Category::DepinProject, CategoryBounds { min: Some(bps(6000)), max: None });
    assert_eq!(err(&problem(10, vec![], policy)), ProblemError::CategoryMinsOverBudget);

    let policy = Policy { min_payout: wei(50), ..Policy::default() };
    let mut low = dapp(3, 1);
    low.floor = Some(Limit::Wei(wei(10)));
    assert_eq!(err(&problem(1000, vec![low], policy)), ProblemError::FloorBelowMinimum(3));

    let mut a = dapp(1, 1);
    a.floor = Some(Limit::Share(bps(6000)));
    let mut b = dapp(2, 1);
    b.floor = Some(Limit::Share(bps(6000)));
    let e = err(&problem(1000, vec![a, b], Policy::default()));
    assert_eq!(e, ProblemError::FloorsOverCap { what: "category dapp".into() });
    assert!(e.to_string().contains("lower the floors"));
}

#[test]
fn a_problem_round_trips_through_json_with_wei_as_decimal_text() {
    let mut policy = Policy { min_payout: wei(5), smoothing: Some(bps(2500)), ..Policy::default() };
    policy.group_caps.insert("acme".into(), Limit::Wei(wei(123_456_789_012_345_678_901_234_567)));
    let mut c = dapp(1, 340_282_366_920_938_463_463_374_607_431_768_211_455);
    c.group = Some("acme".into());
    c.previous = Some(wei(77));
    let p = Problem { previous_budget: Some(wei(1000)), ..problem(1000, vec![c], policy) };
    let json = serde_json::to_string(&p).expect("json");
    assert!(json.contains("\"340282366920938463463374607431768211455\""), "{json}");
    assert!(json.contains("\"wei\":\"123456789012345678901234567\""), "{json}");
    let back: Problem = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, p);
    assert!(serde_json::from_str::<Problem>(&json.replace("\"1000\"", "\"1e3\"")).is_err());
}

#[test]
fn smoothing_yields_to_a_group_cap_that_shrank() {
    let mut policy = Policy { smoothing: Some(bps(1000)), ..Policy::default() };
    policy.group_caps.insert("acme".into(), Limit::Share(bps(2000)));
    let member = |id, previous| {
        let mut c = dapp(id, 1);
        c.group = Some("acme".into());
        c.previous = Some(wei(previous));
        c
    };
    // Last epoch the two members had 60 %; their smoothing band would keep
    // 54 %, but the group may now take only 20 %: the band yields.
    let mut p = problem(1000, vec![member(1, 300), member(2, 300), dapp(3, 1)], policy);
    p.previous_budget = Some(wei(1000));
    let s = solved(&p);
    assert_eq!(lines(&s)[..2], [(1, 100, Binding::GroupCap), (2, 100, Binding::GroupCap)]);
    assert_eq!(s.payouts[2].amount, wei(800));
}

#[test]
fn unbound_payouts_are_exactly_proportional_at_any_scale() {
    let iotx = |n: u128| n * 10u128.pow(18);
    let s = solved(&problem(iotx(1700), vec![dapp(1, iotx(70)), dapp(2, iotx(100))], Policy::default()));
    assert_eq!(lines(&s), [(1, iotx(700), Binding::None), (2, iotx(1000), Binding::None)]);
}
