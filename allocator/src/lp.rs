//! The general solver: progressive filling as a sequence of LPs (good_lp on
//! microlp, pure Rust). It handles any bound structure, including groups
//! that span categories, and is the reference the closed form is tested
//! against.
//!
//! The LPs are written over recipient classes, not recipients. Recipients
//! with votes that share their group (or none) and their category are in
//! exactly the same rows (the budget row is everyone's), so only their sum
//! `X_C` matters to the rows. At level `t` a rising member `i` gets at
//! least `clamp(w_i·t, lo_i, hi_i)` — a member whose own cap is below the
//! level sits at its cap, which is progressive filling's freeze at its own
//! cap — and at most `hi_i`; so `X_C` ranges over `[L_C(t), H_C]` with
//! `L_C(t) = Σ clamp(w_i·t, lo_i, hi_i)` (non-decreasing, piecewise linear,
//! breaking at `lo_i/w_i` and `hi_i/w_i`) and `H_C = Σ hi_i`. The
//! projection is exact: any class sums in those ranges split back into
//! member payouts in their ranges, so the LPs have one variable per class
//! and no row per recipient, and a round no longer ends at every
//! recipient's own cap.
//!
//! Each round:
//! 1. The highest level. Feasibility at a fixed `t` (no `t` variable) is
//!    monotone in `t`; a binary search over the rising members'
//!    breakpoints finds the last feasible one, `b_k`. On `[b_k, b_{k+1}]`
//!    every `L_C` is linear (`α_C + β_C·t`), so one LP maximising `t` over
//!    that segment (`X_C − β_C·t >= α_C`) finishes it exactly. A
//!    feasibility test that arithmetic settles (a class's range empty, a
//!    row over its bound with every class at its lowest, or every row met
//!    there) takes no LP.
//! 2. The freeze: one LP maximising `Σ X_C` with every class at or above
//!    `L_C(t*)` finds most classes that can rise. Of those that look
//!    stuck, arithmetic settles most: a class can rise alone by its rows'
//!    room at a point with every class as low as it can be (the lower
//!    bounds, or one LP minimising `Σ X_C` when they miss a row's
//!    minimum), and a class is held by its cap or by a row with no room
//!    left with every class at its lowest. One LP per class settles the
//!    rest (a solution that lifts another class shows that one can rise
//!    too). A stuck class freezes every member at `clamp(w_i·t*, lo_i,
//!    hi_i)`. An LP that only maximised `t`, or
//!    minimised a distance to the targets, would leave the surplus wherever
//!    the solver's pivoting put it; freezing decides every payout by the
//!    fairness rule instead.
//!
//! Class bounds are variable bounds, and so is a row left with one rising
//! class; rows left with none are settled.

use std::collections::BTreeMap;

use good_lp::{Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable, microlp, variable};
use serde::Serialize;

use crate::normal::Normal;
use crate::problem::Problem;
use crate::split::AllocError;

/// Tolerance for "cannot rise", in shares of the budget.
const FREEZE_TOL: f64 = 1e-10;

/// How far below the level a rising recipient's part of its class's lower
/// bound is set, so the level's own rounding (and the rounding of the
/// class's sum) cannot make the round infeasible. A class gets this once
/// per member, so the others' room adds up to at most `n` times this, well
/// under `FREEZE_TOL`.
const LEVEL_SLACK: f64 = 1e-15;

/// Room given to a row for the rounding in its frozen part.
const ROW_SLACK: f64 = 1e-13;

/// How far a bound may be missed and still count as met when arithmetic
/// rather than an LP decides feasibility: microlp's own tolerance (its
/// `EPS`). The frozen parts' rounding can add up over the rounds to more
/// than `ROW_SLACK`; microlp absorbs that, and a test stricter than the
/// LPs would stop a level where the LP that finishes it does not.
const FEASIBLE_TOL: f64 = 1e-10;

/// Why the LP failed (a solver failure: the problem was validated).
#[derive(Debug, thiserror::Error)]
#[error("the LP solver failed: {0}")]
pub struct LpError(String);

