//! Suite `signal_io`: signal-driven I/O — fcntl(2), "Managing signals" (F_SETOWN,
//! F_GETOWN, F_SETOWN_EX, F_GETOWN_EX, F_SETSIG, F_GETSIG) and the O_ASYNC file status flag
//! (open(2), fcntl(2) F_SETFL).
//!
//! Covered (test files):
//! - `delivery`: SIGIO on input for pipes, FIFOs, UNIX stream and datagram sockets, TCP on
//!   loopback and pty masters; nothing without O_ASYNC or without an owner; the kinds
//!   without signal-driven I/O (eventfd, POSIX message queues); O_ASYNC given to open(2);
//!   a tty's default owner.
//! - `owner`: F_SETOWN/F_GETOWN and F_SETOWN_EX/F_GETOWN_EX read-back and errors; the
//!   owner as a process, a process group (every member) or one thread (F_OWNER_TID); the
//!   owner belongs to the open file description.
//! - `setsig`: F_SETSIG/F_GETSIG; the siginfo of a queued signal (si_fd, si_band,
//!   si_code); plain SIGIO; which fd si_fd names after dup and close; the fallback to SIGIO
//!   when realtime signals cannot be queued.
//! - `queueing`: realtime signals queue one per event where SIGIO merges; one event per
//!   write, not per byte; no new signal while data merely remains; the version-dependent
//!   pipe case (commit fe67f4dd8daa).
//! - `conditions`: POLL_OUT when a full channel is drained, POLL_IN / POLL_HUP on
//!   hangup, new connections on listening sockets, SIGURG and POLL_PRI for TCP urgent data.
//! - `permission`: the kill(2)-like permission check with the credentials F_SETOWN saved.
//!
//! Every claim runs in a forked, single-threaded child: signal masks and dispositions are
//! per thread and per process. Sources: fcntl(2), open(2), sigaction(2), signal(7),
//! kill(2), and fs/fcntl.c, fs/pipe.c, net/socket.c, drivers/tty/tty_io.c where named.
//!
//! Helpers shared by the test files live here: the fcntl(2) owner and signal commands as
//! raw system calls, and the expected siginfo of a queued signal. The readable/writable
//! pair of every fd kind comes from [`fixtures::kinds`], the signal catcher (realtime
//! signals included) from [`fixtures::signals`], the constants libc lacks (F_SETSIG,
//! F_SETOWN_EX, F_OWNER_*, POLL_*) from [`fixtures::uapi`].

use std::os::fd::RawFd;

use fixtures::signals::SigInfo;
use fixtures::sys;
use fixtures::uapi::{
    F_GETOWN_EX, F_GETSIG, F_SETOWN_EX, F_SETSIG, FOwnerEx, POLL_ERR, POLL_HUP, POLL_IN, POLL_MSG,
    POLL_OUT, POLL_PRI, POLLMSG,
};
use nix::errno::Errno;

/// si_band for each POLL_* si_code: fs/fcntl.c, band_table (as poll(2) bits).
pub fn band_of(code: i32) -> i64 {
    let b = match code {
        POLL_IN => libc::POLLIN | libc::POLLRDNORM,
        POLL_OUT => libc::POLLOUT | libc::POLLWRNORM | libc::POLLWRBAND,
        POLL_MSG => libc::POLLIN | libc::POLLRDNORM | POLLMSG,
        POLL_ERR => libc::POLLERR,
        POLL_PRI => libc::POLLPRI | libc::POLLRDBAND,
        POLL_HUP => libc::POLLHUP | libc::POLLERR,
        _ => panic!("not a POLL_* code: {code}"),
    };
    b as i64
}

/// fcntl(2) as the raw system call, so that glibc's emulation (F_GETOWN is implemented
/// with F_GETOWN_EX since glibc 2.11) does not hide what the kernel does.
pub fn fcntl(fd: RawFd, cmd: libc::c_int, arg: libc::c_long) -> Result<libc::c_int, Errno> {
    // SAFETY: fcntl with an integer or a pointer we own as argument.
    let r = unsafe { libc::syscall(libc::SYS_fcntl, fd, cmd, arg) };
    sys(r as libc::c_int)
}

