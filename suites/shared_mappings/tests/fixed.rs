//! MAP_FIXED and MAP_FIXED_NOREPLACE (mmap(2)).
//!
//! Every fixed address used here lies inside a reservation the test made itself (or, for
//! a free range, in a single-threaded child), so no other mapping can be clobbered.

use fixtures::memory::{Mapping, page_size};
use fixtures::{Scratch, assert_errno, require, run_in_child};
use nix::errno::Errno;
use shared_mappings::*;

/// mmap(2), MAP_FIXED: "If the memory region specified by addr and length overlaps pages of
/// any existing mapping(s), then the overlapped part of the existing mapping(s) will be
/// discarded." A shared file page mapped MAP_FIXED over the middle page of a 3-page
/// anonymous region replaces just that page: the middle shows the file (and stores reach
/// it), the outer pages keep their content.
#[test]
fn map_fixed_replaces_the_overlapped_part_of_an_existing_mapping() {
    let pg = page_size();
    let s = Scratch::new();
    let (_p, fd) = file_with(&s, "f", &vec![b'F'; pg]);
    let region = Mapping::anonymous(3 * pg, false);
    region.bytes().fill(b'a');
    let fixed = Mapping::at(region.addr() + pg, pg, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED | libc::MAP_FIXED, Some(&fd), 0)
        .expect("MAP_FIXED over our own region");
    assert_eq!(fixed.addr(), region.addr() + pg, "MAP_FIXED places the mapping exactly at addr");
    std::mem::forget(fixed); // unmapped with `region`
    let b = region.bytes();
    assert!(b[..pg].iter().all(|&c| c == b'a'));
    assert!(b[pg..2 * pg].iter().all(|&c| c == b'F'), "the middle page is the file's now");
    assert!(b[2 * pg..].iter().all(|&c| c == b'a'));
    b[pg] = b'w';
    assert_eq!(pread(&fd, 1, 0), b"w");
}

/// mmap(2), MAP_FIXED_NOREPLACE (since Linux 4.17): "If the requested range would collide with
/// an existing mapping, then this call fails with the error EEXIST." The existing mapping
/// is left intact.
#[test]
fn map_fixed_noreplace_over_an_existing_mapping_fails_eexist() {
    require!(fixtures::gate::kernel(4, 17), "MAP_FIXED_NOREPLACE");
    let pg = page_size();
    let region = Mapping::anonymous(2 * pg, false);
    region.bytes().fill(b'k');
    assert_errno!(
        Mapping::at(region.addr() + pg, pg, libc::PROT_READ, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE, None, 0),
        Errno::EEXIST
    );
    assert!(region.bytes().iter().all(|&c| c == b'k'));
}

/// mmap(2), MAP_FIXED_NOREPLACE: "This flag provides behavior that is similar to MAP_FIXED
/// with respect to the addr enforcement" — on a free range the mapping is placed exactly at
/// addr. (The range is freed by this single-threaded child just before.)
#[test]
fn map_fixed_noreplace_on_a_free_range_maps_exactly_there() {
    require!(fixtures::gate::kernel(4, 17), "MAP_FIXED_NOREPLACE");
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
