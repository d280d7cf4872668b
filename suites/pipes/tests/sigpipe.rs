//! SIGPIPE and EPIPE. pipe(7), "I/O on pipes and FIFOs": "If all file descriptors referring
//! to the read end of a pipe have been closed, then a write(2) will cause a SIGPIPE signal to
//! be generated for the calling process. If the calling process is ignoring this signal, then
//! write(2) fails with the error EPIPE." write(2), EPIPE: "When this happens the writing
//! process will also receive a SIGPIPE signal. (Thus, the write return value is seen only if
//! the program catches, blocks or ignores this signal.)" Since 6.18 pwritev2(2) with
//! RWF_NOSIGNAL fails EPIPE without the signal.
//!
//! Rust starts programs with SIGPIPE ignored; each child sets the disposition it tests. All
//! bodies run isolated: "no reader" must mean no read end anywhere.

use std::os::fd::{AsRawFd, BorrowedFd};

use fixtures::io::write_once;
use fixtures::kinds::Kind;
use fixtures::signals::{self, SignalCatcher, announced, install_announcing_handler};
use fixtures::{NEGATIVE_WAIT, Outcome, assert_errno, isolated, run_in_child, spawn, variant};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};
use fixtures::cases::pipe_kinds;
use pipes::{RWF_NOSIGNAL, blocking_pair, fill_to_capacity, pwritev2};
use rstest::rstest;
use rstest_reuse::apply;

