//! Suite `eventfd`: the eventfd(2) counter — creation flags, read/write semantics,
//! EFD_SEMAPHORE, overflow, readiness for poll/select/epoll, /proc fdinfo, and use across
//! processes.
//!
//! Covered (one test file per topic):
//! - `creation.rs`: initval, EFD_CLOEXEC, EFD_NONBLOCK, EINVAL for unknown flags.
//! - `counter.rs`: read returns the counter and resets it; writes add; EAGAIN on zero.
//! - `semaphore.rs`: EFD_SEMAPHORE reads 1 and decrements; one unit wakes one reader.
//! - `buffer_sizes.rs`: reads and writes under 8 bytes fail EINVAL; over 8 bytes a read
//!   returns 8 on every kernel, a write returns 8 before 6.9 and fails EINVAL since
//!   (kernel commit d31563b5f9bb "eventfd: strictly check the count parameter of
//!   eventfd_write to avoid inputting illegal strings", merged for 6.9).
//! - `overflow.rs`: the maximum 0xfffffffffffffffe, EINVAL for writing 0xffffffffffffffff,
//!   a write that would overflow blocks or fails EAGAIN; the kernel-side overflow (via
//!   Linux AIO) gives POLLERR and reads 0xffffffffffffffff.
//! - `readiness.rs`: POLLIN while the counter is > 0, POLLOUT while a write of 1 would not
//!   block, epoll the same.
//! - `fdinfo.rs`: /proc/self/fdinfo shows eventfd-count (hex), eventfd-id (5.2+) and
//!   eventfd-semaphore (6.5+).
//! - `across_processes.rs`: blocking read woken by another process's write; an eventfd
//!   waking an epoll loop in another process.
//! - `access.rs`: an eventfd has no name: its /proc/<pid>/fd link cannot be opened again (ENXIO;
//!   EACCES for another user).
//!
//! Sources: eventfd(2), proc(5), poll(2), select(2), epoll(7), io_submit(2), and the
//! kernel's fs/eventfd.c with the commits cited in the tests.
//!
//! Helpers shared by the test files live here: creating an eventfd and reading or writing
//! its counter. Raw I/O, poll(2) and the epoll observer come from [`fixtures::io`] and
//! [`fixtures::poll`]; the counter's maximum is `fixtures::kinds::EVENTFD_MAX`.

use std::os::fd::{AsFd, OwnedFd};

use fixtures::io::{owned, read_once, write_once};
use fixtures::sys;
use nix::errno::Errno;

/// eventfd(initval, flags) as an owned fd (EFD_CLOEXEC is *not* added: callers decide).
pub fn eventfd(initval: u32, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    // SAFETY: plain eventfd(2); the fd returned is fresh.
    sys(unsafe { libc::eventfd(initval, flags) }).map(owned)
}

/// A nonblocking, close-on-exec eventfd with `initval`.
pub fn nonblocking(initval: u32) -> OwnedFd {
    let fd = eventfd(initval, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC).expect("eventfd");
    // eventfd(2): "EFD_NONBLOCK: Set the O_NONBLOCK file status flag on the open file
    // description". Checked here, so that a kernel that ignores the flag fails the test at
    // once instead of blocking in its first read.
    assert!(fixtures::io::is_nonblocking(&fd), "eventfd(EFD_NONBLOCK) without O_NONBLOCK");
    fd
}

/// read(2) of 8 bytes, as a u64.
pub fn read_u64(fd: impl AsFd) -> Result<u64, Errno> {
    let mut b = [0u8; 8];
    let n = read_once(fd, &mut b)?;
    assert_eq!(n, 8, "a successful eventfd read returned {n} bytes");
    Ok(u64::from_ne_bytes(b))
}

/// write(2) of `v` as 8 bytes.
pub fn write_u64(fd: impl AsFd, v: u64) -> Result<usize, Errno> {
    write_once(fd, &v.to_ne_bytes())
}
