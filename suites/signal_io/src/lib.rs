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
//! Helpers shared by the test files live here; `kinds` builds a readable/writable pair of
//! each fd kind (shared, identical, with the `poll_select` and `epoll` suites).

use std::os::fd::RawFd;
use std::time::Duration;

use fixtures::deadline::{DEFAULT_DEADLINE, scaled};
use fixtures::signals::SigInfo;
use fixtures::sys;
use nix::errno::Errno;

pub mod kinds;

pub use kinds::{Kind, Pair};

// fcntl commands and owner types (include/uapi/asm-generic/fcntl.h); the libc crate does
// not define them for Linux/glibc.
pub const F_SETSIG: libc::c_int = 10;
pub const F_GETSIG: libc::c_int = 11;
pub const F_SETOWN_EX: libc::c_int = 15;
pub const F_GETOWN_EX: libc::c_int = 16;
pub const F_OWNER_TID: libc::c_int = 0;
pub const F_OWNER_PID: libc::c_int = 1;
pub const F_OWNER_PGRP: libc::c_int = 2;

// si_code values of SIGIO/SIGPOLL (include/uapi/asm-generic/siginfo.h), sigaction(2).
pub const POLL_IN: i32 = 1;
pub const POLL_OUT: i32 = 2;
pub const POLL_MSG: i32 = 3;
pub const POLL_ERR: i32 = 4;
pub const POLL_PRI: i32 = 5;
pub const POLL_HUP: i32 = 6;

/// si_band for each POLL_* si_code: fs/fcntl.c, band_table (as poll(2) bits).
pub fn band_of(code: i32) -> i64 {
    let b = match code {
        POLL_IN => libc::POLLIN | libc::POLLRDNORM,
        POLL_OUT => libc::POLLOUT | libc::POLLWRNORM | libc::POLLWRBAND,
        POLL_MSG => libc::POLLIN | libc::POLLRDNORM | 0x400, // POLLMSG
        POLL_ERR => libc::POLLERR,
        POLL_PRI => libc::POLLPRI | libc::POLLRDBAND,
        POLL_HUP => libc::POLLHUP | libc::POLLERR,
        _ => panic!("not a POLL_* code: {code}"),
    };
    b as i64
}

/// `SIGRTMIN + n`: the realtime signals used with F_SETSIG.
pub fn rt(n: i32) -> i32 {
    libc::SIGRTMIN() + n
}

/// The struct of F_SETOWN_EX / F_GETOWN_EX.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FOwnerEx {
    pub kind: libc::c_int,
    pub pid: libc::pid_t,
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

/// The calling thread's id.
pub fn gettid() -> libc::pid_t {
    fixtures::procfs::gettid()
}

/// Blocks signals given as raw numbers (realtime ones included, which nix's `Signal` cannot
/// name) in the calling thread and takes them synchronously with sigtimedwait(2). The
/// realtime-capable sibling of `fixtures::signals::SignalCatcher`.
pub struct Catcher {
    set: libc::sigset_t,
}

impl Catcher {
    pub fn new(sigs: &[libc::c_int]) -> Catcher {
        // SAFETY: building and installing a signal set we own.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for &s in sigs {
                libc::sigaddset(&mut set, s);
            }
            let r = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            assert_eq!(r, 0, "pthread_sigmask");
            Catcher { set }
        }
    }

    /// Take one pending signal of the set, waiting up to `limit` (scaled).
    pub fn wait_for(&self, limit: Duration) -> Option<SigInfo> {
        take_signal(&self.set, limit)
    }

    /// Take one signal, bounded by the harness deadline; panics if none arrives.
    #[track_caller]
    pub fn wait(&self) -> SigInfo {
        self.wait_for(DEFAULT_DEADLINE)
            .unwrap_or_else(|| panic!("no signal arrived within {:?}", scaled(DEFAULT_DEADLINE)))
    }

    /// Take a signal only if one is pending now.
    pub fn take_pending(&self) -> Option<SigInfo> {
        self.wait_for(Duration::ZERO)
    }

    /// Take every signal of the set pending now, in delivery order.
    pub fn drain(&self) -> Vec<SigInfo> {
        std::iter::from_fn(|| self.take_pending()).collect()
    }
}

/// sigtimedwait(2) for the signals of `set` (which the caller has blocked).
pub fn take_signal(set: &libc::sigset_t, limit: Duration) -> Option<SigInfo> {
    let limit = scaled(limit);
    let ts = libc::timespec {
        tv_sec: limit.as_secs() as libc::time_t,
        tv_nsec: limit.subsec_nanos() as libc::c_long,
    };
    // SAFETY: a zeroed siginfo_t is a valid out-parameter.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid set, info and timeout pointers.
        let r = unsafe { libc::sigtimedwait(set, &mut info, &ts) };
        if r > 0 {
            return Some(SigInfo::from_raw(&info));
        }
        match Errno::last() {
            Errno::EINTR => continue,
            _ => return None,
        }
    }
}

/// A signal set of `sigs`.
pub fn sigset(sigs: &[libc::c_int]) -> libc::sigset_t {
    // SAFETY: initialising a set we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in sigs {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// (signo, si_code, si_fd, si_band) of a siginfo, for exact comparisons.
pub fn summary(i: &SigInfo) -> (i32, i32, i32, i64) {
    (i.signo, i.code, i.fd(), i.band())
}

/// The siginfo summary a queued F_SETSIG signal `sig` for event `code` on `fd` must have.
pub fn expected(sig: i32, code: i32, fd: RawFd) -> (i32, i32, i32, i64) {
    (sig, code, fd, band_of(code))
}

/// A pid that cannot exist: /proc/sys/kernel/pid_max itself (pids are below it).
pub fn nonexistent_pid() -> libc::pid_t {
    fixtures::sysctl::read_u64("kernel/pid_max") as libc::pid_t
}

/// The patch level of the running kernel's stable series; see `uname -v` handling in the
/// epoll suite's helper of the same name (candidate for fixtures::gate).
pub fn stable_patch_level() -> u32 {
    let v = fixtures::kernel_version();
    let uts = nix::sys::utsname::uname().expect("uname");
    let version = uts.version().to_string_lossy().into_owned();
    let prefix = format!("{}.{}.", v.major, v.minor);
    version
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|tok| tok.strip_prefix(&prefix))
        .filter_map(|rest| rest.split('.').next()?.parse::<u32>().ok())
        .max()
        .map_or(v.patch, |p| p.max(v.patch))
}
