//! A blocked open(2) of a FIFO and signal handlers. open(2), ERRORS: "EINTR While blocked
//! waiting to complete an open of a slow device (e.g., a FIFO; see fifo(7)), the call was
//! interrupted by a signal handler; see signal(7)." signal(7), "Interruption of system calls
//! and library functions by signal handlers": the call "is automatically restarted after the
//! signal handler returns if the SA_RESTART flag was used; otherwise the call fails with the
//! error EINTR", for "open(2), if it can block (e.g., when opening a FIFO; see fifo(7))".
//!
//! The child reports through a pipe that its handler is installed, and again from inside the
//! handler, so the test knows exactly when the signal has been handled.

use fifos::TempFifo;
use fixtures::io::{read_once, read_to_eof, write_once};
use fixtures::signals::{announced, install_announcing_handler};
use fixtures::sync::channel;
use fixtures::{assert_errno, isolated, spawn};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, Signal};
use rstest::rstest;

/// The end a blocked opener asks for, and the end that releases it.
#[derive(Clone, Copy, Debug)]
enum Side {
    Reader,
    Writer,
}

impl Side {
    fn flags(self) -> libc::c_int {
        match self {
            Side::Reader => libc::O_RDONLY,
            Side::Writer => libc::O_WRONLY,
        }
    }
    fn peer_flags(self) -> libc::c_int {
        match self {
            Side::Reader => libc::O_WRONLY,
            Side::Writer => libc::O_RDONLY,
        }
    }
}

/// open(2), EINTR, and signal(7) without SA_RESTART: "the call fails with the error EINTR".
/// Asserted: the blocked open fails with EINTR after the handler ran once, and it left no
/// reader or writer behind: a reader interrupted in open does not count as a reader (a
/// following O_WRONLY|O_NONBLOCK fails with ENXIO), a writer interrupted in open does not count
/// as a writer (a following reader reads EOF).
#[rstest]
#[case::open_for_reading(Side::Reader)]
#[case::open_for_writing(Side::Writer)]
fn a_blocked_open_interrupted_by_a_handler_fails_eintr(#[case] side: Side) {
    isolated(|| {
        let fifo = TempFifo::new();
        let (ready, is_ready) = channel();
        let (note, _notes) = channel();
        let mut opener = spawn("opener interrupted by SIGUSR1", || {
            install_announcing_handler(Signal::SIGUSR1, SaFlags::empty(), note.as_fd());
            ready.notify();
            assert_errno!(fixtures::io::open_cloexec(fifo.path(), side.flags()), Errno::EINTR);
            assert_eq!(announced(), 1);
            match side {
                Side::Reader => {
                    assert_errno!(
                        fixtures::io::open_cloexec(fifo.path(), libc::O_WRONLY | libc::O_NONBLOCK),
                        Errno::ENXIO,
                        "a reader was left behind"
                    );
                }
                Side::Writer => {
                    let r = fifo.open_now(libc::O_RDONLY | libc::O_NONBLOCK).unwrap();
                    let mut buf = [0u8; 1];
                    assert_eq!(read_once(&r, &mut buf), Ok(0), "a writer was left behind");
                }
            }
        });
        is_ready.wait();
        opener.assert_blocked_in(fixtures::blocked::calls::OPEN, "open(2) of a FIFO without a partner");
        opener.signal(Signal::SIGUSR1);
        opener.expect_success();
    });
}

/// signal(7): open(2) of a FIFO "is automatically restarted after the signal handler returns if
/// the SA_RESTART flag was used". Asserted: after the handler has run, the opener is blocked
/// again (not failed with EINTR); the peer's open then completes it, and data flows.
#[rstest]
#[case::open_for_reading(Side::Reader)]
#[case::open_for_writing(Side::Writer)]
fn a_blocked_open_is_restarted_after_an_sa_restart_handler(#[case] side: Side) {
    let fifo = TempFifo::new();
    let (ready, is_ready) = channel();
    let (note, handler_ran) = channel();
    let mut opener = spawn("opener with an SA_RESTART handler", || {
        install_announcing_handler(Signal::SIGUSR1, SaFlags::SA_RESTART, note.as_fd());
        ready.notify();
        let fd = fixtures::io::open_cloexec(fifo.path(), side.flags()).expect("a restarted open must succeed once released");
        assert_eq!(announced(), 1);
        match side {
            Side::Reader => assert_eq!(read_to_eof(&fd), b"ok"),
            Side::Writer => assert_eq!(write_once(&fd, b"ok"), Ok(2)),
        }
    });
    is_ready.wait();
    opener.assert_blocked_in(fixtures::blocked::calls::OPEN, "open(2) of a FIFO without a partner");
    opener.signal(Signal::SIGUSR1);
    handler_ran.wait();
    opener.assert_still_blocked("open(2) restarted after the SA_RESTART handler");
    let peer = fifo.open_now(side.peer_flags()).expect("the blocked opener is a partner: no wait");
    match side {
        Side::Reader => {
            assert_eq!(write_once(&peer, b"ok"), Ok(2));
            drop(peer);
        }
        Side::Writer => assert_eq!(read_to_eof(&peer), b"ok"),
    }
    opener.expect_success();
}
