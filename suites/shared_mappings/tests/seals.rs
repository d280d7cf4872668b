//! File seals on memfds: fcntl(2), "File Sealing", and memfd_create(2), MFD_ALLOW_SEALING.
//!
//! Tests that depend on which mappings of the memfd exist run in a child (see the suite
//! overview in src/lib.rs).

use std::os::fd::{AsFd, OwnedFd};

use fixtures::io::{ftruncate, write_once};
use fixtures::memory::Mapping;
use fixtures::{IpcName, assert_errno, run_in_child, variant};
use nix::errno::Errno;
use shared_mappings::files::{pread, pwrite, stat};
use shared_mappings::memfd::{add_seals, memfd, reopen, seals};

/// A read-only descriptor of the same memfd (a reopen through /proc/self/fd). Read-only
/// shared mappings are made through it: a PROT_READ MAP_SHARED mapping of an O_RDWR
/// descriptor may later be mprotect()ed writable (VM_MAYWRITE), and kernels before 6.7
/// counted such a mapping as writable for the seal checks.
fn read_only(m: &OwnedFd) -> OwnedFd {
    reopen(m, libc::O_RDONLY).unwrap()
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
    let again = reopen(&m, libc::O_RDWR).unwrap();
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
        let ro = Mapping::new(4096, libc::PROT_READ, libc::MAP_SHARED, Some(read_only(&m).as_fd()), 0).unwrap();
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
        assert_errno!(Mapping::new(4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, Some(m.as_fd()), 0), Errno::EPERM);
        let ro = Mapping::new(4096, libc::PROT_READ, libc::MAP_SHARED, Some(read_only(&m).as_fd()), 0).expect("read-only shared mapping");
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
    assert_errno!(reopen(&m, libc::O_RDWR | libc::O_TRUNC), Errno::EPERM, "open with O_TRUNC");
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
/// F_SEAL_WRITE it is accepted while a writable shared mapping exists. Variant: `present`
/// from 5.1; `absent` before, where the seal is an unknown bit and F_ADD_SEALS fails with
/// EINVAL (fcntl(2): "EINVAL ... cmd is F_ADD_SEALS and arg includes an unrecognized sealing
/// bit"), asserted.
///
/// Kernel change: 5.1 — F_SEAL_FUTURE_WRITE: no new writes or writable mappings, existing writable mappings keep working.
#[test]
fn f_seal_future_write_keeps_existing_writable_mappings_working() {
    if !variant::since(5, 1, "F_SEAL_FUTURE_WRITE") {
        assert_errno!(add_seals(sealable(4096), libc::F_SEAL_FUTURE_WRITE), Errno::EINVAL);
        return;
    }
    run_in_child("future-write-sealed memfd", || {
        let m = sealable(4096);
        let rw = Mapping::shared(&m, 4096);
        assert_eq!(add_seals(&m, libc::F_SEAL_FUTURE_WRITE), Ok(()));
        rw.bytes()[..5].copy_from_slice(b"still");
        assert_eq!(pread(&m, 5, 0), b"still", "the earlier mapping still writes the file");
        assert_errno!(pwrite(&m, b"X", 0), Errno::EPERM);
        assert_errno!(Mapping::new(4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, Some(m.as_fd()), 0), Errno::EPERM);
        assert!(Mapping::new(4096, libc::PROT_READ, libc::MAP_SHARED, Some(read_only(&m).as_fd()), 0).is_ok(), "read-only mappings are fine");
    })
    .expect_success();
}

/// fcntl(2), F_SEAL_WRITE: "Furthermore, trying to create new shared, writable memory-mappings
/// via mmap(2) will also fail with EPERM" — a read-only shared mapping is not writable, and
/// since commit 158978945f31 ("mm: perform the mapping_map_writable() check after
/// call_mmap()", 6.7) it is allowed through a descriptor opened O_RDWR too: the kernel drops
/// the mapping's permission to become writable (VM_MAYWRITE), so a later mprotect(2) to
/// PROT_WRITE fails with EACCES. Before, such a mapping (which mprotect could make writable)
/// counted as writable: mmap failed with EPERM. "mm: resolve faulty mmap_region() error path
/// behaviour" broke it again in 6.12 until "mm: reinstate ability to map write-sealed memfd
/// mappings read-only" (6.13-rc1; stable 6.12.9, review mail "[PATCH 6.12 152/156]"). The
/// 6.7 series ("mm: drop the assumption that VM_SHARED always implies writable", "mm: update
/// memfd seal write check to include F_SEAL_WRITE", and the reinstating patch) was backported
/// to stable 5.10.241 and 6.1.149 (Debian's changelogs list all three under ChangeLog-5.10.241
/// and ChangeLog-6.1.149). Asserted: where the ability is known to be (6.7+ except
/// 6.12.0-6.12.8; 5.10.241+, 6.1.149+) mmap(PROT_READ, MAP_SHARED) of the O_RDWR memfd works,
/// shows the content, and mprotect to PROT_WRITE fails EACCES (variant `allowed`); where it is
/// known to be missing, EPERM (variant `eperm`, lacking); a series whose status is not known
/// (5.15, 6.2-6.6) may show either, and says which.
///
/// Kernel change: 6.7, commit 158978945f31 — a write-sealed memfd can be mapped read-only shared through an O_RDWR descriptor.
#[test]
fn a_write_sealed_memfd_maps_read_only_shared_through_a_writable_descriptor() {
    let v = fixtures::kernel_version();
    let allowed = if (v.major, v.minor) == (6, 12) {
        Some(fixtures::gate::stable_at_least(6, 12, 9))
    } else {
        fixtures::gate::has_fix((6, 7), &[(5, 10, 241), (6, 1, 149)], &[])
    };
    run_in_child("write-sealed memfd", || {
        let m = sealable(0);
        assert_eq!(write_once(&m, b"sealed"), Ok(6));
        add_seals(&m, libc::F_SEAL_WRITE).unwrap();
        let r = Mapping::new(4096, libc::PROT_READ, libc::MAP_SHARED, Some(m.as_fd()), 0);
        match (allowed, r) {
            (Some(true) | None, Ok(ro)) => {
                variant::observed("allowed", "a read-only shared mapping of a write-sealed memfd through an O_RDWR descriptor");
                assert_eq!(&ro.bytes()[..6], b"sealed");
                // SAFETY: changing the protection of our own mapping.
                let p = unsafe { libc::mprotect(ro.as_ptr().cast(), 4096, libc::PROT_READ | libc::PROT_WRITE) };
                assert_eq!((p, Errno::last()), (-1, Errno::EACCES), "mprotect to PROT_WRITE");
            }
            (Some(false) | None, Err(Errno::EPERM)) => {
                variant::lacking("eperm", "a shared mapping that mprotect could make writable counts as writable");
            }
            (allowed, r) => panic!(
                "mmap(PROT_READ, MAP_SHARED) of a write-sealed O_RDWR memfd: {:?}, but the kernel {} is expected to {}",
                r.map(|m| m.addr()),
                fixtures::kernel_version(),
                match allowed { Some(true) => "allow it", Some(false) => "refuse it (EPERM)", None => "?" }
            ),
        }
    })
    .expect_success();
}
