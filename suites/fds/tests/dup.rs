//! dup(2), dup2(2), dup3(2): a duplicate is a new descriptor for the same open file
//! description.
//!
//! Claims about fd numbers ("the lowest free number") are checked inside a forked child: a
//! child is single-threaded, so no other thread can take a number in between.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use fixtures::procfs::{fd_is_open, lowest_free_fd};
use fixtures::{Scratch, assert_errno, run_in_child, sys};
use nix::errno::Errno;

fn open_file(scratch: &Scratch, content: &[u8]) -> OwnedFd {
    let p = scratch.file("f", content);
    OwnedFd::from(std::fs::OpenOptions::new().read(true).write(true).open(p).unwrap())
}

fn raw_dup(fd: RawFd) -> Result<RawFd, Errno> {
    sys(unsafe { libc::dup(fd) })
}

fn raw_dup2(old: RawFd, new: RawFd) -> Result<RawFd, Errno> {
    sys(unsafe { libc::dup2(old, new) })
}

fn raw_dup3(old: RawFd, new: RawFd, flags: libc::c_int) -> Result<RawFd, Errno> {
    sys(unsafe { libc::dup3(old, new, flags) })
}

fn offset(fd: RawFd) -> i64 {
    unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) }
}

/// dup(2): "The new file descriptor number is guaranteed to be the lowest-numbered file
/// descriptor that was unused in the calling process." A hole below the current maximum is
/// reused first.
#[test]
fn dup_returns_the_lowest_unused_number() {
    let s = Scratch::new();
    let f = open_file(&s, b"x");
    run_in_child("dup in a single-threaded child", || {
        let first_free = lowest_free_fd();
        let a = raw_dup(f.as_raw_fd()).unwrap();
        assert_eq!(a, first_free, "dup must take the lowest free number");
        let b = raw_dup(f.as_raw_fd()).unwrap();
        let c = raw_dup(f.as_raw_fd()).unwrap();
        assert!(a < b && b < c);
        // a, b, c were each the lowest free number, so the only hole below c is b.
        unsafe { libc::close(b) };
        assert_eq!(lowest_free_fd(), b);
        assert_eq!(raw_dup(f.as_raw_fd()), Ok(b), "dup must fill the lowest hole");
    })
    .expect_success();
}

/// dup(2): the two descriptors "share file offset": lseek or read through one moves the
/// offset seen through the other.
#[test]
fn dup_shares_the_file_offset() {
    let s = Scratch::new();
    let f = open_file(&s, b"0123456789");
    let d = raw_dup(f.as_raw_fd()).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(nix::unistd::read(&f, &mut buf), Ok(4));
    assert_eq!(offset(d), 4, "the read through the original moved the duplicate's offset");
    assert_eq!(unsafe { libc::lseek(d, 7, libc::SEEK_SET) }, 7);
    assert_eq!(nix::unistd::read(&f, &mut buf), Ok(3));
    assert_eq!(&buf[..3], b"789");
    unsafe { libc::close(d) };
}

/// dup(2): the descriptors share "file status flags": O_APPEND set with F_SETFL on the
/// duplicate is seen by F_GETFL on the original.
#[test]
fn dup_shares_the_file_status_flags() {
    let s = Scratch::new();
    let f = open_file(&s, b"");
    let d = raw_dup(f.as_raw_fd()).unwrap();
    let fl = sys(unsafe { libc::fcntl(d, libc::F_GETFL) }).unwrap();
    sys(unsafe { libc::fcntl(d, libc::F_SETFL, fl | libc::O_APPEND) }).unwrap();
    let orig = sys(unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETFL) }).unwrap();
    assert_eq!(orig & libc::O_APPEND, libc::O_APPEND);
    unsafe { libc::close(d) };
}

/// dup(2): "The close-on-exec flag (FD_CLOEXEC ...) for the duplicate descriptor is off",
/// even when it is set on the original: descriptor flags are not shared.
#[test]
fn dup_clears_close_on_exec_on_the_duplicate() {
    let s = Scratch::new();
    let f = open_file(&s, b""); // std opens with O_CLOEXEC
    assert_eq!(sys(unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETFD) }), Ok(libc::FD_CLOEXEC));
    let d = raw_dup(f.as_raw_fd()).unwrap();
    assert_eq!(sys(unsafe { libc::fcntl(d, libc::F_GETFD) }), Ok(0));
    assert_eq!(sys(unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETFD) }), Ok(libc::FD_CLOEXEC));
    unsafe { libc::close(d) };
}

