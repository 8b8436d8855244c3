//! The closed-form solver for policies whose bounds nest (every group inside
//! one category): progressive filling by levels.
//!
//! At level λ a recipient is paid `clamp(λ·w, lo, hi)` (its floor when it
//! has no votes); a group pays at most its cap; a category at least its
//! (attainable) minimum and at most its maximum. Each of these is a
//! non-decreasing function of λ, so the root level that spends the budget
//! is found by a bracketed root search, then each bound that binds gets its
//! own level inside its subtree. That is exactly where progressive filling
//! (raise every ratio x/w together, freeze whoever hits a bound) ends,
//! without an LP.
//!
//! The recipients are laid out as three contiguous arrays ordered by
//! category and group, so one evaluation at a level is a vectorised pass.

use std::ops::Range;

use crate::normal::Normal;

/// Absolute tolerance on sums, in shares of the budget.
const SUM_TOL: f64 = 1e-15;

/// The smallest `μ` in `[a, b]` with `f(μ) >= target`, for a continuous
/// non-decreasing piecewise-linear `f`, given `f_b = f(b)` (the caller has
/// it, and each evaluation is a pass over the subtree's recipients): regula
/// falsi with the Illinois correction, which is exact once the bracket sits
/// on one linear piece.
fn level_below(f: impl Fn(f64) -> f64, target: f64, a: f64, b: f64, f_b: f64) -> f64 {
    let (mut a, mut b) = (a, b);
    let mut fa = f(a) - target;
    if fa >= 0.0 {
        return a;
    }
    let mut fb = f_b - target;
    if fb <= 0.0 {
        return b;
    }
    let mut side = 0i8;
    for _ in 0..300 {
        let mut m = (a * fb - b * fa) / (fb - fa);
        if !(m > a && m < b) {
            m = a + (b - a) / 2.0;
        }
        let fm = f(m) - target;
        if fm.abs() <= SUM_TOL * target.abs().max(1.0) || b - a <= f64::EPSILON * b {
            return m;
        }
        if fm > 0.0 {
            (b, fb) = (m, fm);
            if side == -1 {
                fa /= 2.0;
            }
            side = -1;
        } else {
            (a, fa) = (m, fm);
            if side == 1 {
                fb /= 2.0;
            }
            side = 1;
        }
    }
    a + (b - a) / 2.0
}

/// A category's slots: its groups' spans, then its loose recipients.
struct CatSpan {
    groups: Vec<(Range<usize>, f64)>,
    loose: Range<usize>,
    min: f64,
    max: f64,
}

/// A layout's arrays and spans without some leaves.
struct Compact {
    w: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    cats: Vec<CatSpan>,
}

/// The recipients in slot order, as arrays.
pub(crate) struct Layout {
    /// The leaf in each slot.
    leaf: Vec<usize>,
    w: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    cats: Vec<CatSpan>,
    top: f64,
}

/// Lanes of the sums below: independent partial sums the compiler can keep
/// in vector registers, instead of one chain of dependent additions (whose
/// latency, not the arithmetic, bounded a pass over a million recipients).
const LANES: usize = 8;

/// `clamp(level·w, lo, hi)` as comparisons (the values are never NaN), which
/// compile to plain vector min/max.
#[inline(always)]
fn paid(level: f64, w: f64, lo: f64, hi: f64) -> f64 {
    let v = level * w;
    let v = if v < lo { lo } else { v };
    if v > hi { hi } else { v }
}

/// Σ clamp(level·w, lo, hi) over a span (no votes: w = 0 gives lo). The
/// order of the additions is fixed by the span alone, so the sum is the
/// same on every machine.
#[inline]
fn span(w: &[f64], lo: &[f64], hi: &[f64], r: Range<usize>, level: f64) -> f64 {
    let (w, lo, hi) = (&w[r.clone()], &lo[r.clone()], &hi[r]);
    let (wc, loc, hic) = (w.chunks_exact(LANES), lo.chunks_exact(LANES), hi.chunks_exact(LANES));
    let tail: f64 = wc
        .remainder()
        .iter()
        .zip(loc.remainder())
        .zip(hic.remainder())
        .map(|((&w, &l), &h)| paid(level, w, l, h))
        .sum();
    let mut acc = [0.0f64; LANES];
    for ((w, lo), hi) in wc.zip(loc).zip(hic) {
        for k in 0..LANES {
            acc[k] += paid(level, w[k], lo[k], hi[k]);
        }
    }
    acc.iter().sum::<f64>() + tail
}

