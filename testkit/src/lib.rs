//! iodao-testkit: what the test suites of iodao's crates share.
//!
//! Today that is [`hostile`]: the text a property test feeds every parser of
//! outside input (chat commands, HTTP bodies, CSV rows, configuration), so
//! that "no input may panic a process" is checked the same way everywhere.
//! Only `[dev-dependencies]` may name this crate; it holds no rule of the
//! product and must not depend on any other iodao crate.

pub mod hostile;