/// Run `body` with the write end of a `kind` pipe whose only read end is closed, isolated:
/// no other thread may fork a copy of the read end meanwhile.
fn without_readers(kind: Kind, body: impl FnOnce(BorrowedFd<'_>)) {
    isolated(|| {
        let mut p = blocking_pair(kind);
        p.close_rx();
        body(p.tx());
    });
}

/// pipe(7) and signal(7) (SIGPIPE: "Broken pipe: write to pipe with no readers", default
/// action "Term"). Asserted: with SIGPIPE at its default, the writer is killed by SIGPIPE.
#[apply(pipe_kinds)]
#[rstest]
fn write_without_readers_kills_with_sigpipe_by_default(#[case] kind: Kind) {
    without_readers(kind, |tx| {
        let outcome = run_in_child("writer with SIGPIPE at SIG_DFL", || {
            signals::set_default(Signal::SIGPIPE);
            let r = write_once(tx, b"x");
            panic!("write(2) returned {r:?} instead of the process being killed by SIGPIPE");
        });
        assert_eq!(outcome, Outcome::Signaled(Signal::SIGPIPE));
    });
}

/// pipe(7): "If the calling process is ignoring this signal, then write(2) fails with the
/// error EPIPE." Asserted: errno is exactly EPIPE and the process survives.
#[apply(pipe_kinds)]
#[rstest]
fn write_without_readers_fails_epipe_when_sigpipe_is_ignored(#[case] kind: Kind) {
    without_readers(kind, |tx| {
        signals::ignore(Signal::SIGPIPE);
        assert_errno!(write_once(tx, b"x"), Errno::EPIPE);
        assert_errno!(write_once(tx, &[0u8; 65536]), Errno::EPIPE, "a large write too");
    });
}

/// write(2), EPIPE: the write return value is seen "if the program catches ... this signal".
/// Asserted: a handler for SIGPIPE runs exactly once per failing write, and write(2) still
/// returns -1 with EPIPE (the handler does not turn the write into a success or a restart).
#[apply(pipe_kinds)]
#[rstest]
fn write_without_readers_runs_the_handler_once_and_fails_epipe(#[case] kind: Kind) {
    without_readers(kind, |tx| {
        let (note, _notes) = fixtures::sync::channel();
        install_announcing_handler(Signal::SIGPIPE, SaFlags::SA_RESTART, &note);
        assert_errno!(write_once(tx, b"x"), Errno::EPIPE);
        assert_eq!(announced(), 1, "the SIGPIPE handler must have run exactly once");
        assert_errno!(write_once(tx, b"y"), Errno::EPIPE);
        assert_eq!(announced(), 2, "each failing write raises its own SIGPIPE");
    });
}

/// write(2), EPIPE: the return value is seen if the program "blocks" the signal; signal(7):
/// a blocked signal stays pending. Asserted: with SIGPIPE blocked (disposition default, so it
/// would kill if delivered), write(2) fails with EPIPE and SIGPIPE is then pending.
#[apply(pipe_kinds)]
#[rstest]
fn write_without_readers_leaves_a_blocked_sigpipe_pending(#[case] kind: Kind) {
    without_readers(kind, |tx| {
        signals::set_default(Signal::SIGPIPE);
        let catcher = SignalCatcher::new(&[Signal::SIGPIPE]);
        assert!(catcher.take_pending().is_none());
        assert_errno!(write_once(tx, b"x"), Errno::EPIPE);
        let info = catcher.wait_for(NEGATIVE_WAIT).expect("SIGPIPE must be pending after the failed write");
        assert_eq!(info.signo, libc::SIGPIPE);
    });
}

/// pipe(7): a write blocked on a full pipe ("write(2) blocks until sufficient data has been
/// read") cannot complete once every read end is closed; the writer gets SIGPIPE/EPIPE.
/// Asserted: the blocked 1-byte write (nothing of it written) fails with EPIPE when the last
/// reader closes, with SIGPIPE ignored.
#[apply(pipe_kinds)]
#[rstest]
fn a_writer_blocked_on_a_full_pipe_gets_epipe_when_the_last_reader_closes(#[case] kind: Kind) {
    isolated(|| {
        let mut p = blocking_pair(kind);
        fill_to_capacity(p.tx());
        let rx_raw = p.rx().as_raw_fd();
        let mut writer = spawn("writer blocked on a full pipe", || {
            unsafe { libc::close(rx_raw) }; // its inherited read end must not keep the pipe alive
            signals::ignore(Signal::SIGPIPE);
            assert_errno!(write_once(p.tx(), b"x"), Errno::EPIPE);
        });
        writer.assert_blocked_in(fixtures::blocked::calls::WRITE, "write(2) to a full pipe");
        p.close_rx();
        writer.expect_success();
    });
}

/// pwritev2(2) with RWF_NOSIGNAL, added in 6.18 ("Add RWF_NOSIGNAL flag for pwritev2", vfs
/// misc pull for 6.18: "This flag prevents the SIGPIPE signal from being raised when writing
/// on disconnected pipes or sockets"). With SIGPIPE at its default (it would kill), such a
/// write to a pipe without readers fails EPIPE and the writer lives on with no SIGPIPE
/// pending. Before 6.18 the flag is unknown to the kernel: EOPNOTSUPP (readv(2), ERRORS: "An
/// unknown flag is specified in flags"), and no signal either (variant `absent`).
///
/// Kernel change: 6.18 — pwritev2(RWF_NOSIGNAL): a write to a pipe without readers fails EPIPE without raising SIGPIPE.
#[apply(pipe_kinds)]
#[rstest]
fn pwritev2_rwf_nosignal_fails_epipe_without_sigpipe_since_6_18(#[case] kind: Kind) {
    without_readers(kind, |tx| {
        let expected = if variant::since(6, 18, "RWF_NOSIGNAL for pwritev2") { Errno::EPIPE } else { Errno::EOPNOTSUPP };
        let outcome = run_in_child("writer with SIGPIPE at SIG_DFL", || {
            signals::set_default(Signal::SIGPIPE);
            assert_errno!(pwritev2(tx, b"x", RWF_NOSIGNAL), expected, "pwritev2(RWF_NOSIGNAL) without readers");
            assert!(!signals::is_pending(Signal::SIGPIPE), "no SIGPIPE may be pending");
        });
        assert_eq!(outcome, Outcome::Exited(0), "the writer must survive a write with RWF_NOSIGNAL");
    });
}
