//! The answer: an exact wei payout per recipient, the rule that bound it,
//! and the budget left unallocated; and `allocate`, which produces it.

use std::fmt;

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

use crate::lp::LpError;
use crate::normal::{Leaf, Normal, Scale, mul_div, to_f64};
use crate::par::{self, Halves, PARALLEL_FROM, join};
use crate::problem::{Problem, ProblemError};
use crate::units::Category;
use crate::{fast, lp};

/// The rule that decided a recipient's payout.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Binding {
    /// Vote-proportional at the common level: nothing bound it.
    None,
    /// No votes (and no floor): nothing.
    NoVotes,
    /// Its cap.
    Cap,
    /// Its floor.
    Floor,
    /// The smoothing band around its previous share.
    Smoothing,
    /// It would have got less than the minimum payout, so it gets nothing.
    MinimumPayout,
    /// The cap of its group.
    GroupCap,
    /// Its category's minimum share lifted it.
    CategoryMin,
    /// Its category's maximum share held it down.
    CategoryMax,
}

impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::NoVotes => "no votes",
            Self::Cap => "cap",
            Self::Floor => "floor",
            Self::Smoothing => "smoothing",
            Self::MinimumPayout => "minimum payout",
            Self::GroupCap => "group cap",
            Self::CategoryMin => "category minimum",
            Self::CategoryMax => "category maximum",
        })
    }
}

/// How the split was computed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// The closed-form progressive filling (bounds that nest).
    ClosedForm,
    /// The sequence of LPs (any bounds).
    Lp,
}

/// One recipient's line of the split.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Payout {
    /// The recipient.
    pub id: u64,
    /// Its category.
    pub category: Category,
    /// Its vote-proportional target, `budget · weight / total weight`,
    /// rounded down.
    #[serde(with = "crate::wei_text")]
    pub target: U256,
    /// What it is paid.
    #[serde(with = "crate::wei_text")]
    pub amount: U256,
    /// The rule that decided `amount`.
    pub binding: Binding,
}

/// An epoch's split of its budget.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Split {
    /// The budget.
    #[serde(with = "crate::wei_text")]
    pub budget: U256,
    /// The sum of the payouts, exactly.
    #[serde(with = "crate::wei_text")]
    pub spent: U256,
    /// What no feasible allocation could spend (`budget - spent`).
    #[serde(with = "crate::wei_text")]
    pub unallocated: U256,
    /// One line per candidate, by id.
    pub payouts: Vec<Payout>,
    /// How it was computed.
    pub method: Method,
}

