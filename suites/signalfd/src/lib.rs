//! Suite `signalfd`: signalfd(2) — receiving signals through a file descriptor.
//!
//! signalfd(2): "signalfd() creates a file descriptor that can be used to accept signals
//! targeted at the caller. This provides an alternative to the use of a signal handler or
//! sigwaitinfo(2), and has the advantage that the file descriptor may be monitored by
//! select(2), poll(2), and epoll(7)." Event loops (dbus-broker, libwayland, systemd,
//! PostgreSQL's latch on Linux) take their signals this way.
//!
//! Topics (one test file each):
//! - `creation.rs`: SFD_CLOEXEC and SFD_NONBLOCK in the descriptor's flags, EINVAL for
//!   unknown flags and for a descriptor that is not a signalfd, a new mask for an existing
//!   signalfd, the mask in /proc/<pid>/fdinfo.
//! - `reading.rs`: EAGAIN with nothing pending; one 128-byte signalfd_siginfo per signal
//!   (ssi_signo, ssi_code, ssi_pid, ssi_uid, the value of a queued signal), consumed by the
//!   read; several records in one read; EINVAL for a buffer under 128 bytes; signals outside
//!   the mask not reported; a blocking read waits for a signal.
//! - `readiness.rs`: poll(2) and epoll(7) report POLLIN/EPOLLIN exactly while a signal of
//!   the mask is pending.
//! - `fork_and_epoll.rs`: signalfd(2) "fork(2) semantics" and "epoll(7) semantics": a child
//!   reads its own signals through the inherited signalfd, but an epoll instance reports it
//!   only for signals of the process that added it.
//! - `global_sigpending.rs`: queued signals a signalfd reports are bounded by RLIMIT_SIGPENDING
//!   (global: the count is per user, so other processes of the user must not queue signals
//!   meanwhile; where no user namespace of its own can be had, in a container, only running
//!   alone keeps them out).
//!
//! Every claim runs in a forked child: the signal mask that signalfd needs ("the signals in
//! mask should be blocked using sigprocmask(2)") and the pending signals are per process.
//! Sources: signalfd(2), sigprocmask(2), signal(7), proc(5) (fdinfo), and fs/signalfd.c.
//!
//! Helpers shared by the test files live here: signalfd(2) itself, reading records and the
//! fields of a record. Blocking signals and sets come from [`fixtures::signals`], poll and
//! epoll from [`fixtures::poll`].

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use fixtures::io::{owned, read_once};
use fixtures::signals::sigset;
use fixtures::sys;
use nix::errno::Errno;

/// sizeof(struct signalfd_siginfo): "The format of the signalfd_siginfo structure(s)
/// returned by read(2)s from a signalfd file descriptor ... padded to 128 bytes".
pub const RECORD: usize = 128;

/// signalfd(fd, mask, flags): -1 (`None`) makes a new signalfd; an existing one gets the new
/// mask. A new descriptor is returned owned; for an existing one the same number comes back
/// (see [`signalfd_update`]).
pub fn signalfd(sigs: &[libc::c_int], flags: libc::c_int) -> Result<OwnedFd, Errno> {
    let mask = sigset(sigs);
    // SAFETY: a valid mask; the kernel copies it.
    sys(unsafe { libc::signalfd(-1, &mask, flags) }).map(owned)
}

/// signalfd(fd, mask, flags) on an existing descriptor `fd`: the number it returns.
pub fn signalfd_update(fd: impl AsFd, sigs: &[libc::c_int], flags: libc::c_int) -> Result<libc::c_int, Errno> {
    let mask = sigset(sigs);
    // SAFETY: a valid mask; the kernel copies it.
    sys(unsafe { libc::signalfd(fd.as_fd().as_raw_fd(), &mask, flags) })
}

/// The fields of one signalfd_siginfo that the tests look at (signalfd(2), "The
/// signalfd_siginfo structure"; offsets of <sys/signalfd.h>).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub signo: u32,
    pub code: i32,
    pub pid: u32,
    pub uid: u32,
    /// ssi_int: the integer a sigqueue(3) sent.
    pub int: i32,
}

impl Record {
    /// Parse one record from its 128 bytes.
    pub fn parse(b: &[u8]) -> Record {
        assert_eq!(b.len(), RECORD, "a signalfd_siginfo is 128 bytes");
        let u = |off: usize| u32::from_ne_bytes(b[off..off + 4].try_into().unwrap());
        Record { signo: u(0), code: u(8) as i32, pid: u(12), uid: u(16), int: u(44) as i32 }
    }
}

/// One read(2) of `len` bytes from a signalfd: the records it returned, or the exact errno.
/// Panics if the read returned a size that is not a whole number of records.
pub fn read_records(fd: impl AsFd, len: usize) -> Result<Vec<Record>, Errno> {
    let mut buf = vec![0u8; len];
    let n = read_once(fd, &mut buf)?;
    assert_eq!(n % RECORD, 0, "a signalfd read returned {n} bytes, not whole 128-byte records");
    Ok(buf[..n].chunks(RECORD).map(Record::parse).collect())
}

/// Block `sigs` in the calling (single-threaded child) process — signalfd(2): "the set of
/// signals specified in mask should be blocked using sigprocmask(2), to prevent the signals
/// being handled according to their default dispositions".
pub fn block(sigs: &[libc::c_int]) {
    let set = sigset(sigs);
    // SAFETY: installing a mask we own.
    let r = unsafe { libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    assert_eq!(r, 0, "sigprocmask(SIG_BLOCK)");
}

/// Block `sigs` (so that they stay pending, to be read) and return a nonblocking,
/// close-on-exec signalfd for them: the start of most claims, in a child.
#[track_caller]
pub fn blocked_reader(sigs: &[libc::c_int]) -> OwnedFd {
    block(sigs);
    signalfd(sigs, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC).unwrap()
}

/// True if `sig` is pending for the calling process (sigpending(2)).
pub fn is_pending(sig: libc::c_int) -> bool {
    // SAFETY: sigpending fills a set we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        assert_eq!(libc::sigpending(&mut set), 0);
        libc::sigismember(&set, sig) == 1
    }
}

/// kill(pid, sig), the exact result.
pub fn kill(pid: libc::pid_t, sig: libc::c_int) -> Result<(), Errno> {
    // SAFETY: plain kill(2).
    sys(unsafe { libc::kill(pid, sig) }).map(drop)
}

/// This process's pid, as signalfd_siginfo's ssi_pid reports it.
pub fn my_pid() -> u32 {
    // SAFETY: plain getpid(2).
    unsafe { libc::getpid() as u32 }
}
