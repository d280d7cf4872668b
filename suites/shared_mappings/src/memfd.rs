//! memfd_create(2) and file seals (fcntl(2), "File Sealing"), with the exact errno.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use fixtures::sys;
use nix::errno::Errno;

/// O_LARGEFILE as the kernel reports it in F_GETFL on x86_64 (include/uapi/asm-generic/
/// fcntl.h: 00100000). The libc crate's `O_LARGEFILE` is 0 on 64-bit targets (glibc's
/// <fcntl.h> defines it so there), which would make a check against it pass whatever the
/// kernel set.
pub const KERNEL_O_LARGEFILE: libc::c_int = 0o100000;

/// memfd_create(2); the exact errno on failure.
pub fn memfd(name: &str, flags: libc::c_uint) -> Result<OwnedFd, Errno> {
    let c = std::ffi::CString::new(name).unwrap();
    // SAFETY: a valid name string.
    sys(unsafe { libc::memfd_create(c.as_ptr(), flags) }).map(fixtures::io::owned)
}

/// F_GET_SEALS.
pub fn seals(fd: impl AsFd) -> Result<libc::c_int, Errno> {
    // SAFETY: plain fcntl.
    sys(unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_GET_SEALS) })
}

/// F_ADD_SEALS.
pub fn add_seals(fd: impl AsFd, s: libc::c_int) -> Result<(), Errno> {
    // SAFETY: plain fcntl.
    sys(unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), libc::F_ADD_SEALS, s) }).map(drop)
}

/// The same file opened again through /proc/self/fd with `flags` (close-on-exec): a new
/// open file description of the inode behind `fd` (memfd_create(2), NOTES; proc(5)).
pub fn reopen(fd: impl AsFd, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    let path = format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd());
    fixtures::io::open_cloexec(std::path::Path::new(&path), flags)
}
