//! Suite `epoll`: the epoll(7) API — epoll_create(2), epoll_create1(2), epoll_ctl(2),
//! epoll_wait(2), epoll_pwait(2), epoll_pwait2(2) — and its /proc interfaces.
//!
//! Covered (test files):
//! - `create`: epoll_create/epoll_create1 arguments, flags and errors.
//! - `ctl_errors`: every documented epoll_ctl error (EBADF, EEXIST, EINVAL, ELOOP, ENOENT,
//!   EPERM, EFAULT), EPOLLEXCLUSIVE's restrictions and the nesting limit.
//! - `readiness`: level-triggered readiness per fd kind (pipe, FIFO, UNIX stream and
//!   datagram sockets, TCP loopback, eventfd, pty master, POSIX message queue),
//!   EPOLLRDHUP, EPOLLHUP/EPOLLERR reported unrequested, the data field, maxevents,
//!   duplicates, several instances, nesting.
//! - `edge_triggered`: EPOLLET — one event per change, what re-arms and what does not,
//!   including the version-dependent pipe wakeup (commits 1b6b26ae7053, 3a34b13a88ca).
//! - `oneshot`: EPOLLONESHOT and its re-arming with EPOLL_CTL_MOD.
//! - `exclusive`: EPOLLEXCLUSIVE wake-one across epoll instances; one waiter per EPOLLET
//!   event within one instance.
//! - `lifetime`: the interest list keys on (fd, open file description) — the dup/close
//!   quirk of epoll(7); sharing across fork; closing removes registrations.
//! - `waiting`: epoll_wait timeouts and errors, EINTR rules, epoll_pwait's atomic signal
//!   mask, epoll_pwait2 (5.11+).
//! - `procfs`: /proc/sys/fs/epoll/max_user_watches, /proc/<pid>/fdinfo of an epoll fd,
//!   EPOLLWAKEUP dropped without CAP_BLOCK_SUSPEND.
//!
//! Sources: epoll(7), epoll_create(2), epoll_ctl(2), epoll_wait(2), signal(7), and
//! fs/eventpoll.c, fs/pipe.c, ipc/mqueue.c where a test says so.
//!
//! Helpers shared by the test files live here; `kinds` builds a readable/writable pair of
//! each fd kind (shared, identical, with the `signal_io` and `poll_select` suites).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use fixtures::sys;
use nix::errno::Errno;

pub mod kinds;

pub use kinds::{Kind, Pair};

pub const IN: u32 = libc::EPOLLIN as u32;
pub const OUT: u32 = libc::EPOLLOUT as u32;
pub const PRI: u32 = libc::EPOLLPRI as u32;
pub const ERR: u32 = libc::EPOLLERR as u32;
pub const HUP: u32 = libc::EPOLLHUP as u32;
pub const RDHUP: u32 = libc::EPOLLRDHUP as u32;
pub const ET: u32 = libc::EPOLLET as u32;
pub const ONESHOT: u32 = libc::EPOLLONESHOT as u32;
pub const EXCLUSIVE: u32 = libc::EPOLLEXCLUSIVE as u32;
pub const WAKEUP: u32 = libc::EPOLLWAKEUP as u32;

/// One reported event: (events, data).
pub type Event = (u32, u64);

/// An epoll instance (closed on drop).
pub struct Epoll(pub OwnedFd);

impl Epoll {
    /// epoll_create1(EPOLL_CLOEXEC).
    pub fn new() -> Epoll {
        // SAFETY: plain epoll_create1.
        let fd = sys(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) }).expect("epoll_create1");
        Epoll(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    pub fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }

    /// EPOLL_CTL_ADD `fd` with `events` and `data`.
    pub fn add(&self, fd: RawFd, events: u32, data: u64) -> Result<(), Errno> {
        ctl(self.fd(), libc::EPOLL_CTL_ADD, fd, Some((events, data)))
    }

    /// EPOLL_CTL_MOD.
    pub fn modify(&self, fd: RawFd, events: u32, data: u64) -> Result<(), Errno> {
        ctl(self.fd(), libc::EPOLL_CTL_MOD, fd, Some((events, data)))
    }

    /// EPOLL_CTL_DEL (NULL event).
    pub fn delete(&self, fd: RawFd) -> Result<(), Errno> {
        ctl(self.fd(), libc::EPOLL_CTL_DEL, fd, None)
    }

    /// epoll_wait with room for `max` events; timeout in ms (-1: none).
    pub fn wait(&self, max: usize, timeout_ms: i32) -> Result<Vec<Event>, Errno> {
        wait_raw(self.fd(), max, timeout_ms)
    }

    /// The events ready now (epoll_wait with timeout 0, room for 16).
    #[track_caller]
    pub fn ready(&self) -> Vec<Event> {
        self.wait(16, 0).expect("epoll_wait")
    }
}

