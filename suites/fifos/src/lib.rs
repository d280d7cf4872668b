//! Suite `fifos`: FIFO special files (named pipes) — how they are made and opened, and what
//! is particular to a pipe that has a name.
//!
//! I/O on an open FIFO is the same as on a pipe (pipe(7): "Once these tasks have been
//! accomplished, I/O on pipes and FIFOs has exactly the same semantics"), and the `pipes`
//! suite checks every I/O claim on both. This suite covers the rest:
//!
//! - `mkfifo.rs`: mkfifo(3)/mkfifoat(3): file type, size, mode & ~umask, EEXIST, ENOENT,
//!   ENOTDIR, EACCES.
//! - `open_rules.rs`: open(2) of a FIFO: who waits for whom, O_NONBLOCK (ENXIO, immediate
//!   EOF), O_RDWR, unrelated processes, permission checks at open time, O_TRUNC.
//! - `open_interruption.rs`: a blocked open(2) and signal handlers, with and without
//!   SA_RESTART.
//! - `lifetime.rs`: the one pipe object behind a FIFO: EOF and SIGPIPE across several opens,
//!   many readers and writers, data discarded with the last close, unlink while open.
//! - `file_ops.rs`: what a FIFO is not: ftruncate, lseek; F_GETPIPE_SZ, fstat, poll quirk.
//!
//! Sources: fifo(7), pipe(7), mkfifo(3), mknod(2), open(2) ("FIFOs", ENXIO, EINTR),
//! signal(7), POSIX.1-2024 read() and open(), fs/pipe.c (fifo_open) where the kernel is the
//! only specification.
//!
//! Claims that depend on exactly which ends are open run their body in a forked,
//! single-threaded child ([`fixtures::isolated`]): under plain `cargo test` another thread
//! may fork a child that holds copies of this test's descriptors.
//!
//! Helpers shared by the test files live here: opening a FIFO with the exact errno and a
//! bound, and chmod. Raw I/O comes from [`fixtures::io`], the announcing signal handler
//! from [`fixtures::signals`].

use std::os::fd::OwnedFd;
use std::path::Path;

use nix::errno::Errno;

/// open(2) of `path` with `flags` plus O_CLOEXEC, with the exact errno on failure.
pub fn open_fifo(path: &Path, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    fixtures::io::open_cloexec(path, flags)
}

/// open(2) that must not block: bounded by the fixtures' deadline.
#[track_caller]
pub fn open_now(path: &Path, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    fixtures::within("an open(2) of a FIFO that must not block", || open_fifo(path, flags))
}

/// Set the permission bits of `path` exactly (no umask involved).
pub fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
