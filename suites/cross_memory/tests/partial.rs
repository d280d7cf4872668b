//! Partial transfers: what process_vm_readv(2)/process_vm_writev(2) do when the remote
//! memory is not (fully) accessible.
//!
//! The target unmaps or protects pages in its own address space after the fork, so the
//! parent's copy of the layout stays intact and nothing else can be mapped into the hole
//! (the target is single-threaded and maps nothing afterwards).

use cross_memory::calls::{iov, iov_of, vm_read, vm_readv_allowed, vm_write, vm_writev_allowed};
use cross_memory::ptrace_access::child_access;
use cross_memory::target::Target;
use fixtures::{assert_errno, needs};
use fixtures::memory::{Mapping, page_size};
use nix::errno::Errno;

/// A target with three pages filled with 'a', 'b', 'c' whose middle page is then unmapped
/// (`hole == true`) or made PROT_NONE. Returns (the parent's mapping, target).
fn target_with_gap(hole: bool) -> (Mapping, Target) {
    let m = Mapping::pages(3, libc::PROT_READ | libc::PROT_WRITE);
    let pg = page_size();
    m.bytes()[..pg].fill(b'a');
    m.bytes()[pg..2 * pg].fill(b'b');
    m.bytes()[2 * pg..].fill(b'c');
    let t = Target::start(|| {
        if hole {
            m.unmap(1, 1);
        } else {
            m.protect(1, 1, libc::PROT_NONE);
        }
    });
    (m, t)
}

/// process_vm_readv(2): "a partial read/write (see RETURN VALUE) may result if one of the
/// remote_iov elements points to an invalid memory region in the remote process. No further
/// reads/writes will be attempted beyond that point"; "Partial transfers apply at the
/// granularity of iovec elements." With remote [page 0 (10 bytes), page 1 (unmapped), page
/// 2], the call returns the 10 bytes of the first element and leaves the rest of the local
/// buffer untouched.
#[test]
fn readv_stops_at_the_first_remote_iovec_that_is_not_mapped() {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let (m, t) = target_with_gap(true);
    let pg = page_size();
    let mut local = [0u8; 30];
    let remote = [iov(m.addr(), 10), iov(m.addr() + pg, 10), iov(m.addr() + 2 * pg, 10)];
    assert_eq!(vm_read(t.pid(), &[iov_of(&mut local)], &remote, 0), Ok(10));
    assert_eq!(&local[..10], &[b'a'; 10]);
    assert_eq!(&local[10..], &[0u8; 20], "nothing beyond the failing element may be transferred");
    t.finish();
}

/// process_vm_readv(2), ERRORS: "EFAULT The memory described by remote_iov is outside the
/// accessible address space of the process pid." When already the first remote element is
/// unmapped nothing is transferred and the call fails — for an unmapped page and for a
/// PROT_NONE page alike.
#[test]
fn readv_fails_efault_when_the_first_remote_iovec_is_inaccessible() {
    needs!(available(vm_readv_allowed()), available(child_access()));
    for hole in [true, false] {
        let (m, t) = target_with_gap(hole);
        let pg = page_size();
        let mut local = [0u8; 20];
        let remote = [iov(m.addr() + pg, 10), iov(m.addr(), 10)];
        assert_errno!(vm_read(t.pid(), &[iov_of(&mut local)], &remote, 0), Errno::EFAULT, "hole={hole}");
        assert_eq!(local, [0u8; 20]);
        t.finish();
    }
}

/// process_vm_readv(2) promises "These system calls won't perform a partial transfer that
/// splits a single iovec element", and advises splitting remote reads at page boundaries
/// for that reason. Linux does split: one remote element covering the second half of a
/// mapped page and the first half of an unmapped one returns the bytes up to the page
/// boundary (mm/process_vm_access.c copies page by page and returns the bytes copied
/// before the first fault). Asserted as Linux behaves; see Findings.
#[test]
fn readv_splits_a_remote_iovec_at_the_first_inaccessible_page() {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let (m, t) = target_with_gap(true);
    let pg = page_size();
    let mut local = vec![0u8; pg];
    let remote = [iov(m.addr() + pg / 2, pg)];
    assert_eq!(vm_read(t.pid(), &[iov_of(&mut local)], &remote, 0), Ok(pg / 2));
    assert!(local[..pg / 2].iter().all(|&c| c == b'a'));
    assert!(local[pg / 2..].iter().all(|&c| c == 0));
    t.finish();
}

/// process_vm_readv(2): permission to write is a ptrace access check, not a protection
/// override — EFAULT "The memory described by remote_iov is outside the accessible address
/// space": writing into a page the target mapped read-only fails with EFAULT and the page
/// keeps its content (unlike a write through /proc/<pid>/mem: see proc_mem.rs). With a
/// writable element first, that element is written and its size returned.
#[test]
fn writev_into_a_read_only_remote_mapping_fails_efault() {
    needs!(available(vm_writev_allowed()), available(child_access()));
    let m = Mapping::pages(2, libc::PROT_READ | libc::PROT_WRITE);
    let pg = page_size();
    m.bytes().fill(b'o');
    let t = Target::start_with(
        || {
            m.protect(1, 1, libc::PROT_READ);
        },
        || {
            assert_eq!(&m.bytes()[..5], b"WRITE", "the writable element was written");
            assert!(m.bytes()[5..].iter().all(|&c| c == b'o'), "the read-only page changed");
        },
    );
    let data = *b"WRITEWRITE";
    let local = [iov(data.as_ptr() as usize, 10)];
    assert_errno!(vm_write(t.pid(), &local, &[iov(m.addr() + pg, 10)], 0), Errno::EFAULT);
    assert_eq!(vm_write(t.pid(), &local, &[iov(m.addr(), 5), iov(m.addr() + pg, 5)], 0), Ok(5));
    t.finish();
}

/// process_vm_readv(2): "a partial read/write (see RETURN VALUE) may result if one of the
/// remote_iov elements points to an invalid memory region in the remote process. No further
/// reads/writes will be attempted beyond that point"; ERRORS: "EFAULT The memory described by
/// remote_iov is outside the accessible address space of the process pid." A PROT_NONE page
/// is such a region just like an unmapped one: a read whose second remote element is on it
/// returns the first element only, and a write to it fails with EFAULT.
#[test]
fn transfers_stop_at_a_prot_none_remote_page() {
    needs!(available(vm_readv_allowed()), available(vm_writev_allowed()), available(child_access()));
    let (m, t) = target_with_gap(false);
    let pg = page_size();
    let mut local = [0u8; 8];
    let remote = [iov(m.addr() + 2 * pg, 4), iov(m.addr() + pg, 4)];
    assert_eq!(vm_read(t.pid(), &[iov_of(&mut local)], &remote, 0), Ok(4));
    assert_eq!(&local, b"cccc\0\0\0\0");
    let data = [b'x'; 4];
    assert_errno!(vm_write(t.pid(), &[iov(data.as_ptr() as usize, 4)], &[iov(m.addr() + pg, 4)], 0), Errno::EFAULT);
    t.finish();
}
