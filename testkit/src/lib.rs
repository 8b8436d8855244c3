//! iodao-testkit: what the test suites of iodao's crates share.
//!
//! Today that is [`hostile`]: the text a property test feeds every parser of
//! outside input (chat commands, HTTP bodies, CSV rows, configuration), so
//! that "no input may panic a process" is checked the same way everywhere.
//! Only `[dev-dependencies]` may name this crate; it holds no rule of the
//! product and must not depend on any other iodao crate.

pub mod hostile;

/// A temporary directory for a database that property tests write
/// thousands of times: in memory (`/dev/shm`, where fsync costs nothing)
/// when the machine has it, else the usual temporary directory. Durability
/// is not what those tests test; the SQLite file is as real as any other.
///
/// # Panics
/// When no temporary directory can be made.
pub fn in_memory_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() };
    dir.expect("a temporary directory")
}
