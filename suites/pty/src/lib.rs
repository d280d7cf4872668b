//! Suite `pty`: UNIX 98 pseudoterminals and the terminal semantics a pty slave provides.
//!
//! Covered (one topic per file in `tests/`):
//! - `pair.rs`: opening a master on /dev/ptmx, grantpt/unlockpt/ptsname, the slave lock
//!   (TIOCSPTLCK/TIOCGPTLCK), TIOCGPTN, TIOCGPTPEER, the slave's device number, owner and
//!   mode (devpts mount options), exclusive mode (TIOCEXCL).
//! - `data_flow.rs`: bytes both ways, output post-processing (OPOST/ONLCR), input mapping
//!   (ICRNL), termios through the master, default control characters.
//! - `canonical.rs`: line buffering, VEOF, VEOL, VERASE, VKILL, VWERASE, VLNEXT, the 4095-byte
//!   line limit, TCSAFLUSH, FIONREAD.
//! - `echo.rs`: ECHO, ECHOE, ECHOCTL, ECHONL as seen on the master.
//! - `noncanonical.rs`: the four MIN/TIME cases, O_NONBLOCK.
//! - `signals.rs`: ISIG characters (VINTR/VQUIT/VSUSP) signalling the foreground process
//!   group, NOFLSH, SIGWINCH on TIOCSWINSZ, TIOCGWINSZ.
//! - `sessions.rs`: controlling terminals (setsid, TIOCSCTTY, O_NOCTTY, /dev/tty), foreground
//!   process groups (TIOCGPGRP/TIOCSPGRP/tcsetpgrp), TIOCGSID, TIOCNOTTY.
//! - `job_control.rs`: SIGTTIN/SIGTTOU for background process groups, TOSTOP, EIO cases.
//! - `hangup.rs`: closing either side: EIO on the master, SIGHUP to the session leader,
//!   hung-up slave descriptors.
//! - `packet_mode.rs`: TIOCPKT data and control packets, POLLPRI.
//! - `flow_control.rs`: IXON STOP/START, IXANY.
//! - `relay.rs`: a `script`-like relay of an exec'd program through a pty, end to end.
//!
//! Sources: pty(7), pts(4), posix_openpt(3), grantpt(3), unlockpt(3), ptsname(3), termios(3),
//! tcgetpgrp(3), ioctl_tty(2) (tty_ioctl(4) in older man-pages), tty(4), setsid(2),
//! credentials(7), open(2), mount(8) "Mount options for devpts", POSIX.1-2017 XBD chapter 11
//! "General Terminal Interface", and the kernel sources (drivers/tty/pty.c, tty_jobctrl.c,
//! n_tty.c) for Linux specifics.
//!
//! Every test gates on /dev/ptmx being usable (containers may lack it) with a visible SKIP.
//! Tests whose claims depend on every copy of a descriptor being closed (hangup, EIO, SIGHUP)
//! run entirely inside a forked child ([`isolated`]): under plain `cargo test` a child forked
//! by a neighbouring test thread would otherwise inherit our pty descriptors and keep the
//! other side open.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use fixtures::deadline::{DEFAULT_DEADLINE, scaled};
use fixtures::sys;
use nix::errno::Errno;

pub use fixtures::io::{set_nonblocking, write_all, write_once};

/// The master clone device.
pub const PTMX: &str = "/dev/ptmx";

/// Packet-mode status bits (include/uapi/asm-generic/ioctls.h); libc does not export them.
pub const TIOCPKT_DATA: u8 = 0;
pub const TIOCPKT_FLUSHREAD: u8 = 1;
pub const TIOCPKT_FLUSHWRITE: u8 = 2;
pub const TIOCPKT_STOP: u8 = 4;
pub const TIOCPKT_START: u8 = 8;
pub const TIOCPKT_NOSTOP: u8 = 16;
pub const TIOCPKT_DOSTOP: u8 = 32;

/// `_POSIX_VDISABLE` on Linux: a c_cc entry with this value is disabled.
pub const POSIX_VDISABLE: libc::cc_t = 0;

/// Major number of the first block of UNIX 98 pty slaves (Documentation/admin-guide/
/// devices.txt: "136-143 char Unix98 PTY slaves").
pub const UNIX98_PTY_SLAVE_MAJOR: u32 = 136;

