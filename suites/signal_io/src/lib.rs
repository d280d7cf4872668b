//! Suite `signal_io`: signal-driven I/O — fcntl(2), "Managing signals" (F_SETOWN,
//! F_GETOWN, F_SETOWN_EX, F_GETOWN_EX, F_SETSIG, F_GETSIG) and the O_ASYNC file status flag
//! (open(2), fcntl(2) F_SETFL) — and the signal semantics applications build on next to it:
//! dispositions across execve(2), sigaction(2)'s flag probe, the parent-death signal, and
//! Landlock's signal scope.
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
//! - `dispositions`: execve(2) keeps SIG_IGN and resets a handler to SIG_DFL (checked
//!   through exec'd probes); sigaction(2) clears the SA_UNSUPPORTED probe bit (5.11).
//! - `parent_death`: prctl(2) PR_SET_PDEATHSIG: the signal when the parent exits, kept
//!   across execve(2) of an ordinary program, not inherited by fork(2).
//! - `landlock_scope`: Landlock's LANDLOCK_SCOPE_SIGNAL (ABI 6, 6.12): a sandboxed process
//!   cannot signal processes outside its domain.
//! - `fioasync`: ioctl(FIOASYNC) turns O_ASYNC on and off, and with it SIGIO on input.
//! - `sigchld`: SIGCHLD when a child exits or is killed (si_code, si_pid), one pending
//!   SIGCHLD for several exits while blocked, and waitpid(2) with WNOHANG: 0 while children
//!   run, each exited pid once, then ECHILD.
//! - `sigsuspend`: sigsuspend(2) swaps the mask and waits in one step: a pending signal it
//!   unblocks is delivered by the call, one its mask blocks stays pending; the old mask is
//!   restored.
//!
//! Every claim runs in a forked, single-threaded child: signal masks and dispositions are
//! per thread and per process. Sources: fcntl(2), open(2), sigaction(2), signal(7),
//! kill(2), execve(2), prctl(2), landlock(7), socket(7) (FIOASYNC), wait(2), sigsuspend(2), and fs/fcntl.c, fs/pipe.c, net/socket.c, drivers/tty/tty_io.c where named.
//!
//! Helpers shared by the test files live here: the fcntl(2) owner and signal commands as
//! raw system calls, the usual set-up (owner, signal, O_ASYNC) and the siginfo a queued
//! signal must have; the kinds of descriptor with signal-driven I/O are the named parameter
//! set `fixtures::cases::channel_kinds`. O_ASYNC itself is a file status flag, set and read with
//! `fixtures::io::{set_status_flag, status_flags}`. A test on a kind that may be missing
//! (pty, message queue) states `needs!(available(kind.availability()))`, which reports the
//! variant `present`, `absent` or `blocked`. The readable/writable pair of every fd kind
//! comes from [`fixtures::kinds`], the signal catcher (realtime signals included) from
//! [`fixtures::signals`], the constants libc lacks (F_SETSIG, F_SETOWN_EX, F_OWNER_*,
//! POLL_*) from [`fixtures::uapi`]. The parent-death scenario (a subreaper, a parent that
//! exits, its child) and its exec'd probe `pdeathsig-wait` are in [`parent_death`].

pub mod parent_death;

fixtures::probe!("pdeathsig-wait", parent_death::pdeathsig_wait_probe);

use std::os::fd::{AsFd, AsRawFd};

use fixtures::io::set_status_flag;
use fixtures::kinds::{Kind, Pair};
use fixtures::signals::{SigInfo, SignalCatcher};
use fixtures::{run_in_child, sys};
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
pub fn fcntl(fd: impl AsFd, cmd: libc::c_int, arg: libc::c_long) -> Result<libc::c_int, Errno> {
    let fd = fd.as_fd();
    // SAFETY: fcntl with an integer or a pointer we own as argument.
    let r = unsafe { libc::syscall(libc::SYS_fcntl, fd.as_raw_fd(), cmd, arg) };
    sys(r as libc::c_int)
}

/// F_SETOWN.
pub fn set_owner(fd: impl AsFd, who: libc::pid_t) -> Result<(), Errno> {
    let fd = fd.as_fd();
    fcntl(fd, libc::F_SETOWN, who as libc::c_long).map(|_| ())
}