/// F_SETOWN.
pub fn set_owner(fd: RawFd, who: libc::pid_t) -> Result<(), Errno> {
    fcntl(fd, libc::F_SETOWN, who as libc::c_long).map(|_| ())
}

/// F_GETOWN through the raw system call: a process ID, or a process group as a negative
/// number. A group ID returned as -4095..=-1 is taken for an error by the system call
/// convention and arrives as errno = the group ID (fcntl(2), BUGS, F_GETOWN); F_GETOWN
/// cannot otherwise fail on an open fd, so the value is reconstructed here. The raw
/// behaviour itself is checked by `owner::f_getown_of_a_group_id_below_4096_looks_like_an_error`.
pub fn get_owner(fd: RawFd) -> libc::c_int {
    match raw_getown(fd) {
        Ok(v) => v,
        Err(errno) => -errno,
    }
}

/// F_GETOWN as the raw system call, with the raw errno value on "failure" (nix's Errno
/// cannot represent the group IDs that come back as errno values).
pub fn raw_getown(fd: RawFd) -> Result<libc::c_int, libc::c_int> {
    // SAFETY: F_GETOWN takes no argument.
    let r = unsafe { libc::syscall(libc::SYS_fcntl, fd, libc::F_GETOWN, 0) };
    if r == -1 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(r as libc::c_int)
    }
}

/// F_SETOWN_EX.
pub fn set_owner_ex(fd: RawFd, kind: libc::c_int, pid: libc::pid_t) -> Result<(), Errno> {
    let o = FOwnerEx { kind, pid };
    fcntl(fd, F_SETOWN_EX, &o as *const FOwnerEx as libc::c_long).map(|_| ())
}

/// F_GETOWN_EX.
pub fn get_owner_ex(fd: RawFd) -> FOwnerEx {
    let mut o = FOwnerEx { kind: -1, pid: -1 };
    fcntl(fd, F_GETOWN_EX, &mut o as *mut FOwnerEx as libc::c_long).expect("F_GETOWN_EX");
    o
}

/// F_SETSIG.
pub fn set_sig(fd: RawFd, sig: libc::c_long) -> Result<(), Errno> {
    fcntl(fd, F_SETSIG, sig).map(|_| ())
}

/// F_GETSIG.
pub fn get_sig(fd: RawFd) -> libc::c_int {
    fcntl(fd, F_GETSIG, 0).expect("F_GETSIG")
}

/// Set or clear O_ASYNC with F_SETFL, keeping the other status flags.
pub fn set_async(fd: RawFd, on: bool) {
    let fl = fcntl(fd, libc::F_GETFL, 0).expect("F_GETFL");
    let fl = if on {
        fl | libc::O_ASYNC
    } else {
        fl & !libc::O_ASYNC
    };
    fcntl(fd, libc::F_SETFL, fl as libc::c_long).expect("F_SETFL");
}

/// True if F_GETFL reports O_ASYNC.
pub fn async_flag(fd: RawFd) -> bool {
    fcntl(fd, libc::F_GETFL, 0).expect("F_GETFL") & libc::O_ASYNC != 0
}

/// The usual set-up: this process owns `fd`, `sig` is its signal (0: plain SIGIO), and
/// O_ASYNC is on.
pub fn enable_signal_io(fd: RawFd, sig: libc::c_int) {
    set_owner(fd, nix::unistd::getpid().as_raw()).expect("F_SETOWN");
    set_sig(fd, sig as libc::c_long).expect("F_SETSIG");
    set_async(fd, true);
}

/// (signo, si_code, si_fd, si_band) of a siginfo, for exact comparisons.
pub fn summary(i: &SigInfo) -> (i32, i32, i32, i64) {
    (i.signo, i.code, i.fd(), i.band())
}

/// The siginfo summary a queued F_SETSIG signal `sig` for event `code` on `fd` must have.
pub fn expected(sig: i32, code: i32, fd: RawFd) -> (i32, i32, i32, i64) {
    (sig, code, fd, band_of(code))
}
