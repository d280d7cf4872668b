//! Suite `fds`: (to be written).
//!
//! The tests are in `tests/*.rs`, one file per topic; this library holds only the
//! suite's overview and helpers shared by its test files.
