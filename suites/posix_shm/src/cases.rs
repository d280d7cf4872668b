//! The suite's parameter sets, defined once and applied by name (rstest_reuse), with case
//! ids that say which case ran (`..::case_1_o_rdonly`, `..::case_2_o_rdwr`):
//!
//! ```ignore
//! #[apply(open_modes)]
//! #[rstest]
//! fn the_descriptor_has_fd_cloexec_set(#[case] mode: libc::c_int) { .. }
//! ```
//!
//! A test keeps its own `#[rstest]` after `#[apply(..)]`: the catalog (`ipcspec catalog`)
//! recognises tests by `#[test]`/`#[rstest]`, and rustc accepts the repetition.

use rstest_reuse::template;

/// shm_open(3): "oflag ... must include exactly one of O_RDONLY or O_RDWR": the two access
/// modes an object is opened with, `o_rdonly` and `o_rdwr`.
#[template]
#[export]
#[rstest]
#[case::o_rdonly(::libc::O_RDONLY)]
#[case::o_rdwr(::libc::O_RDWR)]
pub fn open_modes(#[case] mode: ::libc::c_int) {}
