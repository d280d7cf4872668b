//! Suite `poll_select`: readiness multiplexing with poll(2), ppoll(2), select(2) and
//! pselect(2).
//!
//! Covered (test files):
//! - `poll_events`: the meaning of POLLIN, POLLOUT, POLLPRI, POLLRDHUP, POLLERR, POLLHUP,
//!   POLLNVAL, POLLRDNORM per fd kind (pipe, FIFO, UNIX stream and datagram sockets, TCP
//!   loopback, eventfd, pty master, POSIX message queue); revents holds only requested
//!   events plus POLLERR/POLLHUP/POLLNVAL; negative fds are ignored.
//! - `poll_calls`: the return value, timeouts (0, positive, infinite bounded by a peer),
//!   nfds 0 as a sleep, EFAULT, EINVAL for nfds above RLIMIT_NOFILE.
//! - `select_sets`: the three fd sets, modified in place; EBADF, EINVAL; exceptional
//!   conditions (TCP urgent data); the nfds and fd-table quirks of Linux.
//! - `select_timeouts`: the timeout written back by select() and by the raw pselect6/ppoll
//!   system calls but not by the glibc pselect()/ppoll() wrappers; invalid timeouts.
//! - `sigmask`: ppoll/pselect switching the signal mask atomically (the race they close).
//! - `interruption`: EINTR from a handler with and without SA_RESTART (never restarted,
//!   signal(7)); transparent resumption after SIGSTOP/SIGCONT.
//!
//! Sources: poll(2), select(2), select_tut(2), signal(7), POSIX.1-2024 poll() and
//! pselect(), and the Linux sources named in individual tests (fs/select.c, fs/pipe.c,
//! net/ipv4/tcp.c, net/unix/af_unix.c, fs/eventfd.c).
//!
//! Helpers shared by the test files live here: fd sets and the select/pselect calls, the
//! raw ppoll and pselect6 system calls, and [`Wait`] for claims that span the four calls.
//! The readable/writable pair of every fd kind comes from [`fixtures::kinds`], poll(2) on
//! one fd from [`fixtures::poll`].

use std::os::fd::RawFd;
use std::time::Duration;

use fixtures::clock::timespec;
use fixtures::poll::poll1;
use fixtures::sys;
use nix::errno::Errno;

/// Every event bit a caller may request (POLLERR, POLLHUP and POLLNVAL are output-only).
pub const ALL_REQUESTABLE: libc::c_short = libc::POLLIN
    | libc::POLLPRI
    | libc::POLLOUT
    | libc::POLLRDHUP
    | libc::POLLRDNORM
    | libc::POLLRDBAND
    | libc::POLLWRNORM
    | libc::POLLWRBAND;

/// The raw ppoll system call (its timeout is written back by the kernel).
pub fn raw_ppoll(
    fds: &mut [libc::pollfd],
    ts: Option<&mut libc::timespec>,
    mask: Option<&libc::sigset_t>,
) -> Result<i32, Errno> {
    let ts_ptr = ts.map_or(std::ptr::null_mut(), |t| t as *mut libc::timespec);
    let mask_ptr = mask.map_or(std::ptr::null(), |m| m as *const libc::sigset_t);
    // SAFETY: valid pointers or NULL; the kernel sigset is 8 bytes on Linux.
    let r = unsafe {
        libc::syscall(
            libc::SYS_ppoll,
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            ts_ptr,
            mask_ptr,
            8usize,
        )
    };
    sys(r as libc::c_int)
}

/// An fd_set (FD_SETSIZE = 1024 bits, as glibc defines it).
#[derive(Clone, Copy)]
pub struct FdSet(pub libc::fd_set);

impl FdSet {
    pub fn new() -> FdSet {
        // SAFETY: FD_ZERO initialises the set we own.
        unsafe {
            let mut s: libc::fd_set = std::mem::zeroed();
            libc::FD_ZERO(&mut s);
            FdSet(s)
        }
    }

    pub fn of(fds: &[RawFd]) -> FdSet {
        let mut s = FdSet::new();
        for &fd in fds {
            s.insert(fd);
        }
        s
    }

    pub fn insert(&mut self, fd: RawFd) {
        assert!(
            (0..libc::FD_SETSIZE as RawFd).contains(&fd),
            "fd {fd} does not fit an fd_set"
        );
        // SAFETY: fd is within the set's size.
        unsafe { libc::FD_SET(fd, &mut self.0) }
    }

    pub fn contains(&self, fd: RawFd) -> bool {
        // SAFETY: fd is within the set's size (checked).
        (0..libc::FD_SETSIZE as RawFd).contains(&fd) && unsafe { libc::FD_ISSET(fd, &self.0) }
    }

    /// The members, in increasing order.
    pub fn members(&self) -> Vec<RawFd> {
        (0..libc::FD_SETSIZE as RawFd)
            .filter(|&fd| self.contains(fd))
            .collect()
    }
}

impl Default for FdSet {
    fn default() -> Self {
        FdSet::new()
    }
}

