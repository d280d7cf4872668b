//! poll(2) arrays, the raw ppoll system call, and [`Wait`]: the four calls that wait for
//! readiness, for claims that span them, with a waiter proven blocked in one of them.

use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;

use fixtures::clock::timespec;
use fixtures::poll::poll1;
use fixtures::{Forked, spawn, sys};
use nix::errno::Errno;

use crate::fd_sets::{FdSet, pselect, select};

/// A pollfd for `fd` (a number: claims about -1, negative and closed numbers need them).
pub fn pollfd(fd: RawFd, events: libc::c_short) -> libc::pollfd {
    libc::pollfd { fd, events, revents: 0 }
}

/// One poll(2) call over `fds`, with its exact result.
pub fn poll(fds: &mut [libc::pollfd], timeout_ms: libc::c_int) -> Result<i32, Errno> {
    // SAFETY: fds.len() valid pollfds.
    sys(unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) })
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

/// System call numbers of the four waits on this architecture (glibc's poll and select use
/// the calls of those names here; ppoll and pselect those below).
pub const WAIT_NRS: [libc::c_long; 4] = [libc::SYS_poll, libc::SYS_ppoll, libc::SYS_select, libc::SYS_pselect6];

/// A child that runs `wait` (a wait and the checks of what it returns), returned once it is
/// proven blocked: the kernel shows it asleep inside one of the [`WAIT_NRS`] calls
/// (`Forked::assert_blocked_in`; timed where it shows nothing; `what` names the call in a
/// failure). Whatever `wait` set up before the call (a handler, a mask) is in place by then;
/// "it stays blocked" after an event is `Forked::assert_still_blocked`.
#[track_caller]
pub fn blocked_waiter(what: &str, wait: impl FnOnce()) -> Forked {
    let mut child = spawn(what, wait);
    child.assert_blocked_in(&WAIT_NRS, what);
    child
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
        fd: impl AsFd,
        timeout: Option<Duration>,
        mask: Option<&libc::sigset_t>,
    ) -> Result<i32, Errno> {
        let fd = fd.as_fd();
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
                let mut p = pollfd(fd.as_raw_fd(), libc::POLLIN);
                let ts = timeout.map(timespec);
                let tsp = ts
                    .as_ref()
                    .map_or(std::ptr::null(), |t| t as *const libc::timespec);
                // SAFETY: valid pointers or NULL.
                sys(unsafe { libc::ppoll(&mut p, 1, tsp, mp) })
            }
            Wait::Select => {
                let fd = fd.as_raw_fd();
                let mut r = FdSet::of(&[fd]);
                let mut tv = timeout.map(|d| libc::timeval {
                    tv_sec: d.as_secs() as libc::time_t,
                    tv_usec: d.subsec_micros() as libc::suseconds_t,
                });
                select(fd + 1, Some(&mut r), None, None, tv.as_mut())
            }
            Wait::Pselect => {
                let fd = fd.as_raw_fd();
                let mut r = FdSet::of(&[fd]);
                let ts = timeout.map(timespec);
                pselect(fd + 1, Some(&mut r), ts.as_ref(), mask)
            }
        }
    }
}