/// Gate: /dev/ptmx exists, a master can be opened here, and its slave appears under the path
/// ptsname(3) gives (devpts mounted on /dev/pts).
pub fn ptmx_available() -> Result<(), String> {
    if !std::path::Path::new(PTMX).exists() {
        return Err(format!("{PTMX} does not exist here (no pseudoterminals)"));
    }
    let m = try_open_master(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC)
        .map_err(|e| format!("opening {PTMX} fails here with {e}"))?;
    let path = ptsname(m.as_raw_fd()).map_err(|e| format!("ptsname of a new master fails here with {e}"))?;
    if !std::path::Path::new(&path).exists() {
        return Err(format!("the slave {path} of a new master does not exist (devpts not mounted on /dev/pts)"));
    }
    Ok(())
}

/// open(2) on a path, returning the raw result.
pub fn open_path(path: &str, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    let c = CString::new(path).unwrap();
    // SAFETY: valid C string; the returned fd is owned by us.
    let fd = sys(unsafe { libc::open(c.as_ptr(), flags) })?;
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Open a new master with `flags` (O_RDWR and friends).
pub fn try_open_master(flags: libc::c_int) -> Result<OwnedFd, Errno> {
    open_path(PTMX, flags)
}

/// Open a new master: O_RDWR | O_NOCTTY | O_CLOEXEC.
pub fn open_master() -> OwnedFd {
    try_open_master(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC).expect("open /dev/ptmx")
}

/// TIOCGPTN: the pty index of a master.
pub fn ptn(master: RawFd) -> Result<u32, Errno> {
    let mut n: libc::c_uint = 0;
    // SAFETY: TIOCGPTN writes an unsigned int.
    sys(unsafe { libc::ioctl(master, libc::TIOCGPTN, &mut n) })?;
    Ok(n)
}

/// grantpt(3).
pub fn grantpt(master: RawFd) -> Result<(), Errno> {
    // SAFETY: plain library call on an fd.
    sys(unsafe { libc::grantpt(master) }).map(|_| ())
}

/// unlockpt(3).
pub fn unlockpt(master: RawFd) -> Result<(), Errno> {
    // SAFETY: plain library call on an fd.
    sys(unsafe { libc::unlockpt(master) }).map(|_| ())
}

/// ptsname_r(3): the slave's path, or the error number it returns.
pub fn ptsname(master: RawFd) -> Result<String, Errno> {
    let mut buf = [0 as libc::c_char; 128];
    // SAFETY: buffer and length match.
    let r = unsafe { libc::ptsname_r(master, buf.as_mut_ptr(), buf.len()) };
    if r != 0 {
        return Err(Errno::from_raw(r));
    }
    // SAFETY: ptsname_r NUL-terminated the buffer.
    Ok(unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned())
}

/// Flags for opening a slave in the test process: never become its controlling terminal.
pub const SLAVE_FLAGS: libc::c_int = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;

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
        let m = master.as_raw_fd();
        grantpt(m).expect("grantpt");
        unlockpt(m).expect("unlockpt");
        let index = ptn(m).expect("TIOCGPTN");
        let slave = open_path(&ptsname(m).expect("ptsname"), SLAVE_FLAGS).expect("open the slave");
        Pty { master, slave, index }
    }

    /// A pair whose slave is in raw mode (cfmakeraw): bytes pass unchanged both ways.
    pub fn raw() -> Pty {
        let p = Pty::open();
        update_termios(p.s(), |t| unsafe { libc::cfmakeraw(t) });
        p
    }

    pub fn m(&self) -> RawFd {
        self.master.as_raw_fd()
    }

    pub fn s(&self) -> RawFd {
        self.slave.as_raw_fd()
    }

    /// The slave's path, /dev/pts/N.
    pub fn slave_path(&self) -> String {
        format!("/dev/pts/{}", self.index)
    }
}

/// tcgetattr(3), panicking on failure.
pub fn get_termios(fd: RawFd) -> libc::termios {
    // SAFETY: zeroed termios is a valid out-parameter.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    sys(unsafe { libc::tcgetattr(fd, &mut t) }).expect("tcgetattr");
    t
}

/// tcsetattr(3) with TCSANOW, panicking on failure.
pub fn set_termios(fd: RawFd, t: &libc::termios) {
    // SAFETY: valid termios pointer.
    sys(unsafe { libc::tcsetattr(fd, libc::TCSANOW, t) }).expect("tcsetattr");
}

