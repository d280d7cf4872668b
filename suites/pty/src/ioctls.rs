//! The tty ioctls that read or take one int (ioctl_tty(2)), and the packet-mode status bits
//! of TIOCPKT (include/uapi/asm-generic/ioctls.h; the libc crate does not export them).

use std::os::fd::{AsFd, AsRawFd};

use fixtures::sys;
use nix::errno::Errno;

pub const TIOCPKT_DATA: u8 = 0;
pub const TIOCPKT_FLUSHREAD: u8 = 1;
pub const TIOCPKT_FLUSHWRITE: u8 = 2;
pub const TIOCPKT_STOP: u8 = 4;
pub const TIOCPKT_START: u8 = 8;
pub const TIOCPKT_NOSTOP: u8 = 16;
pub const TIOCPKT_DOSTOP: u8 = 32;

/// An ioctl that reads an int through a pointer (TIOCGPTLCK, TIOCGPKT, FIONREAD, ...).
pub fn ioctl_get_int(fd: impl AsFd, req: libc::Ioctl) -> Result<libc::c_int, Errno> {
    let mut v: libc::c_int = 0;
    // SAFETY: the request writes one int.
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), req, &mut v) })?;
    Ok(v)
}

/// An ioctl that takes a pointer to an int (TIOCSPTLCK, TIOCPKT, ...).
pub fn ioctl_set_int(fd: impl AsFd, req: libc::Ioctl, v: libc::c_int) -> Result<(), Errno> {
    // SAFETY: the request reads one int.
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), req, &v) }).map(drop)
}

/// An ioctl that takes an int by value (TIOCSCTTY, TIOCGPTPEER) or nothing (TIOCNOTTY,
/// TIOCEXCL); its return value (a new descriptor for TIOCGPTPEER).
pub fn ioctl_arg(fd: impl AsFd, req: libc::Ioctl, arg: libc::c_int) -> Result<libc::c_int, Errno> {
    // SAFETY: the request takes an integer argument (or ignores it).
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), req, arg as libc::c_ulong) })
}
