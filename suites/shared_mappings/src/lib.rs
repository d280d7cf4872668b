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
//!
//! Faults are always taken in a forked child, whose SIGSEGV/SIGBUS handler reports the
//! signal number, si_code and si_addr to the parent and exits
//! ([`fixtures::memory::fault_in_child`]).
//! Claims that depend on which mappings exist (seals refused while a writable mapping
//! exists) are checked inside a child too: under plain `cargo test` another test's fork
//! would copy the parent's mappings into its child.

//!
//! Helpers shared by the test files live here: scratch files, pread/pwrite, msync,
//! memfd_create and seals with their exact errno. The mappings themselves
//! ([`fixtures::memory::Mapping`]) and fault reports come from [`fixtures::memory`].

use std::os::fd::{AsRawFd, OwnedFd};

use fixtures::io::open_cloexec;
use fixtures::sys;
use nix::errno::Errno;

/// A scratch file holding `content`, opened O_RDWR.
pub fn file_with(scratch: &fixtures::Scratch, name: &str, content: &[u8]) -> (std::path::PathBuf, OwnedFd) {
    let p = scratch.file(name, content);
    let fd = open_cloexec(&p, libc::O_RDWR).expect("open scratch file");
    (p, fd)
}

/// pread(2) of `len` bytes at `off`.
pub fn pread(fd: &impl AsRawFd, len: usize, off: i64) -> Vec<u8> {
    let mut b = vec![0u8; len];
    // SAFETY: reading into our own buffer.
    let n = fixtures::sys_size(unsafe { libc::pread(fd.as_raw_fd(), b.as_mut_ptr().cast(), len, off) }).expect("pread");
    b.truncate(n);
    b
}

/// pwrite(2) of `data` at `off`; the exact errno on failure.
pub fn pwrite(fd: &impl AsRawFd, data: &[u8], off: i64) -> Result<usize, Errno> {
    // SAFETY: writing from our own buffer.
    fixtures::sys_size(unsafe { libc::pwrite(fd.as_raw_fd(), data.as_ptr().cast(), data.len(), off) })
}

/// st_size and st_mode of an open file.
pub fn stat(fd: &impl std::os::fd::AsFd) -> (i64, u32) {
    let st = nix::sys::stat::fstat(fd).expect("fstat");
    (st.st_size, st.st_mode)
}

/// msync(2) of a raw range.
pub fn msync(addr: usize, len: usize, flags: libc::c_int) -> Result<(), Errno> {
    // SAFETY: msync validates the range.
    sys(unsafe { libc::msync(addr as *mut _, len, flags) }).map(drop)
}

/// memfd_create(2); the exact errno on failure.
pub fn memfd(name: &str, flags: libc::c_uint) -> Result<OwnedFd, Errno> {
    let c = std::ffi::CString::new(name).unwrap();
    // SAFETY: a valid name string.
    sys(unsafe { libc::memfd_create(c.as_ptr(), flags) }).map(fixtures::io::owned)
}

/// F_GET_SEALS.
pub fn seals(fd: &impl AsRawFd) -> Result<libc::c_int, Errno> {
    // SAFETY: plain fcntl.
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) })
}

/// F_ADD_SEALS.
pub fn add_seals(fd: &impl AsRawFd, s: libc::c_int) -> Result<(), Errno> {
    // SAFETY: plain fcntl.
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, s) }).map(drop)
}
