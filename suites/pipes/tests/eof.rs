//! End-of-file. pipe(7), "I/O on pipes and FIFOs": "If all file descriptors referring to the
//! write end of a pipe have been closed, then an attempt to read(2) from the pipe will see
//! end-of-file (read(2) will return 0)." ... "An application that uses pipe(2) and fork(2)
//! should use suitable close(2) calls to close unnecessary duplicate file descriptors; this
//! ensures that end-of-file and SIGPIPE/EPIPE are delivered when appropriate."
//!
//! Every body runs [`isolated`]: the claims depend on exactly which write ends exist.

use std::os::fd::AsRawFd;

use fixtures::io::{read_once, set_nonblocking, write_all};
use fixtures::kinds::{Kind, Pair};
use fixtures::sync::channel;
use fixtures::{assert_errno, isolated, spawn};
use nix::errno::Errno;
use pipes::blocking_pair;
use fixtures::cases::pipe_kinds;
use rstest::rstest;
use rstest_reuse::apply;

/// Closes `p`'s own write end while another one (`why`) is still open: a nonblocking read
/// must give EAGAIN, not end-of-file; once `close_the_other` has run, the read gives 0.
fn eof_only_after(p: &mut Pair, why: &str, close_the_other: impl FnOnce()) {
    p.close_tx();
    set_nonblocking(p.rx(), true);
    let mut buf = [0u8; 8];
    assert_errno!(read_once(p.rx(), &mut buf), Errno::EAGAIN, "{why}");
    close_the_other();
    assert_eq!(read_once(p.rx(), &mut buf), Ok(0));
}

/// pipe(7): all write ends closed -> "read(2) will return 0". Asserted: with the only write
/// end closed, a read of the empty pipe returns 0 at once (and again on the next call).
#[apply(pipe_kinds)]
#[rstest]
fn read_returns_eof_once_the_only_write_end_is_closed(#[case] kind: Kind) {
    isolated(|| {
        let mut p = blocking_pair(kind);
        p.close_tx();
        set_nonblocking(p.rx(), true); // a wrong kernel would say EAGAIN, not hang
        let mut buf = [0u8; 8];
        assert_eq!(read_once(p.rx(), &mut buf), Ok(0));
        assert_eq!(read_once(p.rx(), &mut buf), Ok(0), "EOF is not a one-time event");
    });
}

/// pipe(7): end-of-file comes only when *all* file descriptors referring to the write end are
/// closed. Asserted: data written before the close is read in full first, then 0.
#[apply(pipe_kinds)]
#[rstest]
fn data_written_before_the_last_close_is_read_before_eof(#[case] kind: Kind) {
    isolated(|| {
        let mut p = blocking_pair(kind);
        write_all(p.tx(), b"last words");
        p.close_tx();
        let mut buf = [0u8; 64];
        assert_eq!(read_once(p.rx(), &mut buf), Ok(10));
        assert_eq!(&buf[..10], b"last words");
        assert_eq!(read_once(p.rx(), &mut buf), Ok(0));
    });
}

/// pipe(7): "all file descriptors referring to the write end" includes duplicates made with
/// dup(2) in the same process. Asserted: after closing the original, a nonblocking read gives
/// EAGAIN (a writer still exists), and 0 only after the duplicate is closed too.
#[apply(pipe_kinds)]
#[rstest]
fn eof_waits_for_a_duplicate_of_the_write_end(#[case] kind: Kind) {
    isolated(|| {
        let mut p = blocking_pair(kind);
        let dup = p.tx().try_clone_to_owned().expect("dup of the write end");
        eof_only_after(&mut p, "a dup'd write end is still open", || drop(dup));
    });
}

/// pipe(7): copies of the write end inherited by a child over fork(2) count too ("use
/// suitable close(2) calls to close unnecessary duplicate file descriptors"). Asserted: while
/// a child holds its inherited write end, the parent's read gives EAGAIN, not EOF; once the
/// child has exited, the read gives 0.
#[apply(pipe_kinds)]
#[rstest]
fn eof_waits_for_a_write_end_held_by_a_child(#[case] kind: Kind) {
    isolated(|| {
        let mut p = blocking_pair(kind);
        let (ready, wait_ready) = channel();
        let (release, wait_release) = channel();
        let holder = spawn("child holding an inherited write end", || {
            ready.notify();
            wait_release.wait();
        });
        wait_ready.wait();
        eof_only_after(&mut p, "the child's copy is still open", || {
            release.notify();
            holder.expect_success();
        });
    });
}

/// pipe(7): a reader blocked on an empty pipe ("read(2) will block until data is available")
/// sees end-of-file when the last write end is closed. Asserted: the blocked read returns 0.
#[apply(pipe_kinds)]
#[rstest]
fn a_blocked_reader_is_woken_with_eof_by_the_last_close(#[case] kind: Kind) {
    isolated(|| {
        let mut p = blocking_pair(kind);
        let mut reader = spawn("reader blocked on an empty pipe", || {
            // The child must not keep a write end of its own.
            unsafe { libc::close(p.tx().as_raw_fd()) };
            let mut buf = [0u8; 8];
            assert_eq!(read_once(p.rx(), &mut buf), Ok(0));
        });
        reader.assert_blocked_in(fixtures::blocked::calls::READ, "read(2) of an empty pipe");
        p.close_tx();
        reader.expect_success();
    });
}
