//! Suite `timerfd`: timerfd_create(2), timerfd_settime(2), timerfd_gettime(2) — timers that
//! notify through a file descriptor.
//!
//! timerfd_create(2): "These system calls create and operate on a timer that delivers timer
//! expiration notifications via a file descriptor. They provide an alternative to the use of
//! setitimer(2) or timer_create(2), with the advantage that the file descriptor may be
//! monitored by select(2), poll(2), and epoll(7)." Event loops (libwayland, systemd, tokio)
//! keep their timers this way.
//!
//! Topics (one test file each):
//! - `creation.rs`: TFD_CLOEXEC and TFD_NONBLOCK in the descriptor's flags; EINVAL for
//!   unknown flags and clocks; a new timer is disarmed.
//! - `expiration.rs`: a relative and an absolute (TFD_TIMER_ABSTIME) deadline: not readable
//!   before, readable (POLLIN) from the deadline on; read(2) returns the 8-byte expiration
//!   count and then EAGAIN; missed periods of an interval timer are counted; a buffer under
//!   8 bytes fails EINVAL.
//! - `disarm.rs`: a zero it_value disarms; timerfd_settime returns the old setting; a new
//!   setting discards expirations not yet read; timerfd_gettime reports the time left.
//! - `sharing.rs`: only holders of a descriptor share a timer (no reopening through /proc); a
//!   forked child reads the same timer.
//! - `time_namespaces.rs`: a timerfd deadline is measured against the time namespace's clock.
//!
//! Waiting for an expiration is waiting on the descriptor (poll(2), bounded by the
//! harness); what must not happen before a deadline is checked against the clock read around
//! the call, never with a sleep. Sources: timerfd_create(2), clock_gettime(2), poll(2), and
//! fs/timerfd.c.
//!
//! Helpers shared by the test files live here: the three system calls with exact results,
//! itimerspec construction, and reading the expiration count. Clocks and timespecs come from
//! [`fixtures::clock`].

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

use fixtures::clock::timespec;
use fixtures::io::{owned, read_once};
use fixtures::sys;
use nix::errno::Errno;

/// timerfd_create(clockid, flags).
pub fn timerfd_create(clock: libc::clockid_t, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    // SAFETY: plain timerfd_create(2); a returned fd is fresh and ours.
    sys(unsafe { libc::timerfd_create(clock, flags) }).map(owned)
}

/// A CLOCK_MONOTONIC timer with TFD_CLOEXEC | TFD_NONBLOCK (what event loops use).
pub fn monotonic() -> OwnedFd {
    timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_CLOEXEC | libc::TFD_NONBLOCK).expect("timerfd_create")
}

/// An itimerspec: first expiration `value`, then every `interval` (zero: once).
pub fn spec(value: libc::timespec, interval: Duration) -> libc::itimerspec {
    libc::itimerspec { it_interval: timespec(interval), it_value: value }
}

/// The all-zero itimerspec (disarms).
pub fn zero() -> libc::itimerspec {
    spec(timespec(Duration::ZERO), Duration::ZERO)
}

/// timerfd_settime(fd, flags, new, &old): the old setting, or the exact errno.
pub fn settime(fd: impl AsFd, flags: libc::c_int, new: &libc::itimerspec) -> Result<libc::itimerspec, Errno> {
    let mut old = zero();
    // SAFETY: valid pointers to itimerspecs we own.
    sys(unsafe { libc::timerfd_settime(fd.as_fd().as_raw_fd(), flags, new, &mut old) })?;
    Ok(old)
}

/// timerfd_gettime(fd): the time left and the interval.
pub fn gettime(fd: impl AsFd) -> libc::itimerspec {
    let mut cur = zero();
    // SAFETY: a valid pointer to an itimerspec we own.
    sys(unsafe { libc::timerfd_gettime(fd.as_fd().as_raw_fd(), &mut cur) }).expect("timerfd_gettime");
    cur
}

/// One read(2) of 8 bytes: the expiration count, or the exact errno.
pub fn read_count(fd: impl AsFd) -> Result<u64, Errno> {
    let mut b = [0u8; 8];
    let n = read_once(fd, &mut b)?;
    assert_eq!(n, 8, "a successful timerfd read returned {n} bytes");
    Ok(u64::from_ne_bytes(b))
}

/// A timespec as nanoseconds.
pub fn nanos(ts: &libc::timespec) -> i128 {
    ts.tv_sec as i128 * 1_000_000_000 + ts.tv_nsec as i128
}

/// True for a timespec of zero.
pub fn is_zero(ts: &libc::timespec) -> bool {
    ts.tv_sec == 0 && ts.tv_nsec == 0
}
