//! select(2): the three descriptor sets, how they are rewritten, and the errors and quirks
//! of Linux's implementation (fs/select.c, core_sys_select).
//!
//! select(2), "Correspondence between select() and poll() notifications": readable means
//! POLLIN_SET (EPOLLRDNORM | EPOLLRDBAND | EPOLLIN | EPOLLHUP | EPOLLERR), writable
//! POLLOUT_SET (EPOLLWRBAND | EPOLLWRNORM | EPOLLOUT | EPOLLERR), exceptional POLLEX_SET
//! (EPOLLPRI).

use std::os::fd::AsRawFd;

use fixtures::kinds::Kind;
use fixtures::{Scratch, assert_errno, run_in_child, sys};
use nix::errno::Errno;
use poll_select::{FdSet, limit_nofile, select};

fn zero() -> libc::timeval {
    libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    }
}

/// select(2), readfds: "After select() has returned, readfds will be cleared of all file
/// descriptors except for those that are ready for reading." Of a ready and an idle read
/// end only the ready one stays; the return value is 1.
#[test]
fn readfds_keeps_only_the_readable_fds() {
    let ready = Kind::Pipe.pair();
    let idle = Kind::UnixStream.pair();
    ready.send(b"x");
    let mut r = FdSet::of(&[ready.rx(), idle.rx()]);
    let nfds = ready.rx().max(idle.rx()) + 1;
    assert_eq!(
        select(nfds, Some(&mut r), None, None, Some(&mut zero())),
        Ok(1)
    );
    assert_eq!(r.members(), vec![ready.rx()]);
}

/// select(2), writefds: "cleared of all file descriptors except for those that are ready
/// for writing". A full pipe's write end is dropped from the set, a fresh one kept.
#[test]
fn writefds_keeps_only_the_writable_fds() {
    let fresh = Kind::Pipe.pair();
    let full = Kind::Pipe.pair();
    full.fill();
    let mut w = FdSet::of(&[fresh.tx(), full.tx()]);
    let nfds = fresh.tx().max(full.tx()) + 1;
    assert_eq!(
        select(nfds, None, Some(&mut w), None, Some(&mut zero())),
        Ok(1)
    );
    assert_eq!(w.members(), vec![fresh.tx()]);
}

/// select(2), RETURN VALUE: "the total number of bits that are set in readfds, writefds,
/// exceptfds". An eventfd that is readable and writable, listed in both sets, counts twice.
#[test]
fn the_return_value_counts_bits_across_the_sets() {
    let e = Kind::EventFd.pair();
    e.send(b"x");
    let mut r = FdSet::of(&[e.rx()]);
    let mut w = FdSet::of(&[e.rx()]);
    let mut x = FdSet::of(&[e.rx()]);
    assert_eq!(
        select(
            e.rx() + 1,
            Some(&mut r),
            Some(&mut w),
            Some(&mut x),
            Some(&mut zero())
        ),
        Ok(2)
    );
    assert_eq!(
        (r.members(), w.members(), x.members()),
        (vec![e.rx()], vec![e.rx()], vec![])
    );
}

/// select(2), exceptfds: "watched for exceptional conditions" — POLLPRI, "out-of-band data
/// on a TCP socket". The urgent byte marks the socket exceptional and (not being ordinary
/// data) leaves it unreadable.
#[test]
fn exceptfds_reports_tcp_urgent_data() {
    let p = Kind::Tcp.pair();
    let mut r = FdSet::of(&[p.rx()]);
    let mut x = FdSet::of(&[p.rx()]);
    assert_eq!(
        select(
            p.rx() + 1,
            Some(&mut r),
            None,
            Some(&mut x),
            Some(&mut zero())
        ),
        Ok(0)
    );
    p.send_urgent(b'!');
    let mut r = FdSet::of(&[p.rx()]);
    let mut x = FdSet::of(&[p.rx()]);
    assert_eq!(
        select(
            p.rx() + 1,
            Some(&mut r),
            None,
            Some(&mut x),
            Some(&mut zero())
        ),
        Ok(1)
    );
    assert_eq!((r.members(), x.members()), (vec![], vec![p.rx()]));
}

/// select(2): readable is "POLLIN_SET", which includes EPOLLHUP: a pipe whose writer has
/// gone is readable (a read returns end of file at once) and never exceptional.
#[test]
fn a_hung_up_pipe_is_readable_not_exceptional() {
    let mut p = Kind::Pipe.pair();
    p.close_tx();
    let mut r = FdSet::of(&[p.rx()]);
    let mut x = FdSet::of(&[p.rx()]);
    assert_eq!(
        select(
            p.rx() + 1,
            Some(&mut r),
            None,
            Some(&mut x),
            Some(&mut zero())
        ),
        Ok(1)
    );
    assert_eq!((r.members(), x.members()), (vec![p.rx()], vec![]));
}

