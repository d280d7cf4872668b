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
//! - `busy_poll_params`: ioctl_eventpoll(2), EPIOCSPARAMS/EPIOCGPARAMS (6.9): an instance's
//!   busy-poll settings, their EINVAL checks, the CAP_NET_ADMIN budget limit; ENOTTY before.
//!
//! Sources: epoll(7), epoll_create(2), epoll_ctl(2), epoll_wait(2), ioctl_eventpoll(2),
//! signal(7), and fs/eventpoll.c, fs/pipe.c, ipc/mqueue.c where a test says so.
//!
//! Helpers shared by the test files live here: the event bits as `u32`, the epoll_pwait
//! and epoll_pwait2 calls, the EPIOC*PARAMS ioctls with their struct, a waiter proven
//! blocked in an epoll wait, and the parser of an epoll fd's fdinfo; the named parameter sets (the fd kinds) are fixtures' ([`fixtures::cases`]). The epoll
//! instance ([`fixtures::poll::Epoll`]) and the readable/writable pair of every fd kind
//! ([`fixtures::kinds`]) come from the fixtures. Descriptors are borrowed (`impl AsFd`).


use std::os::fd::{AsFd, AsRawFd, RawFd};

use fixtures::poll::Event;
use fixtures::{Forked, spawn, sys};
use nix::errno::Errno;

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

/// The raw epoll_pwait2 system call (5.11+): timeout as a timespec (None: NULL), optional
/// signal mask.
pub fn epoll_pwait2(
    epfd: impl AsFd,
    max: usize,
    timeout: Option<&libc::timespec>,
    mask: Option<&libc::sigset_t>,
) -> Result<Vec<Event>, Errno> {
    let epfd = epfd.as_fd().as_raw_fd();
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
    epfd: impl AsFd,
    max: usize,
    timeout_ms: i32,
    mask: Option<&libc::sigset_t>,
) -> Result<Vec<Event>, Errno> {
    let mut evs = vec![libc::epoll_event { events: 0, u64: 0 }; max.max(1)];
    let mp = mask.map_or(std::ptr::null(), |m| m as *const libc::sigset_t);
    // SAFETY: room for `max` events; a valid mask or NULL.
    let n = sys(unsafe {
        libc::epoll_pwait(epfd.as_fd().as_raw_fd(), evs.as_mut_ptr(), max as libc::c_int, timeout_ms, mp)
    })?;
    Ok(evs[..n as usize]
        .iter()
        .map(|e| (e.events, e.u64))
        .collect())
}