impl From<ResolutionError> for LpError {
    fn from(e: ResolutionError) -> Self {
        Self(e.to_string())
    }
}

/// `min <= Σ coefs[k]·x[vars[k]] <= max`.
#[derive(Clone, Debug, Serialize)]
pub struct LpRow {
    /// Variable indices.
    pub vars: Vec<usize>,
    /// Their coefficients.
    pub coefs: Vec<f64>,
    /// Lower side (None: unbounded).
    pub min: Option<f64>,
    /// Upper side (None: unbounded).
    pub max: Option<f64>,
}

/// What an LP of the method is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LpKind {
    /// Is a fixed level feasible (objective zero)?
    Feasible,
    /// The highest level on a segment where every class's lower bound is
    /// linear in it (the last variable is the level).
    Level,
    /// Every class as high as it goes together.
    Rise,
    /// One class as high as it goes.
    RiseOne,
    /// Every class as low as it goes together, the rows' minimums met.
    Lowest,
}

/// One LP of the method as plain data: maximise `objective·x` over
/// `lo <= x <= hi` and the rows. Payouts are shares of the budget.
/// Published so other solvers can be measured on exactly the formulation
/// this crate solves.
#[derive(Clone, Debug, Serialize)]
pub struct SparseLp {
    /// What it is for.
    pub kind: LpKind,
    /// Objective coefficients (maximised).
    pub objective: Vec<f64>,
    /// Lower bounds.
    pub lo: Vec<f64>,
    /// Upper bounds.
    pub hi: Vec<f64>,
    /// Group, category and budget rows, and the level rows.
    pub rows: Vec<LpRow>,
    /// The optimum microlp found, None if it found the LP infeasible (set
    /// when the method kept it).
    pub optimum: Option<f64>,
}

impl SparseLp {
    fn new(kind: LpKind, objective: Vec<f64>, lo: Vec<f64>, hi: Vec<f64>, rows: Vec<LpRow>) -> Self {
        Self { kind, objective, lo, hi, rows, optimum: None }
    }

    /// Solves it with microlp: a solution, or None if it is infeasible.
    pub fn solve(&self) -> Result<Option<Vec<f64>>, LpError> {
        let mut vars = ProblemVariables::new();
        let x: Vec<Variable> =
            self.lo.iter().zip(&self.hi).map(|(&lo, &hi)| vars.add(variable().min(lo).max(hi))).collect();
        let objective: Expression =
            self.objective.iter().zip(&x).filter(|(c, _)| **c != 0.0).map(|(&c, &v)| c * v).sum();
        let mut model = vars.maximise(objective).using(microlp);
        for r in &self.rows {
            let e: Expression = r.vars.iter().zip(&r.coefs).map(|(&v, &c)| c * x[v]).sum();
            if let Some(min) = r.min {
                model = model.with(e.clone().geq(min));
            }
            if let Some(max) = r.max {
                model = model.with(e.leq(max));
            }
        }
        match model.solve() {
            Ok(s) => Ok(Some(x.iter().map(|&v| s.value(v)).collect())),
            Err(ResolutionError::Infeasible) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The objective's value at `x`.
    fn value(&self, x: &[f64]) -> f64 {
        self.objective.iter().zip(x).map(|(c, v)| c * v).sum()
    }
}

/// Solves the method's LPs, keeping them if asked.
struct Lps<'a> {
    kept: Option<&'a mut Vec<SparseLp>>,
}

impl Lps<'_> {
    fn solve(&mut self, lp: SparseLp) -> Result<Option<Vec<f64>>, LpError> {
        let x = lp.solve()?;
        if let Some(kept) = self.kept.as_deref_mut() {
            let optimum = x.as_deref().map(|x| lp.value(x));
            kept.push(SparseLp { optimum, ..lp });
        }
        Ok(x)
    }
}

/// A sum row over classes: `min <= fixed + Σ X_C <= max`.
struct ClassRow {
    classes: Vec<usize>,
    /// The payouts of its recipients without votes.
    fixed: f64,
    min: Option<f64>,
    max: f64,
}

/// The recipients with votes by class, and the rows over the classes.
struct Classes {
    /// Each class's members (leaf indices, ascending).
    members: Vec<Vec<usize>>,
    rows: Vec<ClassRow>,
}

