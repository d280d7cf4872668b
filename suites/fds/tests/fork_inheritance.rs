//! fork(2): "The child inherits copies of the parent's set of open file descriptors. Each
//! file descriptor in the child refers to the same open file description (see open(2)) as
//! the corresponding file descriptor in the parent. This means that the two file
//! descriptors share open file status flags, file offset, and signal-driven I/O
//! attributes".

use std::os::fd::AsRawFd;

use fds::{close, fcntl, offset, open_rw, seek_to};
use fixtures::io::{getfd, getfl, open, read_once, setfl};
use fixtures::{Scratch, run_in_child, spawn};

/// fork(2): the child has the parent's descriptors at the same numbers, referring to the
/// same file (same device and inode through fstat), with the same FD_CLOEXEC flags.
#[test]
fn the_child_has_the_parents_fds_at_the_same_numbers_with_the_same_fd_flags() {
    let s = Scratch::new();
    let plain = open(&s.file("a", b"a"), libc::O_RDONLY).unwrap();
    let cloexec = open(&s.file("b", b"b"), libc::O_RDONLY | libc::O_CLOEXEC).unwrap();
    let st_plain = nix::sys::stat::fstat(&plain).unwrap();
    let st_cloexec = nix::sys::stat::fstat(&cloexec).unwrap();
    run_in_child("inheritor", || {
        let a = nix::sys::stat::fstat(&plain).unwrap();
        let b = nix::sys::stat::fstat(&cloexec).unwrap();
        assert_eq!((a.st_dev, a.st_ino), (st_plain.st_dev, st_plain.st_ino));
        assert_eq!((b.st_dev, b.st_ino), (st_cloexec.st_dev, st_cloexec.st_ino));
        assert_eq!(getfd(plain.as_raw_fd()), Ok(0));
        assert_eq!(getfd(cloexec.as_raw_fd()), Ok(libc::FD_CLOEXEC), "FD_CLOEXEC is kept by fork");
    })
    .expect_success();
}

/// fork(2): parent and child "share ... file offset": a read in the child moves the
/// parent's offset, and a seek in the parent is seen by the child.
#[test]
fn a_read_in_the_child_moves_the_parents_offset() {
    let s = Scratch::new();
    let f = open_rw(&s.file("f", b"0123456789"));
    let (done, wait_done) = fixtures::sync::channel();
    let (go, wait_go) = fixtures::sync::channel();
    let mut child = spawn("reader", || {
        let mut buf = [0u8; 4];
        assert_eq!(read_once(f.as_raw_fd(), &mut buf), Ok(4));
        assert_eq!(&buf, b"0123");
        done.notify();
        wait_go.wait();
        assert_eq!(offset(f.as_raw_fd()), 8, "the parent's lseek was not seen by the child");
        assert_eq!(read_once(f.as_raw_fd(), &mut buf), Ok(2));
        assert_eq!(&buf[..2], b"89");
    });
    wait_done.wait();
    assert_eq!(offset(f.as_raw_fd()), 4, "the child's read did not move the parent's offset");
    seek_to(f.as_raw_fd(), 8);
    go.notify();
    child.join().expect_success();
    assert_eq!(offset(f.as_raw_fd()), 10);
}

/// fork(2): the two descriptors "share open file status flags": O_APPEND set by F_SETFL in
/// the child is seen by F_GETFL in the parent.
#[test]
fn a_status_flag_set_in_the_child_is_seen_by_the_parent() {
    let s = Scratch::new();
    let f = open_rw(&s.file("f", b""));
    assert_eq!(getfl(f.as_raw_fd()).unwrap() & libc::O_APPEND, 0);
    run_in_child("flag setter", || {
        setfl(f.as_raw_fd(), getfl(f.as_raw_fd()).unwrap() | libc::O_APPEND).unwrap();
    })
    .expect_success();
    assert_eq!(getfl(f.as_raw_fd()).unwrap() & libc::O_APPEND, libc::O_APPEND);
}

/// fork(2): the child gets *copies* of the descriptors; the descriptor flags and the table
/// itself are per process. Closing an fd or changing its FD_CLOEXEC in the child does not
/// touch the parent's.
#[test]
fn closing_or_flagging_an_fd_in_the_child_leaves_the_parents_alone() {
    let s = Scratch::new();
    let a = open_rw(&s.file("a", b"a"));
    let b = open_rw(&s.file("b", b"b"));
    run_in_child("closer", || {
        close(a.as_raw_fd()).unwrap();
        fcntl(b.as_raw_fd(), libc::F_SETFD, 0).unwrap();
        assert!(!fixtures::procfs::fd_is_open(a.as_raw_fd()));
    })
    .expect_success();
    let mut buf = [0u8; 1];
    assert_eq!(read_once(a.as_raw_fd(), &mut buf), Ok(1), "the parent's fd was closed by the child");
    assert_eq!(getfd(b.as_raw_fd()), Ok(libc::FD_CLOEXEC), "the child's F_SETFD changed the parent's fd");
}