/// One harmless epoll_pwait2 call (zero timeout, an empty instance: returns no events at
/// once), to learn whether the call exists here: `Ok(())`, or the errno (ENOSYS before 5.11;
/// ENOSYS or EPERM from a seccomp filter on 5.11+).
pub fn epoll_pwait2_probe() -> Result<(), Errno> {
    let ep = fixtures::poll::Epoll::new();
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    match epoll_pwait2(ep.fd(), 1, Some(&ts), None) {
        Ok(evs) => {
            assert_eq!(evs, vec![], "epoll_pwait2 on an empty instance");
            Ok(())
        }
        Err(e) => Err(e),
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
pub fn watches(epfd: impl AsFd) -> Vec<Watch> {
    let epfd = epfd.as_fd().as_raw_fd();
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
pub fn inode_of(fd: impl AsFd) -> u64 {
    nix::sys::stat::fstat(fd).expect("fstat").st_ino
}

/// System call numbers of the epoll waits on this architecture.
pub const EPOLL_WAIT_NRS: [libc::c_long; 3] = [
    libc::SYS_epoll_wait,
    libc::SYS_epoll_pwait,
    libc::SYS_epoll_pwait2,
];

/// A new epoll instance with `fd` registered for `events` and `data` (EPOLL_CTL_ADD must
/// succeed).
#[track_caller]
pub fn watching(fd: impl AsFd, events: u32, data: u64) -> fixtures::poll::Epoll {
    let ep = fixtures::poll::Epoll::new();
    ep.add(fd, events, data).expect("EPOLL_CTL_ADD");
    ep
}

/// A pipe holding input, registered for `IN | flags` with data 1 in a new instance whose one
/// event for it (asserted) has been reported: the state after an edge-triggered or a
/// one-shot event was consumed.
#[track_caller]
pub fn pipe_after_one_event(flags: u32) -> (fixtures::kinds::Pair, fixtures::poll::Epoll) {
    let p = fixtures::kinds::Kind::Pipe.pair();
    let ep = watching(p.rx(), IN | flags, 1);
    p.send(b"x");
    assert_eq!(ep.ready(), vec![(IN, 1)]);
    (p, ep)
}

/// [`pipe_after_one_event`], then (nothing more being reported: asserted) EPOLL_CTL_MOD of
/// the registration to the same mask with data 2; what the instance reports next is the
/// caller's claim.
#[track_caller]
pub fn pipe_modified_after_one_event(flags: u32) -> (fixtures::kinds::Pair, fixtures::poll::Epoll) {
    let (p, ep) = pipe_after_one_event(flags);
    assert_eq!(ep.ready(), vec![]);
    ep.modify(p.rx(), IN | flags, 2).unwrap();
    (p, ep)
}

/// A child that runs `wait` (an epoll wait and the checks of what it returns), returned once
/// it is proven blocked: the kernel shows it asleep inside one of the [`EPOLL_WAIT_NRS`]
/// calls (`Forked::assert_blocked_in`; timed where it shows nothing; `what` names the call in
/// a failure). Whatever `wait` set up before the call (a handler, a mask) is in place by
/// then; "it stays blocked" after an event is `Forked::assert_still_blocked`.
#[track_caller]
pub fn blocked_waiter(what: &str, wait: impl FnOnce()) -> Forked {
    let mut child = spawn(what, wait);
    child.assert_blocked_in(&EPOLL_WAIT_NRS, what);
    child
}

/// struct epoll_params of ioctl_eventpoll(2) (<linux/eventpoll.h>, since 6.9): the busy-poll
/// settings of one epoll instance.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EpollParams {
    pub busy_poll_usecs: u32,
    pub busy_poll_budget: u16,
    pub prefer_busy_poll: u8,
    pub pad: u8,
}

/// EPIOCSPARAMS: `_IOW(0x8A, 0x01, struct epoll_params)`.
pub const EPIOCSPARAMS: libc::c_ulong = (1 << 30) | (8 << 16) | (0x8A << 8) | 0x01;

/// EPIOCGPARAMS: `_IOR(0x8A, 0x02, struct epoll_params)`.
pub const EPIOCGPARAMS: libc::c_ulong = (2 << 30) | (8 << 16) | (0x8A << 8) | 0x02;

/// NAPI_POLL_WEIGHT (64): the largest busy_poll_budget without CAP_NET_ADMIN.
pub const NAPI_POLL_WEIGHT: u16 = 64;

/// ioctl(fd, EPIOCGPARAMS): the instance's settings, or the exact errno.
pub fn get_params(fd: impl AsFd) -> Result<EpollParams, Errno> {
    let mut p = EpollParams { busy_poll_usecs: 0xdead, busy_poll_budget: 0xbeef, prefer_busy_poll: 0x55, pad: 0x55 };
    // SAFETY: the kernel writes one struct epoll_params (8 bytes) into `p`.
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), EPIOCGPARAMS, &mut p as *mut EpollParams) })?;
    Ok(p)
}

/// ioctl(fd, EPIOCSPARAMS, &params): the exact result.
pub fn set_params(fd: impl AsFd, params: EpollParams) -> Result<(), Errno> {
    // SAFETY: the kernel reads one struct epoll_params (8 bytes) from `params`.
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), EPIOCSPARAMS, &params as *const EpollParams) }).map(drop)
}
