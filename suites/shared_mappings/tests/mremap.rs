//! mremap(2) of shared mappings: growing (in place or moved), shrinking, and duplicating.

use fixtures::io::open_cloexec;
use fixtures::memory::{Mapping, SEGV_MAPERR, fault_in_child, page_size};
use fixtures::sync::channel;
use fixtures::{Scratch, assert_errno, spawn};
use nix::errno::Errno;
use shared_mappings::*;

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
    let s = Scratch::new();
    let mut content = vec![b'1'; pg];
    content.extend(vec![b'2'; pg]);
    content.extend(vec![b'3'; pg]);
    let (path, fd) = file_with(&s, "f", &content);
    let region = Mapping::anonymous(2 * pg, false);
    let (raddr, _) = region.leak();
    let m = Mapping::at(raddr, pg, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED | libc::MAP_FIXED, Some(&fd), 0).unwrap();
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
    assert_eq!(pread(&fd, 5, 2 * pg as i64), b"moved", "stores reach the file after the move");
    let (seen, wait_seen) = channel();
    let child = spawn("other mapper", || {
        let own = open_cloexec(&path, libc::O_RDWR).unwrap();
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
    let s = Scratch::new();
    let (_p, fd) = file_with(&s, "f", &vec![b's'; 3 * pg]);
    let f = fault_in_child(|| {
        let m = Mapping::shared(&fd, 3 * pg);
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
