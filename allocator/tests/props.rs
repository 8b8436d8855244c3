//! Property tests on random problems: the closed form and the LP agree,
//! the order of the candidates changes nothing, and every split keeps every
//! bound to the wei.

use std::collections::BTreeMap;

use iodao_allocator::{
    AllocError, Binding, Bps, Candidate, Category, CategoryBounds, Limit, Method, Policy, Problem, Split, U256,
    allocate, allocate_with,
};
use proptest::prelude::*;

fn bps(n: u16) -> Bps {
    Bps::new(n).expect("bps")
}

fn category() -> impl Strategy<Value = Category> {
    prop::sample::select(Category::ALL.to_vec())
}

/// The ranges a candidate is drawn from, as shares of the budget in basis
/// points: a handful of recipients (`FEW`) or a few hundred (`HUNDREDS`).
#[derive(Clone)]
struct Ranges {
    /// In how many draws of one more than this the weight is nonzero.
    voted: u32,
    cap: std::ops::RangeInclusive<u16>,
    floor_odds: f64,
    floor: std::ops::RangeInclusive<u16>,
    /// The previous payout, in units of 10^`previous_exp` wei.
    previous: std::ops::Range<u64>,
    previous_exp: u8,
}

const FEW: Ranges =
    Ranges { voted: 6, cap: 300..=10_000, floor_odds: 0.15, floor: 50..=800, previous: 1..1_000_000, previous_exp: 18 };

/// Bounds scaled to shares near 1/300 (floors at or above any minimum
/// payout `large_problem` sets).
const HUNDREDS: Ranges =
    Ranges { voted: 8, cap: 20..=300, floor_odds: 0.05, floor: 30..=60, previous: 1..8_000, previous_exp: 17 };

prop_compose! {
    fn candidate(id: u64, r: Ranges)(
        category in category(),
        weight in prop_oneof![1 => Just(0u64), r.voted => 1u64..1_000_000],
        cap in prop::option::weighted(0.3, r.cap.clone()),
        floor in prop::option::weighted(r.floor_odds, r.floor.clone()),
        grouped in prop::bool::weighted(0.3),
        previous in prop::option::weighted(0.3, r.previous.clone()),
    ) -> Candidate {
        Candidate {
            id,
            category,
            weight: U256::from(weight),
            cap: cap.map(|c| Limit::Share(bps(c))),
            floor: floor.map(|f| Limit::Share(bps(f))),
            // One group per category, so the bounds nest.
            group: grouped.then(|| format!("g-{category}")),
            previous: previous.map(|p| U256::from(p) * U256::from(10u64).pow(U256::from(r.previous_exp))),
        }
    }
}

fn bounds() -> impl Strategy<Value = CategoryBounds> {
    (prop::option::weighted(0.4, 0u16..=3000), prop::option::weighted(0.4, 1000u16..=10_000))
        .prop_map(|(min, max)| CategoryBounds { min: min.map(bps), max: max.map(bps) })
}

prop_compose! {
    fn problem()(
        n in 1usize..=9,
        ids in prop::collection::btree_set(0u64..1000, 9),
        seeds in prop::collection::vec(any::<u64>(), 9),
        cat_bounds in prop::collection::vec(bounds(), 3),
        recipient_cap in prop::option::weighted(0.3, 1000u16..=10_000),
        min_payout_bps in prop_oneof![2 => Just(0u16), 1 => 1u16..400],
        smoothing in prop::option::weighted(0.3, 500u16..=5000),
        group_caps in prop::collection::vec(1000u16..=6000, 3),
        budget_extra in 0u64..1_000_000_007,
    )(
        candidates in ids.into_iter().take(n).map(|id| candidate(id, FEW)).collect::<Vec<_>>(),
        cat_bounds in Just(cat_bounds),
        recipient_cap in Just(recipient_cap),
        min_payout_bps in Just(min_payout_bps),
        smoothing in Just(smoothing),
        group_caps in Just(group_caps),
        budget_extra in Just(budget_extra),
        _seeds in Just(seeds),
    ) -> Problem {
        let budget = U256::from(10u64).pow(U256::from(24u8)) + U256::from(budget_extra);
        let categories: BTreeMap<Category, CategoryBounds> = Category::ALL.into_iter().zip(cat_bounds).collect();
        let policy = Policy {
            categories,
            recipient_cap: recipient_cap.map(|c| Limit::Share(bps(c))),
            min_payout: bps(min_payout_bps).of(budget),
            smoothing: smoothing.map(bps),
            group_caps: Category::ALL.iter().zip(group_caps).map(|(c, g)| (format!("g-{c}"), Limit::Share(bps(g)))).collect(),
        };
        Problem { budget, previous_budget: Some(budget), candidates, policy }
    }
}

prop_compose! {
    /// A few hundred recipients (the LP method used to be too slow for
    /// these in a property test).
    fn large_problem()(n in 200usize..=400)(
        candidates in (0..n as u64).map(|i| candidate(3 * i + 1, HUNDREDS)).collect::<Vec<_>>(),
        cat_bounds in prop::collection::vec(bounds(), 3),
        recipient_cap in prop::option::weighted(0.3, 30u16..=500),
        min_payout_bps in prop_oneof![2 => Just(0u16), 1 => 1u16..30],
        smoothing in prop::option::weighted(0.3, 500u16..=5000),
        group_caps in prop::collection::vec(300u16..=4000, 3),
    ) -> Problem {
        let budget = U256::from(10u64).pow(U256::from(24u8));
        let policy = Policy {
            categories: Category::ALL.into_iter().zip(cat_bounds).collect(),
            recipient_cap: recipient_cap.map(|c| Limit::Share(bps(c))),
            min_payout: bps(min_payout_bps).of(budget),
            smoothing: smoothing.map(bps),
            group_caps: Category::ALL.iter().zip(group_caps).map(|(c, g)| (format!("g-{c}"), Limit::Share(bps(g)))).collect(),
        };
        Problem { budget, previous_budget: Some(budget), candidates, policy }
    }
}

