//! MAP_HUGETLB for shared anonymous memory, as PostgreSQL maps its main shared memory with
//! `huge_pages = try`: the mapping comes from the kernel's pool of huge pages, and without a
//! free one it fails, after which the application maps normal pages. mmap(2), MAP_HUGETLB:
//! "Allocate the mapping using "huge" pages. See the Linux kernel source file
//! Documentation/admin-guide/mm/hugetlbpage.rst"; ERRORS: "ENOMEM No memory is available."
//! hugetlbpage.rst: the pool is set by vm.nr_hugepages (and may grow by up to
//! vm.nr_overcommit_hugepages surplus pages); a shared mapping reserves its pages at mmap
//! time, so a missing page fails the mmap itself rather than a later access.
//!
//! Which answer a target gives depends on its pool: this test reports it as the variant
//! `present` (a free huge page: the mapping works) or `none-reserved` (lacking: no free page
//! and no room for a surplus one: ENOMEM). `global_hugetlb_pool.rs` shows both answers on
//! one kernel by changing the pool (root).

use fixtures::{skip_absent, variant};
use nix::errno::Errno;
use shared_mappings::{assert_shared_huge_mapping, free_huge_pages, huge_page_size, map_hugetlb_shared, meminfo};

/// mmap(2), MAP_HUGETLB with MAP_SHARED | MAP_ANONYMOUS, one huge page of the default size:
/// with a free page in the pool it succeeds (aligned to the huge page size, shared with a
/// forked child); with no free page and no surplus allowed it fails with ENOMEM. Where only
/// surplus pages could serve it, either answer is documented (the kernel may fail to find
/// a huge page of free memory): the variant says which (`surplus` or `surplus-refused`).
#[test]
fn map_hugetlb_shared_anonymous_succeeds_with_a_free_huge_page_and_fails_enomem_without() {
    let Some(huge) = huge_page_size() else {
        skip_absent!("the kernel has no hugetlbfs (no Hugepagesize in /proc/meminfo)");
    };
    let free = free_huge_pages();
    let surplus_room = fixtures::sysctl::read_u64("vm/nr_overcommit_hugepages")
        .saturating_sub(meminfo("HugePages_Surp").unwrap_or(0));
    let answer = map_hugetlb_shared(huge);
    match (free, surplus_room, answer) {
        (1.., _, Ok(m)) => {
            variant::present(format_args!("{free} free huge pages of {huge} bytes: MAP_HUGETLB maps one"));
            assert_shared_huge_mapping(&m, huge);
        }
        (0, 0, Err(e)) => {
            variant::lacking("none-reserved", "no free huge page and vm.nr_overcommit_hugepages leaves no room: ENOMEM");
            assert_eq!(e, Errno::ENOMEM);
        }
        (0, 1.., Ok(m)) => {
            variant::observed("surplus", "no free huge page, but the pool grew by a surplus page");
            assert_shared_huge_mapping(&m, huge);
        }
        (0, 1.., Err(e)) => {
            variant::lacking("surplus-refused", "no free huge page, and no surplus page could be allocated: ENOMEM");
            assert_eq!(e, Errno::ENOMEM);
        }
        (free, room, answer) => panic!(
            "MAP_HUGETLB of {huge} bytes with {free} free huge pages and room for {room} surplus ones: {:?}",
            answer.map(|m| m.addr())
        ),
    }
}