impl Classes {
    fn new(n: &Normal, cat_min: &[f64]) -> Self {
        let key = |i: usize| (n.leaves[i].group, n.leaves[i].cat);
        let rising = |i: &usize| n.leaves[*i].w > 0.0;
        let mut index: BTreeMap<(Option<u32>, u8), usize> = BTreeMap::new();
        for i in (0..n.leaves.len()).filter(rising) {
            index.insert(key(i), 0);
        }
        for (c, slot) in index.values_mut().enumerate() {
            *slot = c;
        }
        let mut members = vec![Vec::new(); index.len()];
        let mut class_of = vec![usize::MAX; n.leaves.len()];
        for i in (0..n.leaves.len()).filter(rising) {
            class_of[i] = index[&key(i)];
            members[class_of[i]].push(i);
        }
        let mut rows = Vec::new();
        let mut row = |leaves: &mut dyn Iterator<Item = usize>, min: Option<f64>, max: f64| {
            let (mut classes, mut fixed) = (Vec::new(), 0.0);
            for i in leaves {
                match class_of[i] {
                    usize::MAX => fixed += n.leaves[i].lo,
                    c => classes.push(c),
                }
            }
            classes.sort_unstable();
            classes.dedup();
            rows.push(ClassRow { classes, fixed, min: min.filter(|&m| m > 0.0), max });
        };
        for g in &n.groups {
            row(&mut g.members.iter().copied(), None, g.cap);
        }
        for (c, cat) in n.cats.iter().enumerate() {
            row(&mut cat.members.iter().copied(), Some(cat_min[c]), cat.max);
        }
        row(&mut (0..n.leaves.len()), None, 1.0);
        Self { members, rows }
    }
}

/// One round's classes and rows: variable `v` is class `rising[v]`.
struct Round<'a> {
    n: &'a Normal,
    classes: &'a Classes,
    rising: Vec<usize>,
    /// The members' floors, raised by rows the class alone is left in.
    floor: Vec<f64>,
    /// The members' caps, lowered by rows the class alone is left in.
    upper: Vec<f64>,
    /// How far below `L_C` its lower bound is set (`LEVEL_SLACK` a member).
    slack: Vec<f64>,
    /// Rows with two or more rising classes, over the variables.
    rows: Vec<LpRow>,
}

impl<'a> Round<'a> {
    fn new(n: &'a Normal, classes: &'a Classes, frozen: &[Option<f64>]) -> Self {
        let rising: Vec<usize> = (0..classes.members.len()).filter(|&c| frozen[c].is_none()).collect();
        let mut var_of = vec![usize::MAX; classes.members.len()];
        for (v, &c) in rising.iter().enumerate() {
            var_of[c] = v;
        }
        let sum = |c: usize, f: fn(&crate::normal::Leaf) -> f64| -> f64 {
            classes.members[c].iter().map(|&i| f(&n.leaves[i])).sum()
        };
        let mut floor: Vec<f64> = rising.iter().map(|&c| sum(c, |l| l.lo)).collect();
        let mut upper: Vec<f64> = rising.iter().map(|&c| sum(c, |l| l.hi)).collect();
        let slack = rising.iter().map(|&c| LEVEL_SLACK * classes.members[c].len() as f64).collect();
        let mut rows = Vec::new();
        for r in &classes.rows {
            let (mut vars, mut constant) = (Vec::new(), r.fixed);
            for &c in &r.classes {
                match frozen[c] {
                    None => vars.push(var_of[c]),
                    Some(f) => constant += f,
                }
            }
            // A row's constant part comes from frozen payouts, which carry
            // the solver's rounding: rows get that much room.
            let min = r.min.map(|m| m - constant - ROW_SLACK);
            let max = r.max - constant + ROW_SLACK;
            match vars[..] {
                [] => {}
                [v] => {
                    floor[v] = min.map_or(floor[v], |m| floor[v].max(m));
                    upper[v] = upper[v].min(max);
                }
                _ => rows.push(LpRow { coefs: vec![1.0; vars.len()], vars, min, max: Some(max) }),
            }
        }
        // A row's floor above another's cap, with only this class left in
        // both, is the rounding of the frozen parts (the problem was
        // validated): the cap wins.
        for (f, u) in floor.iter_mut().zip(&upper) {
            *f = f.min(*u);
        }
        Self { n, classes, rising, floor, upper, slack, rows }
    }

