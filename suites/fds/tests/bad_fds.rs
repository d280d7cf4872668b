//! EBADF: operations on numbers that are not open descriptors, or not open for the
//! requested kind of access.
//!
//! Claims about a specific closed number run in a forked child (single-threaded), so no
//! other thread can open that number in between.

use std::os::fd::IntoRawFd;

use fds::{TempFile, close, fcntl};
use fixtures::io::{open, read_once, write_once};
use fixtures::{Scratch, assert_errno, run_in_child, sys, sys_size};
use nix::errno::Errno;

/// A system call given a descriptor number.
#[derive(Debug, Clone, Copy)]
enum Op {
    Close,
    FcntlGetfd,
    FcntlGetfl,
    Read,
    Write,
    Dup,
    Fstat,
    Lseek,
}

fn apply(op: Op, fd: libc::c_int) -> Result<i64, Errno> {
    let mut buf = [0u8; 4];
    // The raw calls: -1 is one of the numbers checked, and it cannot be a BorrowedFd.
    // SAFETY: each call gets valid buffers; fd may be anything.
    unsafe {
        match op {
            Op::Close => close(fd).map(i64::from),
            Op::FcntlGetfd => sys(libc::fcntl(fd, libc::F_GETFD)).map(i64::from),
            Op::FcntlGetfl => sys(libc::fcntl(fd, libc::F_GETFL)).map(i64::from),
            Op::Read => sys_size(libc::read(fd, buf.as_mut_ptr().cast(), buf.len())).map(|n| n as i64),
            Op::Write => sys_size(libc::write(fd, b"x".as_ptr().cast(), 1)).map(|n| n as i64),
            Op::Dup => sys(libc::dup(fd)).map(i64::from),
            Op::Fstat => {
                let mut st: libc::stat = std::mem::zeroed();
                sys(libc::fstat(fd, &mut st)).map(i64::from)
            }
            Op::Lseek => {
                let r = libc::lseek(fd, 0, libc::SEEK_SET);
                if r < 0 { Err(Errno::last()) } else { Ok(r) }
            }
        }
    }
}

/// close(2) "EBADF fd isn't a valid open file descriptor"; fcntl(2) "EBADF fd is not an
/// open file descriptor"; read(2)/write(2) "EBADF fd is not a valid file descriptor";
/// dup(2), fstat(2) and lseek(2) likewise. Checked on a number that was open and was
/// closed, and on -1.
#[rstest::rstest]
#[case::close(Op::Close)]
#[case::fcntl_getfd(Op::FcntlGetfd)]
#[case::fcntl_getfl(Op::FcntlGetfl)]
#[case::read(Op::Read)]
#[case::write(Op::Write)]
#[case::dup(Op::Dup)]
#[case::fstat(Op::Fstat)]
#[case::lseek(Op::Lseek)]
fn a_closed_or_negative_fd_fails_ebadf(#[case] op: Op) {
    let s = Scratch::new();
    let path = s.file("f", b"data");
    run_in_child("ops on a closed fd", || {
        let fd = open(&path, libc::O_RDWR).unwrap().into_raw_fd();
        assert!(apply(op, fd).is_ok(), "{op:?} on the open fd {fd} failed");
        if !matches!(op, Op::Close) {
            close(fd).unwrap();
        }
        assert_errno!(apply(op, fd), Errno::EBADF, "{op:?} on closed fd {fd}");
        assert_errno!(apply(op, -1), Errno::EBADF, "{op:?} on fd -1");
    })
    .expect_success();
}

/// close(2), ERRORS: "EBADF fd isn't a valid open file descriptor" — so closing the same
/// number twice (with nothing opened in between) fails the second time, and the first
/// close really closed it.
#[test]
fn closing_an_fd_twice_fails_ebadf_the_second_time() {
    run_in_child("double close", || {
        let (rx, tx) = nix::unistd::pipe().unwrap();
        let fd = tx.into_raw_fd();
        assert_eq!(close(fd), Ok(0));
        assert_errno!(close(fd), Errno::EBADF);
        let mut b = [0u8; 1];
        assert_eq!(read_once(&rx, &mut b), Ok(0), "the first close did not close the write end");
    })
    .expect_success();
}

/// read(2): "EBADF fd is not a valid file descriptor or is not open for reading";
/// write(2): "EBADF fd is not a valid file descriptor or is not open for writing".
#[rstest::rstest]
#[case::read_from_write_only(libc::O_WRONLY, true)]
#[case::write_to_read_only(libc::O_RDONLY, false)]
fn io_against_the_access_mode_fails_ebadf(#[case] mode: libc::c_int, #[case] reading: bool) {
    let f = TempFile::open(b"content", mode | libc::O_CLOEXEC);
    let mut buf = [0u8; 4];
    if reading {
        assert_errno!(read_once(&f, &mut buf), Errno::EBADF);
    } else {
        assert_errno!(write_once(&f, b"x"), Errno::EBADF);
    }
    assert_eq!(std::fs::read(f.path()).unwrap(), b"content");
}

/// open(2), O_PATH: "Obtain a file descriptor that can be used for two purposes: to
/// indicate a location in the filesystem tree and to perform operations that act purely
/// at the file descriptor level. ... Attempting to [read or write] fails with the error
/// EBADF."
#[rstest::rstest]
#[case::read(true)]
#[case::write(false)]
fn io_on_an_o_path_fd_fails_ebadf(#[case] reading: bool) {
    let f = TempFile::open(b"content", libc::O_PATH | libc::O_CLOEXEC);
    let mut buf = [0u8; 4];
    if reading {
        assert_errno!(read_once(&f, &mut buf), Errno::EBADF);
    } else {
        assert_errno!(write_once(&f, b"x"), Errno::EBADF);
    }
    // "operations that act purely at the file descriptor level" work.
    assert_eq!(fcntl(&f, libc::F_GETFD, 0), Ok(libc::FD_CLOEXEC));
}
