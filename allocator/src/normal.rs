//! The problem in the solvers' terms: every amount a share of the budget
//! (budget = 1.0), every weight a share of the total vote (so a recipient's
//! vote-proportional target is its weight), each recipient's bounds merged
//! into one `[lo, hi]` box that remembers which rule set each side.
//!
//! Both solvers read this form, so they solve the same problem; the exact
//! wei bounds are kept beside the floats for the final rounding.

use std::collections::HashMap;

use alloy_primitives::{U256, U512};

use crate::par::{Halves, PARALLEL_FROM, join};
use crate::problem::{Limit, Problem, ProblemError};
use crate::split::Binding;
use crate::units::{Bps, Category};

/// One recipient.
#[derive(Clone, Debug)]
pub(crate) struct Leaf {
    pub id: u64,
    pub cat: u8,
    /// The votes it received, exactly.
    pub weight: U256,
    pub group: Option<u32>,
    /// Share of the total vote.
    pub w: f64,
    pub lo: f64,
    pub hi: f64,
    pub lo_wei: U256,
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

/// Floors and lower bounds (wei) per group, per category and in all.
struct LowerSums {
    per_group: Vec<(U256, U256)>,
    per_cat: Vec<(U256, U256)>,
    all: (U256, U256),
}

/// The normal form.
#[derive(Clone, Debug)]
pub(crate) struct Normal {
    pub budget: U256,
    /// Sorted by id, so nothing depends on the order candidates came in.
    /// In the halves two threads built them in.
    pub leaves: Halves<Leaf>,
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
    to_f64(a) / to_f64(b)
}

/// The top 64 bits, scaled: within 2^-63 relative, deterministic, and
/// several times faster than a correctly rounded conversion (this runs a
/// few times per recipient).
pub(crate) fn to_f64(x: U256) -> f64 {
    let bits = x.bit_len();
    let limbs = x.as_limbs();
    if bits <= 64 {
        return limbs[0] as f64;
    }
    // `(x >> shift)`'s low limb, read from the two limbs it spans, times
    // 2^shift built from its exponent bits (exact, as `powi(2, shift)` is,
    // without the shift of four limbs or the call).
    let shift = bits - 64;
    let (limb, off) = (shift / 64, shift % 64);
    let top = if off == 0 { limbs[limb] } else { (limbs[limb] >> off) | (limbs[limb + 1] << (64 - off)) };
    top as f64 * f64::from_bits(((1023 + shift) as u64) << 52)
}

/// `a * b / c` rounded down, and the remainder (c > 0, k <= c so both fit).
pub(crate) fn mul_div_rem(a: U256, b: U256, c: U256) -> (U256, U256) {
    if let (Ok(a), Ok(b), Ok(c)) = (u128::try_from(a), u128::try_from(b), u128::try_from(c))
        && let Some(ab) = a.checked_mul(b)
    {
        // One hardware division; the remainder by a multiplication.
        let q = ab / c;
        return (U256::from(q), U256::from(ab - q * c));
    }
    if let (Ok(a), Ok(b), Ok(c)) = (u128::try_from(a), u128::try_from(b), u128::try_from(c))
        && let Some((q, r)) = mul_div_rem_narrow(a, b, c, f64_of(a) * f64_of(b) / f64_of(c), f64_of(c))
    {
        return (U256::from(q), U256::from(r));
    }
    match a.checked_mul(b) {
        Some(ab) => div_rem(ab, c),
        None => {
            let (q, r) = (U512::from(a) * U512::from(b)).div_rem(U512::from(c));
            (U256::saturating_from(q), U256::saturating_from(r))
        }
    }
}

/// Under this, an estimate of a quotient from floats is below the true one:
/// each conversion and the division are within 2^-52 relative.
const BELOW: f64 = 1.0 - 1e-14;

/// A float of a 128-bit word within 2^-52 relative, from its two halves
/// (cheaper than the correctly rounded conversion, and as good here).
fn f64_of(x: u128) -> f64 {
    ((x >> 64) as u64 as f64) * 18_446_744_073_709_551_616.0 + (x as u64 as f64)
}

/// `a * b / c` and the remainder for the usual sizes (budgets near 2^80 wei
/// times weights near 2^60, over totals under 2^127), in 128-bit words: the
/// quotient estimated in floats from below, and the remainder computed
/// modulo 2^128, which is exact because it is known to be smaller. `est` is
/// `a·b/c` in floats (within 2^-49 relative), `cf` is `c`. `None` outside
/// those sizes.
fn mul_div_rem_narrow(a: u128, b: u128, c: u128, est: f64, cf: f64) -> Option<(u128, u128)> {
    let bits = |x: u128| 128 - x.leading_zeros();
    // The remainder of the estimate is under 2^-46·a·b + c < 2^128, and the
    // quotient under 2^127.
    if c == 0 || bits(a) + bits(b) > 170 || bits(c) > 126 || bits(a) + bits(b) > bits(c) + 126 {
        return None;
    }
    let mut q = (est * BELOW) as u128;
    let mut r = a.wrapping_mul(b).wrapping_sub(q.wrapping_mul(c));
    // Each round leaves under 2^-46 of the quotient (and at least takes
    // one): two or three rounds.
    while r >= c {
        let e = ((f64_of(r) / cf * BELOW) as u128).max(1);
        (q, r) = (q + e, r - e * c);
    }
    Some((q, r))
}

/// `x ↦ ⌊a·x / c⌋` for one `a` and `c` and many `x` (every recipient's
/// target): the floats of `a / c` and `c` are taken once.
pub(crate) struct Scale {
    a: U256,
    c: U256,
    /// `a`, `c`, `a / c` and `c` as floats, when both fit in 128 bits.
    narrow: Option<(u128, u128, f64, f64)>,
}

impl Scale {
    /// `c > 0`.
    pub fn new(a: U256, c: U256) -> Self {
        let narrow = match (u128::try_from(a), u128::try_from(c)) {
            (Ok(a), Ok(c)) if c > 0 => Some((a, c, f64_of(a) / f64_of(c), f64_of(c))),
            _ => None,
        };
        Self { a, c, narrow }
    }

