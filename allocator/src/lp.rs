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
//!    that segment (`X_C − β_C·t >= α_C`) finishes it exactly; a class in
//!    no row with a minimum never needs more than `L_C(t)`, so that LP
//!    takes it as a term of its rows and a bound on `t`. Where
//!    arithmetic settles a question exactly it takes no LP: a feasibility
//!    test whose answer shows at the lowest point (a class's range empty,
//!    a row over its maximum, or every row met), and a segment on which
//!    the lowest point meets every minimum, where the level is the first
//!    cap or row maximum reached (a ratio).
//! 2. The freeze: which classes cannot rise while every class stays at or
//!    above `L_C(t*)`. Arithmetic settles most: a class can rise alone by
//!    its rows' room at a point with every class as low as it can be (the
//!    lower bounds, or one LP minimising `Σ X_C` when they miss a row's
//!    minimum), and a class is held by its cap or by a row with no room
//!    left with every class at its lowest. For the rest, one LP maximising
//!    `Σ X_C` finds most that can rise and one LP per class settles the
//!    others (a solution that lifts another class shows that one can rise
//!    too). A stuck class freezes every member at `clamp(w_i·t*, lo_i,
//!    hi_i)`. An LP that only maximised `t`, or minimised a distance to
//!    the targets, would leave the surplus wherever the solver's pivoting
//!    put it; freezing decides every payout by the fairness rule instead.
//!
//! Class bounds are variable bounds, and so is a row left with one rising
//! class; rows left with none are settled. Within a round the classes left
//! in exactly the same rows are one variable again (a part, `Round`), for
//! the same reason as a class's members. The arithmetic shortcuts are
//! exact certificates, not approximations: each either proves its answer
//! or hands the question to an LP.

use std::collections::BTreeMap;
use std::ops::Range;

use good_lp::{Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable, microlp, variable};
use serde::Serialize;

use crate::normal::Normal;
use crate::problem::Problem;
use crate::split::AllocError;

/// Tolerance for "cannot rise", in shares of the budget.
const FREEZE_TOL: f64 = 1e-10;

/// How far below the level a rising recipient's part of its class's lower
/// bound is set, so the level's own rounding (and the rounding of the
/// class's sum, under 1e-16 a member) cannot make the round infeasible. A
/// class gets this once per member, so the room it gives the others adds
/// up to at most `n` times this: well under `FREEZE_TOL` up to some 10 000
/// recipients, as much as it at 100 000 (then a class held only by that
/// room may wait a round longer to freeze, the same as with one variable a
/// recipient).
const LEVEL_SLACK: f64 = 1e-15;

/// Room given to a row for the rounding in its frozen part.
const ROW_SLACK: f64 = 1e-13;

/// How far a bound may be missed and still count as met when arithmetic
/// rather than an LP decides feasibility: microlp's own tolerance (its
/// `EPS`). The frozen parts' rounding can add up over the rounds to more
/// than `ROW_SLACK`; microlp absorbs that, and a test stricter than the
/// LPs would stop a level where the LP that finishes it does not.
const FEASIBLE_TOL: f64 = 1e-10;

/// Why the LP method produced no split.
#[derive(Debug, thiserror::Error)]
pub enum LpError {
    /// The solver failed.
    #[error("the LP solver failed: {0}")]
    Solver(String),
    /// No payout meets every bound at once: with groups that span
    /// categories, category minimums can each fit in a group's cap and
    /// still not fit together (validation checks each on its own).
    #[error(
        "the category minimums cannot all be met together under the group caps and floors \
         (a group spans categories): lower a category minimum or raise a group cap"
    )]
    Conflict,
}

impl From<ResolutionError> for LpError {
    fn from(e: ResolutionError) -> Self {
        Self::Solver(e.to_string())
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
    /// The members' vote shares and bounds, class after class (read at
    /// every level tried: contiguous, not through the leaves).
    w: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    /// Each class's members in `w`, `lo`, `hi`.
    span: Vec<Range<usize>>,
    /// Every member's breakpoints (`lo/w`, `hi/w`) with its class, by level.
    breaks: Vec<(f64, usize)>,
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
        let (mut w, mut lo, mut hi, mut span, mut breaks) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (c, ms) in members.iter().enumerate() {
            span.push(w.len()..w.len() + ms.len());
            for l in ms.iter().map(|&i| &n.leaves[i]) {
                w.push(l.w);
                lo.push(l.lo);
                hi.push(l.hi);
                breaks.extend([(l.lo / l.w, c), (l.hi / l.w, c)]);
            }
        }
        radsort::sort_by_key(&mut breaks, |b| b.0);
        Self { members, w, lo, hi, span, breaks, rows }
    }
}

