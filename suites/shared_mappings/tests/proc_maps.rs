//! What /proc/<pid>/maps says about shared mappings: names of anonymous shared memory
//! (PR_SET_VMA_ANON_NAME) and the PROCMAP_QUERY ioctl (6.11).

use std::os::fd::{AsFd, AsRawFd};

use fixtures::io::ftruncate;
use fixtures::memory::{Mapping, page_size};
use fixtures::{assert_errno, run_in_child, skip, variant};
use nix::errno::Errno;
use shared_mappings::memfd::memfd;

/// prctl(2) PR_SET_VMA_ANON_NAME (PR_SET_VMA(2const), "Linux 5.17"): "Set a name for anonymous
/// virtual memory areas"; proc_pid_maps(5) (man-pages 6.20): "[anon_shmem:name]" for a named
/// shared anonymous mapping (6.2; 5.17 named private ones only, "[anon:name]"). Built only with
/// CONFIG_ANON_VMA_NAME (kernel/sys.c answers EINVAL without it: PR_SET_VMA(2const), "EINVAL
/// attr is not a valid attribute"). Asserted for a MAP_SHARED|MAP_ANONYMOUS page: with the
/// option on 6.2+ (variant `present`) prctl returns 0 and its /proc/self/maps line ends in
/// "[anon_shmem:ipcspec-shm]"; 5.17-6.1 with the option refuse a shared (file-backed)
/// mapping with EBADF (variant `anon-only`, lacking); without the option or before 5.17
/// (variant `absent`): EINVAL. (Debian's kernels are built without it.)
///
/// Kernel change: 6.2 — PR_SET_VMA_ANON_NAME names shared anonymous memory: "[anon_shmem:name]" in /proc/pid/maps.
#[test]
fn pr_set_vma_anon_name_names_shared_anonymous_memory_in_proc_maps() {
    let config = match fixtures::gate::kernel_config() {
        Ok(c) => c,
        Err(why) => skip!("{why}: cannot tell whether CONFIG_ANON_VMA_NAME is built"),
    };
    run_in_child("named mapping", || {
        let m = Mapping::anonymous(page_size(), true);
        let name = c"ipcspec-shm";
        // SAFETY: prctl with our own range and a NUL-terminated name.
        let r = fixtures::sys(unsafe { libc::prctl(libc::PR_SET_VMA, libc::PR_SET_VMA_ANON_NAME, m.addr(), page_size(), name.as_ptr()) });
        if !config.enabled("CONFIG_ANON_VMA_NAME") || !fixtures::kernel_at_least(5, 17) {
            variant::absent(format_args!("no PR_SET_VMA here: kernel {}, CONFIG_ANON_VMA_NAME {:?} ({})", fixtures::kernel_version(), config.get("CONFIG_ANON_VMA_NAME"), config.source));
            assert_errno!(r, Errno::EINVAL, "PR_SET_VMA without CONFIG_ANON_VMA_NAME");
            return;
        }
        if !fixtures::kernel_at_least(6, 2) {
            variant::lacking("anon-only", "5.17-6.1 name private anonymous memory only");
            assert_errno!(r, Errno::EBADF, "PR_SET_VMA_ANON_NAME of shared anonymous memory before 6.2");
            return;
        }
        variant::present("shared anonymous memory can be named");
        assert_eq!(r, Ok(0));
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let start = format!("{:x}-", m.addr());
        let line = maps.lines().find(|l| l.starts_with(&start)).unwrap_or_else(|| panic!("no line for {start} in {maps}"));
        assert!(line.ends_with("[anon_shmem:ipcspec-shm]"), "{line}");
    })
    .expect_success();
}

/// struct procmap_query of <linux/fs.h> (6.11), 104 bytes.
#[repr(C)]
#[derive(Default)]
struct ProcmapQuery {
    size: u64,
    query_flags: u64,
    query_addr: u64,
    vma_start: u64,
    vma_end: u64,
    vma_flags: u64,
    vma_page_size: u64,
    vma_offset: u64,
    inode: u64,
    dev_major: u32,
    dev_minor: u32,
    vma_name_size: u32,
    build_id_size: u32,
    vma_name_addr: u64,
    build_id_addr: u64,
}

