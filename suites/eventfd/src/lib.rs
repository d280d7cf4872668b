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
//!
//! Sources: eventfd(2), proc(5), poll(2), select(2), epoll(7), io_submit(2), and the
//! kernel's fs/eventfd.c with the commits cited in the tests.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use fixtures::{sys, sys_size};
use nix::errno::Errno;

/// The largest value the counter can hold through write(2).
pub const MAX: u64 = 0xffff_ffff_ffff_fffe;

/// eventfd(initval, flags) as an owned fd (EFD_CLOEXEC is *not* added: callers decide).
pub fn eventfd(initval: u32, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    // SAFETY: the fd returned is owned by the caller.
    sys(unsafe { libc::eventfd(initval, flags) }).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A nonblocking, close-on-exec eventfd with `initval`.
pub fn nonblocking(initval: u32) -> OwnedFd {
    eventfd(initval, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC).expect("eventfd")
}

/// read(2) of 8 bytes, as a u64.
pub fn read_u64(fd: &impl AsRawFd) -> Result<u64, Errno> {
    let mut b = [0u8; 8];
    let n = read_buf(fd, &mut b)?;
    assert_eq!(n, 8, "a successful eventfd read returned {n} bytes");
    Ok(u64::from_ne_bytes(b))
}

/// write(2) of `v` as 8 bytes.
pub fn write_u64(fd: &impl AsRawFd, v: u64) -> Result<usize, Errno> {
    write_buf(fd, &v.to_ne_bytes())
}

/// read(2) into a buffer of any size.
pub fn read_buf(fd: &impl AsRawFd, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: reading into our own buffer.
    sys_size(unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) })
}

/// write(2) of a buffer of any size.
pub fn write_buf(fd: &impl AsRawFd, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: writing our own buffer.
    sys_size(unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) })
}

/// poll(2) one fd for `events`, waiting at most `ms`; returns revents.
pub fn poll1(fd: RawFd, events: libc::c_short, ms: libc::c_int) -> libc::c_short {
    let mut p = libc::pollfd { fd, events, revents: 0 };
    loop {
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut p, 1, ms) };
        if r >= 0 {
            return p.revents;
        }
        assert_eq!(Errno::last(), Errno::EINTR, "poll");
    }
}

/// What poll(2) reports right now (timeout 0), for all of POLLIN|POLLOUT|POLLERR.
pub fn readiness(fd: &impl AsRawFd) -> libc::c_short {
    poll1(fd.as_raw_fd(), libc::POLLIN | libc::POLLOUT, 0)
}

/// The counter as /proc/self/fdinfo shows it ("eventfd-count", hexadecimal).
pub fn fdinfo_count(fd: &impl AsRawFd) -> u64 {
    let info = fixtures::procfs::fdinfo(fd.as_raw_fd());
    let v = info.get("eventfd-count").unwrap_or_else(|| panic!("no eventfd-count in fdinfo: {info:?}"));
    u64::from_str_radix(v, 16).unwrap_or_else(|_| panic!("eventfd-count {v:?} is not hexadecimal"))
}

/// An epoll instance (close-on-exec).
pub fn epoll() -> OwnedFd {
    // SAFETY: the fd returned is owned.
    let fd = sys(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) }).expect("epoll_create1");
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// epoll_ctl(EPOLL_CTL_ADD) of `fd` for `events`, with `fd` as the data.
pub fn epoll_add(ep: &OwnedFd, fd: RawFd, events: u32) {
    let mut ev = libc::epoll_event { events, u64: fd as u64 };
    // SAFETY: valid epoll_event.
    sys(unsafe { libc::epoll_ctl(ep.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) }).expect("epoll_ctl ADD");
}

/// epoll_wait for at most `ms`; returns the (events, data) pairs reported.
pub fn epoll_wait(ep: &OwnedFd, ms: libc::c_int) -> Vec<(u32, u64)> {
    let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 8];
    loop {
        // SAFETY: valid buffer of 8 events.
        let n = unsafe { libc::epoll_wait(ep.as_raw_fd(), evs.as_mut_ptr(), evs.len() as libc::c_int, ms) };
        if n >= 0 {
            return evs[..n as usize].iter().map(|e| (e.events, e.u64)).collect();
        }
        assert_eq!(Errno::last(), Errno::EINTR, "epoll_wait");
    }
}
