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
//! single-threaded child ([`isolated`]): under plain `cargo test` another thread may fork a
//! child that holds copies of this test's descriptors.

use std::ffi::CString;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use fixtures::{sys, sys_size};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal};

/// open(2) of `path` with `flags` plus O_CLOEXEC, with the exact errno on failure.
pub fn open_fifo(path: &Path, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    sys(unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC) }).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// open(2) that must not block: bounded by the fixtures' deadline.
#[track_caller]
pub fn open_now(path: &Path, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    fixtures::within("an open(2) of a FIFO that must not block", || open_fifo(path, flags))
}

/// One read(2), with its exact result.
pub fn read_once(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    sys_size(unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) })
}

/// One write(2), with its exact result.
pub fn write_once(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<usize, Errno> {
    sys_size(unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) })
}

/// Read until end-of-file, bounded by the fixtures' deadline.
pub fn read_to_eof(fd: BorrowedFd<'_>) -> Vec<u8> {
    fixtures::within("reading a FIFO until end-of-file", || {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match read_once(fd, &mut buf) {
                Ok(0) => return out,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(Errno::EINTR) => {}
                Err(e) => panic!("read until EOF: {e}"),
            }
        }
    })
}

/// ioctl(FIONREAD): the number of unread bytes in the FIFO.
pub fn fionread(fd: BorrowedFd<'_>) -> Result<usize, Errno> {
    let mut n: libc::c_int = -1;
    sys(unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n) }).map(|_| n as usize)
}

/// F_GETPIPE_SZ.
pub fn pipe_size(fd: BorrowedFd<'_>) -> Result<usize, Errno> {
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ) }).map(|n| n as usize)
}

/// F_SETPIPE_SZ; returns the capacity actually set.
pub fn set_pipe_size(fd: BorrowedFd<'_>, size: usize) -> Result<usize, Errno> {
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETPIPE_SZ, size as libc::c_int) }).map(|n| n as usize)
}

/// Set or clear O_NONBLOCK on the open file description of `fd`.
pub fn set_nonblocking(fd: BorrowedFd<'_>, on: bool) {
    let fl = sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) }).expect("F_GETFL");
    let new = if on { fl | libc::O_NONBLOCK } else { fl & !libc::O_NONBLOCK };
    sys(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, new) }).expect("F_SETFL");
}

/// Set the permission bits of `path` exactly (no umask involved).
pub fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Run `body` in a forked, single-threaded child and fail the test if it fails there. Used
/// where a claim depends on exactly which descriptors of a FIFO are open.
#[track_caller]
pub fn isolated<F: FnOnce()>(body: F) {
    fixtures::run_in_child("test body (isolated from other threads' forks)", body).expect_success();
}

static ANNOUNCE_FD: AtomicI32 = AtomicI32::new(-1);
static ANNOUNCED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn announce(_sig: libc::c_int) {
    ANNOUNCED.fetch_add(1, Ordering::SeqCst);
    let fd = ANNOUNCE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        let b = [1u8];
        // SAFETY: write(2) is async-signal-safe; one byte from our own buffer.
        unsafe { libc::write(fd, b.as_ptr().cast(), 1) };
    }
}

/// In a child: install a handler for `sig` (with `flags`, e.g. SA_RESTART or none) that
/// counts its runs and writes one byte to `to`, so that another process learns that the
/// handler has run. Use [`announced`] for the count.
pub fn install_announcing_handler(sig: Signal, flags: SaFlags, to: BorrowedFd<'_>) {
    ANNOUNCED.store(0, Ordering::SeqCst);
    ANNOUNCE_FD.store(to.as_raw_fd(), Ordering::SeqCst);
    let action = SigAction::new(SigHandler::Handler(announce), flags, SigSet::empty());
    // SAFETY: the handler only uses atomics and write(2).
    unsafe { nix::sys::signal::sigaction(sig, &action) }.expect("sigaction");
}

/// How many times the announcing handler ran in this process.
pub fn announced() -> usize {
    ANNOUNCED.load(Ordering::SeqCst)
}