/// Why no split was produced.
#[derive(Debug, thiserror::Error)]
pub enum AllocError {
    /// The problem contradicts itself.
    #[error(transparent)]
    Problem(#[from] ProblemError),
    /// The LP solver failed.
    #[error(transparent)]
    Lp(#[from] LpError),
    /// The closed form was asked for bounds that do not nest.
    #[error("the closed form needs every group inside one category; use the LP")]
    NotNested,
}

/// Tolerance for "at a bound", in shares of the budget.
const AT: f64 = 1e-12;

/// Splits the budget, by the closed form when the bounds nest, else by LPs.
pub fn allocate(problem: &Problem) -> Result<Split, AllocError> {
    let n = Normal::new(problem)?;
    let method = if n.laminar { Method::ClosedForm } else { Method::Lp };
    run(n, method)
}

/// Splits the budget by a chosen method (to cross-check them).
pub fn allocate_with(problem: &Problem, method: Method) -> Result<Split, AllocError> {
    let n = Normal::new(problem)?;
    if method == Method::ClosedForm && !n.laminar {
        return Err(AllocError::NotNested);
    }
    run(n, method)
}

fn run(n: Normal, method: Method) -> Result<Split, AllocError> {
    let (solved, mut payouts) = join(n.leaves.len() >= PARALLEL_FROM, || solve(&n, method), || lines(&n));
    let (dropped, x) = solved?;
    // Both read which bounds are tight: found once.
    let t = tight(&n, &x);
    let shares = explain(&n, &x, &dropped, &t, &mut payouts);
    let spent = to_wei(&n, &shares, &t, &mut payouts);
    Ok(Split { budget: n.budget, spent, unallocated: n.budget.saturating_sub(spent), payouts, method })
}

/// Each recipient's line with its target; nothing paid yet.
fn lines(n: &Normal) -> Vec<Payout> {
    let scale = (!n.total_weight.is_zero()).then(|| Scale::new(n.budget, n.total_weight));
    n.leaves
        .iter()
        .map(|l| Payout {
            id: l.id,
            category: Category::ALL[usize::from(l.cat)],
            target: scale.as_ref().map_or(U256::ZERO, |s| s.of(l.weight)),
            amount: U256::ZERO,
            binding: Binding::None,
        })
        .collect()
}

/// The payouts as shares and who the minimum payout dropped.
fn solve(n: &Normal, method: Method) -> Result<(Vec<bool>, Vec<f64>), LpError> {
    match method {
        Method::ClosedForm => {
            let layout = fast::Layout::new(n);
            with_minimum_payout(n, &|d: &[bool], parallel| Ok(layout.solve(d, parallel)))
        }
        Method::Lp => with_minimum_payout(n, &|d: &[bool], _| {
            let mut m = n.clone();
            for (l, _) in m.leaves.iter_mut().zip(d).filter(|(_, d)| **d) {
                l.drop_out();
            }
            // The LP cannot say what a dropped recipient would get.
            let mut x = lp::solve(&m)?;
            for (v, _) in x.iter_mut().zip(d).filter(|(_, d)| **d) {
                *v = f64::NAN;
            }
            Ok(x)
        }),
    }
}

/// Payouts as shares, one per leaf, with the flagged leaves dropped. A
/// dropped leaf's entry is what it would be paid at the level its node
/// reached (NaN when the solver cannot say): the minimum-payout search
/// learns from it how many it dropped needlessly. Callers zero them. The
/// flag says a second thread is free to help (not while two trials run
/// side by side).
type Solver<'a> = dyn Fn(&[bool], bool) -> Result<Vec<f64>, LpError> + Sync + 'a;

/// One trial of the minimum-payout search: the `k` smallest of the
/// recipients under the threshold dropped.
struct Trial {
    dropped: Vec<bool>,
    x: Vec<f64>,
    /// Every survivor of `below` at or above the threshold, and nobody else
    /// fell under it.
    ok: bool,
    /// Nobody outside `below` fell under the threshold.
    fine: bool,
    /// The last survivor (position in `below`) still under the threshold:
    /// dropping up to it is enough, as dropping more only raises the rest.
    last_short: Option<usize>,
    /// The last dropped recipient at or after `from` that would be under
    /// the threshold even at these (higher) levels: keeping it fails, so
    /// at least it must go.
    last_needed: Option<usize>,
}

/// Applies the minimum payout: recipients that would get less are dropped,
/// smallest first, as few as possible, and their share is spread over the
/// rest. How many is found by a bracketed search on the count (each trial a
/// full re-solve) whose brackets come from the trials themselves: a failed
/// trial's survivors still short bound the count from above, a successful
/// trial's dropped recipients that would still be short bound it from
/// below. Both bounds tighten by about the fraction of recipients near the
/// threshold per trial, so a million recipients take three or four trials.
fn with_minimum_payout(n: &Normal, solve: &Solver<'_>) -> Result<(Vec<bool>, Vec<f64>), LpError> {
    let mut dropped = vec![false; n.leaves.len()];
    let mut x = solve(&dropped, true)?;
    let threshold = n.min_payout * (1.0 - AT);
    if threshold <= 0.0 {
        return Ok((dropped, x));
    }
    let short = |v: f64| v > AT && v < threshold;
    'outer: loop {
        // By payout, ties to the lower index. The payouts are positive, so
        // their bit patterns sort as they do: a stable radix sort of 8-byte
        // (top half of the bits, index) pairs listed by index, then each run
        // of equal top halves put in order by the whole payout (stable, so
        // ties stay by index). At a million ~440 000 are short; this moves
        // half the bytes of sorting (bits, index) pairs, in fewer passes.
        let mut keyed: Vec<(u32, u32)> = Vec::with_capacity(x.len());
        // Indices fit: `Normal::new` refuses more candidates.
        keyed.extend((0..x.len()).filter(|&i| short(x[i])).map(|i| ((x[i].to_bits() >> 32) as u32, i as u32)));
        if keyed.is_empty() {
            return Ok((dropped, x));
        }
        // The pool the first guess below shares out (see there), beside the
        // sort: neither needs the other.
        let pool = || -> f64 {
            (0..x.len())
                .filter(|&i| {
                    let l = &n.leaves[i];
                    !dropped[i] && l.w > 0.0 && x[i] > l.lo + AT && x[i] < l.hi - AT
                })
                .map(|i| x[i])
                .sum()
        };
        let order = || {
            radsort::sort_by_key(&mut keyed, |k| k.0);
            // The payouts in that order, for the guess below.
            let mut sorted: Vec<(f64, usize)> = keyed.iter().map(|&(_, i)| (x[i as usize], i as usize)).collect();
            let mut start = 0;
            for run in keyed.chunk_by(|a, b| a.0 == b.0) {
                let end = start + run.len();
                if run.len() > 1 {
                    sorted[start..end].sort_by_key(|&(v, _)| v.to_bits());
                }
                start = end;
            }
            sorted
        };
        let (sorted, free) = join(x.len() >= PARALLEL_FROM, order, pool);
        let below: Vec<usize> = sorted.iter().map(|&(_, i)| i).collect();
        let mut was_below = vec![false; x.len()];
        for &i in &below {
            was_below[i] = true;
        }
        let len = below.len();
        let trial = |k: usize, from: usize, alone: bool| -> Result<Trial, LpError> {
            let mut d = dropped.clone();
            for &i in &below[..k] {
                d[i] = true;
            }
            let mut xk = solve(&d, alone)?;
            let last_needed = (from..k).rev().find(|&j| xk[below[j]] < threshold);
            // One pass: the dropped are zeroed, the rest checked.
            let mut fine = true;
            for ((v, &dropped), &below) in xk.iter_mut().zip(&d).zip(&was_below) {
                if dropped {
                    *v = 0.0;
                } else if !below && short(*v) {
                    fine = false;
                }
            }
            let last_short = (k..len).rev().find(|&j| xk[below[j]] < threshold);
            Ok(Trial { ok: fine && last_short.is_none(), fine, last_short, last_needed, dropped: d, x: xk })
        };

        // The first guess: everyone not at a bound of their own shares what
        // the dropped free up, in proportion (one pool; categories and
        // groups make it rough, and the bounds below correct it).
        let mut freed = 0.0;
        let mut guess = len;
        for (k, &(v, _)) in sorted.iter().enumerate() {
            if free > freed && v * free / (free - freed) >= threshold {
                guess = k.max(1);
                break;
            }
            freed += v;
        }

        // Invariants: dropping `lo` fails; dropping `hi.0` (once known)
        // succeeds, `hi.1` its trial; the answer lies in `need..=enough`.
        let (mut lo, mut hi) = (0usize, None::<(usize, Trial)>);
        let (mut need, mut enough) = (1usize, len);
        let (mut widths, mut last_ok, mut first) = ([usize::MAX; 2], false, true);
        // A trial run ahead, on a second thread (see `confirm` below).
        let mut spare: Option<(usize, Trial)> = None;
        loop {
            if let Some((h, t)) = hi.take() {
                if h - lo <= 1 {
                    return Ok((t.dropped, t.x));
                }
                hi = Some((h, t));
            }
            let end = hi.as_ref().map_or(len, |h| h.0 - 1);
            let (a, b) = (need.max(lo + 1), enough.min(end).max(lo + 1));
            let width = hi.as_ref().map_or(len + 1, |h| h.0) - lo;
            // `confirm`: `k` is one fewer than the likely answer, tried to
            // show that it fails; the next trial is then `k + 1`.
            let (k, confirm) = if first {
                (guess, false)
            } else if hi.is_some() && widths[1] != usize::MAX && width > widths[1] / 2 {
                // Two trials have not halved the bracket: bisect.
                (lo + width / 2, false)
            } else if a >= b {
                // The bounds meet: confirm that one fewer fails, then it.
                if b - 1 > lo { (b - 1, true) } else { (b, false) }
            } else if last_ok && a - 1 > lo {
                (a - 1, true)
            } else {
                (b, false)
            };
            let k = k.clamp(lo + 1, end);
            (first, widths) = (false, [width, widths[0]]);
            // A trial's `from` only bounds `need` from below, by less than
            // a failed `k` already does: a trial run ahead with an older
            // `lo` is as good as one run now.
            let t = match spare.take() {
                Some((s, t)) if s == k => t,
                _ if confirm && k < end && n.leaves.len() >= PARALLEL_FROM => {
                    let (t, next) = join(true, || trial(k, lo, false), || trial(k + 1, lo, false));
                    spare = Some((k + 1, next?));
                    t?
                }
                _ => trial(k, lo, true)?,
            };
            if !t.fine && hi.is_none() {
                // Someone outside `below` fell under it: if that holds with
                // all of them dropped, they join the next round.
                let all = if k == len { t } else { trial(len, lo, true)? };
                if !all.fine {
                    (dropped, x) = (all.dropped, all.x);
                    continue 'outer;
                }
                if let Some(j) = all.last_needed {
                    need = need.max(j + 1);
                }
                hi = Some((len, all));
                if k == len {
                    continue;
                }
                (last_ok, lo) = (false, k);
                continue;
            }
            last_ok = t.ok;
            if t.ok {
                if let Some(j) = t.last_needed {
                    need = need.max(j + 1);
                }
                enough = enough.min(k);
                hi = Some((k, t));
            } else {
                if t.fine
                    && let Some(j) = t.last_short
                {
                    enough = enough.min(j + 1);
                }
                need = need.max(k + 1);
                lo = k;
            }
        }
    }
}

/// Which bounds are tight at `x`.
struct Tight {
    group: Vec<bool>,
    cat_max: Vec<bool>,
    cat_min: Vec<bool>,
    budget: bool,
}

fn tight(n: &Normal, x: &[f64]) -> Tight {
    let sum = |members: &[usize]| members.iter().map(|&i| x[i]).sum::<f64>();
    Tight {
        group: n.groups.iter().map(|g| sum(&g.members) >= g.cap - AT).collect(),
        cat_max: n.cats.iter().map(|c| c.max_wei < n.budget && sum(&c.members) >= c.max - AT).collect(),
        cat_min: n.cats.iter().map(|c| c.min > 0.0 && (sum(&c.members) - c.min).abs() <= AT).collect(),
        budget: x.iter().sum::<f64>() >= 1.0 - AT,
    }
}

/// The rule that bound each recipient, innermost first, written into its
/// line; and its part for the rounding. One pass: at a million recipients
/// each walk over the leaves costs more than the work done in it.
/// From `PARALLEL_FROM` its two halves on two threads.
fn explain(n: &Normal, x: &[f64], dropped: &[bool], t: &Tight, payouts: &mut [Payout]) -> Halves<Share> {
    // In the leaves' halves.
    let (first, second) = n.leaves.halves();
    let half = first.len();
    let (lines, rest) = payouts.split_at_mut(half);
    let (a, b) = join(
        n.leaves.len() >= PARALLEL_FROM,
        || explained(n, first, 0, x, dropped, t, lines).collect(),
        || explained(n, second, half, x, dropped, t, rest).collect(),
    );
    Halves::new(a, b)
}

/// `explain` of `leaves`, the leaves from `start` on, one per line of
/// `lines`.
fn explained<'a>(
    n: &'a Normal,
    leaves: &'a [Leaf],
    start: usize,
    x: &'a [f64],
    dropped: &'a [bool],
    t: &'a Tight,
    lines: &'a mut [Payout],
) -> impl Iterator<Item = Share> + 'a {
    leaves.iter().zip(&x[start..]).zip(&dropped[start..]).zip(lines).map(|(((l, &x), &dropped), line)| {
        let binding = if dropped {
            Binding::MinimumPayout
        } else if l.w <= 0.0 {
            if x > AT { l.lo_rule } else { Binding::NoVotes }
        } else if x >= l.hi - AT {
            l.hi_rule
        } else if l.lo > 0.0 && x <= l.lo + AT {
            l.lo_rule
        } else if l.group.is_some_and(|g| t.group[g as usize]) {
            Binding::GroupCap
        } else if t.cat_max[usize::from(l.cat)] {
            Binding::CategoryMax
        } else if t.cat_min[usize::from(l.cat)] {
            Binding::CategoryMin
        } else {
            Binding::None
        };
        line.binding = binding;
        match binding {
            Binding::MinimumPayout | Binding::NoVotes => Share::Fixed(U256::ZERO),
            _ if l.w <= 0.0 => Share::Fixed(l.lo_wei),
            _ if x >= l.hi - AT => Share::Fixed(l.hi_wei),
            // Including a payout of (nearly) nothing: rounding leftovers
            // must not hand it a few wei under the minimum payout.
            _ if x <= l.lo + AT => Share::Fixed(l.lo_wei),
            // A group across categories is no node of this tree: its
            // members keep their own level, rounded down.
            Binding::GroupCap if !n.laminar => Share::Fixed(scale(x, n.budget)),
            _ => Share::Open { weight: l.weight, free: x },
        }
    })
}

