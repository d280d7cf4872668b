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
//! Helpers shared by the test files live here; `kinds` builds a readable/writable pair of
//! each fd kind (shared, identical, with the `signal_io` and `epoll` suites).

use std::os::fd::RawFd;
use std::time::Duration;

use fixtures::{sys, sys_size};
use nix::errno::Errno;

pub mod kinds;

pub use kinds::{Kind, Pair};

/// Every event bit a caller may request (POLLERR, POLLHUP and POLLNVAL are output-only).
pub const ALL_REQUESTABLE: libc::c_short = libc::POLLIN
    | libc::POLLPRI
    | libc::POLLOUT
    | libc::POLLRDHUP
    | libc::POLLRDNORM
    | libc::POLLRDBAND
    | libc::POLLWRNORM
    | libc::POLLWRBAND;

/// poll(2) on one fd: (return value, revents).
pub fn poll1(
    fd: RawFd,
    events: libc::c_short,
    timeout_ms: libc::c_int,
) -> Result<(i32, libc::c_short), Errno> {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let r = sys(unsafe { libc::poll(&mut p, 1, timeout_ms) })?;
    Ok((r, p.revents))
}

/// revents of a zero-timeout poll(2) on one fd.
#[track_caller]
pub fn revents_now(fd: RawFd, events: libc::c_short) -> libc::c_short {
    poll1(fd, events, 0).expect("poll").1
}

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

/// A signal set holding exactly `sigs`.
pub fn sigset(sigs: &[libc::c_int]) -> libc::sigset_t {
    // SAFETY: initialising a sigset we own.
    unsafe {
        let mut s: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut s);
        for &sig in sigs {
            libc::sigaddset(&mut s, sig);
        }
        s
    }
}

/// The calling thread's current signal mask.
pub fn current_mask() -> libc::sigset_t {
    // SAFETY: querying the mask into a set we own.
    unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut old);
        old
    }
}

/// True if `sig` is a member of `set`.
pub fn has(set: &libc::sigset_t, sig: libc::c_int) -> bool {
    // SAFETY: reading a set we own.
    unsafe { libc::sigismember(set, sig) == 1 }
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

/// A timespec from a Duration.
pub fn timespec(d: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: d.as_secs() as libc::time_t,
        tv_nsec: d.subsec_nanos() as libc::c_long,
    }
}

/// A Duration from a (valid) timespec.
pub fn duration_of(ts: &libc::timespec) -> Duration {
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Send one byte of TCP urgent data (MSG_OOB) from `pair.tx()` and wait (bounded) until
/// the receiving socket reports it with POLLPRI; FIONREAD then serialises with the socket
/// lock, so the urgent-data processing (SIGURG, wakeups) has completed.
#[track_caller]
pub fn send_urgent(pair: &Pair, byte: u8) {
    assert_eq!(pair.kind, Kind::Tcp);
    // SAFETY: sending one byte we own.
    let n =
        sys_size(unsafe { libc::send(pair.tx(), (&byte as *const u8).cast(), 1, libc::MSG_OOB) })
            .expect("send MSG_OOB");
    assert_eq!(n, 1);
    kinds::wait_for_events(pair.rx(), libc::POLLPRI, "TCP urgent data");
    let _ = kinds::fionread(pair.rx());
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

/// waitid(P_PID, pid, WNOWAIT | `which`) bounded by the harness deadline: returns once the
/// child has stopped (WSTOPPED) or continued (WCONTINUED), leaving the state to be
/// collected later. The parent observes the child's job-control state without sleeping.
#[track_caller]
pub fn await_child_state(pid: nix::unistd::Pid, which: libc::c_int, what: &str) {
    fixtures::within(what, || {
        // SAFETY: waitid on our own child into a siginfo we own.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        loop {
            let r = unsafe {
                libc::waitid(
                    libc::P_PID,
                    pid.as_raw() as libc::id_t,
                    &mut info,
                    which | libc::WNOWAIT,
                )
            };
            if r == 0 {
                return;
            }
            assert_eq!(Errno::last(), Errno::EINTR, "waitid for {what}");
        }
    })
}