/// Solves, or says the problem contradicts itself (which the generator may
/// produce: floors over caps and the like).
fn solve(p: &Problem, m: Method) -> Option<Split> {
    match allocate_with(p, m) {
        Ok(s) => Some(s),
        Err(AllocError::Problem(_)) => None,
        Err(e) => panic!("{m:?} failed: {e}"),
    }
}

fn check_bounds(p: &Problem, s: &Split) {
    let b = p.budget;
    assert_eq!(s.spent + s.unallocated, b);
    assert_eq!(s.payouts.iter().fold(U256::ZERO, |a, x| a + x.amount), s.spent);
    let by_id: BTreeMap<u64, &Candidate> = p.candidates.iter().map(|c| (c.id, c)).collect();
    let mut per_cat: BTreeMap<Category, U256> = BTreeMap::new();
    let mut per_group: BTreeMap<String, U256> = BTreeMap::new();
    for x in &s.payouts {
        let c = by_id[&x.id];
        if let Some(cap) = c.cap.or(p.policy.recipient_cap) {
            assert!(x.amount <= cap.wei(b), "recipient {} over its cap", x.id);
        }
        if let Some(floor) = c.floor
            && x.binding != Binding::MinimumPayout
            && x.binding != Binding::Smoothing
        {
            let cap = c.cap.or(p.policy.recipient_cap).map_or(b, |l| l.wei(b));
            assert!(x.amount >= floor.wei(b).min(cap), "recipient {} under its floor", x.id);
        }
        if !x.amount.is_zero() {
            assert!(x.amount + U256::from(2u8) >= p.policy.min_payout, "recipient {} under the minimum payout", x.id);
        }
        *per_cat.entry(c.category).or_default() += x.amount;
        if let Some(g) = &c.group {
            *per_group.entry(g.clone()).or_default() += x.amount;
        }
    }
    for (cat, total) in per_cat {
        if let Some(max) = p.policy.categories.get(&cat).and_then(|c| c.max) {
            assert!(total <= max.of(b), "category {cat} over its maximum");
        }
    }
    for (g, total) in per_group {
        assert!(total <= p.policy.group_caps[&g].wei(b), "group {g} over its cap");
    }
}

proptest! {
    // 256 cases by default; PROPTEST_CASES=20000 for a longer search.
    #[test]
    fn closed_form_and_lp_agree(p in problem()) {
        let Some(fast) = solve(&p, Method::ClosedForm) else { return Ok(()) };
        let lp = solve(&p, Method::Lp).expect("the LP accepts what the closed form accepts");
        let tolerance = p.budget / U256::from(1_000_000_000u64);
        for (a, b) in fast.payouts.iter().zip(&lp.payouts) {
            prop_assert_eq!(a.id, b.id);
            let diff = if a.amount > b.amount { a.amount - b.amount } else { b.amount - a.amount };
            prop_assert!(diff <= tolerance, "recipient {}: closed form {} vs LP {} ({:?} / {:?})", a.id, a.amount, b.amount, a.binding, b.binding);
        }
        check_bounds(&p, &fast);
        check_bounds(&p, &lp);
    }

    #[test]
    fn the_order_of_candidates_changes_nothing(p in problem(), rotate in 0usize..9) {
        let Ok(a) = allocate(&p) else { return Ok(()) };
        let mut q = p.clone();
        let k = rotate % q.candidates.len();
        q.candidates.rotate_left(k);
        let last = q.candidates.len() - 1;
        q.candidates.swap(0, last);
        prop_assert_eq!(allocate(&q).expect("same problem"), a);
    }

    #[test]
    fn unbound_recipients_of_a_category_are_paid_in_proportion_to_their_votes(p in problem()) {
        let Ok(s) = allocate(&p) else { return Ok(()) };
        let weight: BTreeMap<u64, U256> = p.candidates.iter().map(|c| (c.id, c.weight)).collect();
        let group: BTreeMap<u64, Option<String>> = p.candidates.iter().map(|c| (c.id, c.group.clone())).collect();
        let free: Vec<_> = s.payouts.iter().filter(|x| x.binding == Binding::None).collect();
        for a in &free {
            for b in &free {
                if a.category != b.category || group[&a.id] != group[&b.id] {
                    continue;
                }
                // amount_a / w_a == amount_b / w_b, to the rounding.
                let lhs = a.amount * weight[&b.id];
                let rhs = b.amount * weight[&a.id];
                let diff = if lhs > rhs { lhs - rhs } else { rhs - lhs };
                // Each amount is its exact share rounded down, plus at most
                // one wei of the remainder.
                let slack = weight[&a.id] + weight[&b.id];
                prop_assert!(diff <= slack, "{} and {} are not proportional", a.id, b.id);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn closed_form_and_lp_agree_at_a_few_hundred_recipients(p in large_problem()) {
        let Some(fast) = solve(&p, Method::ClosedForm) else { return Ok(()) };
        let lp = solve(&p, Method::Lp).expect("the LP accepts what the closed form accepts");
        let tolerance = p.budget / U256::from(1_000_000_000u64);
        for (a, b) in fast.payouts.iter().zip(&lp.payouts) {
            let diff = if a.amount > b.amount { a.amount - b.amount } else { b.amount - a.amount };
            prop_assert!(diff <= tolerance, "recipient {}: closed form {} vs LP {} ({:?} / {:?})", a.id, a.amount, b.amount, a.binding, b.binding);
        }
        check_bounds(&p, &lp);
    }
}
