//! The named parameter sets of the suite (rstest_reuse templates): the kinds of descriptor
//! a claim spans, with case names that make the test ids (`read_..._fails_eagain::case_6_eventfd`).
//! A test takes one with `#[apply(every_kind)]` and states `#[rstest]` too (after it), so that
//! readers and the catalog see that it is a test.

use rstest_reuse::template;

/// The byte streams whose peer can close: pipe, UNIX stream socket, TCP loopback.
/// pipe(7), unix(7) SOCK_STREAM, tcp(7).
#[template]
#[export]
#[rstest]
#[case::pipe(fixtures::kinds::Kind::Pipe)]
#[case::unix_stream(fixtures::kinds::Kind::UnixStream)]
#[case::tcp(fixtures::kinds::Kind::Tcp)]
fn byte_streams(#[case] kind: fixtures::kinds::Kind) {}
