//! The problem in the solvers' terms: every amount a share of the budget
//! (budget = 1.0), every weight a share of the total vote (so a recipient's
//! vote-proportional target is its weight), each recipient's bounds merged
//! into one `[lo, hi]` box that remembers which rule set each side.
//!
//! Both solvers read this form, so they solve the same problem; the exact
//! wei bounds are kept beside the floats for the final rounding.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{U256, U512};

use crate::problem::{Limit, Problem, ProblemError};
use crate::split::Binding;
use crate::units::{Bps, Category};

/// One recipient.
#[derive(Clone, Debug)]
pub(crate) struct Leaf {
    pub id: u64,
    pub cat: usize,
    /// The votes it received, exactly.
    pub weight: U256,
    pub group: Option<usize>,
    /// Share of the total vote.
    pub w: f64,
    pub lo: f64,
    pub hi: f64,
    pub lo_wei: U256,
    /// The part of `lo_wei` that is a floor (the rest is smoothing).
    pub floor_wei: U256,
    pub hi_wei: U256,
    pub lo_rule: Binding,
    pub hi_rule: Binding,
}

impl Leaf {
    /// The level at which it reaches its cap (infinite without votes).
    pub fn saturation(&self) -> f64 {
        if self.w > 0.0 { self.hi / self.w } else { 0.0 }
    }

    /// Takes it out of the allocation (the minimum-payout rule).
    pub fn drop_out(&mut self) {
        self.w = 0.0;
        self.lo = 0.0;
        self.hi = 0.0;
        self.lo_wei = U256::ZERO;
        self.floor_wei = U256::ZERO;
        self.hi_wei = U256::ZERO;
        self.lo_rule = Binding::MinimumPayout;
        self.hi_rule = Binding::MinimumPayout;
    }
}

/// A shared cap.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub name: String,
    pub cap: f64,
    pub cap_wei: U256,
    pub members: Vec<usize>,
}

/// A category's share bounds and members.
#[derive(Clone, Debug)]
pub(crate) struct Cat {
    pub min: f64,
    pub max: f64,
    pub min_wei: U256,
    pub max_wei: U256,
    /// Members not in any group.
    pub loose: Vec<usize>,
    /// Groups whose members are all in this category.
    pub groups: Vec<usize>,
    pub members: Vec<usize>,
}

/// The normal form.
#[derive(Clone, Debug)]
pub(crate) struct Normal {
    pub budget: U256,
    /// Sorted by id, so nothing depends on the order candidates came in.
    pub leaves: Vec<Leaf>,
    pub groups: Vec<Group>,
    pub cats: Vec<Cat>,
    /// Every group lies inside one category: the bounds nest, and the
    /// closed-form solver applies.
    pub laminar: bool,
    /// The minimum payout as a share.
    pub min_payout: f64,
    /// The sum of the weights.
    pub total_weight: U256,
}

/// `a / b` as a float (b > 0).
pub(crate) fn ratio(a: U256, b: U256) -> f64 {
    f64::from(a) / f64::from(b)
}

/// `a * b / c`, rounded down, without overflow (c > 0; the result fits when
/// a <= c or b <= c, which every caller guarantees).
pub(crate) fn mul_div(a: U256, b: U256, c: U256) -> U256 {
    match a.checked_mul(b) {
        // Real budgets and stakes fit; the wide division is 5x slower.
        Some(ab) => ab / c,
        None => U256::saturating_from(U512::from(a) * U512::from(b) / U512::from(c)),
    }
}

