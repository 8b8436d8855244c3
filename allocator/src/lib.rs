//! iodao-allocator: the policy engine that splits an epoch's budget across
//! recipients from stake-weighted allocation votes and the DAO's policy, and
//! converts the result to exact wei.
//!
//! The rule: a recipient's payout is as close to vote-proportional as the
//! policy allows, in the progressive-filling sense — every ratio
//! payout/weight rises together and a recipient stops only when a bound
//! stops it (its cap or floor, the smoothing band around its previous
//! share, its group's cap, its category's minimum or maximum share, the
//! budget). The result is lexicographically max-min fair in those ratios,
//! unique, independent of the order recipients are listed in, and every
//! payout carries the rule that bound it. Budget no feasible allocation can
//! spend is reported as unallocated, never forced.
//!
//! Two solvers compute it: a closed form (root search on the level of
//! progressive filling, O(n) per step) when the bounds nest, and a sequence
//! of LPs (good_lp on microlp) over classes of recipients that share their
//! rows, for any bounds; property tests hold them together. Floats are used
//! only inside the solvers: the answer is wei in U256, apportioned so the
//! payouts sum exactly to what was spent. A device program's payout is
//! shared by its devices the same way (`devices`).
//!
//! Pure computation: no IO, no clock, no randomness; it knows nothing of the
//! store or the chain and depends on neither sqlx nor tokio.

pub mod devices;
mod fast;
mod lp;
mod normal;
mod par;
mod problem;
mod split;
mod units;
pub mod wei_text;

pub use alloy_primitives::U256;
pub use devices::{DeviceSplitError, split_by_score, split_equally};
pub use lp::{LpError, LpKind, LpRow, SparseLp, first_round_lps};
pub use problem::{Candidate, CategoryBounds, Limit, Policy, Problem, ProblemError};
pub use split::{AllocError, Binding, Method, Payout, Split, allocate, allocate_with};
pub use units::{Bps, BpsError, Category};
