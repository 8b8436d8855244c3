//! iodao-chain: the only crate that speaks JSON-RPC. It implements core's
//! ports against an EVM node with alloy: voting power at a block (staking
//! buckets, ERC20Votes, balances), ioID registration checks, and the payout
//! executor with its exactly-once journal. (The Merkle trees of claim-mode
//! payouts are pure computation and live in core; `merkle` re-exports them
//! here.) It writes no SQL: what it records goes through core's store.

pub mod buckets;
pub mod contracts;
pub mod executor;
pub mod ioid;
pub use iodao_core::merkle;
pub mod stake;