/// Read the termios of `fd`, let `f` change it, and set it (TCSANOW).
pub fn update_termios(fd: RawFd, f: impl FnOnce(&mut libc::termios)) {
    let mut t = get_termios(fd);
    f(&mut t);
    set_termios(fd, &t);
}



/// One read(2) call of at most `max` bytes ([`fixtures::io::read_once`]).
pub fn read_once(fd: RawFd, max: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; max];
    let n = fixtures::io::read_once(fd, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

/// poll(2) one fd for `events` for at most `limit` (scaled); returns revents (0 on timeout).
pub fn poll_for(fd: RawFd, events: libc::c_short, limit: Duration) -> libc::c_short {
    fixtures::poll::revents(fd, events, fixtures::deadline::poll_ms(limit))
}

/// True if `fd` becomes readable within `limit`.
pub fn readable_within(fd: RawFd, limit: Duration) -> bool {
    poll_for(fd, libc::POLLIN, limit) & libc::POLLIN != 0
}

/// Wait (bounded by the default deadline) until `fd` is readable, then read once.
#[track_caller]
pub fn read_available(fd: RawFd, max: usize) -> Vec<u8> {
    if poll_for(fd, libc::POLLIN, DEFAULT_DEADLINE) == 0 {
        panic!("nothing became readable on fd {fd} within {:?}", scaled(DEFAULT_DEADLINE));
    }
    read_once(fd, max).unwrap_or_else(|e| panic!("read fd {fd}: {e}"))
}

/// Read until exactly `n` bytes arrived (each read bounded by the default deadline;
/// [`fixtures::io::read_exact`]).
#[track_caller]
pub fn read_exactly(fd: RawFd, n: usize) -> Vec<u8> {
    fixtures::io::read_exact(fd, n)
}

/// Read until read(2) returns 0 or fails (bounded); returns the bytes and how it ended:
/// `Ok(())` for end of file, `Err(errno)` for a failure such as EIO.
#[track_caller]
pub fn read_to_end(fd: RawFd) -> (Vec<u8>, Result<(), Errno>) {
    let deadline = Instant::now() + scaled(DEFAULT_DEADLINE);
    let mut out = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if poll_for(fd, libc::POLLIN, left) == 0 {
            panic!("fd {fd}: neither EOF nor an error within {:?}; got {:?}", scaled(DEFAULT_DEADLINE), String::from_utf8_lossy(&out));
        }
        match read_once(fd, 4096) {
            Ok(b) if b.is_empty() => return (out, Ok(())),
            Ok(b) => out.extend_from_slice(&b),
            Err(Errno::EINTR) => {}
            Err(e) => return (out, Err(e)),
        }
    }
}


/// An ioctl that reads an int through a pointer (TIOCGPTLCK, TIOCGPKT, FIONREAD, ...).
pub fn ioctl_get_int(fd: RawFd, req: libc::Ioctl) -> Result<libc::c_int, Errno> {
    let mut v: libc::c_int = 0;
    // SAFETY: the request writes one int.
    sys(unsafe { libc::ioctl(fd, req, &mut v) })?;
    Ok(v)
}

/// An ioctl that takes a pointer to an int (TIOCSPTLCK, TIOCPKT, ...).
pub fn ioctl_set_int(fd: RawFd, req: libc::Ioctl, v: libc::c_int) -> Result<(), Errno> {
    // SAFETY: the request reads one int.
    sys(unsafe { libc::ioctl(fd, req, &v) }).map(|_| ())
}

/// An ioctl that takes an int by value (TIOCSCTTY, TIOCGPTPEER) or nothing (TIOCNOTTY, TIOCEXCL).
pub fn ioctl_arg(fd: RawFd, req: libc::Ioctl, arg: libc::c_int) -> Result<libc::c_int, Errno> {
    // SAFETY: the request takes an integer argument (or ignores it).
    sys(unsafe { libc::ioctl(fd, req, arg as libc::c_ulong) })
}

/// tcgetpgrp(3).
pub fn tcgetpgrp(fd: RawFd) -> Result<libc::pid_t, Errno> {
    // SAFETY: plain call.
    sys(unsafe { libc::tcgetpgrp(fd) })
}

/// tcsetpgrp(3).
pub fn tcsetpgrp(fd: RawFd, pgrp: libc::pid_t) -> Result<(), Errno> {
    // SAFETY: plain call.
    sys(unsafe { libc::tcsetpgrp(fd, pgrp) }).map(|_| ())
}

