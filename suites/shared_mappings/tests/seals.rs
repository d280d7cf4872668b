//! File seals on memfds: fcntl(2), "File Sealing", and memfd_create(2), MFD_ALLOW_SEALING.
//!
//! Tests that depend on which mappings of the memfd exist run in a child (see the suite
//! overview in src/lib.rs).

use std::os::fd::{AsRawFd, OwnedFd};

use fixtures::io::{ftruncate, open_cloexec, write_once};
use fixtures::memory::Mapping;
use fixtures::{IpcName, assert_errno, run_in_child};
use nix::errno::Errno;
use shared_mappings::*;

/// A read-only descriptor of the same memfd (a reopen through /proc/self/fd). Read-only
/// shared mappings are made through it: a PROT_READ MAP_SHARED mapping of an O_RDWR
/// descriptor may later be mprotect()ed writable (VM_MAYWRITE), and kernels before 6.7
/// counted such a mapping as writable for the seal checks.
fn read_only(m: &OwnedFd) -> OwnedFd {
    open_cloexec(std::path::Path::new(&format!("/proc/self/fd/{}", m.as_raw_fd())), libc::O_RDONLY).unwrap()
}

fn sealable(size: i64) -> OwnedFd {
    let m = memfd("ipcspec-seals", libc::MFD_ALLOW_SEALING | libc::MFD_CLOEXEC).unwrap();
    ftruncate(&m, size).unwrap();
    m
}

/// memfd_create(2), MFD_ALLOW_SEALING: "The initial set of seals is empty. If this flag is
/// not set, the initial set of seals will be F_SEAL_SEAL, meaning that no other seals can be
/// set on the file"; fcntl(2), F_SEAL_SEAL: "any further call to fcntl() with F_ADD_SEALS
/// fails with the error EPERM".
#[test]
fn without_mfd_allow_sealing_the_seals_are_locked() {
    let m = memfd("ipcspec-nosealing", 0).unwrap();
    assert_eq!(seals(&m), Ok(libc::F_SEAL_SEAL));
    assert_errno!(add_seals(&m, libc::F_SEAL_WRITE), Errno::EPERM);
    let s = memfd("ipcspec-sealing", libc::MFD_ALLOW_SEALING).unwrap();
    assert_eq!(seals(&s), Ok(0));
}

/// fcntl(2): "Seals are a property of an inode. Thus, all open file descriptors referring to
/// the same inode share the same set of seals. Furthermore, seals can never be removed, only
/// added"; "Adding a seal that is already set is a no-op, in case F_SEAL_SEAL is not set
/// already." Seals added through one descriptor show through a reopened one and accumulate.
#[test]
fn seals_belong_to_the_inode_and_only_accumulate() {
    let m = sealable(0);
    let again = open_cloexec(std::path::Path::new(&format!("/proc/self/fd/{}", m.as_raw_fd())), libc::O_RDWR).unwrap();
    add_seals(&m, libc::F_SEAL_SHRINK).unwrap();
    assert_eq!(seals(&again), Ok(libc::F_SEAL_SHRINK));
    add_seals(&again, libc::F_SEAL_GROW).unwrap();
    add_seals(&again, libc::F_SEAL_SHRINK).unwrap();
    assert_eq!(seals(&m), Ok(libc::F_SEAL_SHRINK | libc::F_SEAL_GROW));
}

/// fcntl(2), F_ADD_SEALS: "In order to place a seal, the file descriptor fd must be
/// writable" — through a read-only descriptor (a reopen with O_RDONLY) it fails with EPERM
/// (mm/memfd.c, memfd_add_seals()); F_GET_SEALS works on it.
#[test]
fn adding_seals_needs_a_writable_descriptor() {
    let m = sealable(0);
    let ro = read_only(&m);
    assert_errno!(add_seals(&ro, libc::F_SEAL_GROW), Errno::EPERM);
    assert_eq!(seals(&ro), Ok(0));
}

