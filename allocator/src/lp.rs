//! The general solver: progressive filling as a sequence of LPs (good_lp on
//! microlp, pure Rust). It handles any bound structure, including groups
//! that span categories, and is the reference the closed form is tested
//! against.
//!
//! Each round maximises the common level `t` of the recipients still
//! rising (`x_i >= t·w_i`), then freezes those that cannot rise above it
//! while everyone else stays at or above it. An LP that only maximised `t`,
//! or minimised a distance to the targets, would leave the surplus wherever
//! the solver's pivoting put it; freezing decides every payout by the
//! fairness rule instead. Recipient bounds are variable bounds, never rows.

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, microlp, variable};
use serde::Serialize;

use crate::normal::Normal;

/// Tolerance for "cannot rise", in shares of the budget.
const FREEZE_TOL: f64 = 1e-10;

/// How far below the level a rising recipient's lower bound is set, so the
/// level's own rounding cannot make the round infeasible. The others' room
/// adds up to at most `n` times this, well under `FREEZE_TOL`.
const LEVEL_SLACK: f64 = 1e-15;

/// Room given to a row for the rounding in its frozen part.
const ROW_SLACK: f64 = 1e-13;

/// Why the LP failed (a solver failure: the problem was validated).
#[derive(Debug, thiserror::Error)]
#[error("the LP solver failed: {0}")]
pub struct LpError(String);

impl From<good_lp::ResolutionError> for LpError {
    fn from(e: good_lp::ResolutionError) -> Self {
        Self(e.to_string())
    }
}

/// `min <= Σ x[members] <= max`.
#[derive(Clone, Debug, Serialize)]
pub struct SumRow {
    /// Variable indices.
    pub members: Vec<usize>,
    /// Lower side (None: unbounded).
    pub min: Option<f64>,
    /// Upper side.
    pub max: f64,
}

/// One round's LP as plain data: maximise `t` over `t in [0, top]`,
/// `x_i in [lo_i, hi_i]`, subject to `x_i - w_i·t >= 0` and the sum rows.
/// Payouts are shares of the budget. Published so other solvers can be
/// measured on exactly the formulation this crate solves.
#[derive(Clone, Debug, Serialize)]
pub struct LevelLp {
    /// Vote shares of the variables.
    pub w: Vec<f64>,
    /// Lower bounds.
    pub lo: Vec<f64>,
    /// Upper bounds.
    pub hi: Vec<f64>,
    /// Upper bound of `t`.
    pub top: f64,
    /// Group, category and budget rows.
    pub rows: Vec<SumRow>,
    /// The leaf of each variable.
    #[serde(skip)]
    leaf: Vec<usize>,
}

