//! fork(2): "The child inherits copies of the parent's set of open file descriptors. Each
//! file descriptor in the child refers to the same open file description (see open(2)) as
//! the corresponding file descriptor in the parent. This means that the two file
//! descriptors share open file status flags, file offset, and signal-driven I/O
//! attributes".

use std::os::fd::AsRawFd;

use fds::{TempFile, close, fcntl, offset, seek_to};
use fixtures::io::{getfd, getfl, is_nonblocking, open, read_once, set_nonblocking, setfl};
use fixtures::{Agent, Scratch, run_in_child};

/// fork(2): the child has the parent's descriptors at the same numbers, each referring to
/// "the same open file description" as in the parent, with the same FD_CLOEXEC flags.
/// Asserted in the child at the parent's numbers: the same file (device and inode through
/// fstat) and the parent's FD_CLOEXEC; the same description: O_NONBLOCK the child sets on
/// each is seen by the parent afterwards.
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
        assert_eq!(getfd(&plain), Ok(0));
        assert_eq!(getfd(&cloexec), Ok(libc::FD_CLOEXEC), "FD_CLOEXEC is kept by fork");
        set_nonblocking(&plain, true);
        set_nonblocking(&cloexec, true);
    })
    .expect_success();
    assert!(is_nonblocking(&plain) && is_nonblocking(&cloexec), "the child's descriptions are not the parent's");
}

/// fork(2): parent and child "share ... file offset": a read in the child moves the
/// parent's offset, and a seek in the parent is seen by the child.
#[test]
fn a_read_in_the_child_moves_the_parents_offset() {
    let f = TempFile::new(b"0123456789");
    let child = Agent::<(), ()>::spawn("reader", |serve| {
        let mut buf = [0u8; 4];
        assert_eq!(read_once(&f, &mut buf), Ok(4));
        assert_eq!(&buf, b"0123");
        serve.ready(());
        serve.wait_release();
        assert_eq!(offset(&f), 8, "the parent's lseek was not seen by the child");
        assert_eq!(read_once(&f, &mut buf), Ok(2));
        assert_eq!(&buf[..2], b"89");
    });
    child.ready::<()>();
    assert_eq!(offset(&f), 4, "the child's read did not move the parent's offset");
    seek_to(&f, 8);
    child.expect_success();
    assert_eq!(offset(&f), 10);
}

/// fork(2): the two descriptors "share open file status flags": O_APPEND set by F_SETFL in
/// the child is seen by F_GETFL in the parent.
#[test]
fn a_status_flag_set_in_the_child_is_seen_by_the_parent() {
    let f = TempFile::new(b"");
    assert_eq!(getfl(&f).unwrap() & libc::O_APPEND, 0);
    run_in_child("flag setter", || {
        setfl(&f, getfl(&f).unwrap() | libc::O_APPEND).unwrap();
    })
    .expect_success();
    assert_eq!(getfl(&f).unwrap() & libc::O_APPEND, libc::O_APPEND);
}

/// fork(2): the child gets *copies* of the descriptors; the descriptor flags and the table
/// itself are per process. Closing an fd or changing its FD_CLOEXEC in the child does not
/// touch the parent's.
#[test]
fn closing_or_flagging_an_fd_in_the_child_leaves_the_parents_alone() {
    let s = Scratch::new();
    let a = open(&s.file("a", b"a"), libc::O_RDWR | libc::O_CLOEXEC).unwrap();
    let b = open(&s.file("b", b"b"), libc::O_RDWR | libc::O_CLOEXEC).unwrap();
    run_in_child("closer", || {
        close(a.as_raw_fd()).unwrap();
        fcntl(&b, libc::F_SETFD, 0).unwrap();
        assert!(!fixtures::procfs::fd_is_open(&a));
    })
    .expect_success();
    let mut buf = [0u8; 1];
    assert_eq!(read_once(&a, &mut buf), Ok(1), "the parent's fd was closed by the child");
    assert_eq!(getfd(&b), Ok(libc::FD_CLOEXEC), "the child's F_SETFD changed the parent's fd");
}
