//! SIGPIPE and EPIPE. pipe(7), "I/O on pipes and FIFOs": "If all file descriptors referring
//! to the read end of a pipe have been closed, then a write(2) will cause a SIGPIPE signal to
//! be generated for the calling process. If the calling process is ignoring this signal, then
//! write(2) fails with the error EPIPE." write(2), EPIPE: "When this happens the writing
//! process will also receive a SIGPIPE signal. (Thus, the write return value is seen only if
//! the program catches, blocks or ignores this signal.)"
//!
//! Rust starts programs with SIGPIPE ignored; each child sets the disposition it tests. All
//! bodies run isolated: "no reader" must mean no read end anywhere.

use std::os::fd::AsFd;

use fixtures::io::write_once;
use fixtures::signals::{self, SignalCatcher, announced, install_announcing_handler};
use fixtures::{NEGATIVE_WAIT, Outcome, assert_errno, isolated, run_in_child, spawn};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};
use pipes::{PipeKind, fill_to_capacity};
use rstest::rstest;

/// pipe(7) and signal(7) (SIGPIPE: "Broken pipe: write to pipe with no readers", default
/// action "Term"). Asserted: with SIGPIPE at its default, the writer is killed by SIGPIPE.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn write_without_readers_kills_with_sigpipe_by_default(#[case] kind: PipeKind) {
    isolated(|| {
        let p = kind.open();
        drop(p.rx);
        let outcome = run_in_child("writer with SIGPIPE at SIG_DFL", || {
            signals::set_default(Signal::SIGPIPE);
            let r = write_once(p.tx.as_fd(), b"x");
            panic!("write(2) returned {r:?} instead of the process being killed by SIGPIPE");
        });
        assert_eq!(outcome, Outcome::Signaled(Signal::SIGPIPE));
    });
}

/// pipe(7): "If the calling process is ignoring this signal, then write(2) fails with the
/// error EPIPE." Asserted: errno is exactly EPIPE and the process survives.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn write_without_readers_fails_epipe_when_sigpipe_is_ignored(#[case] kind: PipeKind) {
    isolated(|| {
        let p = kind.open();
        drop(p.rx);
        signals::ignore(Signal::SIGPIPE);
        assert_errno!(write_once(p.tx.as_fd(), b"x"), Errno::EPIPE);
        assert_errno!(write_once(p.tx.as_fd(), &[0u8; 65536]), Errno::EPIPE, "a large write too");
    });
}

/// write(2), EPIPE: the write return value is seen "if the program catches ... this signal".
/// Asserted: a handler for SIGPIPE runs exactly once per failing write, and write(2) still
/// returns -1 with EPIPE (the handler does not turn the write into a success or a restart).
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn write_without_readers_runs_the_handler_once_and_fails_epipe(#[case] kind: PipeKind) {
    isolated(|| {
        let p = kind.open();
        drop(p.rx);
        let (note, _notes) = fixtures::sync::channel();
        install_announcing_handler(Signal::SIGPIPE, SaFlags::SA_RESTART, note.as_fd());
        assert_errno!(write_once(p.tx.as_fd(), b"x"), Errno::EPIPE);
        assert_eq!(announced(), 1, "the SIGPIPE handler must have run exactly once");
        assert_errno!(write_once(p.tx.as_fd(), b"y"), Errno::EPIPE);
        assert_eq!(announced(), 2, "each failing write raises its own SIGPIPE");
    });
}

/// write(2), EPIPE: the return value is seen if the program "blocks" the signal; signal(7):
/// a blocked signal stays pending. Asserted: with SIGPIPE blocked (disposition default, so it
/// would kill if delivered), write(2) fails with EPIPE and SIGPIPE is then pending.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn write_without_readers_leaves_a_blocked_sigpipe_pending(#[case] kind: PipeKind) {
    isolated(|| {
        let p = kind.open();
        drop(p.rx);
        signals::set_default(Signal::SIGPIPE);
        let catcher = SignalCatcher::new(&[Signal::SIGPIPE]);
        assert!(catcher.take_pending().is_none());
        assert_errno!(write_once(p.tx.as_fd(), b"x"), Errno::EPIPE);
        let info = catcher.wait_for(NEGATIVE_WAIT).expect("SIGPIPE must be pending after the failed write");
        assert_eq!(info.signo, libc::SIGPIPE);
    });
}

/// pipe(7): a write blocked on a full pipe ("write(2) blocks until sufficient data has been
/// read") cannot complete once every read end is closed; the writer gets SIGPIPE/EPIPE.
/// Asserted: the blocked 1-byte write (nothing of it written) fails with EPIPE when the last
/// reader closes, with SIGPIPE ignored.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn a_writer_blocked_on_a_full_pipe_gets_epipe_when_the_last_reader_closes(#[case] kind: PipeKind) {
    isolated(|| {
        let p = kind.open();
        fill_to_capacity(p.tx.as_fd());
        let rx_raw = std::os::fd::AsRawFd::as_raw_fd(&p.rx);
        let mut writer = spawn("writer blocked on a full pipe", || {
            unsafe { libc::close(rx_raw) }; // its inherited read end must not keep the pipe alive
            signals::ignore(Signal::SIGPIPE);
            assert_errno!(write_once(p.tx.as_fd(), b"x"), Errno::EPIPE);
        });
        writer.assert_blocked("write(2) to a full pipe");
        drop(p.rx);
        writer.expect_success();
    });
}
