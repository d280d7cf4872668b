//! mseal(2) (6.10): sealing a mapping against changes (Documentation/userspace-api/mseal.rst).
//! A sealed mapping can never be unmapped, so every test seals inside a child.

use fixtures::memory::{Mapping, page_size};
use fixtures::{assert_errno, run_in_child, spawn, variant};
use nix::errno::Errno;

fn mseal(addr: usize, len: usize, flags: libc::c_ulong) -> Result<(), Errno> {
    // SAFETY: mseal validates the range; the caller owns it.
    let r = unsafe { libc::syscall(libc::SYS_mseal, addr, len, flags) };
    if r == -1 { Err(Errno::last()) } else { Ok(()) }
}

fn mremap(old: usize, old_len: usize, new_len: usize, flags: libc::c_int) -> Result<usize, Errno> {
    // SAFETY: the raw call (see mremap.rs: glibc's variadic wrapper); the caller owns the range.
    let r = unsafe { libc::syscall(libc::SYS_mremap, old, old_len, new_len, flags, 0usize) };
    if r == -1 { Err(Errno::last()) } else { Ok(r as usize) }
}

/// Documentation/userspace-api/mseal.rst: "mseal() ... seals the VMAs in the given range";
/// "Blocked operations after sealing: Unmapping, moving to another location, and shrinking
/// the size, via munmap() and mremap() ... Modifying a VMA via mmap(MAP_FIXED) ... mprotect()
/// and pkey_mprotect()", each failing with EPERM, while the memory itself stays readable and
/// writable as before; "flags: reserved for future use" (EINVAL otherwise); the sealing is
/// a property of the mapping, so a child forked afterwards inherits the sealed mapping. Asserted
/// on a MAP_SHARED anonymous region (memory shared with the child): munmap, mprotect, mremap
/// and mmap(MAP_FIXED) over it fail EPERM in the sealing process and in its child, and a
/// store by the child is seen by the parent. Before 6.10 (variant `absent`): ENOSYS.
///
/// Kernel change: 6.10 — mseal(2): mappings that cannot be unmapped, moved or reprotected.
#[test]
fn a_sealed_shared_mapping_refuses_unmap_mprotect_mremap_and_map_fixed() {
    let outcome = run_in_child("sealing process", || {
        let pg = page_size();
        let (addr, len) = Mapping::anonymous(2 * pg, true).leak();
        let r = mseal(addr, len, 0);
        fixtures::skip_if_filtered!("mseal", (6, 10), &r);
        if !variant::since(6, 10, "mseal(2)") {
            assert_errno!(r, Errno::ENOSYS, "mseal before 6.10");
            return;
        }
        assert_eq!(r, Ok(()));
        assert_errno!(mseal(addr, len, 1), Errno::EINVAL, "flags must be 0");
        let check = |who: &str| {
            // SAFETY: calls on the sealed range that must be refused.
            unsafe {
                assert_eq!((libc::munmap(addr as *mut _, len), Errno::last()), (-1, Errno::EPERM), "{who}: munmap");
                assert_eq!((libc::mprotect(addr as *mut _, len, libc::PROT_READ), Errno::last()), (-1, Errno::EPERM), "{who}: mprotect");
            }
            assert_errno!(mremap(addr, len, pg, 0), Errno::EPERM, "{who}: mremap shrinking");
            let fixed = Mapping::at(addr, pg, libc::PROT_READ, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED, None, 0);
            assert_errno!(fixed.map(|m| m.leak()), Errno::EPERM, "{who}: mmap(MAP_FIXED) over it");
        };
        check("the sealing process");
        spawn("child of the sealing process", || {
            check("a forked child");
            // SAFETY: a store into the shared region, which stays writable.
            unsafe { std::ptr::write_volatile(addr as *mut u8, 9) };
        })
        .expect_success();
        // SAFETY: a load from the shared region.
        assert_eq!(unsafe { std::ptr::read_volatile(addr as *const u8) }, 9, "the child's store through the sealed shared mapping");
    });
    fixtures::require_child!(outcome).expect_success();
}
