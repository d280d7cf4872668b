//! ioctl(FIONBIO): the older way to set O_NONBLOCK. ioctl(2) lists FIONBIO among the
//! requests for every kind of file; the kernel handles it in fs/ioctl.c (ioctl_fionbio),
//! before any driver sees the request: a non-zero int sets O_NONBLOCK on the open file
//! description, zero clears it — the same flag fcntl(F_SETFL) changes (socket(7), "Ioctls":
//! FIONBIO "is equivalent to" setting O_NONBLOCK with fcntl). nginx sets its sockets
//! nonblocking this way (ngx_nonblocking).

use std::os::fd::{AsFd, AsRawFd};

use fixtures::io::status_flags;
use fixtures::kinds::{Kind, NonblockMode as Mode};
use fixtures::{assert_errno, needs, spawn, sys};
use nix::errno::Errno;
use fixtures::cases::every_kind;
use nonblocking_io::pair;
use rstest::rstest;
use rstest_reuse::apply;

/// ioctl(fd, FIONBIO, &on).
fn fionbio(fd: impl AsFd, on: bool) -> Result<(), Errno> {
    let v: libc::c_int = on.into();
    // SAFETY: FIONBIO reads one int from a pointer we own.
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), libc::FIONBIO, &v as *const libc::c_int) }).map(drop)
}

/// ioctl(2)/socket(7), FIONBIO, for every kind of descriptor (sockets, pipes, FIFOs,
/// eventfds, pty masters, message queues): on a blocking read end, ioctl(FIONBIO, &1)
/// returns 0 and F_GETFL then shows O_NONBLOCK; a read with nothing to read fails EAGAIN,
/// also through a dup(2) of it (the flag is the open file description's); ioctl(FIONBIO,
/// &0) returns 0 and clears the flag, and a read then blocks until the peer sends (proven
/// in a child).
#[apply(every_kind)]
#[rstest]
fn fionbio_sets_and_clears_o_nonblock_on_the_open_file_description(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let p = pair(kind, Mode::Blocking).unwrap();
    assert_eq!(status_flags(p.rx()) & libc::O_NONBLOCK, 0, "a blocking end to begin with");
    assert_eq!(fionbio(p.rx(), true), Ok(()), "ioctl(FIONBIO, &1)");
    assert_eq!(status_flags(p.rx()) & libc::O_NONBLOCK, libc::O_NONBLOCK, "F_GETFL after FIONBIO 1");
    assert_errno!(p.recv(64), Errno::EAGAIN, "a read with nothing to read");
    let dup = p.rx().try_clone_to_owned().expect("dup");
    assert_eq!(status_flags(&dup) & libc::O_NONBLOCK, libc::O_NONBLOCK, "the dup shares the flag");
    assert_eq!(fionbio(&dup, false), Ok(()), "ioctl(FIONBIO, &0) through the dup");
    assert_eq!(status_flags(p.rx()) & libc::O_NONBLOCK, 0, "F_GETFL of the original after FIONBIO 0");
    let mut reader = spawn("reader after FIONBIO 0", || {
        assert_eq!(p.recv(64).map(|b| b.is_empty()), Ok(false), "the read returns what the peer sent");
    });
    reader.assert_blocked_in(kind.recv_calls(), "a read after ioctl(FIONBIO, &0)");
    assert_eq!(p.try_send(b"x"), Ok(1), "the peer sends");
    reader.expect_success();
}
