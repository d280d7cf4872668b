//! ioctl(FIOASYNC): the other way to switch signal-driven I/O on, the one nginx uses for its
//! worker channels. socket(7), "Ioctls", FIOASYNC: "Change the O_ASYNC flag to enable or
//! disable asynchronous I/O mode of the socket. ... Argument is an integer boolean flag.
//! (This operation is synonymous with the use of fcntl(2) to set the O_ASYNC flag.)" The
//! kernel implements it for every file (fs/ioctl.c, ioctl_fioasync), so pipes, FIFOs and
//! terminals answer it too.
//!
//! Each claim runs in a forked child that blocks SIGIO and takes it with sigtimedwait.

use std::os::fd::{AsFd, AsRawFd};

use fixtures::io::status_flags;
use fixtures::kinds::Kind;
use fixtures::needs;
use nix::errno::Errno;
use nix::unistd::getpid;
use rstest::rstest;
use rstest_reuse::apply;
use fixtures::cases::channel_kinds;
use signal_io::{set_owner, with_pair_catching};

/// ioctl(fd, FIOASYNC, &on).
fn fioasync(fd: impl AsFd, on: bool) -> Result<(), Errno> {
    let arg: libc::c_int = on.into();
    // SAFETY: FIOASYNC reads an int we own.
    fixtures::sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), libc::FIOASYNC, &arg) }).map(drop)
}

/// socket(7), FIOASYNC: "Change the O_ASYNC flag": a nonzero argument sets O_ASYNC in the
/// file status flags (F_GETFL), zero clears it again; no other status flag changes.
#[apply(channel_kinds)]
#[rstest]
fn fioasync_turns_o_async_on_and_off(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    with_pair_catching(kind, &[libc::SIGIO], |p, _| {
        let before = status_flags(p.rx());
        assert_eq!(before & libc::O_ASYNC, 0, "O_ASYNC on a new descriptor");
        assert_eq!(fioasync(p.rx(), true), Ok(()));
        assert_eq!(status_flags(p.rx()), before | libc::O_ASYNC);
        assert_eq!(fioasync(p.rx(), false), Ok(()));
        assert_eq!(status_flags(p.rx()), before);
    });
}

/// socket(7), FIOASYNC: "Asynchronous I/O mode means that the SIGIO signal ... is raised
/// when a new I/O event occurs." With an owner (F_SETOWN) and FIOASYNC on, input raises
/// SIGIO in the owner; after FIOASYNC off, input raises nothing.
#[apply(channel_kinds)]
#[rstest]
fn fioasync_on_raises_sigio_on_input_and_off_stops_it(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    with_pair_catching(kind, &[libc::SIGIO], |p, c| {
        set_owner(p.rx(), getpid().as_raw()).unwrap();
        assert_eq!(fioasync(p.rx(), true), Ok(()));
        assert!(c.take_pending().is_none(), "no SIGIO before input");
        p.send(b"x");
        assert_eq!(c.take_pending().map(|i| i.signo), Some(libc::SIGIO), "SIGIO after input with FIOASYNC on");
        assert_eq!(fioasync(p.rx(), false), Ok(()));
        p.send(b"y");
        assert_eq!(c.take_pending().map(|i| i.signo), None, "SIGIO after input with FIOASYNC off");
    });
}