/// select(2): writable is "POLLOUT_SET", which includes EPOLLERR: a full pipe's write end is
/// not writable, but once the reader is closed it is (a write fails with EPIPE at once).
#[test]
fn a_full_pipe_becomes_writable_when_its_reader_closes() {
    // Isolated: a child forked meanwhile by another test's thread would keep a read end open.
    fixtures::isolated(|| {
        let mut p = Kind::Pipe.pair();
        p.fill();
        let mut w = FdSet::of(&[p.tx()]);
        assert_eq!(
            select(p.tx() + 1, None, Some(&mut w), None, Some(&mut zero())),
            Ok(0)
        );
        p.close_rx();
        let mut w = FdSet::of(&[p.tx()]);
        assert_eq!(
            select(p.tx() + 1, None, Some(&mut w), None, Some(&mut zero())),
            Ok(1)
        );
        assert_eq!(w.members(), vec![p.tx()]);
    });
}

/// select(2), ERRORS: "EBADF An invalid file descriptor was given in one of the sets";
/// RETURN VALUE: "On error, -1 is returned ... the file descriptor sets are unmodified".
#[test]
fn a_closed_fd_in_a_set_fails_ebadf_and_leaves_the_sets_alone() {
    let p = Kind::Pipe.pair();
    p.send(b"x");
    run_in_child("select with a closed fd", || {
        let closed = sys(unsafe { libc::dup(p.rx()) }).unwrap();
        sys(unsafe { libc::close(closed) }).unwrap();
        let mut r = FdSet::of(&[p.rx(), closed]);
        let before = r.members();
        assert_errno!(
            select(
                p.rx().max(closed) + 1,
                Some(&mut r),
                None,
                None,
                Some(&mut zero())
            ),
            Errno::EBADF
        );
        assert_eq!(r.members(), before);
    })
    .expect_success();
}

/// select(2), ERRORS: "EINVAL nfds is negative".
#[test]
fn a_negative_nfds_fails_einval() {
    let mut r = FdSet::new();
    assert_errno!(
        select(-1, Some(&mut r), None, None, Some(&mut zero())),
        Errno::EINVAL
    );
}

/// select(2), ERRORS also says "EINVAL nfds ... exceeds the RLIMIT_NOFILE resource limit",
/// but Linux does not check the limit: core_sys_select (fs/select.c) only clamps nfds to the
/// size of the fd table. With RLIMIT_NOFILE 64, nfds 1024 and empty sets succeed. (Findings.)
#[test]
fn nfds_above_rlimit_nofile_is_not_rejected() {
    run_in_child("select under RLIMIT_NOFILE 64", || {
        limit_nofile(64);
        let mut r = FdSet::new();
        assert_eq!(
            select(
                libc::FD_SETSIZE as libc::c_int,
                Some(&mut r),
                None,
                None,
                Some(&mut zero())
            ),
            Ok(0)
        );
    })
    .expect_success();
}

/// select(2), BUGS: "the current implementation ignores any file descriptor in these sets
/// that is greater than the maximum file descriptor number that the process currently has
/// open. According to POSIX, any such file descriptor ... should result in the error EBADF."
/// A set holding only fd 1020, beyond a child's small fd table, selects nothing and fails
/// nothing. Moreover the kernel copies back only the part of the set it examined (fs/select.c,
/// core_sys_select clamps nfds to the fd table size before set_fd_set), so the bit for 1020
/// is left set although select returned 0 — contrary to "readfds will be cleared of all file
/// descriptors except for those that are ready for reading". (Findings.)
#[test]
fn fds_beyond_the_fd_table_are_ignored_and_left_set() {
    run_in_child("select with fd 1020", || {
        assert!(!fixtures::procfs::fd_is_open(1020));
        let mut r = FdSet::of(&[1020]);
        assert_eq!(
            select(1021, Some(&mut r), None, None, Some(&mut zero())),
            Ok(0)
        );
        assert_eq!(r.members(), vec![1020], "the unexamined bit is not cleared");
    })
    .expect_success();
}

/// POSIX.1-2024, pselect(): "File descriptors associated with regular files shall always
/// select true for ready to read, ready to write, and error conditions." Linux reports a
/// regular file readable and writable but never exceptional: its default poll mask has no
/// EPOLLPRI (include/linux/poll.h, DEFAULT_POLLMASK). (Findings.)
#[test]
fn a_regular_file_selects_readable_and_writable_but_not_exceptional() {
    let s = Scratch::new();
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(s.file("f", b""))
        .unwrap();
    let fd = f.as_raw_fd();
    let (mut r, mut w, mut x) = (FdSet::of(&[fd]), FdSet::of(&[fd]), FdSet::of(&[fd]));
    assert_eq!(
        select(
            fd + 1,
            Some(&mut r),
            Some(&mut w),
            Some(&mut x),
            Some(&mut zero())
        ),
        Ok(2)
    );
    assert_eq!(
        (r.members(), w.members(), x.members()),
        (vec![fd], vec![fd], vec![])
    );
}