fn set_ptr(s: &mut Option<&mut FdSet>) -> *mut libc::fd_set {
    match s {
        Some(s) => &mut s.0,
        None => std::ptr::null_mut(),
    }
}

/// select(2) through glibc (a thin wrapper of the system call on x86-64).
pub fn select(
    nfds: libc::c_int,
    mut r: Option<&mut FdSet>,
    mut w: Option<&mut FdSet>,
    mut e: Option<&mut FdSet>,
    tv: Option<&mut libc::timeval>,
) -> Result<i32, Errno> {
    let tvp = tv.map_or(std::ptr::null_mut(), |t| t as *mut libc::timeval);
    // SAFETY: valid set pointers or NULL.
    sys(unsafe { libc::select(nfds, set_ptr(&mut r), set_ptr(&mut w), set_ptr(&mut e), tvp) })
}

/// pselect(2) through glibc (which hides the kernel's timeout write-back).
pub fn pselect(
    nfds: libc::c_int,
    mut r: Option<&mut FdSet>,
    ts: Option<&libc::timespec>,
    mask: Option<&libc::sigset_t>,
) -> Result<i32, Errno> {
    let tsp = ts.map_or(std::ptr::null(), |t| t as *const libc::timespec);
    let mp = mask.map_or(std::ptr::null(), |m| m as *const libc::sigset_t);
    // SAFETY: valid pointers or NULL.
    sys(unsafe {
        libc::pselect(
            nfds,
            set_ptr(&mut r),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            tsp,
            mp,
        )
    })
}

/// The raw pselect6 system call: the sixth argument is {sigset pointer, sigset size}.
pub fn raw_pselect6(
    nfds: libc::c_int,
    r: Option<&mut FdSet>,
    ts: Option<&mut libc::timespec>,
    mask: Option<&libc::sigset_t>,
) -> Result<i32, Errno> {
    let mut r = r;
    let tsp = ts.map_or(std::ptr::null_mut(), |t| t as *mut libc::timespec);
    let data: [usize; 2] = [mask.map_or(0, |m| m as *const libc::sigset_t as usize), 8];
    let dp = if mask.is_some() {
        data.as_ptr()
    } else {
        std::ptr::null()
    };
    // SAFETY: valid pointers or NULL; the kernel sigset is 8 bytes.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_pselect6,
            nfds,
            set_ptr(&mut r),
            std::ptr::null_mut::<libc::fd_set>(),
            std::ptr::null_mut::<libc::fd_set>(),
            tsp,
            dp,
        )
    };
    sys(ret as libc::c_int)
}

/// setrlimit(RLIMIT_NOFILE) to `n` (soft and hard): only in a child.
pub fn limit_nofile(n: u64) {
    let rl = libc::rlimit {
        rlim_cur: n,
        rlim_max: n,
    };
    // SAFETY: setting our own limit.
    sys(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) }).expect("setrlimit(RLIMIT_NOFILE)");
}

/// The four calls that wait for readiness, for claims that span them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    Poll,
    Ppoll,
    Select,
    Pselect,
}

impl Wait {
    /// Wait until `fd` is readable: `timeout` `None` waits without limit; `mask` is passed
    /// to ppoll/pselect (must be `None` for poll/select). Returns the call's result.
    pub fn readable(
        self,
        fd: RawFd,
        timeout: Option<Duration>,
        mask: Option<&libc::sigset_t>,
    ) -> Result<i32, Errno> {
        match self {
            Wait::Poll | Wait::Select => assert!(mask.is_none(), "{self:?} takes no signal mask"),
            _ => {}
        }
        let mp = mask.map_or(std::ptr::null(), |m| m as *const libc::sigset_t);
        match self {
            Wait::Poll => {
                let ms = timeout.map_or(-1, |d| d.as_millis().min(i32::MAX as u128) as libc::c_int);
                poll1(fd, libc::POLLIN, ms).map(|(r, _)| r)
            }
            Wait::Ppoll => {
                let mut p = libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                };
                let ts = timeout.map(timespec);
                let tsp = ts
                    .as_ref()
                    .map_or(std::ptr::null(), |t| t as *const libc::timespec);
                // SAFETY: valid pointers or NULL.
                sys(unsafe { libc::ppoll(&mut p, 1, tsp, mp) })
            }
            Wait::Select => {
                let mut r = FdSet::of(&[fd]);
                let mut tv = timeout.map(|d| libc::timeval {
                    tv_sec: d.as_secs() as libc::time_t,
                    tv_usec: d.subsec_micros() as libc::suseconds_t,
                });
                select(fd + 1, Some(&mut r), None, None, tv.as_mut())
            }
            Wait::Pselect => {
                let mut r = FdSet::of(&[fd]);
                let ts = timeout.map(timespec);
                pselect(fd + 1, Some(&mut r), ts.as_ref(), mask)
            }
        }
    }

    /// True for the calls that take a signal mask.
    pub fn takes_mask(self) -> bool {
        matches!(self, Wait::Ppoll | Wait::Pselect)
    }
}
