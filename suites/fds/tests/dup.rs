//! dup(2), dup2(2), dup3(2): a duplicate is a new descriptor for the same open file
//! description.
//!
//! Claims about fd numbers ("the lowest free number") are checked inside a forked child: a
//! child is single-threaded, so no other thread can take a number in between.

use std::os::fd::AsRawFd;

use fds::{TempFile, close, dup, dup2, dup3, offset, seek_to};
use fixtures::io::{getfd, getfl, raw_fd, read_once, setfl};
use fixtures::procfs::{fd_is_open, lowest_free_fd};
use fixtures::{assert_errno, run_in_child};
use nix::errno::Errno;

/// dup(2): "The new file descriptor number is guaranteed to be the lowest-numbered file
/// descriptor that was unused in the calling process." A hole below the current maximum is
/// reused first.
#[test]
fn dup_returns_the_lowest_unused_number() {
    let f = TempFile::new(b"x");
    run_in_child("dup in a single-threaded child", || {
        let first_free = lowest_free_fd();
        let a = dup(&f).unwrap();
        assert_eq!(a, first_free, "dup must take the lowest free number");
        let b = dup(&f).unwrap();
        let c = dup(&f).unwrap();
        assert!(a < b && b < c);
        // a, b, c were each the lowest free number, so the only hole below c is b.
        close(b).unwrap();
        assert_eq!(lowest_free_fd(), b);
        assert_eq!(dup(&f), Ok(b), "dup must fill the lowest hole");
    })
    .expect_success();
}

/// dup(2): the two descriptors "share file offset": lseek or read through one moves the
/// offset seen through the other.
#[test]
fn dup_shares_the_file_offset() {
    let f = TempFile::new(b"0123456789");
    let d = dup(&f).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(read_once(&f, &mut buf), Ok(4));
    assert_eq!(offset(raw_fd(d)), 4, "the read through the original moved the duplicate's offset");
    seek_to(raw_fd(d), 7);
    assert_eq!(read_once(&f, &mut buf), Ok(3));
    assert_eq!(&buf[..3], b"789");
    close(d).unwrap();
}

/// dup(2): the descriptors share "file status flags": O_APPEND set with F_SETFL on the
/// duplicate is seen by F_GETFL on the original.
#[test]
fn dup_shares_the_file_status_flags() {
    let f = TempFile::new(b"");
    let d = dup(&f).unwrap();
    let fl = getfl(raw_fd(d)).unwrap();
    setfl(raw_fd(d), fl | libc::O_APPEND).unwrap();
    assert_eq!(getfl(&f).unwrap() & libc::O_APPEND, libc::O_APPEND);
    close(d).unwrap();
}

/// dup(2): "The close-on-exec flag (FD_CLOEXEC ...) for the duplicate descriptor is off",
/// even when it is set on the original: descriptor flags are not shared.
#[test]
fn dup_clears_close_on_exec_on_the_duplicate() {
    let f = TempFile::new(b""); // opened with O_CLOEXEC
    assert_eq!(getfd(&f), Ok(libc::FD_CLOEXEC));
    let d = dup(&f).unwrap();
    assert_eq!(getfd(raw_fd(d)), Ok(0));
    assert_eq!(getfd(&f), Ok(libc::FD_CLOEXEC));
    close(d).unwrap();
}

/// dup(2), ERRORS: "EBADF oldfd isn't an open file descriptor."
#[test]
fn dup_of_a_closed_fd_fails_ebadf() {
    // The number is closed in the child itself: in the test process another thread could
    // reuse it between the close and the fork.
    run_in_child("dup of closed fd", || {
        let f = TempFile::new(b"");
        let closed = f.as_raw_fd();
        drop(f);
        assert!(!fd_is_open(raw_fd(closed)));
        assert_errno!(dup(raw_fd(closed)), Errno::EBADF);
    })
    .expect_success();
}

/// dup2(2): "If the file descriptor newfd was previously open, it is closed before being
/// reused": afterwards newfd refers to oldfd's file, and the file newfd referred to lost
/// that reference (a pipe whose only write end was newfd reaches EOF).
#[test]
fn dup2_closes_an_open_target_first() {
    let f = TempFile::new(b"abc");
    let (rx, tx) = nix::unistd::pipe().unwrap();
    let target = tx.as_raw_fd();
    std::mem::forget(tx); // the raw number is now managed by hand
    assert_eq!(dup2(&f, target), Ok(target));
    let mut buf = [0u8; 8];
    assert_eq!(read_once(&rx, &mut buf), Ok(0), "the pipe's only write end must have been closed");
    assert_eq!(read_once(raw_fd(target), &mut buf), Ok(3));
    assert_eq!(&buf[..3], b"abc");
    close(target).unwrap();
}

/// dup2(2): "If oldfd is a valid file descriptor, and newfd has the same value as oldfd,
/// then dup2() does nothing, and returns newfd" — in particular FD_CLOEXEC stays set.
#[test]
fn dup2_onto_itself_does_nothing() {
    let f = TempFile::new(b"");
    let fd = f.as_raw_fd();
    assert_eq!(dup2(&f, fd), Ok(fd));
    assert_eq!(getfd(&f), Ok(libc::FD_CLOEXEC));
}

/// dup2(2): "If oldfd is not a valid file descriptor, then the call fails, and newfd is not
/// closed."
#[test]
fn dup2_with_a_bad_oldfd_fails_ebadf_and_keeps_newfd() {
    let f = TempFile::new(b"");
    let bad = raw_fd(1_000_000); // above any RLIMIT_NOFILE in use
    assert_errno!(dup2(bad, f.as_raw_fd()), Errno::EBADF);
    assert!(fd_is_open(&f), "dup2 closed newfd although oldfd was bad");
}

/// dup3(2): "If oldfd equals newfd, then dup3() fails with the error EINVAL."
#[test]
fn dup3_onto_itself_fails_einval() {
    let f = TempFile::new(b"");
    assert_errno!(dup3(&f, f.as_raw_fd(), 0), Errno::EINVAL);
}

/// dup3(2): "The caller can force the close-on-exec flag to be set for the new file
/// descriptor by specifying O_CLOEXEC in flags"; without it the flag is clear.
#[rstest::rstest]
#[case::with_cloexec(libc::O_CLOEXEC, libc::FD_CLOEXEC)]
#[case::without_flags(0, 0)]
fn dup3_sets_close_on_exec_only_when_asked(#[case] flags: libc::c_int, #[case] expected: libc::c_int) {
    let f = TempFile::new(b"");
    let target = fixtures::io::owned(dup(&f).unwrap());
    let t = target.as_raw_fd();
    assert_eq!(dup3(&f, t, flags), Ok(t));
    assert_eq!(getfd(&target), Ok(expected));
}

/// dup3(2), ERRORS: "EINVAL (dup3()) flags contain an invalid value" — anything but
/// O_CLOEXEC, e.g. O_NONBLOCK.
#[test]
fn dup3_with_an_invalid_flag_fails_einval() {
    let f = TempFile::new(b"");
    let target = fixtures::io::owned(dup(&f).unwrap());
    assert_errno!(dup3(&f, target.as_raw_fd(), libc::O_NONBLOCK), Errno::EINVAL);
}
