//! The named parameter sets of the suite (rstest_reuse templates), with the case names that
//! make the test ids (`input_raises_sigio_in_the_owner::case_6_pty`). A test takes one with
//! `#[apply(fasync_kinds)]` followed by `#[rstest]` (so that readers and the catalog see a
//! test) and an argument `#[case] kind: Kind`.

use rstest_reuse::template;

/// The kinds of [`fixtures::kinds::Kind`] whose files implement `->fasync`, i.e. support
/// signal-driven I/O (open(2), O_ASYNC: "terminals, pseudoterminals, sockets, and ... pipes
/// and FIFOs"): pipe, FIFO, UNIX stream and datagram sockets, TCP loopback, pseudoterminal.
#[template]
#[export]
#[rstest]
#[case::pipe(fixtures::kinds::Kind::Pipe)]
#[case::fifo(fixtures::kinds::Kind::Fifo)]
#[case::unix_stream(fixtures::kinds::Kind::UnixStream)]
#[case::unix_dgram(fixtures::kinds::Kind::UnixDgram)]
#[case::tcp(fixtures::kinds::Kind::Tcp)]
#[case::pty(fixtures::kinds::Kind::Pty)]
fn fasync_kinds(#[case] kind: fixtures::kinds::Kind) {}
