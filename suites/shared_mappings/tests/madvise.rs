//! madvise(2) and process_madvise(2) on shared mappings: guard regions (6.13, file-backed
//! since 6.15), populating (5.14), and any advice for the calling process (6.13).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use fixtures::io::ftruncate;
use fixtures::memory::{Mapping, SEGV_MAPERR, fault_in_child, page_size};
use fixtures::{assert_errno, variant};
use nix::errno::Errno;
use shared_mappings::files::{pread, pwrite};
use shared_mappings::memfd::memfd;

const MADV_GUARD_INSTALL: libc::c_int = 102;
const MADV_GUARD_REMOVE: libc::c_int = 103;

fn madvise(addr: usize, len: usize, advice: libc::c_int) -> Result<(), Errno> {
    // SAFETY: madvise validates the range; the callers own it.
    fixtures::sys(unsafe { libc::madvise(addr as *mut _, len, advice) }).map(drop)
}

fn memfd_of(pages: usize) -> OwnedFd {
    let fd = memfd("ipcspec-madvise", libc::MFD_CLOEXEC).unwrap();
    ftruncate(&fd, (pages * page_size()) as i64).unwrap();
    fd
}

/// madvise(2), MADV_GUARD_INSTALL (since Linux 6.13): "Install a lightweight guard region into
/// the range ... causing any read or write in the range to result in a SIGSEGV signal being
/// raised"; "Prior to Linux 6.15, this operation was supported only for writable anonymous
/// private mappings. Since Linux 6.15, both anonymous and file-backed mappings are supported";
/// MADV_GUARD_REMOVE: "file-backed mappings are repopulated with the memory contents from the
/// up-to-date contents of the underlying mapped file". Asserted on the first page of a
/// MAP_SHARED mapping of a memfd: a read there raises SIGSEGV (SEGV_MAPERR, at the page's
/// address) while the second page still reads; the file keeps its content (pread), another
/// mapping of it is not guarded; after MADV_GUARD_REMOVE the page shows the file again,
/// including a write made meanwhile through pwrite. Before 6.15 (variant `absent`): "EINVAL
/// advice is MADV_GUARD_INSTALL or MADV_GUARD_REMOVE, but the specified address range contains
/// an unsupported mapping" (6.13, 6.14), or an unknown advice (EINVAL) before.
///
/// Kernel change: 6.15 — MADV_GUARD_INSTALL/REMOVE on file-backed and shared mappings (guard regions came in 6.13).
#[test]
fn a_guard_region_in_a_shared_file_mapping_faults_and_leaves_the_file_alone() {
    let pg = page_size();
    let fd = memfd_of(2);
    pwrite(&fd, b"data", 0).unwrap();
    pwrite(&fd, b"more", pg as i64).unwrap();
    let m = Mapping::shared(&fd, 2 * pg);
    let r = madvise(m.addr(), pg, MADV_GUARD_INSTALL);
    if !variant::since(6, 15, "guard regions in file-backed mappings") {
        assert_errno!(r, Errno::EINVAL, "MADV_GUARD_INSTALL on a shared file mapping before 6.15");
        return;
    }
    assert_eq!(r, Ok(()));
    let f = fault_in_child(|| {
        let _ = m.load(0);
    });
    assert_eq!((f.signo, f.code, f.addr), (libc::SIGSEGV, SEGV_MAPERR, m.addr()));
    assert_eq!(m.read(pg, 4), b"more", "the page next to the guard");
    assert_eq!(pread(&fd, 4, 0), b"data", "the file keeps its content");
    let other = Mapping::shared(&fd, pg);
    assert_eq!(other.read(0, 4), b"data", "another mapping of the file is not guarded");
    pwrite(&fd, b"DATA", 0).unwrap();
    assert_eq!(madvise(m.addr(), pg, MADV_GUARD_REMOVE), Ok(()));
    assert_eq!(m.read(0, 4), b"DATA", "the guard removed: the file's up-to-date content");
}

