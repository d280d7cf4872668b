//! The slave's terminal attributes (termios(3)) and window size (ioctl_tty(2), TIOCGWINSZ /
//! TIOCSWINSZ), on the raw `libc::termios` whose fields the claims name.

use std::os::fd::{AsFd, AsRawFd};

use fixtures::sys;
use nix::errno::Errno;

/// `_POSIX_VDISABLE` on Linux: a c_cc entry with this value is disabled.
pub const POSIX_VDISABLE: libc::cc_t = 0;

/// tcgetattr(3), panicking on failure.
pub fn get_termios(fd: impl AsFd) -> libc::termios {
    // SAFETY: zeroed termios is a valid out-parameter.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    sys(unsafe { libc::tcgetattr(fd.as_fd().as_raw_fd(), &mut t) }).expect("tcgetattr");
    t
}

/// tcsetattr(3) with `when` (TCSANOW, TCSAFLUSH, ...), with its exact result.
pub fn tcsetattr(fd: impl AsFd, when: libc::c_int, t: &libc::termios) -> Result<(), Errno> {
    // SAFETY: valid termios pointer.
    sys(unsafe { libc::tcsetattr(fd.as_fd().as_raw_fd(), when, t) }).map(drop)
}

/// Read the termios of `fd`, let `f` change it, and set it (TCSANOW), panicking on failure.
pub fn update_termios(fd: impl AsFd, f: impl FnOnce(&mut libc::termios)) {
    let fd = fd.as_fd();
    let mut t = get_termios(fd);
    f(&mut t);
    tcsetattr(fd, libc::TCSANOW, &t).expect("tcsetattr");
}

/// TIOCGWINSZ: (rows, columns, x pixels, y pixels).
pub fn get_winsize(fd: impl AsFd) -> Result<(u16, u16, u16, u16), Errno> {
    // SAFETY: zeroed winsize is a valid out-parameter.
    let mut w: libc::winsize = unsafe { std::mem::zeroed() };
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), libc::TIOCGWINSZ, &mut w) })?;
    Ok((w.ws_row, w.ws_col, w.ws_xpixel, w.ws_ypixel))
}

/// TIOCSWINSZ with `rows` and `cols` (no pixel sizes).
pub fn set_winsize(fd: impl AsFd, rows: u16, cols: u16) -> Result<(), Errno> {
    let w = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCSWINSZ reads a winsize.
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), libc::TIOCSWINSZ, &w) }).map(drop)
}
