//! fcntl(2) commands that ask about the open file description behind a descriptor, added
//! after 5.10 and not in man-pages 6.03 (nor 6.20): F_DUPFD_QUERY (Linux 6.10) — do two
//! descriptors share one open file description — and F_CREATED_QUERY (6.12) — did the open(2)
//! that made this description create the file. A kernel without the command answers EINVAL
//! (fcntl(2): "EINVAL The value specified in cmd is not recognized by this kernel"), which the
//! tests assert there and report as `absent`.

use std::os::fd::AsRawFd;

use fds::{TempFile, close, dup, fcntl};
use fixtures::io::{open_cloexec, raw_fd};
use fixtures::{Scratch, assert_errno, kernel_at_least, kernel_version, variant};
use nix::errno::Errno;

/// F_DUPFD_QUERY and F_CREATED_QUERY (include/uapi/linux/fcntl.h: F_LINUX_SPECIFIC_BASE + 3
/// and + 4).
const F_DUPFD_QUERY: libc::c_int = 1027;
const F_CREATED_QUERY: libc::c_int = 1028;

/// F_DUPFD_QUERY (commit c62b758bae6a, "fcntl: add F_DUPFD_QUERY fcntl()", 6.10):
/// fcntl(fd, F_DUPFD_QUERY, other) returns 1 when `other` refers to the same open file
/// description as `fd` (itself, a dup(2) of it) and 0 when it does not (a second open(2) of
/// the same file, the other end of a pipe). Before 6.10: EINVAL (variant `absent`).
///
/// Kernel change: 6.10, commit c62b758bae6a — fcntl(F_DUPFD_QUERY) tells whether two descriptors share an open file description (EINVAL before).
#[test]
fn f_dupfd_query_tells_whether_two_fds_share_a_description() {
    let f = TempFile::new(b"x");
    let d = dup(&f).unwrap();
    let second = open_cloexec(f.path(), libc::O_RDONLY).unwrap();
    let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    if !variant::since(6, 10, "F_DUPFD_QUERY") {
        assert_errno!(fcntl(&f, F_DUPFD_QUERY, d), Errno::EINVAL);
        close(d).unwrap();
        return;
    }
    assert_eq!(fcntl(&f, F_DUPFD_QUERY, d), Ok(1), "a dup");
    assert_eq!(fcntl(raw_fd(d), F_DUPFD_QUERY, f.as_raw_fd()), Ok(1), "either way round");
    assert_eq!(fcntl(&f, F_DUPFD_QUERY, f.as_raw_fd()), Ok(1), "itself");
    assert_eq!(fcntl(&f, F_DUPFD_QUERY, second.as_raw_fd()), Ok(0), "a second open of the same file");
    assert_eq!(fcntl(&rx, F_DUPFD_QUERY, tx.as_raw_fd()), Ok(0), "the other end of a pipe");
    close(d).unwrap();
}

/// F_DUPFD_QUERY with a second descriptor that is not open (-1) fails EBADF, as the first one
/// would (fcntl(2) EBADF): the fix "make F_DUPFD_QUERY associative" (6.12; its own hash not
/// verified) of commit c62b758bae6a, which added the command — the 6.10 and 6.11 releases answered 0 (variant `zero`, lacking).
/// Before 6.10 the command is unknown: EINVAL (variant `absent`). Decided from the answer and
/// checked against the version (no backport is known).
///
/// Kernel change: 6.12 — fcntl(F_DUPFD_QUERY) with a closed second descriptor fails EBADF (6.10 and 6.11 answered 0).
#[test]
fn f_dupfd_query_with_a_closed_second_fd_fails_ebadf() {
    let f = TempFile::new(b"x");
    let v = kernel_version();
    // -1 is never an open descriptor.
    match fcntl(&f, F_DUPFD_QUERY, -1) {
        Err(Errno::EINVAL) => {
            assert!(!kernel_at_least(6, 10), "F_DUPFD_QUERY unknown on {v}");
            variant::absent(format_args!("F_DUPFD_QUERY was added in 6.10; kernel {v}"));
        }
        Err(Errno::EBADF) => {
            assert!(kernel_at_least(6, 12), "EBADF on {v}: before 6.12 the unfixed command answered 0");
            variant::observed("ebadf", format_args!("a closed second descriptor fails EBADF; kernel {v}"));
        }
        Ok(0) => {
            assert!(kernel_at_least(6, 10) && !kernel_at_least(6, 12), "0 for a closed descriptor on {v}");
            variant::lacking("zero", format_args!("F_DUPFD_QUERY answers 0 for a closed descriptor; kernel {v}"));
        }
        other => panic!("F_DUPFD_QUERY with a closed second fd on {v}: {other:?}"),
    }
}

/// F_CREATED_QUERY (commit 820a185896b7, "fcntl: add F_CREATED_QUERY", 6.12): 1 when the
/// open(2) that made the description created the file (O_CREAT on a path that did not exist),
/// 0 when it opened an existing file (with or without O_CREAT); the answer stays with the
/// description (a dup(2) says the same). Before 6.12: EINVAL (variant `absent`).
///
/// Kernel change: 6.12, commit 820a185896b7 — fcntl(F_CREATED_QUERY) tells whether the open that made the description created the file (EINVAL before).
#[test]
fn f_created_query_tells_whether_the_open_created_the_file() {
    let s = Scratch::new();
    let path = s.join("new");
    let created = open_cloexec(&path, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL).unwrap();
    if !variant::since(6, 12, "F_CREATED_QUERY") {
        assert_errno!(fcntl(&created, F_CREATED_QUERY, 0), Errno::EINVAL);
        return;
    }
    assert_eq!(fcntl(&created, F_CREATED_QUERY, 0), Ok(1), "O_CREAT made the file");
    let d = dup(&created).unwrap();
    assert_eq!(fcntl(raw_fd(d), F_CREATED_QUERY, 0), Ok(1), "a property of the description");
    close(d).unwrap();
    let existing = open_cloexec(&path, libc::O_RDWR | libc::O_CREAT).unwrap();
    assert_eq!(fcntl(&existing, F_CREATED_QUERY, 0), Ok(0), "O_CREAT on an existing file");
    let plain = open_cloexec(&path, libc::O_RDONLY).unwrap();
    assert_eq!(fcntl(&plain, F_CREATED_QUERY, 0), Ok(0), "no O_CREAT");
}