    /// `⌊a·x / c⌋`.
    pub fn of(&self, x: U256) -> U256 {
        self.of_rem(x).0
    }

    /// `⌊a·x / c⌋` and the remainder.
    pub fn of_rem(&self, x: U256) -> (U256, U256) {
        if let (Some((a, c, ratio, cf)), Ok(x)) = (self.narrow, u128::try_from(x))
            && let Some((q, r)) = mul_div_rem_narrow(a, x, c, f64_of(x) * ratio, cf)
        {
            return (U256::from(q), U256::from(r));
        }
        mul_div_rem(self.a, x, self.c)
    }
}

/// `n / d` and `n % d` (d > 0), exactly: the quotient estimated in floats
/// from below and the estimate's remainder divided again, so two or three
/// multiplications replace a long division (which was most of the cost of
/// the payouts at a million recipients).
pub(crate) fn div_rem(n: U256, d: U256) -> (U256, U256) {
    // `BELOW` keeps each estimate `e` under the true quotient: `e·d <= r`.
    let df = to_f64(d);
    let (mut q, mut r) = (U256::ZERO, n);
    while r >= d {
        let est = to_f64(r) / df * BELOW;
        // `r >= d`: the quotient is at least one.
        let e = if est < 1.0 { U256::from(1u8) } else { floor_u256(est) };
        r -= e * d;
        q += e;
    }
    (q, r)
}

/// `⌊f⌋` for a finite `f >= 1` below 2^256.
fn floor_u256(f: f64) -> U256 {
    let bits = f.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32 - 1075;
    let mantissa = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    if exp >= 0 { U256::from(mantissa) << (exp as usize) } else { U256::from(mantissa >> (-exp) as u32) }
}

/// `⌊p·k / 10 000⌋` for `k <= 20 000`, by parts (`p = q·10 000 + r`), so
/// both divisions are by a constant: the floor `mul_div` gives, without its
/// 128-bit division (two per smoothed recipient).
fn bps_of(p: u64, k: u64) -> U256 {
    const M: u64 = Bps::MAX as u64;
    let (q, r) = (p / M, p % M);
    U256::from(u128::from(q) * u128::from(k) + u128::from(r * k / M))
}

/// `a * b / c`, rounded down, without overflow (c > 0; the result fits when
/// a <= c or b <= c, which every caller guarantees).
pub(crate) fn mul_div(a: U256, b: U256, c: U256) -> U256 {
    mul_div_rem(a, b, c).0
}

/// Whether the ids strictly increase (sorted, no duplicates), and the
/// saturating sum of the weights: one pass, on two threads at scale (a
/// saturating sum of non-negative terms does not depend on their order).
fn scan(candidates: &[crate::Candidate]) -> (bool, U256) {
    let part = |c: &[crate::Candidate]| {
        let strict = c.windows(2).all(|w| w[0].id < w[1].id);
        (strict, c.iter().fold(U256::ZERO, |acc, c| acc.saturating_add(c.weight)))
    };
    let (a, b) = candidates.split_at(candidates.len() / 2);
    let (first, second) = join(candidates.len() >= PARALLEL_FROM, || part(a), || part(b));
    let joint = a.last().zip(b.first()).is_none_or(|(x, y)| x.id < y.id);
    (first.0 && second.0 && joint, first.1.saturating_add(second.1))
}

/// The number of categories.
const CATS: usize = Category::ALL.len();

/// A grouped leaf, for the pass over the groups.
struct Grouped {
    group: u32,
    cat: u8,
    leaf: usize,
    floor_wei: U256,
    lo_wei: U256,
}

/// What a run of candidates yields: its leaves, and by leaf index the
/// memberships, floors and lower-bound sums of its part. Runs are joined
/// by appending all but the leaves (`Halves` keeps them apart).
struct Run {
    leaves: Vec<Leaf>,
    floors: Vec<(usize, U256)>,
    members: [Vec<usize>; CATS],
    loose: [Vec<usize>; CATS],
    grouped: Vec<Grouped>,
    per_cat: [(U256, U256); CATS],
    all: (U256, U256),
}

impl Run {
    /// Room for `len` leaves, `capacity` in each list (the whole list, when
    /// later runs are appended to this one: reserved pages never written
    /// cost nothing) and `len / 8` grouped ones.
    fn with_capacity(capacity: usize, len: usize) -> Self {
        let lists = || std::array::from_fn(|_| Vec::with_capacity(capacity));
        let zero = (U256::ZERO, U256::ZERO);
        Self {
            leaves: Vec::with_capacity(len),
            floors: Vec::new(),
            members: lists(),
            loose: lists(),
            grouped: Vec::with_capacity(len / 8),
            per_cat: [zero; CATS],
            all: zero,
        }
    }

