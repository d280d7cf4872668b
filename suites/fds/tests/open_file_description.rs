//! The open file description: what duplicates share and what they do not.
//!
//! open(2), "Open file descriptions": "A call to open() creates a new open file
//! description ... The file descriptor is a reference to an open file description; this
//! reference is unaffected if pathname is subsequently removed or modified to refer to a
//! different file." dup(2): the two descriptors "refer to the same open file description
//! ... and thus share file offset and file status flags"; the descriptor flags
//! (FD_CLOEXEC) are per descriptor.

use std::os::fd::AsRawFd;

use fds::{close, dup, offset, open_rw, seek_to};
use fixtures::io::{getfd, getfl, open, read_once, setfl, write_once};
use fixtures::{Scratch, assert_errno};
use nix::errno::Errno;

/// dup(2): duplicates "share ... file status flags": O_NONBLOCK set through one is seen
/// through the other, and a read through the other then fails EAGAIN on an empty pipe.
#[test]
fn o_nonblock_set_on_a_duplicate_applies_to_the_original() {
    let (rx, _tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let d = dup(rx.as_raw_fd()).unwrap();
    let fl = getfl(d).unwrap();
    setfl(d, fl | libc::O_NONBLOCK).unwrap();
    assert_eq!(getfl(rx.as_raw_fd()).unwrap() & libc::O_NONBLOCK, libc::O_NONBLOCK);
    let mut b = [0u8; 1];
    assert_errno!(read_once(rx.as_raw_fd(), &mut b), Errno::EAGAIN, "read of the empty pipe through the original");
    // Clearing it through the original clears it for the duplicate as well.
    setfl(rx.as_raw_fd(), fl).unwrap();
    assert_eq!(getfl(d).unwrap() & libc::O_NONBLOCK, 0);
    close(d).unwrap();
}

/// dup(2), and fcntl(2) "File descriptor flags": FD_CLOEXEC belongs to the descriptor, not
/// the description. Setting it on the duplicate leaves the original clear, and clearing it
/// on the original leaves the duplicate set.
#[test]
fn fd_cloexec_is_per_descriptor_not_shared_by_duplicates() {
    let s = Scratch::new();
    let f = open(&s.file("f", b""), libc::O_RDWR).unwrap();
    let d = dup(f.as_raw_fd()).unwrap();
    assert_eq!(getfd(f.as_raw_fd()), Ok(0));
    fds::fcntl(d, libc::F_SETFD, libc::FD_CLOEXEC).unwrap();
    assert_eq!(getfd(d), Ok(libc::FD_CLOEXEC));
    assert_eq!(getfd(f.as_raw_fd()), Ok(0), "F_SETFD on the duplicate changed the original");
    fds::fcntl(f.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC).unwrap();
    fds::fcntl(f.as_raw_fd(), libc::F_SETFD, 0).unwrap();
    assert_eq!(getfd(d), Ok(libc::FD_CLOEXEC), "F_SETFD on the original changed the duplicate");
    close(d).unwrap();
}

/// open(2): "Each open() of a file creates a new open file description; thus, there may be
/// multiple open file descriptions corresponding to a file inode." Two opens of one file
/// have independent offsets.
#[test]
fn a_second_open_of_the_same_file_has_its_own_offset() {
    let s = Scratch::new();
    let p = s.file("f", b"0123456789");
    let a = open_rw(&p);
    let b = open_rw(&p);
    let mut buf = [0u8; 6];
    assert_eq!(read_once(a.as_raw_fd(), &mut buf), Ok(6));
    assert_eq!(offset(a.as_raw_fd()), 6);
    assert_eq!(offset(b.as_raw_fd()), 0, "the read through the first open moved the second's offset");
    assert_eq!(read_once(b.as_raw_fd(), &mut buf[..2]), Ok(2));
    assert_eq!(&buf[..2], b"01");
}

/// open(2), "Open file descriptions": file status flags live in the description, so
/// O_APPEND set on one open of a file does not affect another open of it: a write through
/// the other one lands at its own offset.
#[test]
fn a_second_open_of_the_same_file_has_its_own_status_flags() {
    let s = Scratch::new();
    let p = s.file("f", b"0123456789");
    let a = open_rw(&p);
    let b = open_rw(&p);
    setfl(a.as_raw_fd(), getfl(a.as_raw_fd()).unwrap() | libc::O_APPEND).unwrap();
    assert_eq!(getfl(b.as_raw_fd()).unwrap() & libc::O_APPEND, 0);
    assert_eq!(write_once(b.as_raw_fd(), b"XY"), Ok(2));
    assert_eq!(write_once(a.as_raw_fd(), b"Z"), Ok(1));
    assert_eq!(std::fs::read(&p).unwrap(), b"XY23456789Z");
}

/// open(2), O_APPEND: "the file offset is positioned at the end of the file" before each
/// write. Through a shared description, a write through the duplicate of an O_APPEND fd
/// appends too, and leaves the shared offset at the new end of file.
#[test]
fn o_append_applies_to_writes_through_a_duplicate() {
    let s = Scratch::new();
    let p = s.file("f", b"abc");
    let a = open(&p, libc::O_RDWR | libc::O_APPEND | libc::O_CLOEXEC).unwrap();
    let d = dup(a.as_raw_fd()).unwrap();
    seek_to(d, 0);
    assert_eq!(write_once(d, b"de"), Ok(2));
    assert_eq!(std::fs::read(&p).unwrap(), b"abcde");
    assert_eq!(offset(a.as_raw_fd()), 5);
    close(d).unwrap();
}

/// close(2): "If fd is the last file descriptor referring to the underlying open file
/// description (see open(2)), the resources associated with the open file description are
/// freed". Closing one of two duplicates of a pipe's write end does not give the reader
/// EOF; closing the last one does.
#[test]
fn closing_one_duplicate_keeps_the_description_open() {
    // In a child: no other thread can fork and hold a copy of the write end meanwhile.
    fixtures::run_in_child("pipe write end duplicates", || {
        let (rx, tx) = nix::unistd::pipe().unwrap();
        fds::fcntl(rx.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK).unwrap();
        let d = dup(tx.as_raw_fd()).unwrap();
        drop(tx);
        let mut b = [0u8; 1];
        assert_errno!(read_once(rx.as_raw_fd(), &mut b), Errno::EAGAIN, "a writer is still open");
        assert_eq!(write_once(d, b"k"), Ok(1));
        assert_eq!(read_once(rx.as_raw_fd(), &mut b), Ok(1));
        close(d).unwrap();
        assert_eq!(read_once(rx.as_raw_fd(), &mut b), Ok(0), "the last writer is closed: EOF");
    })
    .expect_success();
}
