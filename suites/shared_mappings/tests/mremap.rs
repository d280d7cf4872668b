//! mremap(2) of shared mappings: growing (in place or moved), shrinking, and duplicating.

use std::os::fd::AsFd;
use fixtures::io::open_cloexec;
use fixtures::memory::{Mapping, SEGV_MAPERR, fault_in_child, page_size};
use fixtures::sync::channel;
use fixtures::{assert_errno, spawn};
use nix::errno::Errno;
use shared_mappings::files::{ScratchFile, pread};

fn mremap(old: usize, old_len: usize, new_len: usize, flags: libc::c_int) -> Result<usize, Errno> {
    // SAFETY: mremap validates its arguments; callers own the old mapping.
    let p = unsafe { libc::mremap(old as *mut _, old_len, new_len, flags) };
    if p == libc::MAP_FAILED { Err(Errno::last()) } else { Ok(p as usize) }
}

/// mremap(2), MREMAP_MAYMOVE: "By default, if there is not sufficient space to expand a
/// mapping at its current location, then mremap() fails. If this flag is specified, then
/// the kernel is permitted to relocate the mapping to a new virtual address"; "The contents
/// of the old mapping are preserved up to the shorter of the old and new sizes." A shared
/// file mapping grown from 1 to 3 pages (with a guard mapping right behind it, so it must
/// move; without MREMAP_MAYMOVE the call fails with ENOMEM: "the memory area cannot be
/// expanded at the current virtual address, and the MREMAP_MAYMOVE flag is not set") keeps
/// its data, shows the file's further pages, and is still shared: stores reach read(2) and
/// a child that maps the file, and the child's stores reach it.
#[test]
fn mremap_maymove_grows_a_shared_file_mapping_keeping_data_and_sharing() {
    let pg = page_size();
    let file = ScratchFile::new(&[vec![b'1'; pg], vec![b'2'; pg], vec![b'3'; pg]].concat());
    let region = Mapping::anonymous(2 * pg, false);
    let (raddr, _) = region.leak();
    let m = Mapping::at(raddr, pg, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED | libc::MAP_FIXED, Some(file.as_fd()), 0).unwrap();
    let guard = unsafe { Mapping::from_raw(raddr + pg, pg) }; // the reservation's second page
    m.bytes()[..4].copy_from_slice(b"kept");
    let (old, _) = m.leak();
    assert_errno!(mremap(old, pg, 3 * pg, 0), Errno::ENOMEM, "growing in place over the guard page");
    let new = mremap(old, pg, 3 * pg, libc::MREMAP_MAYMOVE).expect("mremap MREMAP_MAYMOVE");
    assert_ne!(new, old, "the mapping had to move");
    // SAFETY: mremap returned a mapping of 3 pages that we now own.
    let m = unsafe { Mapping::from_raw(new, 3 * pg) };
    drop(guard);
    assert_eq!(&m.bytes()[..4], b"kept");
    assert!(m.bytes()[4..pg].iter().all(|&c| c == b'1'));
    assert!(m.bytes()[pg..2 * pg].iter().all(|&c| c == b'2'), "the second page shows the file");
    assert!(m.bytes()[2 * pg..].iter().all(|&c| c == b'3'));
    m.bytes()[2 * pg..2 * pg + 5].copy_from_slice(b"moved");
    assert_eq!(pread(&file.fd, 5, 2 * pg as i64), b"moved", "stores reach the file after the move");
    let (seen, wait_seen) = channel();
    let child = spawn("other mapper", || {
        let own = open_cloexec(&file.path, libc::O_RDWR).unwrap();
        let cm = Mapping::shared(&own, 3 * pg);
        assert_eq!(&cm.bytes()[2 * pg..2 * pg + 5], b"moved");
        cm.bytes()[0..4].copy_from_slice(b"back");
        seen.notify();
    });
    wait_seen.wait();
    child.expect_success();
    assert_eq!(&m.bytes()[..4], b"back", "the moved mapping still shares the file's pages");
}