/// A recipient's part of its node's amount: exactly so many wei, or a
/// share by weight of what is left.
#[derive(Clone, Copy)]
enum Share {
    Fixed(U256),
    Open { weight: U256, free: f64 },
}

/// One node of the bound tree for rounding: wei it must get exactly (a
/// tight bound, or the exact bounds of its recipients at their bounds), and
/// the exact vote weight of the rest, which shares what is left. Every
/// recipient not at a bound of its own sits at the level of its nearest
/// tight ancestor, so within a node the rest is shared in proportion to
/// the exact weights: vote-proportional payouts are exact, not merely close.
#[derive(Clone, Copy)]
struct Part {
    fixed: U256,
    weight: U256,
    /// The float payout of the rest (only for a root no bound holds).
    free: f64,
    /// A tight bound: the node gets exactly this, whatever is inside.
    tight: Option<U256>,
}

impl Part {
    const EMPTY: Self = Self { fixed: U256::ZERO, weight: U256::ZERO, free: 0.0, tight: None };

    fn sum(parts: impl Iterator<Item = Part>) -> Self {
        parts.fold(Self::EMPTY, |a, p| match p.tight {
            Some(t) => Part { fixed: a.fixed + t, ..a },
            None => Part {
                fixed: a.fixed + p.fixed,
                weight: a.weight.saturating_add(p.weight),
                free: a.free + p.free,
                tight: None,
            },
        })
    }
}

