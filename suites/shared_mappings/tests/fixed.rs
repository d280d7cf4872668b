//! MAP_FIXED and MAP_FIXED_NOREPLACE (mmap(2)).
//!
//! Every fixed address used here lies inside a reservation the test made itself (or, for
//! a free range, in a single-threaded child), so no other mapping can be clobbered.

use std::os::fd::AsFd;
use fixtures::memory::{Mapping, page_size};
use fixtures::{assert_errno, run_in_child, variant};
use nix::errno::Errno;
use shared_mappings::files::{ScratchFile, pread};

/// mmap(2), MAP_FIXED: "If the memory region specified by addr and length overlaps pages of
/// any existing mapping(s), then the overlapped part of the existing mapping(s) will be
/// discarded." A shared file page mapped MAP_FIXED over the middle page of a 3-page
/// anonymous region replaces just that page: the middle shows the file (and stores reach
/// it), the outer pages keep their content.
#[test]
fn map_fixed_replaces_the_overlapped_part_of_an_existing_mapping() {
    let pg = page_size();
    let file = ScratchFile::new(&vec![b'F'; pg]);
    let region = Mapping::anonymous(3 * pg, false);
    region.bytes().fill(b'a');
    let fixed = Mapping::at(region.addr() + pg, pg, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED | libc::MAP_FIXED, Some(file.as_fd()), 0)
        .expect("MAP_FIXED over our own region");
    assert_eq!(fixed.addr(), region.addr() + pg, "MAP_FIXED places the mapping exactly at addr");
    std::mem::forget(fixed); // unmapped with `region`
    let b = region.bytes();
    assert!(b[..pg].iter().all(|&c| c == b'a'));
    assert!(b[pg..2 * pg].iter().all(|&c| c == b'F'), "the middle page is the file's now");
    assert!(b[2 * pg..].iter().all(|&c| c == b'a'));
    b[pg] = b'w';
    assert_eq!(pread(&file.fd, 1, 0), b"w");
}

/// mmap(2), MAP_FIXED_NOREPLACE (since Linux 4.17): "If the requested range would collide with
/// an existing mapping, then this call fails with the error EEXIST." The existing mapping
/// is left intact. Before 4.17 (variant `absent`) the flag is unknown and ignored: "older
/// kernels which do not recognize the MAP_FIXED_NOREPLACE flag will typically (upon detecting
/// a collision with a preexisting mapping) fall back to a "non-MAP_FIXED" type of behavior:
/// they will return an address that is different from the requested address" — asserted
/// there instead; `present` from 4.17.
#[test]
fn map_fixed_noreplace_over_an_existing_mapping_fails_eexist() {
    let pg = page_size();
    let region = Mapping::anonymous(2 * pg, false);
    region.bytes().fill(b'k');
    let r = Mapping::at(region.addr() + pg, pg, libc::PROT_READ, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE, None, 0);
    if variant::since(4, 17, "MAP_FIXED_NOREPLACE") {
        assert_errno!(r, Errno::EEXIST);
    } else {
        let m = r.expect("mmap with the unknown MAP_FIXED_NOREPLACE bit before 4.17");
        assert_ne!(m.addr(), region.addr() + pg, "before 4.17 the colliding hint is not honoured");
    }
    assert!(region.bytes().iter().all(|&c| c == b'k'));
}

/// mmap(2), MAP_FIXED_NOREPLACE: "This flag provides behavior that is similar to MAP_FIXED
/// with respect to the addr enforcement" — on a free range the mapping is placed exactly at
/// addr. (The range is freed by this single-threaded child just before.) Variant: `present`
/// from 4.17; `absent` before, where the unknown flag is ignored and the address is taken as
/// a hint, which a free range satisfies exactly as well (mmap(2): "If addr is not NULL, then
/// the kernel takes it as a hint about where to place the mapping").
#[test]
fn map_fixed_noreplace_on_a_free_range_maps_exactly_there() {
    variant::since(4, 17, "MAP_FIXED_NOREPLACE");
    run_in_child("free range", || {
        let pg = page_size();
        let (addr, len) = Mapping::anonymous(2 * pg, false).leak();
        // SAFETY: releasing our own reservation.
        assert_eq!(unsafe { libc::munmap(addr as *mut _, len) }, 0);
        let m = Mapping::at(addr + pg, pg, libc::PROT_READ, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE, None, 0)
            .expect("MAP_FIXED_NOREPLACE on a free range");
        assert_eq!(m.addr(), addr + pg);
    })
    .expect_success();
}

/// mmap(2), MAP_FIXED: "addr must be suitably aligned: for most architectures a multiple of
/// the page size is sufficient"; ERRORS: "EINVAL We don't like addr ... (e.g., ... not
/// aligned on a page boundary)."
#[test]
fn map_fixed_at_an_unaligned_address_fails_einval() {
    let region = Mapping::anonymous(2 * page_size(), false);
    assert_errno!(
        Mapping::at(region.addr() + 1, page_size(), libc::PROT_READ, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED, None, 0),
        Errno::EINVAL
    );
}
