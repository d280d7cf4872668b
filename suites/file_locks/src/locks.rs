//! flock(2) and the fcntl(2) lock commands (F_SETLK, F_SETLKW, F_GETLK and their F_OFD_*
//! forms) on a borrowed descriptor, with their exact results.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;

use fixtures::sys;
use nix::errno::Errno;

/// open(2) of `path` with `flags` and O_CLOEXEC ([`fixtures::io::open_cloexec`]), panicking
/// on failure.
#[track_caller]
pub fn open_file(path: &Path, flags: libc::c_int) -> OwnedFd {
    fixtures::io::open_cloexec(path, flags).unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

/// open(2) of `path` read-write (close-on-exec), panicking on failure.
#[track_caller]
pub fn open_rw(path: &Path) -> OwnedFd {
    open_file(path, libc::O_RDWR)
}

/// A file holding `content` in a fresh scratch directory (removed when the `Scratch` is
/// dropped: keep it alive as long as the path is used).
pub fn scratch_file(content: &[u8]) -> (fixtures::Scratch, std::path::PathBuf) {
    let s = fixtures::Scratch::new();
    let p = s.file("locked", content);
    (s, p)
}

/// flock(2).
pub fn flock(fd: impl AsFd, op: libc::c_int) -> Result<(), Errno> {
    // SAFETY: plain call on an fd.
    sys(unsafe { libc::flock(fd.as_fd().as_raw_fd(), op) }).map(drop)
}

/// flock(2) with `op` through a new open file description of `path` (a second open(2),
/// read-write): what another description of the file gets. The descriptor is closed on
/// return, so a lock it was granted goes with it.
pub fn flock_new_description(path: &Path, op: libc::c_int) -> Result<(), Errno> {
    flock(open_rw(path), op)
}

/// Open `path` read-write and place the flock(2) lock `op` on it, panicking on failure.
#[track_caller]
pub fn locked_rw(path: &Path, op: libc::c_int) -> OwnedFd {
    let fd = open_rw(path);
    flock(&fd, op).unwrap_or_else(|e| panic!("flock {op:#x} on {}: {e}", path.display()));
    fd
}

/// A `struct flock` for SEEK_SET ranges, l_pid 0.
pub fn range(l_type: libc::c_int, start: i64, len: i64) -> libc::flock {
    with_whence(l_type, libc::SEEK_SET, start, len)
}

/// A `struct flock` with an explicit l_whence, l_pid 0.
pub fn with_whence(l_type: libc::c_int, whence: libc::c_int, start: i64, len: i64) -> libc::flock {
    // SAFETY: struct flock is plain data; zero is a valid value for every field.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = l_type as libc::c_short;
    fl.l_whence = whence as libc::c_short;
    fl.l_start = start;
    fl.l_len = len;
    fl
}

/// fcntl(2) with a lock command (F_SETLK, F_SETLKW, F_GETLK, F_OFD_*), raw result.
pub fn fcntl_lock(fd: impl AsFd, cmd: libc::c_int, fl: &mut libc::flock) -> Result<(), Errno> {
    // SAFETY: the command reads (and for GETLK writes) one struct flock.
    sys(unsafe { libc::fcntl(fd.as_fd().as_raw_fd(), cmd, fl as *mut libc::flock) }).map(drop)
}

/// F_SETLK-like command on a SEEK_SET range.
pub fn setlk(fd: impl AsFd, cmd: libc::c_int, l_type: libc::c_int, start: i64, len: i64) -> Result<(), Errno> {
    fcntl_lock(fd, cmd, &mut range(l_type, start, len))
}

/// Open `path` read-write and lock the SEEK_SET range with the F_SETLK-like `cmd`, panicking
/// on failure: a descriptor holding a record (or OFD) lock.
#[track_caller]
pub fn locked_range(path: &Path, cmd: libc::c_int, l_type: libc::c_int, start: i64, len: i64) -> OwnedFd {
    let fd = open_rw(path);
    setlk(&fd, cmd, l_type, start, len).unwrap_or_else(|e| panic!("fcntl {cmd} type {l_type} [{start}, +{len}) on {}: {e}", path.display()));
    fd
}

/// What a GETLK-like command reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockInfo {
    pub l_type: i32,
    pub l_whence: i32,
    pub l_start: i64,
    pub l_len: i64,
    pub l_pid: i32,
}

impl LockInfo {
    pub fn from_flock(fl: &libc::flock) -> LockInfo {
        LockInfo {
            l_type: fl.l_type as i32,
            l_whence: fl.l_whence as i32,
            l_start: fl.l_start,
            l_len: fl.l_len,
            l_pid: fl.l_pid,
        }
    }

    /// "No conflict": F_UNLCK (the other fields are whatever the request held).
    pub fn is_unlocked(&self) -> bool {
        self.l_type == libc::F_UNLCK
    }

    /// (l_type, l_start, l_len, l_pid) of a reported conflict, for compact assertions.
    pub fn conflict(&self) -> (i32, i64, i64, i32) {
        (self.l_type, self.l_start, self.l_len, self.l_pid)
    }
}

/// F_GETLK-like command on a SEEK_SET range, panicking if the call itself fails.
#[track_caller]
pub fn getlk(fd: impl AsFd, cmd: libc::c_int, l_type: libc::c_int, start: i64, len: i64) -> LockInfo {
    let mut fl = range(l_type, start, len);
    fcntl_lock(fd, cmd, &mut fl).unwrap_or_else(|e| panic!("fcntl getlk {cmd}: {e}"));
    LockInfo::from_flock(&fl)
}