/// TIOCGPGRP, which also works on a master (it reports the slave's foreground group).
pub fn tiocgpgrp(fd: RawFd) -> Result<libc::pid_t, Errno> {
    let mut p: libc::pid_t = 0;
    // SAFETY: TIOCGPGRP writes a pid_t.
    sys(unsafe { libc::ioctl(fd, libc::TIOCGPGRP, &mut p) })?;
    Ok(p)
}

/// TIOCGSID.
pub fn tiocgsid(fd: RawFd) -> Result<libc::pid_t, Errno> {
    let mut p: libc::pid_t = 0;
    // SAFETY: TIOCGSID writes a pid_t.
    sys(unsafe { libc::ioctl(fd, libc::TIOCGSID, &mut p) })?;
    Ok(p)
}

/// TIOCGWINSZ.
pub fn get_winsize(fd: RawFd) -> Result<libc::winsize, Errno> {
    // SAFETY: zeroed winsize is a valid out-parameter.
    let mut w: libc::winsize = unsafe { std::mem::zeroed() };
    sys(unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut w) })?;
    Ok(w)
}

/// TIOCSWINSZ.
pub fn set_winsize(fd: RawFd, rows: u16, cols: u16) -> Result<(), Errno> {
    let w = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCSWINSZ reads a winsize.
    sys(unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &w) }).map(|_| ())
}

/// In a child: start a new session (setsid) and make `slave` its controlling terminal
/// (TIOCSCTTY with arg 0). The caller is then the session leader, its process group the
/// terminal's foreground process group.
#[track_caller]
pub fn take_controlling_terminal(slave: RawFd) {
    nix::unistd::setsid().expect("setsid in the child");
    ioctl_arg(slave, libc::TIOCSCTTY as libc::Ioctl, 0).expect("TIOCSCTTY on the slave");
}

/// setpgid(2).
pub fn setpgid(pid: libc::pid_t, pgid: libc::pid_t) -> Result<(), Errno> {
    // SAFETY: plain call.
    sys(unsafe { libc::setpgid(pid, pgid) }).map(|_| ())
}

/// getpgrp(2).
pub fn getpgrp() -> libc::pid_t {
    // SAFETY: cannot fail.
    unsafe { libc::getpgrp() }
}

/// getpid(2).
pub fn getpid() -> libc::pid_t {
    // SAFETY: cannot fail.
    unsafe { libc::getpid() }
}


/// fstat(2) st_rdev of an fd.
pub fn rdev(fd: RawFd) -> libc::dev_t {
    // SAFETY: zeroed stat is a valid out-parameter.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    sys(unsafe { libc::fstat(fd, &mut st) }).expect("fstat");
    st.st_rdev
}

/// The devpts mount options that decide a new slave's owner, group and mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevptsOptions {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// `mode=`; devpts uses 0600 when it is absent.
    pub mode: u32,
    /// `ptmxmode=`; devpts uses 0000 when it is absent.
    pub ptmxmode: u32,
}

/// The options of the devpts instance with device number `dev` (st_dev of a slave), read
/// from /proc/self/mountinfo (the super options, after the " - " separator).
pub fn devpts_options(dev: libc::dev_t) -> DevptsOptions {
    let want = format!("{}:{}", libc::major(dev), libc::minor(dev));
    let info = fixtures::procfs::read_seq_file("/proc/self/mountinfo");
    let line = info
        .lines()
        .filter(|l| l.split_whitespace().nth(2) == Some(want.as_str()))
        .find(|l| l.split(" - ").nth(1).is_some_and(|t| t.starts_with("devpts ")))
        .unwrap_or_else(|| panic!("no devpts mount with device {want} in /proc/self/mountinfo"));
    let supers = line.split(" - ").nth(1).unwrap().split_whitespace().nth(2).unwrap_or("");
    let mut o = DevptsOptions { uid: None, gid: None, mode: 0o600, ptmxmode: 0 };
    for opt in supers.split(',') {
        match opt.split_once('=') {
            Some(("uid", v)) => o.uid = v.parse().ok(),
            Some(("gid", v)) => o.gid = v.parse().ok(),
            Some(("mode", v)) => o.mode = u32::from_str_radix(v, 8).expect("octal mode"),
            Some(("ptmxmode", v)) => o.ptmxmode = u32::from_str_radix(v, 8).expect("octal ptmxmode"),
            _ => {}
        }
    }
    o
}