    /// `L_C(t)` of each rising class.
    fn level_sums(&self, t: f64) -> Vec<f64> {
        let n = self.n;
        self.rising.iter().map(|&c| self.classes.members[c].iter().map(|&i| paid(&n.leaves[i], t)).sum()).collect()
    }

    /// The lower bounds at level sums `l`.
    fn lower(&self, l: &[f64]) -> Vec<f64> {
        (0..l.len()).map(|v| (l[v] - self.slack[v]).max(self.floor[v])).collect()
    }

    /// Whether every class can be at or above level `t`.
    fn feasible(&self, lps: &mut Lps<'_>, t: f64) -> Result<bool, LpError> {
        let mut lower = self.lower(&self.level_sums(t));
        for (l, &u) in lower.iter_mut().zip(&self.upper) {
            if *l > u + FEASIBLE_TOL {
                return Ok(false);
            }
            *l = l.min(u);
        }
        let at_lowest = |r: &LpRow| r.vars.iter().map(|&v| lower[v]).sum::<f64>();
        let mut all_met = true;
        for r in &self.rows {
            let s = at_lowest(r);
            if r.max.is_some_and(|m| s > m + FEASIBLE_TOL) {
                return Ok(false);
            }
            all_met &= r.min.is_none_or(|m| s >= m - FEASIBLE_TOL);
        }
        if all_met {
            return Ok(true);
        }
        let lp = SparseLp::new(LpKind::Feasible, vec![0.0; lower.len()], lower, self.upper.clone(), self.rows.clone());
        Ok(lps.solve(lp)?.is_some())
    }

    /// The highest level from `from` on at which every class can be at or
    /// above its lower bound.
    fn max_level(&self, lps: &mut Lps<'_>, from: f64, top: f64) -> Result<f64, LpError> {
        let n = self.n;
        let mut points = vec![from];
        for &c in &self.rising {
            for &i in &self.classes.members[c] {
                let l = &n.leaves[i];
                points.extend([l.lo / l.w, l.hi / l.w].into_iter().filter(|&b| b > from && b < top));
            }
        }
        points.push(top);
        radsort::sort(&mut points);
        points.dedup();
        if self.feasible(lps, top)? {
            return Ok(top);
        }
        // `points[a]` is feasible (the last round's level, or the floors
        // at 0), `points[b]` is not.
        let (mut a, mut b) = (0, points.len() - 1);
        while b - a > 1 {
            let mid = a + (b - a) / 2;
            if self.feasible(lps, points[mid])? {
                a = mid;
            } else {
                b = mid;
            }
        }
        let (start, end) = (points[a], points[b]);
        if start >= end {
            return Ok(start);
        }
        // Between two breakpoints each member is at its floor, at its cap
        // or at `w_i·t` throughout: `L_C(t) = α_C + β_C·t`.
        let mid = 0.5 * (start + end);
        let m = self.rising.len();
        let (mut lo, mut hi) = (self.floor.clone(), self.upper.clone());
        let mut rows = self.rows.clone();
        for (v, &c) in self.rising.iter().enumerate() {
            let (mut alpha, mut beta) = (0.0, 0.0);
            for &i in &self.classes.members[c] {
                let l = &n.leaves[i];
                if l.w * mid <= l.lo {
                    alpha += l.lo;
                } else if l.w * mid >= l.hi {
                    alpha += l.hi;
                } else {
                    beta += l.w;
                }
            }
            if beta > 0.0 {
                rows.push(LpRow {
                    vars: vec![v, m],
                    coefs: vec![1.0, -beta],
                    min: Some(alpha - self.slack[v]),
                    max: None,
                });
            } else {
                lo[v] = lo[v].max(alpha - self.slack[v]);
            }
            if lo[v] > hi[v] + FEASIBLE_TOL {
                return Ok(start);
            }
            lo[v] = lo[v].min(hi[v]);
        }
        lo.push(start);
        hi.push(end);
        let mut objective = vec![0.0; m];
        objective.push(1.0);
        let lp = SparseLp::new(LpKind::Level, objective, lo, hi, rows);
        // Infeasible only through rounding at `start` itself.
        Ok(lps.solve(lp)?.map_or(start, |x| x[m].clamp(start, end)))
    }