    /// The next run after this one, but for its leaves.
    fn append(&mut self, next: Run) {
        self.floors.extend(next.floors);
        for (mine, theirs) in self.members.iter_mut().zip(next.members).chain(self.loose.iter_mut().zip(next.loose)) {
            mine.extend(theirs);
        }
        self.grouped.extend(next.grouped);
        for (mine, theirs) in self.per_cat.iter_mut().zip(next.per_cat).chain([(&mut self.all, next.all)]) {
            mine.0 += theirs.0;
            mine.1 += theirs.1;
        }
    }
}

impl Normal {
    pub fn new(p: &Problem) -> Result<Self, ProblemError> {
        let budget = p.budget;
        let policy = &p.policy;
        let count = p.candidates.len();
        // Leaves and groups are indexed by u32 in the solvers.
        if u32::try_from(count).is_err() {
            return Err(ProblemError::TooMany(count));
        }
        // Candidates usually come sorted by id (the store lists them so):
        // then they are read in place, and one pass (on two threads from
        // `PARALLEL_FROM`) both proves the order strict and sums the
        // weights. Otherwise through a sorted copy of references.
        let (strict, total_weight) = scan(&p.candidates);
        let order: Vec<&crate::Candidate> = if strict {
            Vec::new()
        } else {
            let mut v: Vec<&crate::Candidate> = p.candidates.iter().collect();
            v.sort_by_key(|c| c.id);
            if let Some(k) = (1..count).find(|&k| v[k - 1].id == v[k].id) {
                return Err(ProblemError::DuplicateId(v[k].id));
            }
            v
        };
        let candidate = |k: usize| if strict { &p.candidates[k] } else { order[k] };

        // `ratio` with the divisor converted once.
        let (budget_f, total_f) = (to_f64(budget), to_f64(total_weight));
        let share = |wei: U256| if budget.is_zero() { 0.0 } else { to_f64(wei.min(budget)) / budget_f };
        // Looked up once per grouped recipient: hashing beats walking a
        // tree of string comparisons (indices still follow the policy's order).
        let group_ids: HashMap<&str, u32> =
            policy.group_caps.keys().enumerate().map(|(i, k)| (k.as_str(), i as u32)).collect();
        let mut groups: Vec<Group> = policy
            .group_caps
            .iter()
            .map(|(name, cap)| {
                let cap_wei = cap.wei(budget).min(budget);
                Group { name: name.clone(), cap: share(cap_wei), cap_wei, members: Vec::new() }
            })
            .collect();

        // The band is [prev·B·(1-s), prev·B·(1+s)] / previous budget, in
        // basis points; when the budget did not change that is simply
        // prev·(1±s), the same floor of the same fraction, 5x cheaper.
        let bps_max = U256::from(Bps::MAX);
        let smoothing = match (policy.smoothing, p.previous_budget) {
            (Some(s), Some(pb)) if !pb.is_zero() => {
                let (down_k, up_k) = (u64::from(Bps::MAX - s.get()), u64::from(Bps::MAX + s.get()));
                let (down, up) = (U256::from(down_k), U256::from(up_k));
                Some(move |prev: U256| -> (U256, U256) {
                    if pb == budget {
                        if let Ok(p) = u64::try_from(prev) {
                            return (bps_of(p, down_k), bps_of(p, up_k));
                        }
                        (mul_div(prev, down, bps_max), mul_div(prev, up, bps_max))
                    } else {
                        (mul_div(prev * down, budget, pb * bps_max), mul_div(prev * up, budget, pb * bps_max))
                    }
                })
            }
            _ => None,
        };
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
        let policy_cap = policy.recipient_cap.map(|l| l.wei(budget));
        // A candidate's floor (a pure function of it, read twice below).
        let floor_of = |c: &crate::Candidate| c.floor.map_or(U256::ZERO, |l: Limit| l.wei(budget)).min(budget);
        // One candidate's leaf, from it alone.
        let leaf = |c: &crate::Candidate| -> Result<Leaf, ProblemError> {
            let group = match &c.group {
                None => None,
                Some(g) => Some(
                    *group_ids
                        .get(g.as_str())
                        .ok_or_else(|| ProblemError::UnknownGroup { id: c.id, group: g.clone() })?,
                ),
            };
            let capped = c.cap.map(|l| l.wei(budget)).or(policy_cap).filter(|&cap| cap < budget);
            let floor = floor_of(c);
            if !floor.is_zero() && floor < policy.min_payout {
                return Err(ProblemError::FloorBelowMinimum(c.id));
            }
            // Smoothing compares shares of the budget, so a smaller budget
            // scales everyone down instead of making the policy infeasible.
            let band = match (&smoothing, c.previous) {
                (Some(band), Some(prev)) if !prev.is_zero() => {
                    let (lo, hi) = band(prev);
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
            Ok(Leaf {
                id: c.id,
                cat: cat_index(c.category) as u8,
                weight: c.weight,
                group,
                w: if total_weight.is_zero() { 0.0 } else { to_f64(c.weight) / total_f },
                // Both are at most the budget already.
                lo: if budget.is_zero() { 0.0 } else { to_f64(lo_wei) / budget_f },
                hi: if budget.is_zero() { 0.0 } else { to_f64(hi_wei) / budget_f },
                lo_wei,
                hi_wei,
                lo_rule,
                hi_rule,
            })
        };
        // Each run of candidates yields its leaves with everything the
        // later steps need from them (memberships, floors, lower-bound
        // sums), so a candidate is read once and a leaf written once: at a
        // million, passes over the 190-byte candidates and 144-byte leaves
        // were most of the time here. Runs are independent; at scale, two
        // halves on two threads, joined in order.
        let run = |r: std::ops::Range<usize>, capacity: usize| -> Result<Run, ProblemError> {
            let mut out = Run::with_capacity(capacity, r.len());
            for k in r {
                let c = candidate(k);
                let l = leaf(c)?;
                let (cat, lo_wei) = (usize::from(l.cat), l.lo_wei);
                let floor_wei = floor_of(c).min(lo_wei);
                if !floor_wei.is_zero() {
                    out.floors.push((k, floor_wei));
                }
                out.members[cat].push(k);
                match l.group {
                    Some(g) => out.grouped.push(Grouped { group: g, cat: l.cat, leaf: k, floor_wei, lo_wei }),
                    None => out.loose[cat].push(k),
                }
                for s in [&mut out.per_cat[cat], &mut out.all] {
                    s.0 += floor_wei;
                    s.1 += lo_wei;
                }
                out.leaves.push(l);
            }
            Ok(out)
        };
        let half = count / 2;
        let (first, second) = join(count >= PARALLEL_FROM, || run(0..half, count), || run(half..count, count - half));
        // The first error by id is the one reported either way.
        let (mut joined, mut second) = (first?, second?);
        let leaves = Halves::new(std::mem::take(&mut joined.leaves), std::mem::take(&mut second.leaves));
        joined.append(second);
        let Run { floors, members, loose, grouped, per_cat, all, .. } = joined;
        for ((cat, members), loose) in cats.iter_mut().zip(members).zip(loose) {
            (cat.members, cat.loose) = (members, loose);
        }
        // Groups hold a tenth of the recipients or so: their lists and sums
        // in one pass over those alone. A bit per category each group spans.
        let mut group_cats = vec![0u8; groups.len()];
        let zero = (U256::ZERO, U256::ZERO);
        let mut per_group = vec![zero; groups.len()];
        for m in &grouped {
            let g = m.group as usize;
            groups[g].members.push(m.leaf);
            group_cats[g] |= 1 << m.cat;
            per_group[g].0 += m.floor_wei;
            per_group[g].1 += m.lo_wei;
        }
        let sums = LowerSums { per_group, per_cat: per_cat.to_vec(), all };

        for (c, cat) in Category::ALL.iter().zip(&cats) {
            if cat.min_wei > cat.max_wei {
                return Err(ProblemError::CategoryMinAboveMax(*c));
            }
        }
        let mins: u32 = policy.categories.values().filter_map(|b| b.min).map(|m| u32::from(m.get())).sum();
        if mins > u32::from(Bps::MAX) {
            return Err(ProblemError::CategoryMinsOverBudget);
        }

        let laminar = group_cats.iter().all(|s| s.count_ones() <= 1);
        for (g, cs) in group_cats.iter().enumerate() {
            if laminar && *cs != 0 {
                cats[cs.trailing_zeros() as usize].groups.push(g);
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
        n.fit_lower_bounds(sums, &floors)?;
        Ok(n)
    }

    /// Floors must fit under every cap. Smoothing's lower bounds yield:
    /// where they do not fit under a group cap, a category maximum or the
    /// budget, the smoothing parts of that set are scaled down together
    /// until they do, so a shrinking cap never makes an epoch infeasible.
    /// `floors`: each leaf's floor part of `lo_wei` (the rest is smoothing),
    /// by leaf, for the few leaves that have one.
    fn fit_lower_bounds(&mut self, sums: LowerSums, floors: &[(usize, U256)]) -> Result<(), ProblemError> {
        let floor_of = |i: usize| floors.binary_search_by_key(&i, |f| f.0).map_or(U256::ZERO, |k| floors[k].1);
        // A set is walked only if its band must yield.
        let LowerSums { per_group, mut per_cat, mut all } = sums;
        enum Set {
            Group(usize),
            Cat(usize),
            All,
        }
        let sets = (0..self.groups.len())
            .map(Set::Group)
            .chain((0..self.cats.len()).map(Set::Cat))
            .chain(std::iter::once(Set::All));
        for set in sets {
            // Its cap, sums, and the rule to name where it squeezes a band.
            let (cap, (floors, lows), rule) = match set {
                Set::Group(g) => (self.groups[g].cap_wei, per_group[g], Binding::GroupCap),
                Set::Cat(c) => (self.cats[c].max_wei, per_cat[c], Binding::CategoryMax),
                Set::All => (self.budget, all, Binding::Smoothing),
            };
            if floors > cap {
                let what = match set {
                    Set::Group(g) => format!("group `{}`", self.groups[g].name),
                    Set::Cat(c) => format!("category {}", Category::ALL[c]),
                    Set::All => "the budget".to_owned(),
                };
                return Err(ProblemError::FloorsOverCap { what });
            }
            if lows <= cap {
                continue;
            }
            let members: Vec<usize> = match set {
                Set::Group(g) => self.groups[g].members.clone(),
                Set::Cat(c) => self.cats[c].members.clone(),
                Set::All => (0..self.leaves.len()).collect(),
            };
            let (room, excess) = (cap - floors, lows - floors);
            for &i in &members {
                let (l, floor) = (&mut self.leaves[i], floor_of(i));
                if l.lo_wei > floor {
                    l.lo_rule = rule;
                }
                let new = floor + mul_div(l.lo_wei - floor, room, excess);
                // Later sets (its category, the budget) see the lowered bound.
                per_cat[usize::from(l.cat)].1 -= l.lo_wei - new;
                all.1 -= l.lo_wei - new;
                l.lo_wei = new;
                l.lo = if self.budget.is_zero() { 0.0 } else { ratio(l.lo_wei, self.budget) };
            }
        }
        // `per_cat` followed every lowered bound, so it is each category's
        // sum of lower bounds.
        let need = self.cats.iter().zip(&per_cat).fold(U256::ZERO, |a, (cat, s)| a + s.1.max(cat.min_wei));
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn u256(limbs: [u64; 4], bits: usize) -> U256 {
        U256::from_limbs(limbs) >> (256 - bits.clamp(1, 256))
    }

    #[test]
    fn division_edges_match_the_long_division() {
        let max = U256::MAX;
        for (n, d) in [
            (max, U256::from(1u8)),
            (max, max),
            (max, max - U256::from(1u8)),
            (max - U256::from(1u8), max),
            (U256::ZERO, U256::from(7u8)),
            (U256::from(1u8) << 255, U256::from(3u8)),
            (U256::from(10u64).pow(U256::from(60u8)), U256::from(10u64).pow(U256::from(22u8)) + U256::from(1u8)),
        ] {
            assert_eq!(div_rem(n, d), n.div_rem(d), "{n} / {d}");
        }
    }

    proptest! {
        #[test]
        fn narrow_product_division_matches_the_wide_one(
            a in any::<u128>(), ab in 1u32..=128, b in any::<u128>(), bb in 1u32..=128,
            c in any::<u128>(), cb in 1u32..=128,
        ) {
            let (a, b, c) = (a >> (128 - ab), b >> (128 - bb), (c >> (128 - cb)).max(1));
            let wide = (U512::from(a) * U512::from(b)).div_rem(U512::from(c));
            if let Some((q, r)) = mul_div_rem_narrow(a, b, c, f64_of(a) * f64_of(b) / f64_of(c), f64_of(c)) {
                prop_assert_eq!((U512::from(q), U512::from(r)), wide);
            }
            let scaled = Scale::new(U256::from(a), U256::from(c)).of(U256::from(b));
            if wide.0 <= U512::from(U256::MAX) {
                prop_assert_eq!(U512::from(scaled), wide.0);
            }
            let (q, r) = mul_div_rem(U256::from(a), U256::from(b), U256::from(c));
            if wide.0 <= U512::from(U256::MAX) {
                prop_assert_eq!((U512::from(q), U512::from(r)), wide);
            }
        }

        #[test]
        fn a_share_in_basis_points_by_parts_is_the_floor(p in any::<u64>(), k in 0u64..=20_000) {
            prop_assert_eq!(bps_of(p, k), mul_div(U256::from(p), U256::from(k), U256::from(Bps::MAX)));
        }

        #[test]
        fn division_matches_the_long_division(
            n in any::<[u64; 4]>(), nb in 1usize..=256, d in any::<[u64; 4]>(), db in 1usize..=256,
        ) {
            let (n, d) = (u256(n, nb), u256(d, db).max(U256::from(1u8)));
            prop_assert_eq!(div_rem(n, d), n.div_rem(d));
        }
    }
}
