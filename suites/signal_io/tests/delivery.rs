//! When SIGIO is sent at all. fcntl(2), F_SETOWN: "As well as setting the file descriptor
//! owner, one must also enable generation of signals on the file descriptor. This is done
//! by using the fcntl() F_SETFL command to set the O_ASYNC file status flag on the file
//! descriptor. Subsequently, a SIGIO signal is sent whenever input or output becomes
//! possible on the file descriptor."
//!
//! Each claim runs in a forked child that blocks SIGIO and takes it with sigtimedwait.
//! Pair::send returns once the receiver has been notified (for TCP and ptys it waits for
//! the delivery), so "no signal" is checked exactly, at once.

use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;

use fixtures::kinds::Kind;
use fixtures::signals::SignalCatcher;
use fixtures::{Scratch, require, run_in_child};
use nix::unistd::getpid;
use rstest::rstest;
use signal_io::{async_flag, get_owner, set_async, set_owner};

/// fcntl(2), F_SETOWN: with an owner and O_ASYNC, input raises SIGIO in the owner. Without
/// F_SETSIG the signal carries no fd: si_code is SI_KERNEL (fs/fcntl.c, send_sigio_to_task
/// sends plain SIGIO with SEND_SIG_PRIV).
#[rstest]
fn input_raises_sigio_in_the_owner(
    #[values(
        Kind::Pipe,
        Kind::Fifo,
        Kind::UnixStream,
        Kind::UnixDgram,
        Kind::Tcp,
        Kind::Pty
    )]
    kind: Kind,
) {
    require!(kind.available());
    run_in_child("owner", || {
        let c = SignalCatcher::new(&[libc::SIGIO]);
        let p = kind.pair();
        set_owner(p.rx(), getpid().as_raw()).unwrap();
        set_async(p.rx(), true);
        assert!(c.take_pending().is_none(), "no SIGIO before input");
        p.send(b"x");
        let i = c.take_pending().expect("SIGIO after input");
        assert_eq!((i.signo, i.code), (libc::SIGIO, libc::SI_KERNEL));
    })
    .expect_success();
}

/// fcntl(2): "one must also enable generation of signals": with an owner but without
/// O_ASYNC, input raises nothing.
#[rstest]
fn no_sigio_without_o_async(
    #[values(
        Kind::Pipe,
        Kind::Fifo,
        Kind::UnixStream,
        Kind::UnixDgram,
        Kind::Tcp,
        Kind::Pty
    )]
    kind: Kind,
) {
    require!(kind.available());
    run_in_child("owner without O_ASYNC", || {
        let c = SignalCatcher::new(&[libc::SIGIO]);
        let p = kind.pair();
        set_owner(p.rx(), getpid().as_raw()).unwrap();
        p.send(b"x");
        assert_eq!(c.take_pending(), None);
    })
    .expect_success();
}

/// fcntl(2): the signal goes to "the process ID or process group ID that will receive
/// SIGIO"; with O_ASYNC but no owner there is nobody to send it to (fs/fcntl.c,
/// send_sigio: no f_owner.pid, no signal).
#[rstest]
fn no_sigio_without_an_owner(
    #[values(Kind::Pipe, Kind::Fifo, Kind::UnixStream, Kind::UnixDgram, Kind::Tcp)] kind: Kind,
) {
    run_in_child("O_ASYNC without owner", || {
        let c = SignalCatcher::new(&[libc::SIGIO]);
        let p = kind.pair();
        set_async(p.rx(), true);
        assert_eq!(get_owner(p.rx()), 0);
        p.send(b"x");
        assert_eq!(c.take_pending(), None);
    })
    .expect_success();
}

/// fcntl(2), F_SETOWN: "As well as setting the file descriptor owner, one must also enable
/// generation of signals on the file descriptor." Terminals are the exception: enabling
/// O_ASYNC on a tty makes the caller the owner when none is set (drivers/tty/tty_io.c,
/// __tty_fasync: the foreground process group of the tty or else the calling process, via
/// __f_setown without force). A pty master with O_ASYNC and no F_SETOWN therefore signals
/// its opener.
#[test]
fn o_async_on_a_tty_makes_the_caller_its_owner() {
    require!(Kind::Pty.available());
    run_in_child("pty owner", || {
        let c = SignalCatcher::new(&[libc::SIGIO]);
        let p = Kind::Pty.pair();
        assert_eq!(get_owner(p.rx()), 0);
        set_async(p.rx(), true);
        assert_eq!(get_owner(p.rx()), getpid().as_raw());
        p.send(b"x");
        assert_eq!(c.take_pending().map(|i| i.signo), Some(libc::SIGIO));
    })
    .expect_success();
}

