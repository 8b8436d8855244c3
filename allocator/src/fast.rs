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
use crate::par::{self, PARALLEL_FROM};

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

/// One category's recipients in slot order (its groups' members, then its
/// loose ones) as arrays, and its spans. Each category has its own arrays,
/// so categories can be summed, compacted and searched on two threads.
struct CatSlots {
    /// The leaf in each slot (empty in a compacted copy).
    leaf: Vec<usize>,
    w: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    groups: Vec<(Range<usize>, f64)>,
    loose: Range<usize>,
    min: f64,
    max: f64,
}

impl CatSlots {
    /// Σ clamp(level·w, lo, hi) over a span.
    fn span(&self, r: Range<usize>, level: f64) -> f64 {
        span(&self.w, &self.lo, &self.hi, r, level)
    }

    /// What the category pays at `level`, each group held to its cap.
    fn sum(&self, level: f64) -> f64 {
        self.groups.iter().map(|(r, cap)| self.span(r.clone(), level).min(*cap)).sum::<f64>()
            + self.span(self.loose.clone(), level)
    }

    /// Its slots without the `dropped` leaves, spans renumbered (`self`
    /// has its leaves). A dropped leaf would add exactly 0.0 to every sum,
    /// so leaving it out changes no sum.
    fn without(&self, dropped: &[bool]) -> CatSlots {
        // Sized for the survivors: growing three arrays of a million copies
        // each of them several times.
        let kept = self.leaf.iter().filter(|&&i| !dropped[i]).count();
        let mut out = CatSlots {
            leaf: Vec::new(),
            w: Vec::with_capacity(kept),
            lo: Vec::with_capacity(kept),
            hi: Vec::with_capacity(kept),
            groups: Vec::with_capacity(self.groups.len()),
            loose: 0..0,
            min: self.min,
            max: self.max,
        };
        let keep = |r: &Range<usize>, out: &mut CatSlots| {
            let start = out.w.len();
            for s in r.clone().filter(|&s| !dropped[self.leaf[s]]) {
                out.w.push(self.w[s]);
                out.lo.push(self.lo[s]);
                out.hi.push(self.hi[s]);
            }
            start..out.w.len()
        };
        for (r, cap) in &self.groups {
            let kept = keep(r, &mut out);
            out.groups.push((kept, *cap));
        }
        out.loose = keep(&self.loose, &mut out);
        out
    }
}

/// The recipients by category, in slot order.
pub(crate) struct Layout {
    cats: Vec<CatSlots>,
    /// Which categories a second thread takes: the largest stays on the
    /// calling thread, the rest go (at most two threads, and the split
    /// decides only who computes a sum, never its value).
    second: Vec<bool>,
    len: usize,
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

/// From this many recipients still in the running, a level search sums
/// its categories on two threads (a thread per evaluation: under this the
/// spawn costs more than half a pass saves).
const SPLIT_SUMS_FROM: usize = 200_000;

impl Layout {
    pub(crate) fn new(n: &Normal) -> Self {
        // Every leaf has a slot, so the largest saturation over the slots
        // is `n.top_level()` (a maximum, whatever the order).
        let mut top = 0.0f64;
        let cats: Vec<CatSlots> = n
            .cats
            .iter()
            .map(|cat| {
                let mut leaf = Vec::with_capacity(cat.members.len());
                let mut groups = Vec::with_capacity(cat.groups.len());
                for &g in &cat.groups {
                    let start = leaf.len();
                    leaf.extend_from_slice(&n.groups[g].members);
                    groups.push((start..leaf.len(), n.groups[g].cap));
                }
                let start = leaf.len();
                leaf.extend_from_slice(&cat.loose);
                let loose = start..leaf.len();
                // One gather for the three arrays: each leaf is read once.
                let (mut w, mut lo, mut hi) =
                    (Vec::with_capacity(leaf.len()), Vec::with_capacity(leaf.len()), Vec::with_capacity(leaf.len()));
                for &i in &leaf {
                    let l = &n.leaves[i];
                    w.push(l.w);
                    lo.push(l.lo);
                    hi.push(l.hi);
                    top = top.max(l.saturation());
                }
                CatSlots { leaf, w, lo, hi, groups, loose, min: cat.min, max: cat.max }
            })
            .collect();
        let second = par::second_thread(&cats.iter().map(|c| c.leaf.len()).collect::<Vec<_>>());
        Self { len: n.leaves.len(), cats, second, top }
    }

    /// `f` of every category, the second thread's share on a second thread
    /// when `parallel`; in category order either way.
    fn each<T: Send>(&self, cats: &[CatSlots], parallel: bool, f: impl Fn(usize, &CatSlots) -> T + Sync) -> Vec<T> {
        par::each(&self.second, parallel, |k| f(k, &cats[k]))
    }

