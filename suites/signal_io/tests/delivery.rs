//! When SIGIO is sent at all. fcntl(2), F_SETOWN: "As well as setting the file descriptor
//! owner, one must also enable generation of signals on the file descriptor. This is done
//! by using the fcntl() F_SETFL command to set the O_ASYNC file status flag on the file
//! descriptor. Subsequently, a SIGIO signal is sent whenever input or output becomes
//! possible on the file descriptor."
//!
//! Each claim runs in a forked child that blocks SIGIO and takes it with sigtimedwait.
//! Pair::send returns once the receiver has been notified (for TCP and ptys it waits for
//! the delivery), so "no signal" is checked exactly, at once.

use std::os::fd::AsFd;

use fixtures::io::{open_cloexec, set_status_flag, status_flags};
use fixtures::kinds::Kind;
use fixtures::signals::SignalCatcher;
use fixtures::{Scratch, needs, run_in_child};
use nix::unistd::getpid;
use rstest::rstest;
use rstest_reuse::apply;
use fixtures::cases::channel_kinds;
use signal_io::{with_pair_catching, get_owner, set_owner};

/// fcntl(2), F_SETOWN: with an owner and O_ASYNC, input raises SIGIO in the owner. Without
/// F_SETSIG the signal carries no fd: si_code is SI_KERNEL (fs/fcntl.c, send_sigio_to_task
/// sends plain SIGIO with SEND_SIG_PRIV).
#[apply(channel_kinds)]
#[rstest]
fn input_raises_sigio_in_the_owner(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    with_pair_catching(kind, &[libc::SIGIO], |p, c| {
        set_owner(p.rx(), getpid().as_raw()).unwrap();
        set_status_flag(p.rx(), libc::O_ASYNC, true).unwrap();
        assert!(c.take_pending().is_none(), "no SIGIO before input");
        p.send(b"x");
        let i = c.take_pending().expect("SIGIO after input");
        assert_eq!((i.signo, i.code), (libc::SIGIO, libc::SI_KERNEL));
    });
}

/// fcntl(2): "one must also enable generation of signals": with an owner but without
/// O_ASYNC, input raises nothing.
#[apply(channel_kinds)]
#[rstest]
fn no_sigio_without_o_async(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    with_pair_catching(kind, &[libc::SIGIO], |p, c| {
        set_owner(p.rx(), getpid().as_raw()).unwrap();
        p.send(b"x");
        assert_eq!(c.take_pending(), None);
    });
}

/// fcntl(2): the signal goes to "the process ID or process group ID that will receive
/// SIGIO"; with O_ASYNC but no owner there is nobody to send it to (fs/fcntl.c,
/// send_sigio: no f_owner.pid, no signal).
#[rstest]
#[case::pipe(Kind::Pipe)]
#[case::fifo(Kind::Fifo)]
#[case::unix_stream(Kind::UnixStream)]
#[case::unix_dgram(Kind::UnixDgram)]
#[case::tcp(Kind::Tcp)]
fn no_sigio_without_an_owner(#[case] kind: Kind) {
    with_pair_catching(kind, &[libc::SIGIO], |p, c| {
        set_status_flag(p.rx(), libc::O_ASYNC, true).unwrap();
        assert_eq!(get_owner(p.rx()), 0);
        p.send(b"x");
        assert_eq!(c.take_pending(), None);
    });
}

/// fcntl(2), F_SETOWN: "As well as setting the file descriptor owner, one must also enable
/// generation of signals on the file descriptor." Terminals are the exception: enabling
/// O_ASYNC on a tty makes the caller the owner when none is set (drivers/tty/tty_io.c,
/// __tty_fasync: the foreground process group of the tty or else the calling process, via
/// __f_setown without force). A pty master with O_ASYNC and no F_SETOWN therefore signals
/// its opener.
#[test]
fn o_async_on_a_tty_makes_the_caller_its_owner() {
    needs!(available(Kind::Pty.availability()));
    with_pair_catching(Kind::Pty, &[libc::SIGIO], |p, c| {
        assert_eq!(get_owner(p.rx()), 0);
        set_status_flag(p.rx(), libc::O_ASYNC, true).unwrap();
        assert_eq!(get_owner(p.rx()), getpid().as_raw());
        p.send(b"x");
        assert_eq!(c.take_pending().map(|i| i.signo), Some(libc::SIGIO));
    });
}

/// fcntl(2), F_GETOWN: "Return ... the process ID or process group ID currently receiving
/// SIGIO and SIGURG signals". F_SETOWN with 0 removes the owner (fs/fcntl.c, f_setown: who
/// == 0 sets no pid; commit f73127356f34, "fs/fcntl: return -ESRCH in f_setown when pid/pgid
/// can't be found", clears the owner "only ... in the case where userland passed in an
/// argument of 0"): F_GETOWN reads 0 and input raises nothing although O_ASYNC is still set.
#[test]
fn f_setown_zero_removes_the_owner() {
    with_pair_catching(Kind::Pipe, &[libc::SIGIO], |p, c| {
        set_owner(p.rx(), getpid().as_raw()).unwrap();
        set_status_flag(p.rx(), libc::O_ASYNC, true).unwrap();
        set_owner(p.rx(), 0).unwrap();
        assert_eq!(get_owner(p.rx()), 0);
        assert_eq!(status_flags(p.rx()) & libc::O_ASYNC, libc::O_ASYNC);
        p.send(b"x");
        assert_eq!(c.take_pending(), None);
    });
}