/// F_GETOWN through the raw system call: a process ID, or a process group as a negative
/// number. A group ID returned as -4095..=-1 is taken for an error by the system call
/// convention and arrives as errno = the group ID (fcntl(2), BUGS, F_GETOWN); F_GETOWN
/// cannot otherwise fail on an open fd, so the value is reconstructed here. The raw
/// behaviour itself is checked by `owner::f_getown_of_a_group_id_below_4096_looks_like_an_error`.
pub fn get_owner(fd: impl AsFd) -> libc::c_int {
    let fd = fd.as_fd();
    match raw_getown(fd) {
        Ok(v) => v,
        Err(errno) => -errno,
    }
}

/// F_GETOWN as the raw system call, with the raw errno value on "failure" (nix's Errno
/// cannot represent the group IDs that come back as errno values).
pub fn raw_getown(fd: impl AsFd) -> Result<libc::c_int, libc::c_int> {
    let fd = fd.as_fd();
    // SAFETY: F_GETOWN takes no argument.
    let r = unsafe { libc::syscall(libc::SYS_fcntl, fd.as_raw_fd(), libc::F_GETOWN, 0) };
    if r == -1 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(r as libc::c_int)
    }
}

/// F_SETOWN_EX.
pub fn set_owner_ex(fd: impl AsFd, kind: libc::c_int, pid: libc::pid_t) -> Result<(), Errno> {
    let fd = fd.as_fd();
    let o = FOwnerEx { kind, pid };
    fcntl(fd, F_SETOWN_EX, &o as *const FOwnerEx as libc::c_long).map(|_| ())
}

/// F_GETOWN_EX.
pub fn get_owner_ex(fd: impl AsFd) -> FOwnerEx {
    let fd = fd.as_fd();
    let mut o = FOwnerEx { kind: -1, pid: -1 };
    fcntl(fd, F_GETOWN_EX, &mut o as *mut FOwnerEx as libc::c_long).expect("F_GETOWN_EX");
    o
}

/// F_SETSIG.
pub fn set_sig(fd: impl AsFd, sig: libc::c_long) -> Result<(), Errno> {
    let fd = fd.as_fd();
    fcntl(fd, F_SETSIG, sig).map(|_| ())
}

/// F_GETSIG.
pub fn get_sig(fd: impl AsFd) -> libc::c_int {
    let fd = fd.as_fd();
    fcntl(fd, F_GETSIG, 0).expect("F_GETSIG")
}

/// The usual set-up: this process owns `fd`, `sig` is its signal (0: plain SIGIO), and
/// O_ASYNC is on.
pub fn enable_signal_io(fd: impl AsFd, sig: libc::c_int) {
    let fd = fd.as_fd();
    set_owner(fd, nix::unistd::getpid().as_raw()).expect("F_SETOWN");
    set_sig(fd, sig as libc::c_long).expect("F_SETSIG");
    set_status_flag(fd, libc::O_ASYNC, true).expect("F_SETFL O_ASYNC");
}

/// (signo, si_code, si_fd, si_band) of a siginfo, for exact comparisons.
pub type Summary = (i32, i32, i32, i64);

/// The [`Summary`] of a siginfo.
pub fn summary(i: &SigInfo) -> Summary {
    (i.signo, i.code, i.fd(), i.band())
}

/// The summaries of every signal of `c`'s set pending now, in the order they are taken.
pub fn queued(c: &SignalCatcher) -> Vec<Summary> {
    c.drain().iter().map(summary).collect()
}

/// The siginfo summary a queued F_SETSIG signal `sig` for event `code` on `fd` must have.
pub fn expected(sig: i32, code: i32, fd: impl AsFd) -> Summary {
    let fd = fd.as_fd();
    (sig, code, fd.as_raw_fd(), band_of(code))
}

/// The frame of most claims: in a forked child (signal masks and dispositions are per
/// process), block `catch` in a [`SignalCatcher`], then make a pair of `kind`, and run `f`,
/// which sets up signal-driven I/O on it and checks what arrives.
pub fn with_pair_catching(kind: Kind, catch: &[libc::c_int], f: impl FnOnce(&mut Pair, &SignalCatcher)) {
    run_in_child("signal-driven I/O", || {
        let c = SignalCatcher::new(catch);
        let mut p = kind.pair();
        f(&mut p, &c);
    })
    .expect_success();
}