    /// Payouts as shares of the budget, one per leaf, with the `dropped`
    /// leaves taken out (their entries: what they would be paid at the
    /// level their node reached without them). `parallel`: a second thread
    /// is free to help.
    pub(crate) fn solve(&self, dropped: &[bool], parallel: bool) -> Vec<f64> {
        let parallel = parallel && self.len >= PARALLEL_FROM;
        let compact;
        let cats = if dropped.iter().any(|&d| d) {
            compact = self.each(&self.cats, parallel, |_, c| c.without(dropped));
            &compact[..]
        } else {
            &self.cats[..]
        };
        let kept: usize = cats.iter().map(|c| c.w.len()).sum();
        let split = parallel && kept >= SPLIT_SUMS_FROM;
        let top = self.top;
        let sums = |level: f64| self.each(cats, split, |_, c| c.sum(level));
        // A minimum its recipients cannot take is met as far as they can.
        let at_top = sums(top);
        let cat_floor: Vec<f64> = cats.iter().zip(&at_top).map(|(c, &t)| c.min.min(t)).collect();
        let clamp_cat = |k: usize, sum: f64| sum.max(cat_floor[k]).min(cats[k].max);
        // In category order, whichever thread summed which.
        let total_of = |s: &[f64]| s.iter().enumerate().map(|(k, &v)| clamp_cat(k, v)).sum::<f64>();
        let total_top = total_of(&at_top);
        let root = if total_top <= 1.0 { top } else { level_below(|l| total_of(&sums(l)), 1.0, 0.0, top, total_top) };

        // Each category's level and its groups' (own searches, so on two
        // threads whole), from the (compacted) sums.
        let levels = self.each(cats, parallel, |k, c| {
            let natural = c.sum(root);
            let value = clamp_cat(k, natural);
            let level = if value == natural { root } else { level_below(|l| c.sum(l), value, 0.0, top, at_top[k]) };
            let groups: Vec<f64> = c
                .groups
                .iter()
                .map(|(r, cap)| {
                    let at_level = c.span(r.clone(), level);
                    if at_level > *cap {
                        level_below(|l| c.span(r.clone(), l), *cap, 0.0, level, at_level)
                    } else {
                        level
                    }
                })
                .collect();
            (level, groups)
        });
        // Payouts over every slot, from the unmasked bounds: a dropped leaf
        // gets what it would be paid at its node's level (the
        // minimum-payout search reads it), everyone else the same as from
        // the masked ones.
        let mut x = vec![0.0; self.len];
        for (full, (level, groups)) in self.cats.iter().zip(levels) {
            let mut put = |r: Range<usize>, level: f64| {
                for s in r {
                    x[full.leaf[s]] = paid(level, full.w[s], full.lo[s], full.hi[s]);
                }
            };
            for ((r, _), inner) in full.groups.iter().zip(groups) {
                put(r.clone(), inner);
            }
            put(full.loose.clone(), level);
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use alloy_primitives::U256;

    use super::*;
    use crate::{Bps, Candidate, Category, CategoryBounds, Limit, Policy, Problem};

    fn bps(n: u16) -> Bps {
        Bps::new(n).expect("bps")
    }

    /// Past the size where the level sums are split over two threads, the
    /// payouts are the single thread's to the bit, with and without
    /// dropped recipients, and with a category clamped each way.
    #[test]
    fn a_solve_on_two_threads_is_the_solve_on_one() {
        // A fifth dropped still leaves enough to split.
        let n = SPLIT_SUMS_FROM * 5 / 4 + 1_000;
        let candidates: Vec<Candidate> = (0..n)
            .map(|i| {
                let category = Category::ALL[i % 3];
                Candidate {
                    id: i as u64,
                    category,
                    weight: U256::from((i as u64 * 7919) % 10_007 + 1),
                    cap: None,
                    floor: None,
                    group: (i % 10 == 0).then(|| format!("{category}-{}", i % 70)),
                    previous: None,
                }
            })
            .collect();
        let group_caps =
            candidates.iter().filter_map(|c| c.group.clone()).map(|g| (g, Limit::Share(bps(30)))).collect();
        let mut categories = BTreeMap::new();
        categories.insert(Category::DeviceProgram, CategoryBounds { min: Some(bps(4000)), max: None });
        categories.insert(Category::Dapp, CategoryBounds { min: None, max: Some(bps(2000)) });
        let policy = Policy {
            categories,
            recipient_cap: Some(Limit::Share(bps(1))),
            min_payout: U256::ZERO,
            smoothing: None,
            group_caps,
        };
        let problem =
            Problem { budget: U256::from(10u64).pow(U256::from(24u8)), previous_budget: None, candidates, policy };
        let normal = Normal::new(&problem).expect("a valid problem");
        let layout = Layout::new(&normal);
        for dropped in [vec![false; n], (0..n).map(|i| i % 5 == 0).collect()] {
            let one = layout.solve(&dropped, false);
            let two = layout.solve(&dropped, true);
            assert!(one.iter().filter(|&&x| x > 0.0).count() > n / 2, "most are paid");
            let differ = one.iter().zip(&two).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
            assert_eq!(differ, 0, "payouts that differ between one and two threads");
        }
    }
}