/// _IOWR('f', 17, struct procmap_query).
const PROCMAP_QUERY: libc::c_ulong = (3 << 30) | ((std::mem::size_of::<ProcmapQuery>() as libc::c_ulong) << 16) | ((b'f' as libc::c_ulong) << 8) | 17;
const PROCMAP_QUERY_VMA_READABLE: u64 = 0x01;
const PROCMAP_QUERY_VMA_WRITABLE: u64 = 0x02;
const PROCMAP_QUERY_VMA_SHARED: u64 = 0x08;

/// <linux/fs.h> PROCMAP_QUERY (6.11): ioctl(2) on an open /proc/<pid>/maps returns the mapping
/// that covers query_addr — "Most of the data is similar to the one returned as text in
/// /proc/<pid>/maps" — or "If there is no matching VMA, -ENOENT will be returned". Asserted for
/// a 2-page MAP_SHARED mapping of a memfd named "ipcspec-query", asked about an address inside
/// it: start and end of the mapping, flags readable|writable|shared, offset 0, the memfd's inode
/// and device, and the name "/memfd:ipcspec-query (deleted)"; after munmap the same address
/// gives ENOENT. Before 6.11 (variant `absent`) the maps file has no ioctls: ENOTTY.
///
/// Kernel change: 6.11 — PROCMAP_QUERY: ioctl on /proc/pid/maps for the mapping at an address.
#[test]
fn procmap_query_describes_the_shared_mapping_at_an_address() {
    run_in_child("mapping layout", || {
        let pg = page_size();
        let fd = memfd("ipcspec-query", libc::MFD_CLOEXEC).unwrap();
        ftruncate(&fd, 2 * pg as i64).unwrap();
        let (addr, len) = Mapping::shared(&fd, 2 * pg).leak();
        let maps = std::fs::File::open("/proc/self/maps").unwrap();
        let mut name = [0u8; 256];
        let query = |at: usize, name: &mut [u8; 256]| {
            let mut q = ProcmapQuery {
                size: std::mem::size_of::<ProcmapQuery>() as u64,
                query_addr: at as u64,
                vma_name_size: name.len() as u32,
                vma_name_addr: name.as_mut_ptr() as u64,
                ..ProcmapQuery::default()
            };
            // SAFETY: a valid query struct and a name buffer of the size given.
            fixtures::sys(unsafe { libc::ioctl(maps.as_raw_fd(), PROCMAP_QUERY, &mut q as *mut ProcmapQuery) }).map(|_| q)
        };
        let r = query(addr + 100, &mut name);
        if !variant::since(6, 11, "PROCMAP_QUERY") {
            assert_errno!(r.map(drop), Errno::ENOTTY, "PROCMAP_QUERY before 6.11");
            // SAFETY: unmapping our own mapping.
            unsafe { libc::munmap(addr as *mut _, len) };
            return;
        }
        let q = r.expect("PROCMAP_QUERY");
        let st = nix::sys::stat::fstat(fd.as_fd()).unwrap();
        assert_eq!((q.vma_start, q.vma_end, q.vma_offset), (addr as u64, (addr + len) as u64, 0));
        assert_eq!(q.vma_flags, PROCMAP_QUERY_VMA_READABLE | PROCMAP_QUERY_VMA_WRITABLE | PROCMAP_QUERY_VMA_SHARED);
        assert_eq!(q.inode, st.st_ino);
        assert_eq!((q.dev_major, q.dev_minor), (libc::major(st.st_dev), libc::minor(st.st_dev)));
        let got = std::ffi::CStr::from_bytes_until_nul(&name).unwrap().to_str().unwrap();
        assert_eq!((got, q.vma_name_size as usize), ("/memfd:ipcspec-query (deleted)", got.len() + 1));
        // SAFETY: unmapping our own mapping.
        assert_eq!(unsafe { libc::munmap(addr as *mut _, len) }, 0);
        assert_errno!(query(addr + 100, &mut name).map(drop), Errno::ENOENT, "an address without a mapping");
    })
    .expect_success();
}
