//! The suite's parameter sets, defined once and applied by name (rstest_reuse), with case
//! ids that say which case ran (`..::case_1_local`, `..::case_2_remote`):
//!
//! ```ignore
//! #[apply(iovec_sides)]
//! #[rstest]
//! fn an_iov_len_above_ssize_max_fails_einval(#[case] on_local_side: bool) { .. }
//! ```
//!
//! A test keeps its own `#[rstest]` after `#[apply(..)]`: the catalog (`ipcspec catalog`)
//! recognises tests by `#[test]`/`#[rstest]`, and rustc accepts the repetition.

use rstest_reuse::template;

/// process_vm_readv(2) checks "local_iov" and "remote_iov" alike: the two sides a claim
/// about the vectors is checked on, `local` (`on_local_side` true) and `remote`.
#[template]
#[export]
#[rstest]
#[case::local(true)]
#[case::remote(false)]
pub fn iovec_sides(#[case] on_local_side: bool) {}
