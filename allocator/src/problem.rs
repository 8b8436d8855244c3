//! What the allocator is asked: a budget, the recipients with their vote
//! weights and bounds, and the DAO's policy. Everything is exact (wei in
//! U256, shares in basis points) so an epoch's inputs can be published and
//! re-solved by anyone.

use std::collections::BTreeMap;

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

use crate::units::{Bps, Category};

/// An amount bound: absolute wei or a share of the epoch's budget.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// So many wei.
    Wei(#[serde(with = "crate::wei_text")] U256),
    /// This share of the budget.
    Share(Bps),
}

impl Limit {
    /// The bound in wei for a budget.
    pub fn wei(self, budget: U256) -> U256 {
        match self {
            Self::Wei(w) => w,
            Self::Share(b) => b.of(budget),
        }
    }
}

/// The share of the budget a category must get at least and may get at most.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct CategoryBounds {
    /// At least this share (if its recipients can take it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Bps>,
    /// At most this share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Bps>,
}

/// The DAO's allocation policy.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct Policy {
    /// Per-category share bounds; a category not listed is unbounded.
    #[serde(default)]
    pub categories: BTreeMap<Category, CategoryBounds>,
    /// The cap of every recipient that has no cap of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_cap: Option<Limit>,
    /// A recipient that would get less than this gets nothing.
    #[serde(default, with = "crate::wei_text")]
    pub min_payout: U256,
    /// How far a recipient's share of the budget may move from its share in
    /// the previous epoch, as a fraction of that previous share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoothing: Option<Bps>,
    /// Caps shared by several recipients (one project's programs), by name.
    #[serde(default)]
    pub group_caps: BTreeMap<String, Limit>,
}

/// One recipient as the allocator sees it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Candidate {
    /// The recipient's id; ties are broken by it, so it must be unique.
    pub id: u64,
    /// Its category.
    pub category: Category,
    /// The stake-weighted sum of the allocation votes it received (any unit,
    /// only ratios matter).
    #[serde(with = "crate::wei_text")]
    pub weight: U256,
    /// Its own cap (else the policy's `recipient_cap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<Limit>,
    /// Its floor: it gets at least this, votes or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<Limit>,
    /// The group whose cap it shares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// What it was paid in the previous epoch, if it took part.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::wei_text::option")]
    pub previous: Option<U256>,
}

/// An allocation problem.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Problem {
    /// The wei to split.
    #[serde(with = "crate::wei_text")]
    pub budget: U256,
    /// The previous epoch's budget (smoothing compares shares of budgets).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::wei_text::option")]
    pub previous_budget: Option<U256>,
    /// The recipients.
    pub candidates: Vec<Candidate>,
    /// The policy.
    pub policy: Policy,
}

/// Why a problem cannot be solved. Each names what to change.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProblemError {
    /// More candidates than the solvers index (2^32 - 1).
    #[error("{0} recipients: at most 4 294 967 295 can be allocated to at once")]
    TooMany(usize),
    /// Two candidates share an id.
    #[error("recipient {0} appears twice")]
    DuplicateId(u64),
    /// A candidate names a group the policy has no cap for.
    #[error("recipient {id} is in group `{group}`, which has no cap in the policy")]
    UnknownGroup {
        /// The recipient.
        id: u64,
        /// The group.
        group: String,
    },
    /// A category's minimum is above its maximum.
    #[error("category {0}: the minimum share is above the maximum")]
    CategoryMinAboveMax(Category),
    /// Category minimums add up to more than the budget.
    #[error("the category minimums add up to more than 100% of the budget")]
    CategoryMinsOverBudget,
    /// Floors (and minimums) need more than some cap allows.
    #[error("{what}: floors need more than its cap allows; lower the floors or raise the cap")]
    FloorsOverCap {
        /// Which cap (a group, a category's maximum, or the budget).
        what: String,
    },
    /// A floor below the minimum payout could never be paid.
    #[error("recipient {0}: its floor is below the minimum payout, so it could never be paid")]
    FloorBelowMinimum(u64),
}