/// dup(2), ERRORS: "EBADF oldfd isn't an open file descriptor."
#[test]
fn dup_of_a_closed_fd_fails_ebadf() {
    // The number is closed in the child itself: in the test process another thread could
    // reuse it between the close and the fork.
    run_in_child("dup of closed fd", || {
        let s = Scratch::new();
        let f = open_file(&s, b"");
        let raw = f.as_raw_fd();
        drop(f);
        assert!(!fd_is_open(raw));
        assert_errno!(raw_dup(raw), Errno::EBADF);
    })
    .expect_success();
}

/// dup2(2): "If the file descriptor newfd was previously open, it is closed before being
/// reused": afterwards newfd refers to oldfd's file, and the file newfd referred to lost
/// that reference (a pipe whose only write end was newfd reaches EOF).
#[test]
fn dup2_closes_an_open_target_first() {
    let s = Scratch::new();
    let f = open_file(&s, b"abc");
    let (rx, tx) = nix::unistd::pipe().unwrap();
    let target = tx.as_raw_fd();
    std::mem::forget(tx); // the raw number is now managed by hand
    assert_eq!(raw_dup2(f.as_raw_fd(), target), Ok(target));
    let mut buf = [0u8; 8];
    assert_eq!(nix::unistd::read(&rx, &mut buf), Ok(0), "the pipe's only write end must have been closed");
    assert_eq!(sys_size_read(target, &mut buf), Ok(3));
    assert_eq!(&buf[..3], b"abc");
    unsafe { libc::close(target) };
}

fn sys_size_read(fd: RawFd, buf: &mut [u8]) -> Result<usize, Errno> {
    fixtures::sys_size(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) })
}

/// dup2(2): "If oldfd is a valid file descriptor, and newfd has the same value as oldfd,
/// then dup2() does nothing, and returns newfd" — in particular FD_CLOEXEC stays set.
#[test]
fn dup2_onto_itself_does_nothing() {
    let s = Scratch::new();
    let f = open_file(&s, b"");
    let fd = f.as_raw_fd();
    assert_eq!(raw_dup2(fd, fd), Ok(fd));
    assert_eq!(sys(unsafe { libc::fcntl(fd, libc::F_GETFD) }), Ok(libc::FD_CLOEXEC));
}

/// dup2(2): "If oldfd is not a valid file descriptor, then the call fails, and newfd is not
/// closed."
#[test]
fn dup2_with_a_bad_oldfd_fails_ebadf_and_keeps_newfd() {
    let s = Scratch::new();
    let f = open_file(&s, b"");
    let newfd = f.as_raw_fd();
    let bad = 1_000_000; // above any RLIMIT_NOFILE in use
    assert_errno!(raw_dup2(bad, newfd), Errno::EBADF);
    assert!(fd_is_open(newfd), "dup2 closed newfd although oldfd was bad");
}

/// dup3(2): "If oldfd equals newfd, then dup3() fails with the error EINVAL."
#[test]
fn dup3_onto_itself_fails_einval() {
    let s = Scratch::new();
    let f = open_file(&s, b"");
    assert_errno!(raw_dup3(f.as_raw_fd(), f.as_raw_fd(), 0), Errno::EINVAL);
}

/// dup3(2): "The caller can force the close-on-exec flag to be set for the new file
/// descriptor by specifying O_CLOEXEC in flags"; without it the flag is clear.
#[rstest::rstest]
#[case::with_cloexec(libc::O_CLOEXEC, libc::FD_CLOEXEC)]
#[case::without_flags(0, 0)]
fn dup3_sets_close_on_exec_only_when_asked(#[case] flags: libc::c_int, #[case] expected: libc::c_int) {
    let s = Scratch::new();
    let f = open_file(&s, b"");
    let target = unsafe { OwnedFd::from_raw_fd(raw_dup(f.as_raw_fd()).unwrap()) };
    let t = target.as_raw_fd();
    assert_eq!(raw_dup3(f.as_raw_fd(), t, flags), Ok(t));
    assert_eq!(sys(unsafe { libc::fcntl(t, libc::F_GETFD) }), Ok(expected));
}

/// dup3(2), ERRORS: "EINVAL (dup3()) flags contain an invalid value" — anything but
/// O_CLOEXEC, e.g. O_NONBLOCK.
#[test]
fn dup3_with_an_invalid_flag_fails_einval() {
    let s = Scratch::new();
    let f = open_file(&s, b"");
    let target = unsafe { OwnedFd::from_raw_fd(raw_dup(f.as_raw_fd()).unwrap()) };
    assert_errno!(raw_dup3(f.as_raw_fd(), target.as_raw_fd(), libc::O_NONBLOCK), Errno::EINVAL);
}