/// fcntl(2): "Currently, file seals can be applied only to a file descriptor returned by
/// memfd_create(2) ... On other filesystems, all fcntl() operations that operate on seals
/// will return EINVAL"; F_GET_SEALS: "If the file does not support sealing, -1 is returned
/// and errno is set to EINVAL." True for a pipe (F_ADD_SEALS through its writable end). A file of tmpfs (here a POSIX shared
/// memory object, which lives there) is the exception the page does not mention: it is
/// shmem like a memfd and reports the locked set F_SEAL_SEAL (mm/shmem.c gives every new
/// inode F_SEAL_SEAL). See Findings.
#[test]
fn seals_are_einval_on_a_pipe_and_locked_on_a_tmpfs_file() {
    let (r, w) = nix::unistd::pipe().unwrap();
    assert_errno!(seals(&r), Errno::EINVAL);
    // The write end: F_ADD_SEALS checks for a writable descriptor first (EPERM).
    assert_errno!(add_seals(&w, libc::F_SEAL_SEAL), Errno::EINVAL);
    let name = IpcName::shm("seals");
    let fd = nix::sys::mman::shm_open(
        name.as_str(),
        nix::fcntl::OFlag::O_CREAT | nix::fcntl::OFlag::O_EXCL | nix::fcntl::OFlag::O_RDWR,
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .expect("shm_open");
    assert_eq!(seals(&fd), Ok(libc::F_SEAL_SEAL));
    assert_errno!(add_seals(&fd, libc::F_SEAL_WRITE), Errno::EPERM);
}

/// fcntl(2), F_SEAL_WRITE: "Using the F_ADD_SEALS operation to set the F_SEAL_WRITE seal fails
/// with EBUSY if any writable, shared mapping exists. Such mappings must be unmapped before
/// you can add this seal." A read-only shared mapping and a private writable one do not
/// count.
#[test]
fn f_seal_write_fails_ebusy_while_a_writable_shared_mapping_exists() {
    run_in_child("mappings of the memfd", || {
        let m = sealable(4096);
        let ro = Mapping::new(4096, libc::PROT_READ, libc::MAP_SHARED, Some(&read_only(&m)), 0).unwrap();
        let private = Mapping::private(&m, 4096);
        let rw = Mapping::shared(&m, 4096);
        assert_errno!(add_seals(&m, libc::F_SEAL_WRITE), Errno::EBUSY);
        assert_eq!(seals(&m), Ok(0), "a failed F_ADD_SEALS adds nothing");
        drop(rw);
        assert_eq!(add_seals(&m, libc::F_SEAL_WRITE), Ok(()), "once unmapped the seal is accepted");
        drop((ro, private));
    })
    .expect_success();
}

/// fcntl(2), F_SEAL_WRITE: "you cannot modify the contents of the file ... This seal affects
/// write(2) ... Those calls fail with EPERM if this seal is set. Furthermore, trying to
/// create new shared, writable memory-mappings via mmap(2) will also fail with EPERM." And:
/// "shrinking or growing the size of the file is still possible and allowed." Read-only
/// shared mappings still work and show the (unchanged) content.
#[test]
fn f_seal_write_forbids_writes_and_writable_shared_mappings() {
    run_in_child("write-sealed memfd", || {
        let m = sealable(0);
        assert_eq!(write_once(&m, b"content"), Ok(7));
        add_seals(&m, libc::F_SEAL_WRITE).unwrap();
        assert_errno!(pwrite(&m, b"X", 0), Errno::EPERM);
        assert_errno!(write_once(&m, b"X"), Errno::EPERM);
        assert_errno!(Mapping::new(4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, Some(&m), 0), Errno::EPERM);
        let ro = Mapping::new(4096, libc::PROT_READ, libc::MAP_SHARED, Some(&read_only(&m)), 0).expect("read-only shared mapping");
        assert_eq!(&ro.bytes()[..7], b"content");
        assert_eq!(ftruncate(&m, 8192), Ok(()), "growing is still allowed");
        assert_eq!(ftruncate(&m, 3), Ok(()), "shrinking is still allowed");
        assert_eq!(pread(&m, 16, 0), b"con");
    })
    .expect_success();
}

/// fcntl(2), F_SEAL_GROW: "the size of the file in question cannot be increased. This affects
/// write(2) beyond the end of the file, truncate(2), ftruncate(2) ... These calls fail with
/// EPERM if you use them to increase the file size. If you keep the size or shrink it, those
/// calls still work as expected."
#[test]
fn f_seal_grow_forbids_only_growing() {
    let m = sealable(10);
    add_seals(&m, libc::F_SEAL_GROW).unwrap();
    assert_errno!(ftruncate(&m, 11), Errno::EPERM);
    assert_errno!(pwrite(&m, b"ab", 9), Errno::EPERM, "a write crossing the end of file");
    assert_eq!(pwrite(&m, b"ab", 8), Ok(2), "a write inside the file");
    assert_eq!(ftruncate(&m, 10), Ok(()), "keeping the size");
    assert_eq!(ftruncate(&m, 4), Ok(()), "shrinking");
    assert_eq!(stat(&m).0, 4);
}

/// fcntl(2), F_SEAL_SHRINK: "the file in question cannot be reduced in size. This affects
/// open(2) with the O_TRUNC flag as well as truncate(2) and ftruncate(2). Those calls fail
/// with EPERM if you try to shrink the file in question. Increasing the file size is still
/// possible."
#[test]
fn f_seal_shrink_forbids_only_shrinking() {
    let m = sealable(10);
    add_seals(&m, libc::F_SEAL_SHRINK).unwrap();
    assert_errno!(ftruncate(&m, 9), Errno::EPERM);
    let path = format!("/proc/self/fd/{}", m.as_raw_fd());
    assert_errno!(open_cloexec(std::path::Path::new(&path), libc::O_RDWR | libc::O_TRUNC), Errno::EPERM, "open with O_TRUNC");
    assert_eq!(ftruncate(&m, 20), Ok(()), "growing");
    assert_eq!(stat(&m).0, 20);
}

/// fcntl(2), F_SEAL_SEAL: "If this seal is set, any further call to fcntl() with F_ADD_SEALS
/// fails with the error EPERM. Therefore, this seal prevents any modifications to the set of
/// seals itself" — even re-adding a seal that is already set.
#[test]
fn f_seal_seal_freezes_the_set_of_seals() {
    let m = sealable(0);
    add_seals(&m, libc::F_SEAL_GROW | libc::F_SEAL_SEAL).unwrap();
    assert_errno!(add_seals(&m, libc::F_SEAL_SHRINK), Errno::EPERM);
    assert_errno!(add_seals(&m, libc::F_SEAL_GROW), Errno::EPERM);
    assert_eq!(seals(&m), Ok(libc::F_SEAL_GROW | libc::F_SEAL_SEAL));
}

/// fcntl(2), F_SEAL_FUTURE_WRITE (since Linux 5.1): "the contents of the file can still be
/// modified via shared writable mappings that were created prior to the seal being set. Any
/// attempt to create a new writable mapping on the file via mmap(2) will fail with EPERM.
/// Likewise, an attempt to write to the file via write(2) will fail with EPERM." Unlike
/// F_SEAL_WRITE it is accepted while a writable shared mapping exists.
#[test]
fn f_seal_future_write_keeps_existing_writable_mappings_working() {
    fixtures::require!(fixtures::gate::kernel(5, 1), "F_SEAL_FUTURE_WRITE");
    run_in_child("future-write-sealed memfd", || {
        let m = sealable(4096);
        let rw = Mapping::shared(&m, 4096);
        assert_eq!(add_seals(&m, libc::F_SEAL_FUTURE_WRITE), Ok(()));
        rw.bytes()[..5].copy_from_slice(b"still");
        assert_eq!(pread(&m, 5, 0), b"still", "the earlier mapping still writes the file");
        assert_errno!(pwrite(&m, b"X", 0), Errno::EPERM);
        assert_errno!(Mapping::new(4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, Some(&m), 0), Errno::EPERM);
        assert!(Mapping::new(4096, libc::PROT_READ, libc::MAP_SHARED, Some(&read_only(&m)), 0).is_ok(), "read-only mappings are fine");
    })
    .expect_success();
}