/// mremap(2): "mremap() expands (or shrinks) an existing memory mapping"; a shrink
/// never needs to move (the returned address is the old one, in-place without
/// MREMAP_MAYMOVE), and the released tail is unmapped — an access there raises SIGSEGV with
/// SEGV_MAPERR (in a child: no other thread can map the hole again).
#[test]
fn mremap_shrinks_in_place_and_unmaps_the_tail() {
    let pg = page_size();
    let file = ScratchFile::new(&vec![b's'; 3 * pg]);
    let f = fault_in_child(|| {
        let m = Mapping::shared(&file.fd, 3 * pg);
        let (old, _) = m.leak();
        let new = mremap(old, 3 * pg, pg, 0).expect("shrink");
        assert_eq!(new, old, "a shrunk mapping stays where it is");
        // SAFETY: reading the page that is still mapped.
        assert_eq!(unsafe { std::ptr::read_volatile(new as *const u8) }, b's');
        // SAFETY: deliberately touching the released tail.
        unsafe { std::ptr::read_volatile((new + pg + 5) as *const u8) };
    });
    assert_eq!((f.signo, f.code), (libc::SIGSEGV, SEGV_MAPERR));
}

/// mremap(2): "If the value of old_size is zero, and old_address refers to a shareable
/// mapping (see mmap(2) MAP_SHARED), then mremap() will create a new mapping of the same
/// pages." Two mappings of one shared anonymous region: a store through either is seen
/// through the other.
#[test]
fn mremap_with_old_size_zero_duplicates_a_shared_mapping() {
    let pg = page_size();
    let a = Mapping::anonymous(pg, true);
    let b_addr = mremap(a.addr(), 0, pg, libc::MREMAP_MAYMOVE).expect("mremap(old_size = 0)");
    // SAFETY: mremap returned a new one-page mapping that we now own.
    let b = unsafe { Mapping::from_raw(b_addr, pg) };
    assert_ne!(a.addr(), b.addr());
    a.bytes()[..2].copy_from_slice(b"a!");
    assert_eq!(&b.bytes()[..2], b"a!");
    b.bytes()[2..4].copy_from_slice(b"b!");
    assert_eq!(&a.bytes()[..4], b"a!b!");
}

/// mremap(2) as the raw system call with its fifth argument (glibc's variadic wrapper reads
/// new_address only with MREMAP_FIXED).
fn mremap5(old: usize, old_len: usize, new_len: usize, flags: libc::c_int, new: usize) -> Result<usize, Errno> {
    // SAFETY: mremap validates its arguments; callers own the ranges.
    let r = unsafe { libc::syscall(libc::SYS_mremap, old, old_len, new_len, flags, new) };
    if r == -1 { Err(Errno::last()) } else { Ok(r as usize) }
}

/// mremap(2), MREMAP_DONTUNMAP: "remaps mappings to a new address but does not unmap them from
/// their original address"; "Before Linux 5.13, the MREMAP_DONTUNMAP flag could be used only
/// with private anonymous mappings". Asserted on a MAP_SHARED mapping of a memfd: the mapping
/// moves (new address, same content) and the old range stays mapped; for a shared file mapping
/// an access there faults the file's page back in (mremap(2)'s "zero-filled page" is the
/// anonymous case), so the two ranges share: a store through the old one is seen through the
/// new one and in the file. Before 5.13 (variant `absent`): EINVAL.
///
/// Kernel change: 5.13 — MREMAP_DONTUNMAP on shared and file-backed mappings.
#[test]
fn mremap_dontunmap_moves_a_shared_mapping_and_keeps_the_old_range_sharing() {
    let pg = page_size();
    let file = ScratchFile::new(b"orig");
    fixtures::run_in_child("mapping layout", || {
        let (old, _) = Mapping::shared(&file.fd, pg).leak();
        let r = mremap5(old, pg, pg, libc::MREMAP_MAYMOVE | libc::MREMAP_DONTUNMAP, 0);
        if !fixtures::variant::since(5, 13, "MREMAP_DONTUNMAP on shared mappings") {
            assert_errno!(r, Errno::EINVAL, "MREMAP_DONTUNMAP of a shared mapping before 5.13");
            return;
        }
        let new = r.expect("mremap(MREMAP_MAYMOVE|MREMAP_DONTUNMAP)");
        assert_ne!(new, old);
        // SAFETY: both ranges are mapped and ours: the new one from mremap, the old one kept.
        let (old_m, new_m) = unsafe { (Mapping::from_raw(old, pg), Mapping::from_raw(new, pg)) };
        assert_eq!(new_m.read(0, 4), b"orig");
        assert_eq!(old_m.read(0, 4), b"orig", "the old range faults the file's page back in");
        old_m.write(0, b"O");
        assert_eq!(new_m.read(0, 4), b"Orig", "a store through the old range is seen through the new one");
        assert_eq!(pread(&file.fd, 4, 0), b"Orig");
    })
    .expect_success();
}

