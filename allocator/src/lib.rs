//! iodao-allocator: the LP policy engine that splits an epoch's budget across
//! recipients from stake-weighted allocation votes and the DAO's policy, and
//! converts the result to exact wei.
//!
//! Pure computation: a problem in, allocations and an explanation out. It
//! does no IO, knows nothing of the store or the chain, and depends on
//! neither sqlx nor tokio. (Filled by the allocator issue.)