/// Exact wei: each node of the bound tree (budget, category, group) whose
/// bound is tight gets exactly that bound, each recipient at its own bound
/// exactly its bound, and what is left of a node's amount is apportioned
/// among the rest by exact weight, largest remainder first (ties to the
/// lower id). So the payouts sum exactly to what was spent, no bound is
/// crossed by a wei, and unbound recipients are paid in exact proportion.
/// The amounts are added to the payout lines (which start at zero); the
/// sum of them all is returned.
fn to_wei(n: &Normal, shares: &Halves<Share>, t: &Tight, payouts: &mut [Payout]) -> U256 {
    let leaf = |i: usize| -> Part {
        match shares[i] {
            Share::Fixed(fixed) => Part { fixed, ..Part::EMPTY },
            Share::Open { weight, free } => Part { weight, free, ..Part::EMPTY },
        }
    };
    let sum_of = |members: &[usize]| Part::sum(members.iter().map(|&i| leaf(i)));
    let group = |g: usize| Part { tight: t.group[g].then_some(n.groups[g].cap_wei), ..sum_of(&n.groups[g].members) };
    // A category's parts: its groups, then its loose recipients.
    let cat_part = |c: usize, groups: &[Part], j: usize| {
        if j < groups.len() { groups[j] } else { leaf(n.cats[c].loose[j - groups.len()]) }
    };
    // Categories are independent below the root: their parts and their
    // apportioning run on two threads at scale (the largest category on
    // this one), each exactly as one thread would.
    let second = par::second_thread(&n.cats.iter().map(|c| c.members.len()).collect::<Vec<_>>());
    let parallel = n.leaves.len() >= PARALLEL_FROM;
    // Each category's groups' parts, and its own.
    let parts: Vec<(Vec<Part>, Part)> = par::each(&second, parallel, |c| {
        let cat = &n.cats[c];
        let groups: Vec<Part> = cat.groups.iter().map(|&g| group(g)).collect();
        let tight = if t.cat_max[c] {
            Some(cat.max_wei)
        } else if t.cat_min[c] {
            Some(cat.min_wei)
        } else {
            None
        };
        let sum = Part::sum((0..groups.len() + cat.loose.len()).map(|j| cat_part(c, &groups, j)));
        (groups, Part { tight, ..sum })
    });
    let top: Vec<Part> = parts.iter().map(|(_, p)| *p).collect();
    let whole = Part::sum(top.iter().copied());
    let root = if t.budget { n.budget } else { (whole.fixed + scale(whole.free, n.budget)).min(n.budget) };
    let mut cat_totals = vec![U256::ZERO; top.len()];
    apportion(root, top.len(), |j| top[j], |j, a| cat_totals[j] += a);

    // Each category's amounts: its loose recipients', then its groups'
    // members' in order.
    let amounts: Vec<Vec<U256>> = par::each(&second, parallel, |c| {
        let (cat, groups) = (&n.cats[c], &parts[c].0);
        let grouped: usize = cat.groups.iter().map(|&g| n.groups[g].members.len()).sum();
        let mut amounts = vec![U256::ZERO; cat.loose.len() + grouped];
        let mut group_totals = vec![U256::ZERO; groups.len()];
        apportion(
            cat_totals[c],
            groups.len() + cat.loose.len(),
            |j| cat_part(c, groups, j),
            |j, a| match j.checked_sub(groups.len()) {
                Some(k) => amounts[k] += a,
                None => group_totals[j] += a,
            },
        );
        let mut offset = cat.loose.len();
        for (&g, total) in cat.groups.iter().zip(group_totals) {
            let members = &n.groups[g].members;
            let mine = &mut amounts[offset..offset + members.len()];
            apportion(total, members.len(), |j| leaf(members[j]), |j, a| mine[j] += a);
            offset += members.len();
        }
        amounts
    });
    let mut spent = U256::ZERO;
    for (cat, amounts) in n.cats.iter().zip(amounts) {
        let order = cat.loose.iter().chain(cat.groups.iter().flat_map(|&g| &n.groups[g].members));
        for (&i, a) in order.zip(amounts) {
            payouts[i].amount += a;
            spent += a;
        }
    }
    spent
}

