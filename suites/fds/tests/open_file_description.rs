//! The open file description: what duplicates share and what they do not.
//!
//! open(2), "Open file descriptions": "A call to open() creates a new open file
//! description ... The file descriptor is a reference to an open file description; this
//! reference is unaffected if pathname is subsequently removed or modified to refer to a
//! different file." dup(2): the two descriptors "refer to the same open file description
//! ... and thus share file offset and file status flags"; the descriptor flags
//! (FD_CLOEXEC) are per descriptor.

use std::os::fd::AsRawFd;

use fds::{TempFile, close, dup, fcntl, offset, seek_to};
use fixtures::io::{getfd, getfl, open_cloexec, raw_fd, read_once, setfl, write_once};
use fixtures::assert_errno;
use nix::errno::Errno;

/// dup(2): duplicates "share ... file status flags": O_NONBLOCK set through one is seen
/// through the other, and a read through the other then fails EAGAIN on an empty pipe.
#[test]
fn o_nonblock_set_on_a_duplicate_applies_to_the_original() {
    let (rx, _tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let d = dup(&rx).unwrap();
    let fl = getfl(raw_fd(d)).unwrap();
    setfl(raw_fd(d), fl | libc::O_NONBLOCK).unwrap();
    assert_eq!(getfl(&rx).unwrap() & libc::O_NONBLOCK, libc::O_NONBLOCK);
    let mut b = [0u8; 1];
    assert_errno!(read_once(&rx, &mut b), Errno::EAGAIN, "read of the empty pipe through the original");
    // Clearing it through the original clears it for the duplicate as well.
    setfl(&rx, fl).unwrap();
    assert_eq!(getfl(raw_fd(d)).unwrap() & libc::O_NONBLOCK, 0);
    close(d).unwrap();
}

/// dup(2), and fcntl(2) "File descriptor flags": FD_CLOEXEC belongs to the descriptor, not
/// the description. Setting it on the duplicate leaves the original clear, and clearing it
/// on the original leaves the duplicate set.
#[test]
fn fd_cloexec_is_per_descriptor_not_shared_by_duplicates() {
    let f = TempFile::open(b"", libc::O_RDWR);
    let d = dup(&f).unwrap();
    assert_eq!(getfd(&f), Ok(0));
    fcntl(raw_fd(d), libc::F_SETFD, libc::FD_CLOEXEC).unwrap();
    assert_eq!(getfd(raw_fd(d)), Ok(libc::FD_CLOEXEC));
    assert_eq!(getfd(&f), Ok(0), "F_SETFD on the duplicate changed the original");
    fcntl(&f, libc::F_SETFD, libc::FD_CLOEXEC).unwrap();
    fcntl(&f, libc::F_SETFD, 0).unwrap();
    assert_eq!(getfd(raw_fd(d)), Ok(libc::FD_CLOEXEC), "F_SETFD on the original changed the duplicate");
    close(d).unwrap();
}

/// open(2): "Each open() of a file creates a new open file description; thus, there may be
/// multiple open file descriptions corresponding to a file inode." Two opens of one file
/// have independent offsets.
#[test]
fn a_second_open_of_the_same_file_has_its_own_offset() {
    let a = TempFile::new(b"0123456789");
    let b = open_cloexec(a.path(), libc::O_RDWR).unwrap();
    let mut buf = [0u8; 6];
    assert_eq!(read_once(&a, &mut buf), Ok(6));
    assert_eq!(offset(&a), 6);
    assert_eq!(offset(&b), 0, "the read through the first open moved the second's offset");
    assert_eq!(read_once(&b, &mut buf[..2]), Ok(2));
    assert_eq!(&buf[..2], b"01");
}

/// open(2), "Open file descriptions": file status flags live in the description, so
/// O_APPEND set on one open of a file does not affect another open of it: a write through
/// the other one lands at its own offset.
#[test]
fn a_second_open_of_the_same_file_has_its_own_status_flags() {
    let a = TempFile::new(b"0123456789");
    let b = open_cloexec(a.path(), libc::O_RDWR).unwrap();
    setfl(&a, getfl(&a).unwrap() | libc::O_APPEND).unwrap();
    assert_eq!(getfl(&b).unwrap() & libc::O_APPEND, 0);
    assert_eq!(write_once(&b, b"XY"), Ok(2));
    assert_eq!(write_once(&a, b"Z"), Ok(1));
    assert_eq!(std::fs::read(a.path()).unwrap(), b"XY23456789Z");
}

/// open(2), O_APPEND: "the file offset is positioned at the end of the file" before each
/// write. Through a shared description, a write through the duplicate of an O_APPEND fd
/// appends too, and leaves the shared offset at the new end of file.
#[test]
fn o_append_applies_to_writes_through_a_duplicate() {
    let a = TempFile::open(b"abc", libc::O_RDWR | libc::O_APPEND | libc::O_CLOEXEC);
    let d = dup(&a).unwrap();
    seek_to(raw_fd(d), 0);
    assert_eq!(write_once(raw_fd(d), b"de"), Ok(2));
    assert_eq!(std::fs::read(a.path()).unwrap(), b"abcde");
    assert_eq!(offset(&a), 5);
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
        fcntl(&rx, libc::F_SETFL, libc::O_NONBLOCK).unwrap();
        let d = dup(&tx).unwrap();
        drop(tx);
        let mut b = [0u8; 1];
        assert_errno!(read_once(&rx, &mut b), Errno::EAGAIN, "a writer is still open");
        assert_eq!(write_once(raw_fd(d), b"k"), Ok(1));
        assert_eq!(read_once(&rx, &mut b), Ok(1));
        close(d).unwrap();
        assert_eq!(read_once(&rx, &mut b), Ok(0), "the last writer is closed: EOF");
    })
    .expect_success();
}

/// pwritev2(2) with RWF_NOAPPEND (preadv2(2) of man-pages 6.20: "RWF_NOAPPEND (since Linux
/// 6.9) ... ignore the O_APPEND open(2) flag for this write"): through a descriptor whose
/// description has O_APPEND, the write goes to the offset given instead of the end of the
/// file, and the description keeps O_APPEND for the next write(2). Before 6.9 the flag is
/// unknown: EOPNOTSUPP, nothing written (variant `absent`).
///
/// Kernel change: 6.9 — pwritev2(RWF_NOAPPEND) writes at the given offset despite O_APPEND (EOPNOTSUPP before).
#[test]
fn rwf_noappend_writes_at_the_offset_despite_o_append() {
    let f = TempFile::open(b"abcdef", libc::O_RDWR | libc::O_APPEND | libc::O_CLOEXEC);
    let data = *b"XY";
    let iov = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
    // SAFETY: one iovec over a buffer that outlives the call.
    let r = fixtures::sys_size(unsafe { libc::pwritev2(f.as_raw_fd(), &iov, 1, 1, libc::RWF_NOAPPEND) });
    if !fixtures::variant::since(6, 9, "RWF_NOAPPEND") {
        assert_errno!(r, Errno::EOPNOTSUPP);
        assert_eq!(std::fs::read(f.path()).unwrap(), b"abcdef");
        return;
    }
    assert_eq!(r, Ok(2));
    assert_eq!(std::fs::read(f.path()).unwrap(), b"aXYdef", "written at offset 1");
    assert_eq!(write_once(&f, b"!"), Ok(1));
    assert_eq!(std::fs::read(f.path()).unwrap(), b"aXYdef!", "O_APPEND still applies to write(2)");
    assert_eq!(getfl(&f).unwrap() & libc::O_APPEND, libc::O_APPEND);
}