impl LevelLp {
    /// The LP of a round: recipients in `fixed` are constants.
    fn new(n: &Normal, fixed: &[Option<f64>], cat_min: &[f64]) -> Self {
        let mut var_of = vec![usize::MAX; n.leaves.len()];
        let mut leaf = Vec::new();
        for (i, f) in fixed.iter().enumerate() {
            if f.is_none() {
                var_of[i] = leaf.len();
                leaf.push(i);
            }
        }
        // A row's constant part comes from frozen payouts, which carry the
        // solver's rounding: rows get that much room, and rows left with no
        // variable are already settled.
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
                rows.push(SumRow { members: vars, min, max: max - constant + ROW_SLACK });
            }
        };
        for g in &n.groups {
            row(&mut g.members.iter().copied(), None, g.cap);
        }
        for (c, cat) in n.cats.iter().enumerate() {
            row(&mut cat.members.iter().copied(), Some(cat_min[c]), cat.max);
        }
        row(&mut (0..n.leaves.len()), None, 1.0);
        Self {
            w: leaf.iter().map(|&i| n.leaves[i].w).collect(),
            lo: leaf.iter().map(|&i| n.leaves[i].lo).collect(),
            hi: leaf.iter().map(|&i| n.leaves[i].hi).collect(),
            top: n.top_level(),
            rows,
            leaf,
        }
    }

    /// Adds the variables, each with lower bound `lower(var)`.
    fn variables(&self, vars: &mut ProblemVariables, lower: impl Fn(usize) -> f64) -> Vec<Variable> {
        (0..self.w.len()).map(|v| vars.add(variable().min(lower(v)).max(self.hi[v]))).collect()
    }

    /// The sum rows over the variables.
    fn constraints(&self, x: &[Variable]) -> Vec<good_lp::Constraint> {
        let mut out = Vec::with_capacity(self.rows.len() * 2);
        for r in &self.rows {
            let e: Expression = r.members.iter().map(|&v| x[v]).sum();
            if let Some(min) = r.min {
                out.push(e.clone().geq(min));
            }
            out.push(e.leq(r.max));
        }
        out
    }

    /// Solves it: the highest common level.
    pub fn maximise_level(&self) -> Result<f64, LpError> {
        let mut vars = ProblemVariables::new();
        let t = vars.add(variable().min(0.0).max(self.top));
        let x = self.variables(&mut vars, |v| self.lo[v]);
        let mut model = vars.maximise(t).using(microlp);
        for c in self.constraints(&x) {
            model = model.with(c);
        }
        for (v, &xv) in x.iter().enumerate() {
            model = model.with((xv - self.w[v] * t).geq(0.0));
        }
        Ok(model.solve()?.value(t))
    }

    /// The most each variable can take while every variable stays at or
    /// above `lower`, maximising `objective`.
    fn rise(
        &self,
        lower: &dyn Fn(usize) -> f64,
        objective: &dyn Fn(&[Variable]) -> Expression,
    ) -> Result<Vec<f64>, LpError> {
        let mut vars = ProblemVariables::new();
        let x = self.variables(&mut vars, lower);
        let mut model = vars.maximise(objective(&x)).using(microlp);
        for c in self.constraints(&x) {
            model = model.with(c);
        }
        let s = model.solve()?;
        Ok(x.iter().map(|&v| s.value(v)).collect())
    }
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

/// The first round's LP (everyone with votes still rising).
pub(crate) fn first_round(n: &Normal) -> LevelLp {
    let fixed: Vec<Option<f64>> = n.leaves.iter().map(|l| (l.w <= 0.0).then_some(l.lo)).collect();
    LevelLp::new(n, &fixed, &category_minimums(n))
}

/// Payouts as shares of the budget, one per leaf.
pub(crate) fn solve(n: &Normal) -> Result<Vec<f64>, LpError> {
    let mut fixed: Vec<Option<f64>> = n.leaves.iter().map(|l| (l.w <= 0.0).then_some(l.lo)).collect();
    let cat_min = category_minimums(n);
    while fixed.iter().any(Option::is_none) {
        let lp = LevelLp::new(n, &fixed, &cat_min);
        let level = lp.maximise_level()?;

        // Who can still rise while everyone stays at or above `level`: one
        // LP raising all of them finds most who can; one LP each settles
        // the rest.
        let at_level = |v: usize| (level * lp.w[v]).clamp(lp.lo[v], lp.hi[v]);
        let lower = |v: usize| (at_level(v) - LEVEL_SLACK).max(lp.lo[v]);
        let stuck = |v: usize, value: f64| value <= at_level(v) + FREEZE_TOL;
        let all = lp.rise(&lower, &|x| x.iter().map(|&v| Expression::from(v)).sum())?;
        let mut frozen = Vec::new();
        let mut least: Option<(f64, usize)> = None;
        for v in (0..lp.w.len()).filter(|&v| stuck(v, all[v])) {
            let best = lp.rise(&lower, &|x| Expression::from(x[v]))?;
            if stuck(v, best[v]) {
                frozen.push(v);
            }
            let room = best[v] - at_level(v);
            if least.is_none_or(|(r, _)| room < r) {
                least = Some((room, v));
            }
        }
        if frozen.is_empty() {
            // The level cannot rise, yet the solver's rounding hides who is
            // stuck: freeze the one with the least room, so each round
            // makes progress.
            frozen.push(least.map_or(0, |(_, v)| v));
        }
        for v in frozen {
            fixed[lp.leaf[v]] = Some(at_level(v));
        }
    }
    Ok(fixed.into_iter().map(|v| v.unwrap_or(0.0)).collect())
}
