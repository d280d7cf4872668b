//! fd_set and the calls that take it: select(2) through glibc, pselect(2) through glibc
//! (which hides the kernel's timeout write-back) and the raw pselect6 system call. A set
//! holds descriptor *numbers* (select's nfds is one more than the highest), so these take
//! `RawFd`.

use std::os::fd::RawFd;

use fixtures::sys;
use nix::errno::Errno;

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

/// What one select(2) with a zero timeout did: its result and the members left in each set.
#[derive(Debug, PartialEq, Eq)]
pub struct Selected {
    pub result: Result<i32, Errno>,
    pub read: Vec<RawFd>,
    pub write: Vec<RawFd>,
    pub except: Vec<RawFd>,
}

/// select(2) with a zero timeout over sets holding `read`, `write` and `except` (an empty
/// list passes that set as given: empty, not NULL), nfds one more than the highest fd.
pub fn select_now(read: &[RawFd], write: &[RawFd], except: &[RawFd]) -> Selected {
    let nfds = read.iter().chain(write).chain(except).max().map_or(0, |&fd| fd + 1);
    let (mut r, mut w, mut x) = (FdSet::of(read), FdSet::of(write), FdSet::of(except));
    let mut tv = libc::timeval { tv_sec: 0, tv_usec: 0 };
    let result = select(nfds, Some(&mut r), Some(&mut w), Some(&mut x), Some(&mut tv));
    Selected { result, read: r.members(), write: w.members(), except: x.members() }
}
