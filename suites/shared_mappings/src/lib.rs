//! Suite `shared_mappings`: memory shared through mappings — mmap(2) of files with
//! MAP_SHARED and MAP_PRIVATE, anonymous shared memory across fork(2), msync(2), munmap(2),
//! mremap(2), memfd_create(2) and file seals (fcntl(2), "File Sealing").
//!
//! Topics (one test file each):
//! - `file_shared`: stores through a MAP_SHARED mapping reach the file and other mappings
//!   (other processes included), and the mapping outlives the descriptor and the name.
//! - `file_private`: MAP_PRIVATE copy-on-write isolation, and what a private mapping sees of
//!   later changes to the file.
//! - `msync`: its flags and errors.
//! - `end_of_file`: the page past end of file (SIGBUS), truncation, the zero-filled tail
//!   of the last page.
//! - `anonymous`: MAP_SHARED|MAP_ANONYMOUS vs MAP_PRIVATE across fork.
//! - `protection`: open mode vs PROT_WRITE (EACCES), PROT_NONE and read-only faults.
//! - `fixed`: MAP_FIXED and MAP_FIXED_NOREPLACE.
//! - `mremap`: growing, moving, shrinking and duplicating shared mappings.
//! - `memfd`: memfd_create(2) as an anonymous shared file.
//! - `seals`: F_ADD_SEALS/F_GET_SEALS and each seal's effect.
//! - `memfd_exec`: MFD_NOEXEC_SEAL, MFD_EXEC, F_SEAL_EXEC and vm.memfd_noexec (Linux 6.3+).
//! - `exec.rs`: no mapping survives execve(2): the program maps the file again.
//! - `memfd_shm_mount.rs`: a memfd is not bounded by the size of /dev/shm (the kernel's own shmem
//!   mount).
//! - `hugetlb.rs`: MAP_HUGETLB shared anonymous memory: mapped from the huge page pool when
//!   a page is free, ENOMEM when none is (the variant this target shows);
//!   `global_hugetlb_pool.rs`: both answers on one kernel, with the pool emptied and then
//!   given one page (root, vm.nr_hugepages restored).
//!
//! Faults are always taken in a forked child, whose SIGSEGV/SIGBUS handler reports the
//! signal number, si_code and si_addr to the parent and exits
//! ([`fixtures::memory::fault_in_child`]).
//! Claims that depend on which mappings exist (seals refused while a writable mapping
//! exists) are checked inside a child too: under plain `cargo test` another test's fork
//! would copy the parent's mappings into its child.
//!
//! Helpers shared by the test files, one module per concern: [`files`] (a scratch file,
//! pread/pwrite at an offset, its size and mode) and [`memfd`] (memfd_create(2), seals, the
//! kernel's O_LARGEFILE). The mappings themselves ([`fixtures::memory::Mapping`]) and fault
//! reports come from [`fixtures::memory`].

pub mod files;
pub mod memfd;

/// A field of /proc/meminfo as a number (the value, without a `kB` unit); `None` when the
/// kernel does not show it (HugePages_* and Hugepagesize are missing without hugetlbfs).
pub fn meminfo(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// The default huge page size in bytes (/proc/meminfo Hugepagesize), `None` without
/// hugetlbfs.
pub fn huge_page_size() -> Option<usize> {
    meminfo("Hugepagesize").map(|kb| kb as usize * 1024)
}

/// Huge pages of the default size that a new mapping can take from the pool now:
/// HugePages_Free less HugePages_Rsvd (pages promised to existing mappings).
pub fn free_huge_pages() -> u64 {
    meminfo("HugePages_Free").unwrap_or(0).saturating_sub(meminfo("HugePages_Rsvd").unwrap_or(0))
}

/// mmap(2) of one huge page, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, read and write.
pub fn map_hugetlb_shared(len: usize) -> Result<fixtures::memory::Mapping, nix::errno::Errno> {
    let flags = libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_HUGETLB;
    fixtures::memory::Mapping::new(len, libc::PROT_READ | libc::PROT_WRITE, flags, None, 0)
}

/// What a MAP_HUGETLB mapping that succeeded must do: it is aligned to the huge page size,
/// and, being MAP_SHARED, a store made by a forked child is seen by the parent.
pub fn assert_shared_huge_mapping(m: &fixtures::memory::Mapping, huge: usize) {
    assert_eq!(m.addr() % huge, 0, "a huge page mapping at {:#x} is not aligned to {huge}", m.addr());
    m.store(0, 1);
    fixtures::run_in_child("writer of the huge page", || {
        assert_eq!(m.load(0), 1);
        m.store(huge - 1, 2);
    })
    .expect_success();
    assert_eq!((m.load(0), m.load(huge - 1)), (1, 2), "the child's store through the shared huge page");
}

/// msync(2) of a raw range; the exact errno on failure.
pub fn msync(addr: usize, len: usize, flags: libc::c_int) -> Result<(), nix::errno::Errno> {
    // SAFETY: msync validates the range.
    fixtures::sys(unsafe { libc::msync(addr as *mut _, len, flags) }).map(drop)
}