/// madvise(2), MADV_POPULATE_WRITE (since Linux 5.14): "Populate (prefault) page tables
/// writable ... Depending on the underlying mapping, preallocate memory or read the underlying
/// file; files with holes will preallocate blocks. If populating fails, a SIGBUS signal is not
/// generated; instead, an error is returned"; ERRORS: "EFAULT advice is MADV_POPULATE_READ or
/// MADV_POPULATE_WRITE, and populating (prefaulting) page tables failed because a SIGBUS would
/// have been generated on actual memory access". Asserted on a 4-page MAP_SHARED mapping of a
/// 2-page memfd: the file has no blocks; MADV_POPULATE_WRITE of the first two pages succeeds
/// and allocates them (st_blocks = 2 pages in 512-byte units), MADV_POPULATE_READ of the pages
/// past the end of the file fails EFAULT instead of raising SIGBUS. Before 5.14 (variant
/// `absent`): an unknown advice, EINVAL.
///
/// Kernel change: 5.14 — MADV_POPULATE_READ/MADV_POPULATE_WRITE: prefault a mapping with errors instead of SIGBUS.
#[test]
fn madv_populate_write_allocates_a_shared_file_mapping_and_reports_efault_past_the_end() {
    let pg = page_size();
    let fd = memfd_of(2);
    let m = Mapping::shared(&fd, 4 * pg);
    let blocks = |fd: &OwnedFd| nix::sys::stat::fstat(fd.as_fd()).unwrap().st_blocks;
    assert_eq!(blocks(&fd), 0, "a new memfd has no blocks");
    let r = madvise(m.addr(), 2 * pg, libc::MADV_POPULATE_WRITE);
    if !variant::since(5, 14, "MADV_POPULATE_WRITE") {
        assert_errno!(r, Errno::EINVAL, "MADV_POPULATE_WRITE before 5.14");
        return;
    }
    assert_eq!(r, Ok(()));
    assert_eq!(blocks(&fd), (2 * pg / 512) as i64, "both pages allocated");
    assert_errno!(madvise(m.addr() + 2 * pg, 2 * pg, libc::MADV_POPULATE_READ), Errno::EFAULT, "pages past the end of the file");
}

/// process_madvise(2): "If manipulating another process, or before Linux 6.13, the advice
/// argument is one of the following values: MADV_COLD, MADV_COLLAPSE, MADV_PAGEOUT,
/// MADV_WILLNEED"; "Since Linux 6.13, when manipulating the calling process, any advice flag is
/// permitted." Asserted through a pidfd of the calling process with MADV_DONTNEED: the call
/// returns the number of bytes advised; on a MAP_SHARED anonymous page the data survives (the
/// page stays in the shared memory object, only this process's page table entry goes), on a
/// MAP_PRIVATE anonymous page it is gone (reads zero) — as madvise(2) MADV_DONTNEED does. Before
/// 6.13 (variant `absent`): EINVAL ("advice is not valid").
///
/// Kernel change: 6.13 — process_madvise(2) on the calling process accepts any advice.
#[test]
fn process_madvise_of_the_calling_process_accepts_madv_dontneed() {
    let pg = page_size();
    // SAFETY: pidfd_open of our own pid; the result is a fresh descriptor.
    let me = unsafe { libc::syscall(libc::SYS_pidfd_open, std::process::id() as libc::pid_t, 0) };
    assert!(me >= 0, "pidfd_open(getpid()): {}", Errno::last());
    let me = fixtures::io::owned(me as libc::c_int);
    let shared = Mapping::anonymous(pg, true);
    let private = Mapping::anonymous(pg, false);
    shared.write(0, b"shared");
    private.write(0, b"private");
    let advise = |m: &Mapping| {
        let iov = libc::iovec { iov_base: m.as_ptr().cast(), iov_len: pg };
        // SAFETY: one iovec over our own mapping.
        let r = unsafe { libc::syscall(libc::SYS_process_madvise, me.as_raw_fd(), &iov as *const libc::iovec, 1, libc::MADV_DONTNEED, 0) };
        if r == -1 { Err(Errno::last()) } else { Ok(r as usize) }
    };
    let r = advise(&shared);
    fixtures::skip_if_filtered!("process_madvise", (5, 10), &r);
    if !variant::since(6, 13, "process_madvise(2) of the calling process with any advice") {
        assert_errno!(r, Errno::EINVAL, "MADV_DONTNEED through process_madvise before 6.13");
        return;
    }
    assert_eq!(r, Ok(pg));
    assert_eq!(shared.read(0, 6), b"shared", "shared memory keeps its data");
    assert_eq!(advise(&private), Ok(pg));
    assert_eq!(private.read(0, 7), [0u8; 7], "a private page is dropped");
}