/// fcntl(2): signals are enabled "by using the fcntl() F_SETFL command to set the O_ASYNC
/// file status flag on the file descriptor. Subsequently, a SIGIO signal is sent whenever
/// input or output becomes possible"; F_SETFL "can change only the O_APPEND, O_ASYNC,
/// O_DIRECT, O_NOATIME, and O_NONBLOCK flags". Clearing O_ASYNC with F_SETFL stops the
/// signals: one SIGIO while set, none after.
#[rstest]
#[case::pipe(Kind::Pipe)]
#[case::unix_stream(Kind::UnixStream)]
fn clearing_o_async_stops_the_signals(#[case] kind: Kind) {
    with_pair_catching(kind, &[libc::SIGIO], |p, c| {
        set_owner(p.rx(), getpid().as_raw()).unwrap();
        set_status_flag(p.rx(), libc::O_ASYNC, true).unwrap();
        p.send(b"x");
        assert!(c.take_pending().is_some());
        set_status_flag(p.rx(), libc::O_ASYNC, false).unwrap();
        assert_eq!(status_flags(p.rx()) & libc::O_ASYNC, 0);
        p.send(b"y");
        assert_eq!(c.take_pending(), None);
    });
}

/// open(2), O_ASYNC: "This feature is available only for terminals, pseudoterminals,
/// sockets, and (since Linux 2.6) pipes and FIFOs." On an eventfd or a message queue,
/// F_SETFL with O_ASYNC succeeds but the flag is not kept (fs/fcntl.c, setfl: FASYNC is
/// only changed through the file's ->fasync method, which these files lack) and input
/// raises nothing.
#[rstest]
#[case::eventfd(Kind::EventFd)]
#[case::mq(Kind::Mq)]
fn o_async_is_not_kept_where_signal_driven_io_is_unsupported(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    with_pair_catching(kind, &[libc::SIGIO], |p, c| {
        set_owner(p.rx(), getpid().as_raw()).unwrap();
        set_status_flag(p.rx(), libc::O_ASYNC, true).unwrap();
        assert_eq!(status_flags(p.rx()) & libc::O_ASYNC, 0, "F_GETFL reports O_ASYNC on {kind:?}");
        p.send(b"x");
        assert_eq!(c.take_pending(), None);
    });
}

/// open(2), BUGS: "Currently, it is not possible to enable signal-driven I/O by specifying
/// O_ASYNC when calling open(); use fcntl(2) to enable this flag." Worse than stated, and
/// contrary to fcntl(2) (F_GETFL returns "the file status flags"; F_SETFL "can change ...
/// O_ASYNC"): open stores the flag, so F_GETFL reports O_ASYNC while no signal is ever
/// raised, and since the flag already looks set, F_SETFL can neither clear it nor turn
/// signal-driven I/O on for that open file description (fs/fcntl.c, setfl calls ->fasync
/// only when FASYNC changes, and FASYNC is not in SETFL_MASK). Pinned as observed, not as
/// conformance (docs/findings.md).
#[test]
fn o_async_given_to_open_is_reported_but_never_works() {
    run_in_child("FIFO opened with O_ASYNC", || {
        let c = SignalCatcher::new(&[libc::SIGIO]);
        let s = Scratch::new();
        let path = s.fifo("f", 0o600);
        let r = open_cloexec(&path, libc::O_RDONLY | libc::O_NONBLOCK | libc::O_ASYNC).unwrap();
        let w = open_cloexec(&path, libc::O_WRONLY).unwrap();
        let r = r.as_fd();
        set_owner(r, getpid().as_raw()).unwrap();
        assert_eq!(status_flags(r) & libc::O_ASYNC, libc::O_ASYNC, "open stores O_ASYNC");
        let write = |b: &[u8]| assert_eq!(nix::unistd::write(&w, b), Ok(b.len()));
        write(b"1");
        assert_eq!(
            c.take_pending(),
            None,
            "no signal although F_GETFL says O_ASYNC"
        );
        set_status_flag(r, libc::O_ASYNC, false).unwrap();
        assert_eq!(status_flags(r) & libc::O_ASYNC, libc::O_ASYNC, "F_SETFL cannot clear it");
        set_status_flag(r, libc::O_ASYNC, true).unwrap();
        write(b"2");
        assert_eq!(
            c.take_pending(),
            None,
            "and cannot enable signal-driven I/O either"
        );
    })
    .expect_success();
}