    /// The classes that cannot rise above level sums `l` while every class
    /// stays at or above them (as variables); never none.
    fn stuck(&self, lps: &mut Lps<'_>, l: &[f64]) -> Result<Vec<usize>, LpError> {
        let m = l.len();
        let lower: Vec<f64> = self.lower(l).iter().zip(&self.upper).map(|(lo, hi)| lo.min(*hi)).collect();
        let lp = |kind, objective| SparseLp::new(kind, objective, lower.clone(), self.upper.clone(), self.rows.clone());
        let infeasible = || LpError("the round's level is infeasible".into());
        let all = lps.solve(lp(LpKind::Rise, vec![1.0; m]))?.ok_or_else(infeasible)?;
        // The most each class was seen to take, above its level sum.
        let mut room: Vec<f64> = (0..m).map(|v| all[v] - l[v]).collect();

        // Two certificates that need no LP. From a point where every class
        // is as low as it can be, a class can rise alone by its rows' and
        // its cap's room there. And a class is held at its level sum by
        // its cap, or by a row whose room with everyone at their lowest is
        // no more than its own.
        let mut rows_of = vec![Vec::new(); m];
        for (k, r) in self.rows.iter().enumerate() {
            for &v in &r.vars {
                rows_of[v].push(k);
            }
        }
        let sums = |x: &[f64]| -> Vec<f64> { self.rows.iter().map(|r| r.vars.iter().map(|&v| x[v]).sum()).collect() };
        let at_lower = sums(&lower);
        let meets = self.rows.iter().zip(&at_lower).all(|(r, &s)| {
            r.min.is_none_or(|mn| s >= mn - FEASIBLE_TOL) && r.max.is_none_or(|mx| s <= mx + FEASIBLE_TOL)
        });
        let low =
            if meets { lower.clone() } else { lps.solve(lp(LpKind::Lowest, vec![-1.0; m]))?.ok_or_else(infeasible)? };
        let at_low = sums(&low);
        let row_room = |v: usize, at: &[f64], own: f64| {
            rows_of[v].iter().filter_map(|&k| self.rows[k].max.map(|mx| mx - at[k] + own)).fold(f64::INFINITY, f64::min)
        };
        for v in 0..m {
            let alone = self.upper[v].min(row_room(v, &at_low, low[v]));
            room[v] = room[v].max(alone - l[v]);
        }
        let held = |v: usize| self.upper[v].min(row_room(v, &at_lower, lower[v])) <= l[v] + FREEZE_TOL;

        let mut frozen = Vec::new();
        for v in 0..m {
            if room[v] > FREEZE_TOL {
                continue;
            }
            if !held(v) {
                let mut objective = vec![0.0; m];
                objective[v] = 1.0;
                let best = lps.solve(lp(LpKind::RiseOne, objective))?.ok_or_else(infeasible)?;
                for (r, (b, lv)) in room.iter_mut().zip(best.iter().zip(l)) {
                    *r = r.max(b - lv);
                }
            }
            if room[v] <= FREEZE_TOL {
                frozen.push(v);
            }
        }
        if frozen.is_empty() {
            // The level cannot rise, yet the solver's rounding hides who is
            // stuck: freeze the class with the least room, so each round
            // makes progress.
            let least = (0..m).min_by(|&a, &b| room[a].total_cmp(&room[b])).unwrap_or(0);
            frozen.push(least);
        }
        Ok(frozen)
    }
}

/// What a recipient is paid at level `t`.
fn paid(l: &crate::normal::Leaf, t: f64) -> f64 {
    (l.w * t).clamp(l.lo, l.hi)
}

