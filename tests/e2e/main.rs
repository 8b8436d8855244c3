//! End-to-end tests of the `iodao` binary: each test runs the real binary in
//! its own temporary directory with its own SQLite file.

mod cli;
mod discord;
mod epoch;
mod execute;
mod helpers;
mod link;
mod serve;
mod signed;
