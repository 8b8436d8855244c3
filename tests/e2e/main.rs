//! End-to-end tests of the `iodao` binary: each test runs the real binary in
//! its own temporary directory with its own SQLite file.

mod announce;
mod claims;
mod cli;
mod devices;
mod discord;
mod epoch;
mod execute;
mod helpers;
mod link;
/// The chain tests' anvil helper, shared by the tests that need a node.
#[path = "../../chain/tests/common/mod.rs"]
mod node;
mod payouts;
mod serve;
mod signed;
mod telegram;