/// The most a category's recipients can take under their own and their
/// groups' caps (a minimum above it is met as far as it can be).
fn attainable(n: &Normal, c: usize) -> f64 {
    let cap_of = |i: usize| {
        let l = &n.leaves[i];
        if l.w > 0.0 { l.hi } else { l.lo }
    };
    let mut total: f64 = 0.0;
    let mut grouped = vec![false; n.leaves.len()];
    for g in &n.groups {
        let mut s = 0.0;
        for &i in &g.members {
            grouped[i] = true;
            if usize::from(n.leaves[i].cat) == c {
                s += cap_of(i);
            }
        }
        total += s.min(g.cap);
    }
    for i in n.cats[c].members.iter().copied().filter(|&i| !grouped[i]) {
        total += cap_of(i);
    }
    total
}

/// Each category's minimum, as far as its recipients can take it.
fn category_minimums(n: &Normal) -> Vec<f64> {
    (0..n.cats.len()).map(|c| n.cats[c].min.min(attainable(n, c))).collect()
}

/// What the filling did.
pub(crate) struct Filled {
    /// Payouts as shares of the budget, one per leaf (0 for a recipient
    /// still rising when the rounds ran out).
    pub x: Vec<f64>,
    /// Rounds run (the tests check it).
    #[cfg_attr(not(test), expect(dead_code))]
    pub rounds: usize,
}

/// Progressive filling for at most `max_rounds` rounds, keeping the LPs it
/// solves in `kept` if given.
pub(crate) fn fill(n: &Normal, kept: Option<&mut Vec<SparseLp>>, max_rounds: usize) -> Result<Filled, LpError> {
    let mut x: Vec<f64> = n.leaves.iter().map(|l| if l.w > 0.0 { 0.0 } else { l.lo }).collect();
    let classes = Classes::new(n, &category_minimums(n));
    // Each class's frozen sum.
    let mut frozen: Vec<Option<f64>> = vec![None; classes.members.len()];
    let mut lps = Lps { kept };
    let (top, mut level, mut rounds) = (n.top_level(), 0.0, 0);
    while rounds < max_rounds && frozen.iter().any(Option::is_none) {
        rounds += 1;
        let round = Round::new(n, &classes, &frozen);
        level = round.max_level(&mut lps, level, top)?;
        let l = round.level_sums(level);
        for v in round.stuck(&mut lps, &l)? {
            let c = round.rising[v];
            for &i in &classes.members[c] {
                x[i] = paid(&n.leaves[i], level);
            }
            frozen[c] = Some(classes.members[c].iter().map(|&i| x[i]).sum());
        }
    }
    Ok(Filled { x, rounds })
}

/// Payouts as shares of the budget, one per leaf.
pub(crate) fn solve(n: &Normal) -> Result<Vec<f64>, LpError> {
    Ok(fill(n, None, usize::MAX)?.x)
}

