//! MAP_HUGETLB against a pool this test sets (root; vm.nr_hugepages and
//! vm.nr_overcommit_hugepages are journalled and restored): the same kernel refuses a
//! shared huge page mapping with ENOMEM while the pool has no free page, and maps it once
//! the pool holds one. Documentation/admin-guide/mm/hugetlbpage.rst: "/proc/sys/vm/nr_hugepages
//! indicates the current number of "persistent" huge pages in the kernel's huge page pool";
//! mmap(2), ERRORS: "ENOMEM No memory is available." A binary named `global_*`: it runs in
//! the serial group (it changes system-wide state).

use fixtures::sysctl::{SysctlGuard, read_u64};
use fixtures::{needs, skip};
use nix::errno::Errno;
use shared_mappings::{assert_shared_huge_mapping, free_huge_pages, huge_page_size, map_hugetlb_shared, meminfo};

/// mmap(2), MAP_HUGETLB | MAP_SHARED | MAP_ANONYMOUS of one huge page: with no surplus
/// pages allowed and the pool shrunk to the pages in use (none free), it fails with ENOMEM;
/// with one more page in the pool it succeeds, and the mapping is shared with a forked child.
#[test]
fn map_hugetlb_fails_enomem_with_an_empty_pool_and_succeeds_with_a_reserved_page() {
    needs!(root, sysctl("vm/nr_hugepages"), sysctl("vm/nr_overcommit_hugepages"));
    let Some(huge) = huge_page_size() else {
        skip!("the kernel has no hugetlbfs (no Hugepagesize in /proc/meminfo)");
    };
    let _overcommit = SysctlGuard::set("vm/nr_overcommit_hugepages", "0");
    let pool = SysctlGuard::save("vm/nr_hugepages");
    let in_use = meminfo("HugePages_Total").unwrap_or(0).saturating_sub(free_huge_pages());
    fixtures::sysctl::write("vm/nr_hugepages", &in_use.to_string()).expect("shrink the pool");
    if free_huge_pages() != 0 {
        skip!("the pool keeps {} free huge pages after shrinking it to {in_use}", free_huge_pages());
    }
    assert_eq!(map_hugetlb_shared(huge).map(|m| m.addr()), Err(Errno::ENOMEM), "with no free huge page");

    fixtures::sysctl::write("vm/nr_hugepages", &(in_use + 1).to_string()).expect("grow the pool");
    if free_huge_pages() != 1 {
        skip!(
            "the kernel could not allocate a huge page of {huge} bytes (nr_hugepages {} after asking for {})",
            read_u64("vm/nr_hugepages"),
            in_use + 1
        );
    }
    let m = map_hugetlb_shared(huge).expect("MAP_HUGETLB with one free huge page");
    assert_shared_huge_mapping(&m, huge);
    drop(m);
    drop(pool);
}