/// One round's classes and rows. Class `v` of the round is class
/// `rising[v]`; the LPs' variables are parts: the classes left in exactly
/// the same rows once the rows with one class are bounds, which the rows
/// cannot tell apart any more than they can a class's members. A part's
/// range is the sum of its classes' ranges; a class's own cap bounds the
/// level, and a class whose floor a row raised is a part alone (its lower
/// bound is not linear on a segment).
struct Round<'a> {
    classes: &'a Classes,
    rising: Vec<usize>,
    /// The members' floors, raised by rows the class alone is left in.
    floor: Vec<f64>,
    /// The members' caps, lowered by rows the class alone is left in.
    upper: Vec<f64>,
    /// How far below `L_C` its lower bound is set (`LEVEL_SLACK` a member).
    slack: Vec<f64>,
    /// Each class's index in the round (`usize::MAX`: frozen).
    var_of: Vec<usize>,
    /// Each class's part.
    part: Vec<usize>,
    /// Each part's classes.
    parts: Vec<Vec<usize>>,
    /// Each part's cap, the sum of its classes' caps.
    part_upper: Vec<f64>,
    /// Rows with two or more rising classes, over the parts.
    rows: Vec<LpRow>,
}

impl<'a> Round<'a> {
    fn new(classes: &'a Classes, frozen: &[Option<f64>]) -> Self {
        let rising: Vec<usize> = (0..classes.members.len()).filter(|&c| frozen[c].is_none()).collect();
        let mut var_of = vec![usize::MAX; classes.members.len()];
        for (v, &c) in rising.iter().enumerate() {
            var_of[c] = v;
        }
        let sum = |c: usize, x: &[f64]| -> f64 { x[classes.span[c].clone()].iter().sum() };
        let mut floor: Vec<f64> = rising.iter().map(|&c| sum(c, &classes.lo)).collect();
        let mut upper: Vec<f64> = rising.iter().map(|&c| sum(c, &classes.hi)).collect();
        let slack = rising.iter().map(|&c| LEVEL_SLACK * classes.members[c].len() as f64).collect();
        let mut raised = vec![false; rising.len()];
        // Each class's rows with two or more rising classes.
        let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); rising.len()];
        let mut class_rows = Vec::new();
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
                    if let Some(m) = min
                        && m > floor[v]
                    {
                        floor[v] = m;
                        raised[v] = true;
                    }
                    upper[v] = upper[v].min(max);
                }
                _ => {
                    for &v in &vars {
                        rows_of[v].push(class_rows.len());
                    }
                    class_rows.push((vars, min, max));
                }
            }
        }
        // A row's floor above another's cap, with only this class left in
        // both, is the rounding of the frozen parts (the problem was
        // validated): the cap wins.
        for (f, u) in floor.iter_mut().zip(&upper) {
            *f = f.min(*u);
        }
        let mut by_rows: BTreeMap<&[usize], usize> = BTreeMap::new();
        let mut parts: Vec<Vec<usize>> = Vec::new();
        let mut part = vec![0; rising.len()];
        for v in 0..rising.len() {
            let p = if raised[v] { parts.len() } else { *by_rows.entry(&rows_of[v][..]).or_insert(parts.len()) };
            if p == parts.len() {
                parts.push(Vec::new());
            }
            parts[p].push(v);
            part[v] = p;
        }
        let part_upper = parts.iter().map(|cs| cs.iter().map(|&v| upper[v]).sum()).collect();
        let rows = class_rows
            .into_iter()
            .map(|(vars, min, max)| {
                let mut ps: Vec<usize> = vars.iter().map(|&v| part[v]).collect();
                ps.sort_unstable();
                ps.dedup();
                LpRow { coefs: vec![1.0; ps.len()], vars: ps, min, max: Some(max) }
            })
            .collect();
        Self { classes, rising, floor, upper, slack, var_of, part, parts, part_upper, rows }
    }

    /// `L_C(t)` of each rising class.
    fn level_sums(&self, t: f64) -> Vec<f64> {
        let k = self.classes;
        self.rising.iter().map(|&c| k.span[c].clone().map(|j| (k.w[j] * t).clamp(k.lo[j], k.hi[j])).sum()).collect()
    }

    /// The classes' lower bounds at level sums `l`, None if one is above
    /// the class's cap by more than the LPs' tolerance (else held to it).
    fn lower(&self, l: &[f64]) -> Option<Vec<f64>> {
        (0..l.len())
            .map(|v| {
                let lower = (l[v] - self.slack[v]).max(self.floor[v]);
                (lower <= self.upper[v] + FEASIBLE_TOL).then(|| lower.min(self.upper[v]))
            })
            .collect()
    }

    /// Per-class values summed by part.
    fn by_part(&self, x: &[f64]) -> Vec<f64> {
        self.parts.iter().map(|cs| cs.iter().map(|&v| x[v]).sum()).collect()
    }

    /// Each row's sum at a point (over the parts).
    fn sums(&self, y: &[f64]) -> Vec<f64> {
        self.rows.iter().map(|r| r.vars.iter().map(|&p| y[p]).sum()).collect()
    }

    /// Whether every class can be at or above level `t`.
    fn feasible(&self, lps: &mut Lps<'_>, t: f64) -> Result<bool, LpError> {
        let Some(lower) = self.lower(&self.level_sums(t)) else { return Ok(false) };
        let lower = self.by_part(&lower);
        let mut all_met = true;
        for (r, s) in self.rows.iter().zip(self.sums(&lower)) {
            if r.max.is_some_and(|m| s > m + FEASIBLE_TOL) {
                return Ok(false);
            }
            all_met &= r.min.is_none_or(|m| s >= m - FEASIBLE_TOL);
        }
        if all_met {
            return Ok(true);
        }
        let (objective, upper) = (vec![0.0; lower.len()], self.part_upper.clone());
        let lp = SparseLp::new(LpKind::Feasible, objective, lower, upper, self.rows.clone());
        Ok(lps.solve(lp)?.is_some())
    }

    /// The highest level from `from` on at which every class can be at or
    /// above its lower bound.
    fn max_level(&self, lps: &mut Lps<'_>, from: f64, top: f64) -> Result<f64, LpError> {
        let cl = self.classes;
        let mut points = vec![from];
        points.extend(
            cl.breaks.iter().filter(|b| b.0 > from && b.0 < top && self.var_of[b.1] != usize::MAX).map(|b| b.0),
        );
        points.push(top);
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
        // or at `w_i·t` throughout: `L_C(t) = α_C + β_C·t`, and a part's
        // lower bound is the sum of its classes' (a floor a row raised is
        // a part alone, with the floor as its bound).
        let mid = 0.5 * (start + end);
        let k = self.parts.len();
        // Per part: the bound, the cap, and the lower bound's (α, β).
        let (mut lo, mut linear) = (vec![0.0; k], vec![(0.0, 0.0); k]);
        // A class's own cap, in a part with others, bounds the level.
        let mut end = end;
        for (v, &c) in self.rising.iter().enumerate() {
            let (mut alpha, mut beta) = (-self.slack[v], 0.0);
            for j in cl.span[c].clone() {
                if cl.w[j] * mid <= cl.lo[j] {
                    alpha += cl.lo[j];
                } else if cl.w[j] * mid >= cl.hi[j] {
                    alpha += cl.hi[j];
                } else {
                    beta += cl.w[j];
                }
            }
            let p = self.part[v];
            if beta > 0.0 {
                lo[p] += self.floor[v];
                end = end.min((self.upper[v] - alpha) / beta);
            } else {
                alpha = alpha.max(self.floor[v]);
                if alpha > self.upper[v] + FEASIBLE_TOL {
                    return Ok(start);
                }
                alpha = alpha.min(self.upper[v]);
                lo[p] += alpha;
            }
            linear[p].0 += alpha;
            linear[p].1 += beta;
        }
        if end <= start {
            return Ok(start);
        }
        let hi = &self.part_upper;
        if let Some(t) = self.level_by_ratios(&lo, hi, &linear, start, end) {
            return Ok(t);
        }
        // A part in no row with a minimum never needs more than its lowest
        // (more only uses up the rows' maximums): where that is `α + β·t`
        // on the whole segment (its bound not above it at `start`), it is a
        // term of its rows and a bound on `t`. The LP keeps the others.
        let mut needed = vec![false; k];
        for r in self.rows.iter().filter(|r| r.min.is_some()) {
            for &p in &r.vars {
                needed[p] = true;
            }
        }
        let mut keep = vec![usize::MAX; k];
        let mut kept = 0;
        for p in 0..k {
            let (alpha, beta) = linear[p];
            if needed[p] || (beta > 0.0 && lo[p] > alpha + beta * start) {
                keep[p] = kept;
                kept += 1;
            }
        }
        let (mut lo_k, mut hi_k) = (vec![0.0; kept], vec![0.0; kept]);
        for p in 0..k {
            let (alpha, beta) = linear[p];
            if keep[p] != usize::MAX {
                (lo_k[keep[p]], hi_k[keep[p]]) = (lo[p], hi[p]);
            } else if beta > 0.0 {
                end = end.min((hi[p] - alpha) / beta);
            }
        }
        if end <= start {
            return Ok(start);
        }
        let mut rows = Vec::with_capacity(self.rows.len() + kept);
        for r in &self.rows {
            let (mut vars, mut coefs, mut constant, mut slope) = (Vec::new(), Vec::new(), 0.0, 0.0);
            for &p in &r.vars {
                let (alpha, beta) = linear[p];
                if keep[p] != usize::MAX {
                    vars.push(keep[p]);
                    coefs.push(1.0);
                } else if beta > 0.0 {
                    (constant, slope) = (constant + alpha, slope + beta);
                } else {
                    constant += lo[p];
                }
            }
            if slope > 0.0 {
                vars.push(kept);
                coefs.push(slope);
            }
            if !vars.is_empty() {
                rows.push(LpRow { vars, coefs, min: r.min.map(|m| m - constant), max: r.max.map(|m| m - constant) });
            } else if r.max.is_some_and(|m| constant > m + FEASIBLE_TOL) {
                return Ok(start);
            }
        }
        for p in (0..k).filter(|&p| keep[p] != usize::MAX && linear[p].1 > 0.0) {
            let (alpha, beta) = linear[p];
            rows.push(LpRow { vars: vec![keep[p], kept], coefs: vec![1.0, -beta], min: Some(alpha), max: None });
        }
        lo_k.push(start);
        hi_k.push(end);
        let mut objective = vec![0.0; kept];
        objective.push(1.0);
        let lp = SparseLp::new(LpKind::Level, objective, lo_k, hi_k, rows);
        // Infeasible only through rounding at `start` itself.
        Ok(lps.solve(lp)?.map_or(start, |x| x[kept].clamp(start, end)))
    }

    /// The segment's highest level without an LP, when the lowest point is
    /// the best one throughout: every row's minimum met with each part at
    /// its lowest at `start`, and no part's bound above its `α + β·t`
    /// there. Minimums only get easier as `t` rises, so the level is where
    /// the first cap or row maximum is reached, a ratio. `lo`, `hi`: the
    /// parts' bounds, `linear`: each part's `(α, β)` (slack included; a
    /// part with `β = 0` sits at `lo`).
    fn level_by_ratios(&self, lo: &[f64], hi: &[f64], linear: &[(f64, f64)], start: f64, end: f64) -> Option<f64> {
        let at = |p: usize, t: f64| {
            let (alpha, beta) = linear[p];
            if beta > 0.0 { alpha + beta * t } else { lo[p] }
        };
        if (0..lo.len()).any(|p| linear[p].1 > 0.0 && lo[p] > at(p, start)) {
            return None;
        }
        let mut t = end;
        for (p, &(alpha, beta)) in linear.iter().enumerate() {
            if beta > 0.0 {
                t = t.min((hi[p] - alpha) / beta);
            }
        }
        for r in &self.rows {
            let (constant, slope) = r.vars.iter().fold((0.0, 0.0), |(c, b), &p| {
                let (alpha, beta) = linear[p];
                if beta > 0.0 { (c + alpha, b + beta) } else { (c + lo[p], b) }
            });
            if r.min.is_some_and(|mn| constant + slope * start < mn - FEASIBLE_TOL) {
                return None;
            }
            if let Some(mx) = r.max
                && slope > 0.0
            {
                t = t.min((mx - constant) / slope);
            }
        }
        Some(t.max(start))
    }

    /// The classes that cannot rise above level sums `l` while every class
    /// stays at or above them (as round indices); never none.
    fn stuck(&self, lps: &mut Lps<'_>, l: &[f64]) -> Result<Vec<usize>, LpError> {
        let infeasible = || LpError::Conflict;
        let lower = self.lower(l).ok_or_else(infeasible)?;
        let (k, low_p, l_p) = (self.parts.len(), self.by_part(&lower), self.by_part(l));
        let lp =
            |kind, objective| SparseLp::new(kind, objective, low_p.clone(), self.part_upper.clone(), self.rows.clone());

        // Two certificates that need no LP. From a point where every part
        // is as low as it can be, a part can rise alone by its rows' and
        // its cap's room there. And a part is held at its level sum by its
        // cap, or by a row whose room with everyone at their lowest is no
        // more than its own.
        let mut rows_of = vec![Vec::new(); k];
        for (j, r) in self.rows.iter().enumerate() {
            for &p in &r.vars {
                rows_of[p].push(j);
            }
        }
        let at_lower = self.sums(&low_p);
        let meets = self.rows.iter().zip(&at_lower).all(|(r, &s)| {
            r.min.is_none_or(|mn| s >= mn - FEASIBLE_TOL) && r.max.is_none_or(|mx| s <= mx + FEASIBLE_TOL)
        });
        let low =
            if meets { low_p.clone() } else { lps.solve(lp(LpKind::Lowest, vec![-1.0; k]))?.ok_or_else(infeasible)? };
        let at_low = self.sums(&low);
        let row_room = |p: usize, at: &[f64], own: f64| {
            rows_of[p].iter().filter_map(|&j| self.rows[j].max.map(|mx| mx - at[j] + own)).fold(f64::INFINITY, f64::min)
        };
        // The most each part was seen to take.
        let mut most: Vec<f64> = (0..k).map(|p| self.part_upper[p].min(row_room(p, &at_low, low[p]))).collect();
        let held: Vec<bool> =
            (0..k).map(|p| self.part_upper[p].min(row_room(p, &at_lower, low_p[p])) <= l_p[p] + FREEZE_TOL).collect();
        // A class's room above its level sum: its part's most, with the
        // part's other classes at their lowest, within its own cap.
        let room = |most: &[f64], v: usize| {
            let p = self.part[v];
            self.upper[v].min(most[p] - (low_p[p] - lower[v])) - l[v]
        };
        let stuck_in = |most: &[f64], p: usize| -> bool {
            !held[p] && self.parts[p].iter().any(|&v| self.upper[v] > l[v] + FREEZE_TOL && room(most, v) <= FREEZE_TOL)
        };
        let see = |most: &mut [f64], y: &[f64]| {
            for (m, &v) in most.iter_mut().zip(y) {
                *m = m.max(v);
            }
        };

        // The rest by LPs: all of them raised together finds most that can
        // rise, one LP each settles the others.
        let open: Vec<usize> = (0..k).filter(|&p| stuck_in(&most, p)).collect();
        if open.len() > 1 {
            let all = lps.solve(lp(LpKind::Rise, vec![1.0; k]))?.ok_or_else(infeasible)?;
            see(&mut most, &all);
        }
        for &p in &open {
            if stuck_in(&most, p) {
                let mut objective = vec![0.0; k];
                objective[p] = 1.0;
                let best = lps.solve(lp(LpKind::RiseOne, objective))?.ok_or_else(infeasible)?;
                see(&mut most, &best);
            }
        }
        let m = l.len();
        let mut frozen: Vec<usize> = (0..m)
            .filter(|&v| held[self.part[v]] || self.upper[v] <= l[v] + FREEZE_TOL || room(&most, v) <= FREEZE_TOL)
            .collect();
        if frozen.is_empty() {
            // The level cannot rise, yet the solver's rounding hides who is
            // stuck: freeze the class with the least room, so each round
            // makes progress.
            let least = (0..m).min_by(|&a, &b| room(&most, a).total_cmp(&room(&most, b))).unwrap_or(0);
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
/// groups' caps (a minimum above it is met as far as it can be). A group
/// that spans categories leaves them only what its other members' lower
/// bounds (floors, smoothing) do not already take.
fn attainable(n: &Normal, c: usize) -> f64 {
    let cap_of = |i: usize| {
        let l = &n.leaves[i];
        if l.w > 0.0 { l.hi } else { l.lo }
    };
    let mut total: f64 = 0.0;
    let mut grouped = vec![false; n.leaves.len()];
    for g in &n.groups {
        let (mut s, mut others) = (0.0, 0.0);
        for &i in &g.members {
            grouped[i] = true;
            if usize::from(n.leaves[i].cat) == c {
                s += cap_of(i);
            } else {
                others += n.leaves[i].lo;
            }
        }
        total += s.min((g.cap - others).max(0.0));
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
        let round = Round::new(&classes, &frozen);
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