/// Every LP the first round of the LP method solves, in order, each with
/// the optimum microlp found: to measure other solvers on exactly the
/// formulation this crate solves.
pub fn first_round_lps(problem: &Problem) -> Result<Vec<SparseLp>, AllocError> {
    let mut kept = Vec::new();
    fill(&Normal::new(problem)?, Some(&mut kept), 1)?;
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;
    use proptest::prelude::*;

    use super::*;
    use crate::fast::Layout;
    use crate::problem::{Candidate, Limit, Policy};
    use crate::units::{Bps, Category};

    fn dapp(id: u64, weight: u64, cap_bps: Option<u16>) -> Candidate {
        Candidate {
            id,
            category: Category::Dapp,
            weight: U256::from(weight),
            cap: cap_bps.map(|b| Limit::Share(Bps::new(b).expect("bps"))),
            floor: None,
            group: None,
            previous: None,
        }
    }

    #[test]
    fn a_class_whose_members_stop_at_their_own_caps_at_different_levels_is_settled_in_one_round() {
        // Water-filling: 4 stops at its cap at level 30, 3 at 83.3, then the
        // budget stops 1 and 2 at 150 (x = min(cap, 150·w) per 1000).
        let candidates = vec![dapp(1, 1, None), dapp(2, 2, None), dapp(3, 3, Some(2500)), dapp(4, 10, Some(3000))];
        let p = Problem { budget: U256::from(1000u64), previous_budget: None, candidates, policy: Policy::default() };
        let n = Normal::new(&p).expect("valid");
        let filled = fill(&n, None, usize::MAX).expect("solves");
        assert_eq!(filled.rounds, 1);
        let closed = Layout::new(&n).solve(&[false; 4], false);
        for (i, (a, b)) in filled.x.iter().zip(&closed).enumerate() {
            assert!((a - b).abs() < 1e-12, "recipient {i}: LP {a} vs closed form {b}");
        }
        for (a, b) in filled.x.iter().zip([0.15, 0.30, 0.25, 0.30]) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

    /// The method as it was before classes, one variable per recipient:
    /// each round maximises `t` with `x_i >= w_i·t`, then freezes whoever
    /// cannot rise (one LP for all, one per stuck-looking recipient). The
    /// reference for policies the closed form cannot take. None when an
    /// LP fails (floors that a group spanning categories keeps from a
    /// category's minimum are not refused by the validation).
    fn per_recipient(n: &Normal) -> Option<Vec<f64>> {
        let cat_min = category_minimums(n);
        let mut fixed: Vec<Option<f64>> = n.leaves.iter().map(|l| (l.w <= 0.0).then_some(l.lo)).collect();
        let top = n.top_level();
        while fixed.iter().any(Option::is_none) {
            let leaf: Vec<usize> = (0..fixed.len()).filter(|&i| fixed[i].is_none()).collect();
            let mut var_of = vec![usize::MAX; fixed.len()];
            for (v, &i) in leaf.iter().enumerate() {
                var_of[i] = v;
            }
            let mut rows = Vec::new();
            let mut row = |members: &mut dyn Iterator<Item = usize>, min: Option<f64>, max: f64| {
                let (mut vars, mut constant) = (Vec::new(), 0.0);
                for i in members {
                    match fixed[i] {
                        None => vars.push(var_of[i]),
                        Some(f) => constant += f,
                    }
                }
                if !vars.is_empty() {
                    let min = min.filter(|&m| m > 0.0).map(|m| m - constant - ROW_SLACK);
                    rows.push(LpRow { coefs: vec![1.0; vars.len()], vars, min, max: Some(max - constant + ROW_SLACK) });
                }
            };
            for g in &n.groups {
                row(&mut g.members.iter().copied(), None, g.cap);
            }
            for (c, cat) in n.cats.iter().enumerate() {
                row(&mut cat.members.iter().copied(), Some(cat_min[c]), cat.max);
            }
            row(&mut (0..n.leaves.len()), None, 1.0);
            let k = leaf.len();
            let (lo, hi): (Vec<f64>, Vec<f64>) = leaf.iter().map(|&i| (n.leaves[i].lo, n.leaves[i].hi)).unzip();
            let mut level_rows = rows.clone();
            for (v, &i) in leaf.iter().enumerate() {
                level_rows.push(LpRow {
                    vars: vec![v, k],
                    coefs: vec![1.0, -n.leaves[i].w],
                    min: Some(0.0),
                    max: None,
                });
            }
            let mut objective = vec![0.0; k];
            objective.push(1.0);
            let (mut lo_t, mut hi_t) = (lo.clone(), hi.clone());
            lo_t.push(0.0);
            hi_t.push(top);
            let level = SparseLp::new(LpKind::Level, objective, lo_t, hi_t, level_rows).solve().ok()??[k];
            let at_level = |v: usize| paid(&n.leaves[leaf[v]], level);
            let lower: Vec<f64> = (0..k).map(|v| (at_level(v) - LEVEL_SLACK).max(lo[v])).collect();
            let rise = |objective| SparseLp::new(LpKind::Rise, objective, lower.clone(), hi.clone(), rows.clone());
            let all = rise(vec![1.0; k]).solve().ok()??;
            let stuck = |v: usize, value: f64| value <= at_level(v) + FREEZE_TOL;
            let (mut frozen, mut least) = (Vec::new(), None::<(f64, usize)>);
            for v in (0..k).filter(|&v| stuck(v, all[v])) {
                let mut objective = vec![0.0; k];
                objective[v] = 1.0;
                let best = rise(objective).solve().ok()??;
                if stuck(v, best[v]) {
                    frozen.push(v);
                }
                let room = best[v] - at_level(v);
                if least.is_none_or(|(r, _)| room < r) {
                    least = Some((room, v));
                }
            }
            if frozen.is_empty() {
                frozen.push(least.map_or(0, |(_, v)| v));
            }
            for v in frozen {
                fixed[leaf[v]] = Some(at_level(v));
            }
        }
        Some(fixed.into_iter().map(|v| v.unwrap_or(0.0)).collect())
    }

    fn bps(n: u16) -> Bps {
        Bps::new(n).expect("bps")
    }

    prop_compose! {
        fn spanning_candidate(id: u64)(
            category in prop::sample::select(Category::ALL.to_vec()),
            weight in prop_oneof![1 => Just(0u64), 6 => 1u64..1_000_000],
            cap in prop::option::weighted(0.3, 300u16..=10_000),
            floor in prop::option::weighted(0.15, 50u16..=800),
            group in prop::option::weighted(0.5, 0u8..3),
            previous in prop::option::weighted(0.3, 1u64..1_000_000),
        ) -> Candidate {
            Candidate {
                id,
                category,
                weight: U256::from(weight),
                cap: cap.map(|c| Limit::Share(bps(c))),
                floor: floor.map(|f| Limit::Share(bps(f))),
                // Groups drawn regardless of the category: they span them.
                group: group.map(|g| format!("g-{g}")),
                previous: previous.map(|p| U256::from(p) * U256::from(10u64).pow(U256::from(18u8))),
            }
        }
    }

    prop_compose! {
        fn spanning_problem()(n in 1usize..=9)(
            candidates in (0..n as u64).map(|i| spanning_candidate(7 * i + 3)).collect::<Vec<_>>(),
            cat_bounds in prop::collection::vec(
                (prop::option::weighted(0.4, 0u16..=3000), prop::option::weighted(0.4, 1000u16..=10_000)),
                3,
            ),
            recipient_cap in prop::option::weighted(0.3, 1000u16..=10_000),
            smoothing in prop::option::weighted(0.3, 500u16..=5000),
            group_caps in prop::collection::vec(1000u16..=6000, 3),
            dropped in prop::collection::vec(prop::bool::weighted(0.15), 9),
        ) -> (Problem, Vec<bool>) {
            let budget = U256::from(10u64).pow(U256::from(24u8));
            let categories = Category::ALL
                .into_iter()
                .zip(cat_bounds)
                .map(|(c, (min, max))| (c, crate::CategoryBounds { min: min.map(bps), max: max.map(bps) }))
                .collect();
            let policy = Policy {
                categories,
                recipient_cap: recipient_cap.map(|c| Limit::Share(bps(c))),
                min_payout: U256::ZERO,
                smoothing: smoothing.map(bps),
                group_caps: (0..3).zip(group_caps).map(|(g, cap)| (format!("g-{g}"), Limit::Share(bps(cap)))).collect(),
            };
            (Problem { budget, previous_budget: Some(budget), candidates, policy }, dropped)
        }
    }

    proptest! {
        #[test]
        fn classes_and_the_per_recipient_method_agree_where_groups_span_categories(
            (p, dropped) in spanning_problem()
        ) {
            let Ok(mut n) = Normal::new(&p) else { return Ok(()) };
            // As the minimum-payout search calls it: some recipients dropped.
            for (l, _) in n.leaves.iter_mut().zip(&dropped).filter(|(_, d)| **d) {
                l.drop_out();
            }
            let Some(reference) = per_recipient(&n) else { return Ok(()) };
            let classes = solve(&n).expect("the classes solve what the reference solves");
            for (i, (a, b)) in classes.iter().zip(&reference).enumerate() {
                prop_assert!((a - b).abs() <= 1e-9, "recipient {i}: classes {a} vs per recipient {b}");
            }
        }
    }
}