impl Layout {
    pub(crate) fn new(n: &Normal) -> Self {
        let mut leaf = Vec::with_capacity(n.leaves.len());
        let mut cats = Vec::with_capacity(n.cats.len());
        for cat in &n.cats {
            let mut groups = Vec::with_capacity(cat.groups.len());
            for &g in &cat.groups {
                let start = leaf.len();
                leaf.extend_from_slice(&n.groups[g].members);
                groups.push((start..leaf.len(), n.groups[g].cap));
            }
            let start = leaf.len();
            leaf.extend_from_slice(&cat.loose);
            cats.push(CatSpan { groups, loose: start..leaf.len(), min: cat.min, max: cat.max });
        }
        // One gather for the three arrays: each leaf is read once.
        let (mut w, mut lo, mut hi) =
            (Vec::with_capacity(leaf.len()), Vec::with_capacity(leaf.len()), Vec::with_capacity(leaf.len()));
        // Every leaf has a slot, so the largest saturation over the slots
        // is `n.top_level()` (a maximum, whatever the order).
        let mut top = 0.0f64;
        for &i in &leaf {
            let l = &n.leaves[i];
            w.push(l.w);
            lo.push(l.lo);
            hi.push(l.hi);
            top = top.max(l.saturation());
        }
        Self { w, lo, hi, leaf, cats, top }
    }

    /// The slots of the leaves not `dropped`, with each span renumbered. A
    /// dropped leaf would add exactly 0.0 to every sum, so leaving it out
    /// changes no sum (the minimum payout drops ~40% at a million, and each
    /// level search passes over the rest many times).
    fn without(&self, dropped: &[bool]) -> Compact {
        // Sized for the survivors: growing three arrays of a million copies
        // each of them several times.
        let kept = dropped.iter().filter(|&&d| !d).count();
        let mut out = Compact {
            w: Vec::with_capacity(kept),
            lo: Vec::with_capacity(kept),
            hi: Vec::with_capacity(kept),
            cats: Vec::with_capacity(self.cats.len()),
        };
        let keep = |r: &Range<usize>, out: &mut Compact| {
            let start = out.w.len();
            for s in r.clone().filter(|&s| !dropped[self.leaf[s]]) {
                out.w.push(self.w[s]);
                out.lo.push(self.lo[s]);
                out.hi.push(self.hi[s]);
            }
            start..out.w.len()
        };
        for c in &self.cats {
            let groups = c.groups.iter().map(|(r, cap)| (keep(r, &mut out), *cap)).collect();
            let loose = keep(&c.loose, &mut out);
            out.cats.push(CatSpan { groups, loose, min: c.min, max: c.max });
        }
        out
    }

    /// Payouts as shares of the budget, one per leaf, with the `dropped`
    /// leaves taken out (their entries: what they would be paid at the
    /// level their node reached without them).
    pub(crate) fn solve(&self, dropped: &[bool]) -> Vec<f64> {
        let compact;
        let (w, lo, hi, cats) = if dropped.iter().any(|&d| d) {
            compact = self.without(dropped);
            (&compact.w[..], &compact.lo[..], &compact.hi[..], &compact.cats[..])
        } else {
            (&self.w[..], &self.lo[..], &self.hi[..], &self.cats[..])
        };
        let top = self.top;
        let group_value = |r: &Range<usize>, cap: f64, level: f64| span(w, lo, hi, r.clone(), level).min(cap);
        let cat_sum = |c: &CatSpan, level: f64| {
            c.groups.iter().map(|(r, cap)| group_value(r, *cap, level)).sum::<f64>()
                + span(w, lo, hi, c.loose.clone(), level)
        };
        // A minimum its recipients cannot take is met as far as they can.
        let at_top: Vec<f64> = cats.iter().map(|c| cat_sum(c, top)).collect();
        let cat_floor: Vec<f64> = cats.iter().zip(&at_top).map(|(c, &t)| c.min.min(t)).collect();
        let clamp_cat = |k: usize, sum: f64| sum.max(cat_floor[k]).min(self.cats[k].max);
        let total = |level: f64| (0..cats.len()).map(|k| clamp_cat(k, cat_sum(&cats[k], level))).sum::<f64>();
        // The same sum as `total(top)`, from the sums already taken there.
        let total_top = (0..cats.len()).map(|k| clamp_cat(k, at_top[k])).sum::<f64>();

        let root = if total_top <= 1.0 { top } else { level_below(total, 1.0, 0.0, top, total_top) };
        let mut x = vec![0.0; self.leaf.len()];
        // From the unmasked bounds: a dropped leaf gets what it would be
        // paid at its node's level (the minimum-payout search reads it),
        // everyone else the same as from the masked ones.
        let mut put = |r: Range<usize>, level: f64| {
            for s in r {
                x[self.leaf[s]] = paid(level, self.w[s], self.lo[s], self.hi[s]);
            }
        };
        // Levels from the (compacted) sums; payouts over every slot.
        for (k, (c, full)) in cats.iter().zip(&self.cats).enumerate() {
            let natural = cat_sum(c, root);
            let value = clamp_cat(k, natural);
            let level =
                if value == natural { root } else { level_below(|l| cat_sum(c, l), value, 0.0, top, at_top[k]) };
            for ((r, cap), (full, _)) in c.groups.iter().zip(&full.groups) {
                let at_level = span(w, lo, hi, r.clone(), level);
                let inner = if at_level > *cap {
                    level_below(|l| span(w, lo, hi, r.clone(), l), *cap, 0.0, level, at_level)
                } else {
                    level
                };
                put(full.clone(), inner);
            }
            put(full.loose.clone(), level);
        }
        x
    }
}
