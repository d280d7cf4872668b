//! The suite's parameter sets, defined once and applied by name (rstest_reuse): a test
//! written for "a pipe" runs once per kind, with case ids that say which
//! (`writes_merge_into_one_byte_stream::case_1_pipe`, `..::case_2_fifo`).
//!
//! ```ignore
//! #[apply(pipe_kinds)]
//! #[rstest]
//! fn writes_merge_into_one_byte_stream(#[case] kind: Kind) { .. }
//! ```
//!
//! A test keeps its own `#[rstest]` after `#[apply(..)]`: the catalog (`ipcspec catalog`)
//! recognises tests by `#[test]`/`#[rstest]`, and rustc accepts the repetition.

use rstest_reuse::template;

/// The stream sockets a pipe is spliced to and from ([`crate::splice::Sock`]): `tcp` (TCP
/// over loopback, tcp(7)) and `unix_stream` (an AF_UNIX stream socketpair, unix(7)); splice(2):
/// "one of the file descriptors must refer to a pipe", the other may be a socket.
#[template]
#[export]
#[rstest]
#[case::tcp(::pipes::splice::Sock::Tcp)]
#[case::unix_stream(::pipes::splice::Sock::UnixStream)]
pub fn stream_sockets(#[case] kind: ::pipes::splice::Sock) {}