impl Default for Epoll {
    fn default() -> Self {
        Epoll::new()
    }
}

/// epoll_ctl(2) with an optional event (None passes NULL).
pub fn ctl(
    epfd: RawFd,
    op: libc::c_int,
    fd: RawFd,
    event: Option<(u32, u64)>,
) -> Result<(), Errno> {
    let mut ev = event.map(|(events, u64)| libc::epoll_event { events, u64 });
    let p = ev
        .as_mut()
        .map_or(std::ptr::null_mut(), |e| e as *mut libc::epoll_event);
    // SAFETY: a valid event pointer or NULL.
    sys(unsafe { libc::epoll_ctl(epfd, op, fd, p) }).map(|_| ())
}

/// epoll_wait(2) on any fd.
pub fn wait_raw(epfd: RawFd, max: usize, timeout_ms: i32) -> Result<Vec<Event>, Errno> {
    let mut evs = vec![libc::epoll_event { events: 0, u64: 0 }; max.max(1)];
    // SAFETY: room for `max` events.
    let n =
        sys(unsafe { libc::epoll_wait(epfd, evs.as_mut_ptr(), max as libc::c_int, timeout_ms) })?;
    Ok(evs[..n as usize]
        .iter()
        .map(|e| (e.events, e.u64))
        .collect())
}

/// The raw epoll_pwait2 system call (5.11+): timeout as a timespec (None: NULL), optional
/// signal mask.
pub fn epoll_pwait2(
    epfd: RawFd,
    max: usize,
    timeout: Option<&libc::timespec>,
    mask: Option<&libc::sigset_t>,
) -> Result<Vec<Event>, Errno> {
    let mut evs = vec![libc::epoll_event { events: 0, u64: 0 }; max.max(1)];
    let tp = timeout.map_or(std::ptr::null(), |t| t as *const libc::timespec);
    let mp = mask.map_or(std::ptr::null(), |m| m as *const libc::sigset_t);
    // SAFETY: valid pointers or NULL; the kernel sigset is 8 bytes.
    let n = unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait2,
            epfd,
            evs.as_mut_ptr(),
            max as libc::c_int,
            tp,
            mp,
            8usize,
        )
    };
    let n = sys(n as libc::c_int)?;
    Ok(evs[..n as usize]
        .iter()
        .map(|e| (e.events, e.u64))
        .collect())
}

/// epoll_pwait(2) through glibc.
pub fn epoll_pwait(
    epfd: RawFd,
    max: usize,
    timeout_ms: i32,
    mask: Option<&libc::sigset_t>,
) -> Result<Vec<Event>, Errno> {
    let mut evs = vec![libc::epoll_event { events: 0, u64: 0 }; max.max(1)];
    let mp = mask.map_or(std::ptr::null(), |m| m as *const libc::sigset_t);
    // SAFETY: room for `max` events; a valid mask or NULL.
    let n = sys(unsafe {
        libc::epoll_pwait(epfd, evs.as_mut_ptr(), max as libc::c_int, timeout_ms, mp)
    })?;
    Ok(evs[..n as usize]
        .iter()
        .map(|e| (e.events, e.u64))
        .collect())
}

/// True when the epoll_pwait2 system call exists here (5.11+, and not filtered).
pub fn has_epoll_pwait2() -> bool {
    let ep = Epoll::new();
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    !matches!(
        epoll_pwait2(ep.fd(), 1, Some(&ts), None),
        Err(Errno::ENOSYS)
    )
}

/// A timespec from a Duration.
pub fn timespec(d: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: d.as_secs() as libc::time_t,
        tv_nsec: d.subsec_nanos() as libc::c_long,
    }
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