/// `share · budget`, rounded down.
fn scale(share: f64, budget: U256) -> U256 {
    let k = U256::from((share.clamp(0.0, 1.0) * 2f64.powi(52)).round() as u64);
    mul_div(budget, k, U256::from(1u64 << 52))
}

/// Splits `total` among parts: a tight part gets its bound, every other
/// part its fixed wei plus a share of what is left in proportion to its
/// exact weight, by largest remainder (ties to the earlier part). If no
/// part has weight, what is left stays unspent; if the fixed parts exceed
/// `total` (a tight parent whose children's exact bounds overshoot its own
/// rounding), they are cut in proportion so the sum never does. Part `j`'s
/// amount is handed to `add(j, ..)` in pieces that sum to it.
fn apportion<P: Fn(usize) -> Part, A: FnMut(usize, U256)>(total: U256, len: usize, part: P, mut add: A) {
    let base = |p: &Part| p.tight.unwrap_or(p.fixed);
    let is_open = |p: &Part| p.tight.is_none() && !p.weight.is_zero();
    // One pass for the fixed wei, the open parts' levels (payout per
    // weight) and their weights. The open parts should sit at one level;
    // if the solver's rounding hid a bound, they do not, and their float
    // payouts are the better guide: 52-bit integer weights from those.
    let mut fixed = U256::ZERO;
    let mut open_weight = U256::ZERO;
    let (mut lo, mut hi, mut top, mut any_open) = (f64::INFINITY, 0.0f64, 0.0f64, false);
    for j in 0..len {
        let p = part(j);
        fixed += base(&p);
        if is_open(&p) {
            let r = p.free / to_f64(p.weight);
            (lo, hi, top, any_open) = (lo.min(r), hi.max(r), top.max(p.free), true);
            open_weight = open_weight.saturating_add(p.weight);
        }
    }
    if fixed > total {
        // Through references to `dyn`, so this instance is the last.
        let cut = |j: usize| Part { weight: base(&part(j)), ..Part::EMPTY };
        return apportion::<&dyn Fn(usize) -> Part, &mut dyn FnMut(usize, U256)>(total, len, &cut, &mut add);
    }
    let rest = total - fixed;
    let one_level = !any_open || hi <= lo * (1.0 + 1e-7);
    let weight = |p: &Part| match (p.tight, one_level) {
        (Some(_), _) => U256::ZERO,
        (None, true) => p.weight,
        (None, false) if top > 0.0 => U256::from((p.free.max(0.0) / top * 2f64.powi(52)).round() as u64),
        (None, false) => U256::ZERO,
    };
    // At one level the weights are the open parts' own (summed above).
    let sum =
        if one_level { open_weight } else { (0..len).fold(U256::ZERO, |a, j| a.saturating_add(weight(&part(j)))) };
    if sum.is_zero() || rest.is_zero() {
        for j in 0..len {
            add(j, base(&part(j)));
        }
        return;
    }
    let mut given = U256::ZERO;
    let mut remainders: Vec<(U256, usize)> = Vec::with_capacity(len);
    let share_of = Scale::new(rest, sum);
    for j in 0..len {
        let p = part(j);
        let k = weight(&p);
        if k.is_zero() {
            add(j, base(&p));
            continue;
        }
        let (share, rem) = share_of.of_rem(k);
        add(j, base(&p) + share);
        given += share;
        remainders.push((rem, j));
    }
    let left = (rest - given).to::<usize>();
    if left > 0 {
        let order = |a: &(U256, usize), b: &(U256, usize)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        if left < remainders.len() {
            remainders.select_nth_unstable_by(left - 1, order);
        }
        for &(_, j) in remainders.iter().take(left) {
            add(j, U256::from(1u8));
        }
    }
}