/// fcntl(2), F_GETOWN: "Return ... the process ID or process group ID currently receiving
/// SIGIO and SIGURG signals". F_SETOWN with 0 removes the owner (fs/fcntl.c, f_setown: who
/// == 0 sets no pid; commit f73127356f34, "fs/fcntl: return -ESRCH in f_setown when pid/pgid
/// can't be found", clears the owner "only ... in the case where userland passed in an
/// argument of 0"): F_GETOWN reads 0 and input raises nothing although O_ASYNC is still set.
#[test]
fn f_setown_zero_removes_the_owner() {
    run_in_child("owner removed", || {
        let c = SignalCatcher::new(&[libc::SIGIO]);
        let p = Kind::Pipe.pair();
        set_owner(p.rx(), getpid().as_raw()).unwrap();
        set_async(p.rx(), true);
        set_owner(p.rx(), 0).unwrap();
        assert_eq!(get_owner(p.rx()), 0);
        assert!(async_flag(p.rx()));
        p.send(b"x");
        assert_eq!(c.take_pending(), None);
    })
    .expect_success();
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
    run_in_child("O_ASYNC cleared", || {
        let c = SignalCatcher::new(&[libc::SIGIO]);
        let p = kind.pair();
        set_owner(p.rx(), getpid().as_raw()).unwrap();
        set_async(p.rx(), true);
        p.send(b"x");
        assert!(c.take_pending().is_some());
        set_async(p.rx(), false);
        assert!(!async_flag(p.rx()));
        p.send(b"y");
        assert_eq!(c.take_pending(), None);
    })
    .expect_success();
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
    require!(kind.available());
    run_in_child("O_ASYNC on an unsupported fd", || {
        let c = SignalCatcher::new(&[libc::SIGIO]);
        let p = kind.pair();
        set_owner(p.rx(), getpid().as_raw()).unwrap();
        set_async(p.rx(), true);
        assert!(!async_flag(p.rx()), "F_GETFL reports O_ASYNC on {kind:?}");
        p.send(b"x");
        assert_eq!(c.take_pending(), None);
    })
    .expect_success();
}

/// open(2), BUGS: "Currently, it is not possible to enable signal-driven I/O by specifying
/// O_ASYNC when calling open(); use fcntl(2) to enable this flag." Worse than stated: open
/// stores the flag, so F_GETFL reports O_ASYNC while no signal is ever raised, and since
/// the flag already looks set, F_SETFL can neither clear it nor turn signal-driven I/O on
/// for that open file description (fs/fcntl.c, setfl calls ->fasync only when FASYNC
/// changes, and FASYNC is not in SETFL_MASK). (Findings.)
#[test]
fn o_async_given_to_open_is_reported_but_never_works() {
    run_in_child("FIFO opened with O_ASYNC", || {
        let c = SignalCatcher::new(&[libc::SIGIO]);
        let s = Scratch::new();
        let path = s.fifo("f", 0o600);
        let r = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_ASYNC)
            .open(&path)
            .unwrap();
        let w = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let r = r.as_raw_fd();
        set_owner(r, getpid().as_raw()).unwrap();
        assert!(async_flag(r), "open stores O_ASYNC");
        let write = |b: &[u8]| assert_eq!(nix::unistd::write(&w, b), Ok(b.len()));
        write(b"1");
        assert_eq!(
            c.take_pending(),
            None,
            "no signal although F_GETFL says O_ASYNC"
        );
        set_async(r, false);
        assert!(async_flag(r), "F_SETFL cannot clear it");
        set_async(r, true);
        write(b"2");
        assert_eq!(
            c.take_pending(),
            None,
            "and cannot enable signal-driven I/O either"
        );
    })
    .expect_success();
}