impl Normal {
    pub fn new(p: &Problem) -> Result<Self, ProblemError> {
        let budget = p.budget;
        let policy = &p.policy;
        let mut seen = BTreeSet::new();
        for c in &p.candidates {
            if !seen.insert(c.id) {
                return Err(ProblemError::DuplicateId(c.id));
            }
        }
        let mut order: Vec<&crate::Candidate> = p.candidates.iter().collect();
        order.sort_by_key(|c| c.id);

        let total_weight = order.iter().fold(U256::ZERO, |acc, c| acc.saturating_add(c.weight));
        let share = |wei: U256| if budget.is_zero() { 0.0 } else { ratio(wei.min(budget), budget) };
        let group_ids: BTreeMap<&str, usize> =
            policy.group_caps.keys().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
        let mut groups: Vec<Group> = policy
            .group_caps
            .iter()
            .map(|(name, cap)| {
                let cap_wei = cap.wei(budget).min(budget);
                Group { name: name.clone(), cap: share(cap_wei), cap_wei, members: Vec::new() }
            })
            .collect();

        let smoothing = match (policy.smoothing, p.previous_budget) {
            (Some(s), Some(pb)) if !pb.is_zero() => Some((s, pb)),
            _ => None,
        };
        let mut leaves = Vec::with_capacity(order.len());
        for c in order {
            let group = match &c.group {
                None => None,
                Some(g) => Some(
                    *group_ids
                        .get(g.as_str())
                        .ok_or_else(|| ProblemError::UnknownGroup { id: c.id, group: g.clone() })?,
                ),
            };
            let capped = c.cap.or(policy.recipient_cap).map(|l| l.wei(budget)).filter(|&cap| cap < budget);
            let floor = c.floor.map_or(U256::ZERO, |l: Limit| l.wei(budget)).min(budget);
            if !floor.is_zero() && floor < policy.min_payout {
                return Err(ProblemError::FloorBelowMinimum(c.id));
            }
            // Smoothing compares shares of the budget, so a smaller budget
            // scales everyone down instead of making the policy infeasible.
            let band = match (smoothing, c.previous) {
                (Some((s, pb)), Some(prev)) if !prev.is_zero() => {
                    let lo = mul_div(prev, Bps::new(Bps::MAX - s.get()).map_or(U256::ZERO, |k| k.of(budget)), pb);
                    let hi = mul_div(prev, budget, pb).saturating_add(mul_div(prev, s.of(budget), pb));
                    Some((lo.min(budget), hi.min(budget)))
                }
                _ => None,
            };
            // Caps are hard; floors come before smoothing.
            let (mut hi_wei, mut hi_rule) = capped.map_or((budget, Binding::None), |cap| (cap, Binding::Cap));
            if let Some((_, s_hi)) = band {
                let s_hi = s_hi.max(floor);
                if s_hi < hi_wei {
                    (hi_wei, hi_rule) = (s_hi, Binding::Smoothing);
                }
            }
            let (mut lo_wei, mut lo_rule) = (floor, Binding::Floor);
            if let Some((s_lo, _)) = band
                && s_lo > lo_wei
            {
                (lo_wei, lo_rule) = (s_lo, Binding::Smoothing);
            }
            if lo_wei > hi_wei {
                (lo_wei, lo_rule) = (hi_wei, hi_rule);
            }
            let w = if total_weight.is_zero() { 0.0 } else { ratio(c.weight, total_weight) };
            leaves.push(Leaf {
                id: c.id,
                cat: cat_index(c.category),
                weight: c.weight,
                group,
                w,
                lo: share(lo_wei),
                hi: share(hi_wei),
                lo_wei,
                floor_wei: floor.min(lo_wei),
                hi_wei,
                lo_rule,
                hi_rule,
            });
        }

        let mut cats: Vec<Cat> = Category::ALL
            .iter()
            .map(|c| {
                let b = policy.categories.get(c).copied().unwrap_or_default();
                let min_wei = b.min.map_or(U256::ZERO, |m| m.of(budget));
                let max_wei = b.max.map_or(budget, |m| m.of(budget));
                Cat {
                    min: share(min_wei),
                    max: share(max_wei),
                    min_wei,
                    max_wei,
                    loose: Vec::new(),
                    groups: Vec::new(),
                    members: Vec::new(),
                }
            })
            .collect();
        for (c, cat) in Category::ALL.iter().zip(&cats) {
            if cat.min_wei > cat.max_wei {
                return Err(ProblemError::CategoryMinAboveMax(*c));
            }
        }
        let mins: u32 = policy.categories.values().filter_map(|b| b.min).map(|m| u32::from(m.get())).sum();
        if mins > u32::from(Bps::MAX) {
            return Err(ProblemError::CategoryMinsOverBudget);
        }

        let mut group_cats: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); groups.len()];
        for (i, l) in leaves.iter().enumerate() {
            cats[l.cat].members.push(i);
            match l.group {
                Some(g) => {
                    groups[g].members.push(i);
                    group_cats[g].insert(l.cat);
                }
                None => cats[l.cat].loose.push(i),
            }
        }
        let laminar = group_cats.iter().all(|s| s.len() <= 1);
        for (g, cs) in group_cats.iter().enumerate() {
            if let (true, Some(&c)) = (laminar, cs.first()) {
                cats[c].groups.push(g);
            }
        }
        if !laminar {
            // Groups that span categories: members stay in their category's
            // list, and only the LP sees the group rows.
            for cat in &mut cats {
                cat.loose = cat.members.clone();
            }
        }

        let mut n = Self { budget, leaves, groups, cats, laminar, min_payout: share(policy.min_payout), total_weight };
        n.fit_lower_bounds()?;
        Ok(n)
    }

    /// Floors must fit under every cap. Smoothing's lower bounds yield:
    /// where they do not fit under a group cap, a category maximum or the
    /// budget, the smoothing parts of that set are scaled down together
    /// until they do, so a shrinking cap never makes an epoch infeasible.
    fn fit_lower_bounds(&mut self) -> Result<(), ProblemError> {
        // Each set, its cap, and the rule to name where it squeezes a band.
        let sets: Vec<(String, Vec<usize>, U256, Binding)> =
            self.groups
                .iter()
                .map(|g| (format!("group `{}`", g.name), g.members.clone(), g.cap_wei, Binding::GroupCap))
                .chain(
                    Category::ALL.iter().zip(&self.cats).map(|(c, cat)| {
                        (format!("category {c}"), cat.members.clone(), cat.max_wei, Binding::CategoryMax)
                    }),
                )
                .chain(std::iter::once((
                    "the budget".to_owned(),
                    (0..self.leaves.len()).collect(),
                    self.budget,
                    Binding::Smoothing,
                )))
                .collect();
        for (what, members, cap, rule) in sets {
            let (floors, lows) = members
                .iter()
                .fold((U256::ZERO, U256::ZERO), |(f, l), &i| (f + self.leaves[i].floor_wei, l + self.leaves[i].lo_wei));
            if floors > cap {
                return Err(ProblemError::FloorsOverCap { what });
            }
            if lows > cap {
                let (room, excess) = (cap - floors, lows - floors);
                for &i in &members {
                    let l = &mut self.leaves[i];
                    if l.lo_wei > l.floor_wei {
                        l.lo_rule = rule;
                    }
                    l.lo_wei = l.floor_wei + mul_div(l.lo_wei - l.floor_wei, room, excess);
                    l.lo = if self.budget.is_zero() { 0.0 } else { ratio(l.lo_wei, self.budget) };
                }
            }
        }
        let need = self.cats.iter().fold(U256::ZERO, |a, cat| {
            a + cat.members.iter().fold(U256::ZERO, |f, &i| f + self.leaves[i].lo_wei).max(cat.min_wei)
        });
        if need > self.budget {
            return Err(ProblemError::FloorsOverCap { what: "the budget (with the category minimums)".into() });
        }
        Ok(())
    }

    /// The highest level anyone can use: above it every recipient with votes
    /// sits at its cap.
    pub fn top_level(&self) -> f64 {
        self.leaves.iter().map(Leaf::saturation).fold(0.0, f64::max)
    }
}

/// Position of a category in `Category::ALL`.
pub(crate) fn cat_index(c: Category) -> usize {
    Category::ALL.iter().position(|x| *x == c).unwrap_or(0)
}
