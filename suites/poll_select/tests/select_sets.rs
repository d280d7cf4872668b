//! select(2): the three descriptor sets, how they are rewritten, and the errors and quirks
//! of Linux's implementation (fs/select.c, core_sys_select).
//!
//! select(2), "Correspondence between select() and poll() notifications": readable means
//! POLLIN_SET (EPOLLRDNORM | EPOLLRDBAND | EPOLLIN | EPOLLHUP | EPOLLERR), writable
//! POLLOUT_SET (EPOLLWRBAND | EPOLLWRNORM | EPOLLOUT | EPOLLERR), exceptional POLLEX_SET
//! (EPOLLPRI).

use std::os::fd::AsRawFd;

use fixtures::io::open_cloexec;
use fixtures::kinds::Kind;
use fixtures::limits::set_nofile_soft_limit;
use fixtures::{Scratch, assert_errno, run_in_child};
use nix::errno::Errno;
use poll_select::fd_sets::{FdSet, Selected, select, select_now};

fn zero() -> libc::timeval {
    libc::timeval { tv_sec: 0, tv_usec: 0 }
}

/// What select_now reports when it succeeds with `result` and leaves these members.
fn selected(result: i32, read: &[i32], write: &[i32], except: &[i32]) -> Selected {
    Selected { result: Ok(result), read: read.to_vec(), write: write.to_vec(), except: except.to_vec() }
}

/// select(2), readfds: "After select() has returned, readfds will be cleared of all file
/// descriptors except for those that are ready for reading." Of a ready and an idle read
/// end only the ready one stays; the return value is 1.
#[test]
fn readfds_keeps_only_the_readable_fds() {
    let ready = Kind::Pipe.pair();
    let idle = Kind::UnixStream.pair();
    ready.send(b"x");
    let (r, i) = (ready.rx().as_raw_fd(), idle.rx().as_raw_fd());
    assert_eq!(select_now(&[r, i], &[], &[]), selected(1, &[r], &[], &[]));
}

/// select(2), writefds: "cleared of all file descriptors except for those that are ready
/// for writing". A full pipe's write end is dropped from the set, a fresh one kept.
#[test]
fn writefds_keeps_only_the_writable_fds() {
    let fresh = Kind::Pipe.pair();
    let full = Kind::Pipe.pair();
    full.fill();
    let (f, u) = (fresh.tx().as_raw_fd(), full.tx().as_raw_fd());
    assert_eq!(select_now(&[], &[f, u], &[]), selected(1, &[], &[f], &[]));
}

/// select(2), RETURN VALUE: "the total number of bits that are set in readfds, writefds,
/// exceptfds". An eventfd that is readable and writable, listed in both sets, counts twice.
#[test]
fn the_return_value_counts_bits_across_the_sets() {
    let e = Kind::EventFd.pair();
    e.send(b"x");
    let fd = e.rx().as_raw_fd();
    assert_eq!(select_now(&[fd], &[fd], &[fd]), selected(2, &[fd], &[fd], &[]));
}

/// select(2), exceptfds: "watched for exceptional conditions" — POLLPRI, "out-of-band data
/// on a TCP socket". The urgent byte marks the socket exceptional and (not being ordinary
/// data) leaves it unreadable.
#[test]
fn exceptfds_reports_tcp_urgent_data() {
    let p = Kind::Tcp.pair();
    let fd = p.rx().as_raw_fd();
    assert_eq!(select_now(&[fd], &[], &[fd]), selected(0, &[], &[], &[]));
    p.send_urgent(b'!');
    assert_eq!(select_now(&[fd], &[], &[fd]), selected(1, &[], &[], &[fd]));
}

/// select(2): readable is "POLLIN_SET", which includes EPOLLHUP: a pipe whose writer has
/// gone is readable (a read returns end of file at once) and never exceptional.
#[test]
fn a_hung_up_pipe_is_readable_not_exceptional() {
    let mut p = Kind::Pipe.pair();
    p.close_tx();
    let fd = p.rx().as_raw_fd();
    assert_eq!(select_now(&[fd], &[], &[fd]), selected(1, &[fd], &[], &[]));
}

/// select(2): writable is "POLLOUT_SET", which includes EPOLLERR: a full pipe's write end is
/// not writable, but once the reader is closed it is (a write fails with EPIPE at once).
#[test]
fn a_full_pipe_becomes_writable_when_its_reader_closes() {
    // Isolated: a child forked meanwhile by another test's thread would keep a read end open.
    fixtures::isolated(|| {
        let mut p = Kind::Pipe.pair();
        p.fill();
        let fd = p.tx().as_raw_fd();
        assert_eq!(select_now(&[], &[fd], &[]), selected(0, &[], &[], &[]));
        p.close_rx();
        assert_eq!(select_now(&[], &[fd], &[]), selected(1, &[], &[fd], &[]));
    });
}

/// select(2), ERRORS: "EBADF An invalid file descriptor was given in one of the sets";
/// RETURN VALUE: "On error, -1 is returned ... the file descriptor sets are unmodified".
#[test]
fn a_closed_fd_in_a_set_fails_ebadf_and_leaves_the_sets_alone() {
    let p = Kind::Pipe.pair();
    p.send(b"x");
    run_in_child("select with a closed fd", || {
        let closed = p.rx().try_clone_to_owned().unwrap().as_raw_fd(); // closed again at once
        let fd = p.rx().as_raw_fd();
        let before = FdSet::of(&[fd, closed]).members();
        let unchanged = Selected { result: Err(Errno::EBADF), read: before, write: vec![], except: vec![] };
        assert_eq!(select_now(&[fd, closed], &[], &[]), unchanged);
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

/// select(2), ERRORS also says "EINVAL nfds ... exceeds the RLIMIT_NOFILE resource limit".
/// Linux differs from select(2): it does not check the limit, core_sys_select (fs/select.c)
/// only clamps nfds to the size of the fd table. With RLIMIT_NOFILE 64, nfds 1024 and empty
/// sets succeed. Pinned as observed, not as conformance (docs/findings.md).
#[test]
fn nfds_above_rlimit_nofile_is_not_rejected() {
    run_in_child("select under RLIMIT_NOFILE 64", || {
        set_nofile_soft_limit(64);
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
/// is left set although select returned 0: Linux differs from select(2), "readfds will be
/// cleared of all file descriptors except for those that are ready for reading". Pinned as
/// observed, not as conformance (docs/findings.md).
#[test]
fn fds_beyond_the_fd_table_are_ignored_and_left_set() {
    run_in_child("select with fd 1020", || {
        assert!(!fixtures::procfs::fd_is_open(fixtures::io::raw_fd(1020)));
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
/// select true for ready to read, ready to write, and error conditions." Linux differs from
/// POSIX: it reports a regular file readable and writable but never exceptional, its default
/// poll mask has no EPOLLPRI (include/linux/poll.h, DEFAULT_POLLMASK). Pinned as observed,
/// not as conformance (docs/findings.md).
#[test]
fn a_regular_file_selects_readable_and_writable_but_not_exceptional() {
    let s = Scratch::new();
    let f = open_cloexec(&s.file("f", b""), libc::O_RDWR).unwrap();
    let fd = f.as_raw_fd();
    assert_eq!(select_now(&[fd], &[fd], &[fd]), selected(2, &[fd], &[fd], &[]));
}
