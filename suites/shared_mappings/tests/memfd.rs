//! memfd_create(2): an anonymous file in memory, shared through descriptors and mappings.

use std::os::fd::AsRawFd;

use fixtures::io::{ftruncate, status_flags, write_once};
use fixtures::memory::Mapping;
use fixtures::sync::channel;
use fixtures::{assert_errno, spawn};
use nix::errno::Errno;
use rstest::rstest;
use shared_mappings::files::{pread, stat};
use shared_mappings::memfd::{KERNEL_O_LARGEFILE, memfd, reopen};

/// memfd_create(2): "The name supplied in name is used as a filename and will be displayed
/// as the target of the corresponding symbolic link in the directory /proc/self/fd/. The
/// displayed name is always prefixed with memfd:" — and as the file has no directory entry
/// the link reads "/memfd:NAME (deleted)". "multiple files can have the same name without
/// any side effects": two memfds of one name are distinct files.
#[test]
fn a_memfd_appears_in_proc_self_fd_as_memfd_name_deleted() {
    let a = memfd("ipcspec-name", 0).unwrap();
    let b = memfd("ipcspec-name", 0).unwrap();
    assert_eq!(fixtures::procfs::fd_target(&a), "/memfd:ipcspec-name (deleted)");
    assert_eq!(fixtures::procfs::fd_target(&b), "/memfd:ipcspec-name (deleted)");
    assert_eq!(write_once(&a, b"only in a"), Ok(9));
    assert_eq!(stat(&b).0, 0, "a memfd of the same name is another file");
}

/// memfd_create(2): "The initial size of the file is set to 0"; "This file descriptor is
/// opened for both reading and writing (O_RDWR) and O_LARGEFILE is set"; MFD_CLOEXEC "Set
/// the close-on-exec (FD_CLOEXEC) flag on the new file descriptor" (and without it the
/// flag is clear). O_LARGEFILE is checked as the kernel's bit (0o100000 on x86_64): the
/// libc crate's constant is 0 on 64-bit targets.
#[rstest]
#[case::cloexec(libc::MFD_CLOEXEC, libc::FD_CLOEXEC)]
#[case::no_cloexec(0, 0)]
fn a_memfd_is_empty_read_write_largefile_and_cloexec_only_when_asked(#[case] flags: libc::c_uint, #[case] fd_flags: i32) {
    let m = memfd("ipcspec-flags", flags).unwrap();
    assert_eq!(stat(&m).0, 0);
    let fl = status_flags(&m);
    assert_eq!(fl & libc::O_ACCMODE, libc::O_RDWR);
    assert_eq!(fl & KERNEL_O_LARGEFILE, KERNEL_O_LARGEFILE, "O_LARGEFILE in F_GETFL {fl:#o}");
    assert_eq!(fixtures::io::fd_flags(&m), fd_flags);
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
    let again = reopen(&m, libc::O_RDWR).unwrap();
    assert_eq!(stat(&again).0, 10, "same size");
    // SAFETY: lseek on our own fds.
    assert_eq!(unsafe { libc::lseek(again.as_raw_fd(), 0, libc::SEEK_CUR) }, 0, "its own offset");
    assert_eq!(unsafe { libc::lseek(m.as_raw_fd(), 0, libc::SEEK_CUR) }, 10);
    assert_eq!(write_once(&again, b"AB"), Ok(2));
    assert_eq!(pread(&m, 10, 0), b"AB23456789", "writes through the reopened fd reach the file");
    assert_eq!(nix::sys::stat::fstat(&m).unwrap().st_ino, nix::sys::stat::fstat(&again).unwrap().st_ino);
}

/// memfd_create(2): the descriptor refers to a file that "behaves like a regular file", and
/// POSIX.1-2024, poll(): "Regular files shall always poll TRUE for reading and writing." A
/// memfd has no readiness of its own to wait for. Asserted: poll(2) with a zero timeout
/// reports exactly POLLIN|POLLOUT on an empty memfd and on one with data whose offset is at
/// its end (a read would return end of file), and POLLIN alone when only POLLIN is asked.
#[test]
fn poll_on_a_memfd_reports_pollin_and_pollout_at_once_empty_or_not() {
    let m = memfd("ipcspec-poll", libc::MFD_CLOEXEC).unwrap();
    let ready = libc::POLLIN | libc::POLLOUT;
    assert_eq!(fixtures::poll::poll1(&m, ready, 0), Ok((1, ready)), "empty memfd");
    assert_eq!(write_once(&m, b"data"), Ok(4));
    assert_eq!(fixtures::poll::poll1(&m, ready, 0), Ok((1, ready)), "memfd with 4 bytes, offset at its end");
    assert_eq!(pread(&m, 4, 0), b"data");
    assert_eq!(fixtures::poll::poll1(&m, libc::POLLIN, 0), Ok((1, libc::POLLIN)), "POLLIN asked alone");
}
