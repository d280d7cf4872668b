//! A master and its slave: posix_openpt(3) on /dev/ptmx, grantpt(3), unlockpt(3),
//! ptsname(3) and TIOCGPTN, with the exact error of each call (the claims about non-masters
//! need it, which is why nix's `PtyMaster`-typed wrappers are not used).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use fixtures::io::open;
use fixtures::sys;
use nix::errno::Errno;

/// The master clone device.
pub const PTMX: &str = "/dev/ptmx";

/// Flags for opening a slave in the test process: never become its controlling terminal.
pub const SLAVE_FLAGS: libc::c_int = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;

/// Major number of the first block of UNIX 98 pty slaves (Documentation/admin-guide/
/// devices.txt: "136-143 char Unix98 PTY slaves").
pub const UNIX98_PTY_SLAVE_MAJOR: u32 = 136;

/// Open a new master: O_RDWR | O_NOCTTY | O_CLOEXEC.
pub fn open_master() -> OwnedFd {
    open(Path::new(PTMX), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC).expect("open /dev/ptmx")
}

/// TIOCGPTN: the pty index of a master.
pub fn ptn(master: impl AsFd) -> Result<u32, Errno> {
    let mut n: libc::c_uint = 0;
    // SAFETY: TIOCGPTN writes an unsigned int.
    sys(unsafe { libc::ioctl(master.as_fd().as_raw_fd(), libc::TIOCGPTN, &mut n) })?;
    Ok(n)
}

/// grantpt(3).
pub fn grantpt(master: impl AsFd) -> Result<(), Errno> {
    // SAFETY: plain library call on an fd.
    sys(unsafe { libc::grantpt(master.as_fd().as_raw_fd()) }).map(drop)
}

/// unlockpt(3).
pub fn unlockpt(master: impl AsFd) -> Result<(), Errno> {
    // SAFETY: plain library call on an fd.
    sys(unsafe { libc::unlockpt(master.as_fd().as_raw_fd()) }).map(drop)
}

/// ptsname_r(3): the slave's path, or the error number it returns.
pub fn ptsname(master: impl AsFd) -> Result<PathBuf, Errno> {
    let mut buf = [0 as libc::c_char; 128];
    // SAFETY: buffer and length match.
    let r = unsafe { libc::ptsname_r(master.as_fd().as_raw_fd(), buf.as_mut_ptr(), buf.len()) };
    if r != 0 {
        return Err(Errno::from_raw(r));
    }
    // SAFETY: ptsname_r NUL-terminated the buffer.
    Ok(PathBuf::from(unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()))
}

/// A master and its open slave.
pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
    pub index: u32,
}

impl Pty {
    /// posix_openpt + grantpt + unlockpt + open(ptsname) with O_NOCTTY.
    pub fn open() -> Pty {
        let master = open_master();
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let index = ptn(&master).expect("TIOCGPTN");
        let slave = open(&ptsname(&master).expect("ptsname"), SLAVE_FLAGS).expect("open the slave");
        Pty { master, slave, index }
    }

    /// A pair whose slave is in raw mode (cfmakeraw): bytes pass unchanged both ways.
    pub fn raw() -> Pty {
        let p = Pty::open();
        // SAFETY: cfmakeraw only changes the termios it is given.
        crate::termios::update_termios(p.s(), |t| unsafe { libc::cfmakeraw(t) });
        p
    }

    /// The master, borrowed.
    pub fn m(&self) -> BorrowedFd<'_> {
        self.master.as_fd()
    }

    /// The slave, borrowed.
    pub fn s(&self) -> BorrowedFd<'_> {
        self.slave.as_fd()
    }

    /// Type `input` on the master and wait until its echo (`echo`) came back: after this the
    /// slave's line discipline has processed all of `input` (a barrier, not a sleep; needs
    /// ECHO on the slave).
    #[track_caller]
    pub fn type_and_wait_for_echo(&self, input: &[u8], echo: &[u8]) {
        fixtures::io::write_all(self.m(), input);
        assert_eq!(fixtures::io::read_exact(self.m(), echo.len()), echo, "echo of {input:?}");
    }

    /// Type `input` on the master, then check what the slave reads: each of `reads` is the
    /// result of one bounded read (`read_available`, up to 64 bytes), in order.
    #[track_caller]
    pub fn type_and_expect_reads(&self, input: &[u8], reads: &[&[u8]]) {
        fixtures::io::write_all(self.m(), input);
        self.expect_reads(reads);
    }

    /// Check what the slave reads next: each of `reads` is the result of one bounded read
    /// (`read_available`, up to 64 bytes), in order.
    #[track_caller]
    pub fn expect_reads(&self, reads: &[&[u8]]) {
        for (i, want) in reads.iter().enumerate() {
            assert_eq!(crate::reads::read_available(self.s(), 64), *want, "read {i} on the slave");
        }
    }

    /// Type `input`, wait for its `echo` (so all of it was processed), then check the slave's
    /// next reads: each of `reads` is the result of one immediate read(2) of up to 64 bytes
    /// (no wait: after the echo, whatever canonical mode made readable is readable).
    #[track_caller]
    pub fn type_echo_and_expect_reads(&self, input: &[u8], echo: &[u8], reads: &[&[u8]]) {
        self.type_and_wait_for_echo(input, echo);
        for (i, want) in reads.iter().enumerate() {
            assert_eq!(crate::reads::read_up_to(self.s(), 64).as_deref(), Ok(*want), "read {i} after typing {input:?}");
        }
    }

    /// Nothing more reached the master: a marker written now by the slave (output
    /// processing off) is the next byte there. Proves by ordering that nothing else was
    /// echoed or output before this point, without waiting for something not to happen.
    #[track_caller]
    pub fn assert_master_sees_marker_next(&self) {
        crate::termios::update_termios(self.s(), |t| t.c_oflag = 0);
        fixtures::io::write_all(self.s(), b"#");
        assert_eq!(fixtures::io::read_exact(self.m(), 1), b"#", "unexpected bytes on the master before the marker");
    }

    /// Type the line `line` (ending in a newline) with echo off: the slave reads it back
    /// unchanged, and nothing of it came back on the master (the slave's marker is next).
    #[track_caller]
    pub fn assert_typed_line_is_not_echoed(&self, line: &[u8]) {
        self.type_and_expect_reads(line, &[line]);
        self.assert_master_sees_marker_next();
    }

    /// The slave's path, /dev/pts/N.
    pub fn slave_path(&self) -> PathBuf {
        PathBuf::from(format!("/dev/pts/{}", self.index))
    }
}
