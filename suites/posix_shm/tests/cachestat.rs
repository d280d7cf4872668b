//! cachestat(2) (6.5) on a POSIX shared memory object: which of its pages are in memory.

use std::os::fd::AsRawFd;

use fixtures::memory::page_size;
use fixtures::{IpcName, assert_errno, skip, variant};
use nix::errno::Errno;
use posix_shm::create;

/// struct cachestat_range and struct cachestat of cachestat(2).
#[repr(C)]
struct Range {
    off: u64,
    len: u64,
}

#[repr(C)]
#[derive(Debug, Default, PartialEq, Eq)]
struct Cachestat {
    nr_cache: u64,
    nr_dirty: u64,
    nr_writeback: u64,
    nr_evicted: u64,
    nr_recently_evicted: u64,
}

/// cachestat(2): 451 on x86_64.
const SYS_CACHESTAT: libc::c_long = 451;

fn cachestat(fd: &impl AsRawFd, off: u64, len: u64, flags: libc::c_uint) -> Result<Cachestat, Errno> {
    let range = Range { off, len };
    let mut out = Cachestat::default();
    // SAFETY: valid range and result structs.
    let r = unsafe { libc::syscall(SYS_CACHESTAT, fd.as_raw_fd(), &range as *const Range, &mut out as *mut Cachestat, flags) };
    if r == -1 { Err(Errno::last()) } else { Ok(out) }
}

/// cachestat(2): "cachestat() queries the number of cached pages, dirty pages, pages marked
/// for writeback, evicted pages, and recently evicted pages in the byte range specified by .off
/// and .len"; "If len == 0, the range is from .off to the end of the file"; "The flags argument
/// is reserved for future use and must be set to 0" (EINVAL). Built with
/// CONFIG_CACHESTAT_SYSCALL. Asserted on a 4-page POSIX shared memory object of which pages 0
/// and 2 were written (the others are holes): the whole file has 2 cached pages, none under
/// writeback; page 1 alone has none, page 2 alone has one; flags 1 gives EINVAL. Before 6.5,
/// or without the option (variant `absent`): ENOSYS.
///
/// Kernel change: 6.5 — cachestat(2): page cache state of a file (here a POSIX shared memory object).
#[test]
fn cachestat_counts_the_pages_of_a_shared_memory_object_in_memory() {
    let name = IpcName::shm("cachestat");
    let pg = page_size() as u64;
    let fd = create(&name, 4 * pg as usize);
    for page in [0, 2] {
        // SAFETY: writing one byte from our own buffer.
        assert_eq!(unsafe { libc::pwrite(fd.as_raw_fd(), b"x".as_ptr().cast(), 1, (page * pg) as libc::off_t) }, 1);
    }
    let built = match fixtures::gate::kernel_config() {
        Ok(c) => c.enabled("CONFIG_CACHESTAT_SYSCALL"),
        Err(why) => skip!("{why}: cannot tell whether cachestat(2) is built"),
    };
    let r = cachestat(&fd, 0, 0, 0);
    // A kernel without the call answers ENOSYS; an EPERM comes from a seccomp filter that
    // answers before the kernel (docker 20.10's profile does, on any kernel).
    if built || r == Err(Errno::EPERM) {
        fixtures::skip_if_filtered!("cachestat", (6, 5), &r);
    }
    if !built || !fixtures::kernel_at_least(6, 5) {
        variant::absent(format_args!("no cachestat(2): kernel {}, CONFIG_CACHESTAT_SYSCALL built: {built}", fixtures::kernel_version()));
        assert_errno!(r, Errno::ENOSYS, "cachestat without the call");
        return;
    }
    variant::present("cachestat(2) is built");
    let all = r.expect("cachestat of the whole object");
    assert_eq!((all.nr_cache, all.nr_writeback), (2, 0), "{all:?}");
    assert_eq!(cachestat(&fd, pg, pg, 0).map(|c| c.nr_cache), Ok(0), "the hole at page 1");
    assert_eq!(cachestat(&fd, 2 * pg, pg, 0).map(|c| c.nr_cache), Ok(1), "page 2");
    assert_errno!(cachestat(&fd, 0, 0, 1), Errno::EINVAL, "flags must be 0");
}