/// True if `sig` is blocked in the calling thread.
pub fn is_blocked(sig: libc::c_int) -> bool {
    // SAFETY: querying the mask into a set we own.
    unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut old);
        libc::sigismember(&old, sig) == 1
    }
}

/// One registration as /proc/<pid>/fdinfo of an epoll fd lists it:
/// "tfd: <fd> events: <hex> data: <hex> pos:<n> ino:<hex> sdev:<hex>".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watch {
    pub tfd: RawFd,
    pub events: u32,
    pub data: u64,
    pub ino: u64,
}

/// The registrations of an epoll fd of this process, from its fdinfo.
pub fn watches(epfd: RawFd) -> Vec<Watch> {
    let text = std::fs::read_to_string(format!("/proc/self/fdinfo/{epfd}"))
        .expect("read fdinfo of the epoll fd");
    text.lines()
        .filter(|l| l.starts_with("tfd:"))
        .map(|l| {
            let toks: Vec<&str> = l.split_whitespace().collect();
            let after = |key: &str| -> &str {
                let i = toks
                    .iter()
                    .position(|t| *t == key)
                    .unwrap_or_else(|| panic!("no {key} in {l:?}"));
                toks[i + 1]
            };
            let ino = toks
                .iter()
                .find_map(|t| t.strip_prefix("ino:"))
                .unwrap_or_else(|| panic!("no ino in {l:?}"));
            Watch {
                tfd: after("tfd:").parse().unwrap(),
                events: u32::from_str_radix(after("events:"), 16).unwrap(),
                data: u64::from_str_radix(after("data:"), 16).unwrap(),
                ino: u64::from_str_radix(ino, 16).unwrap(),
            }
        })
        .collect()
}

/// The inode number of `fd` (fstat), to match against [`Watch::ino`].
pub fn inode_of(fd: RawFd) -> u64 {
    // SAFETY: fstat into a struct we own.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        sys(libc::fstat(fd, &mut st)).expect("fstat");
        st.st_ino
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

/// The patch level of the running kernel's stable series. `uname -r` of distribution
/// kernels often hides it (Debian: "5.10.0-32-cloud-amd64"), while `uname -v` names the
/// package version ("#1 SMP Debian 5.10.226-1 (2024-10-03)"); the latter is used when it
/// names the same major.minor. Candidate for fixtures::gate.
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

/// Wait (bounded) until `child` sleeps inside one of the system calls `nrs` (x86-64
/// numbers), judged by /proc/<pid>/stat (state S) and /proc/<pid>/syscall (the number of the
/// system call it is blocked in). Stricter than `Forked::wait_until_sleeping`, which also
/// accepts a child sleeping elsewhere (a page fault); where /proc/<pid>/syscall cannot be
/// read (no CONFIG_HAVE_ARCH_TRACEHOOK, no ptrace access) it falls back to that.
#[track_caller]
pub fn wait_until_blocked_in(child: &mut fixtures::Forked, nrs: &[libc::c_long]) {
    let pid = child.pid();
    let deadline = std::time::Instant::now() + fixtures::scaled(fixtures::DEFAULT_DEADLINE);
    loop {
        let text = match std::fs::read_to_string(format!("/proc/{pid}/syscall")) {
            Ok(t) => t,
            Err(_) => {
                child.wait_until_sleeping();
                return;
            }
        };
        let nr = text
            .split_whitespace()
            .next()
            .and_then(|t| t.parse::<libc::c_long>().ok());
        if nr.is_some_and(|n| nrs.contains(&n)) && fixtures::procfs::process_state(pid) == Some('S')
        {
            return;
        }
        if fixtures::procfs::process_state(pid).is_none_or(|s| s == 'Z') {
            let o = child.join();
            panic!("child '{}' ended before blocking: it {o}", child.what());
        }
        assert!(
            std::time::Instant::now() < deadline,
            "child '{}' never blocked in syscalls {nrs:?}: {text:?}",
            child.what()
        );
        std::thread::yield_now();
    }
}

/// System call numbers of the epoll waits on this architecture.
pub const EPOLL_WAIT_NRS: [libc::c_long; 3] = [
    libc::SYS_epoll_wait,
    libc::SYS_epoll_pwait,
    libc::SYS_epoll_pwait2,
];