/// mremap(2): "Since Linux 6.17, if old_size is equal to new_size and MREMAP_FIXED is specified,
/// then old_size may span beyond the mapping in which old_address resides. In this case, gaps
/// between mappings in the original range are maintained in the new range." Asserted with two
/// one-page MAP_SHARED mappings of pages 0 and 2 of a file, a hole between them, moved with one
/// call onto a reserved range: the call returns the destination, both pages arrive in place
/// (with their content, still shared with the file) and the old range is unmapped (msync(2):
/// "ENOMEM The indicated memory (or part of it) was not mapped"). Before 6.17 (variant
/// `absent`) a range across mappings fails: "EFAULT Some address in the range old_address to
/// old_address+old_size is an invalid virtual memory address for this process".
///
/// Kernel change: 6.17 — mremap(2) moves a range spanning several mappings in one call.
#[test]
fn mremap_fixed_moves_several_shared_mappings_at_once() {
    let pg = page_size();
    let file = ScratchFile::new(&[vec![b'1'; pg], vec![b'2'; pg], vec![b'3'; pg]].concat());
    fixtures::run_in_child("mapping layout", || {
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        let (area, _) = Mapping::new(3 * pg, libc::PROT_NONE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, None, 0).unwrap().leak();
        Mapping::at(area, pg, rw, libc::MAP_SHARED | libc::MAP_FIXED, Some(file.as_fd()), 0).unwrap().leak();
        Mapping::at(area + 2 * pg, pg, rw, libc::MAP_SHARED | libc::MAP_FIXED, Some(file.as_fd()), 2 * pg as i64).unwrap().leak();
        // SAFETY: unmapping the middle page of our own reservation: the hole.
        assert_eq!(unsafe { libc::munmap((area + pg) as *mut _, pg) }, 0);
        let (dst, _) = Mapping::new(3 * pg, libc::PROT_NONE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, None, 0).unwrap().leak();
        let r = mremap5(area, 3 * pg, 3 * pg, libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED, dst);
        if !fixtures::variant::since(6, 17, "mremap across several mappings") {
            assert_errno!(r, Errno::EFAULT, "a move across mappings before 6.17");
            return;
        }
        assert_eq!(r, Ok(dst));
        // SAFETY: the two moved pages, now at dst and dst + 2 pages.
        let (first, third) = unsafe { (Mapping::from_raw(dst, pg), Mapping::from_raw(dst + 2 * pg, pg)) };
        assert_eq!((first.load(0), third.load(0)), (b'1', b'3'));
        third.write(0, b"moved");
        assert_eq!(pread(&file.fd, 5, 2 * pg as i64), b"moved", "still a shared mapping of the file");
        assert_errno!(shared_mappings::msync(area, 3 * pg, libc::MS_ASYNC), Errno::ENOMEM, "the old range");
    })
    .expect_success();
}
