//! memfd_create(2): an anonymous file in memory, shared through descriptors and mappings.

use std::os::fd::AsRawFd;

use fixtures::io::{ftruncate, open_cloexec, write_once};
use fixtures::memory::Mapping;
use fixtures::sync::channel;
use fixtures::{assert_errno, spawn};
use nix::errno::Errno;
use rstest::rstest;
use shared_mappings::*;

/// memfd_create(2): "The name supplied in name is used as a filename and will be displayed
/// as the target of the corresponding symbolic link in the directory /proc/self/fd/. The
/// displayed name is always prefixed with memfd:" — and as the file has no directory entry
/// the link reads "/memfd:NAME (deleted)". "multiple files can have the same name without
/// any side effects": two memfds of one name are distinct files.
#[test]
fn a_memfd_appears_in_proc_self_fd_as_memfd_name_deleted() {
    let a = memfd("ipcspec-name", 0).unwrap();
    let b = memfd("ipcspec-name", 0).unwrap();
    assert_eq!(fixtures::procfs::fd_target(a.as_raw_fd()), "/memfd:ipcspec-name (deleted)");
    assert_eq!(fixtures::procfs::fd_target(b.as_raw_fd()), "/memfd:ipcspec-name (deleted)");
    assert_eq!(write_once(&a, b"only in a"), Ok(9));
    assert_eq!(stat(&b).0, 0, "a memfd of the same name is another file");
}

/// memfd_create(2): "The initial size of the file is set to 0"; "This file descriptor is
/// opened for both reading and writing (O_RDWR) and O_LARGEFILE is set"; MFD_CLOEXEC "Set
/// the close-on-exec (FD_CLOEXEC) flag on the new file descriptor" (and without it the
/// flag is clear).
#[rstest]
#[case::cloexec(libc::MFD_CLOEXEC, libc::FD_CLOEXEC)]
#[case::no_cloexec(0, 0)]
fn a_memfd_is_empty_read_write_largefile_and_cloexec_only_when_asked(#[case] flags: libc::c_uint, #[case] fd_flags: i32) {
    let m = memfd("ipcspec-flags", flags).unwrap();
    assert_eq!(stat(&m).0, 0);
    // SAFETY: fcntl queries on our own fd.
    let fl = unsafe { libc::fcntl(m.as_raw_fd(), libc::F_GETFL) };
    assert_eq!(fl & libc::O_ACCMODE, libc::O_RDWR);
    assert_eq!(fl & libc::O_LARGEFILE, libc::O_LARGEFILE);
    assert_eq!(unsafe { libc::fcntl(m.as_raw_fd(), libc::F_GETFD) }, fd_flags);
}

/// memfd_create(2), ERRORS: "EINVAL name was too long. (The limit is 249 bytes, excluding the
/// terminating null byte.)"; "EINVAL flags included unknown bits."
#[test]
fn memfd_create_rejects_a_long_name_and_unknown_flags_with_einval() {
    assert!(memfd(&"n".repeat(249), 0).is_ok(), "249 bytes is the limit");
    assert_errno!(memfd(&"n".repeat(250), 0), Errno::EINVAL);
    assert_errno!(memfd("ipcspec-flags", 0x8000), Errno::EINVAL);
}

/// memfd_create(2): "The file behaves like a regular file, and so can be modified, truncated,
/// memory-mapped"; "A copy of the file descriptor is inherited by the child produced by
/// fork(2) and refers to the same file." A child maps the inherited memfd shared and
/// stores into it; the parent sees the bytes through read(2) and its own mapping.
#[test]
fn a_memfd_mapping_is_shared_with_a_child_through_the_inherited_fd() {
    let m = memfd("ipcspec-fork", 0).unwrap();
    ftruncate(&m, 4096).unwrap();
    let mine = Mapping::shared(&m, 4096);
    let (stored, wait_stored) = channel();
    let child = spawn("memfd user", || {
        let theirs = Mapping::shared(&m, 4096);
        theirs.bytes()[..6].copy_from_slice(b"shared");
        stored.notify();
    });
    wait_stored.wait();
    child.expect_success();
    assert_eq!(pread(&m, 6, 0), b"shared");
    assert_eq!(&mine.bytes()[..6], b"shared");
}

/// memfd_create(2), NOTES (and proc(5), /proc/pid/fd): the file can be reopened through its
/// /proc/self/fd link; the new descriptor is a new open file description of the *same* file:
/// data is shared, the file offset is not.
#[test]
fn reopening_a_memfd_through_proc_self_fd_gives_the_same_file() {
    let m = memfd("ipcspec-reopen", 0).unwrap();
    assert_eq!(write_once(&m, b"0123456789"), Ok(10));
    let again = open_cloexec(std::path::Path::new(&format!("/proc/self/fd/{}", m.as_raw_fd())), libc::O_RDWR).unwrap();
    assert_eq!(stat(&again).0, 10, "same size");
    // SAFETY: lseek on our own fds.
    assert_eq!(unsafe { libc::lseek(again.as_raw_fd(), 0, libc::SEEK_CUR) }, 0, "its own offset");
    assert_eq!(unsafe { libc::lseek(m.as_raw_fd(), 0, libc::SEEK_CUR) }, 10);
    assert_eq!(write_once(&again, b"AB"), Ok(2));
    assert_eq!(pread(&m, 10, 0), b"AB23456789", "writes through the reopened fd reach the file");
    assert_eq!(nix::sys::stat::fstat(&m).unwrap().st_ino, nix::sys::stat::fstat(&again).unwrap().st_ino);
}
