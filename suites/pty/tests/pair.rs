//! Opening a pseudoterminal pair: posix_openpt(3) on /dev/ptmx, grantpt(3), unlockpt(3),
//! ptsname(3), the slave lock, TIOCGPTN, TIOCGPTPEER, and what the slave device node looks
//! like (device number, owner, mode).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use fixtures::{assert_errno, gate, require, sys};
use nix::errno::Errno;
use pty::*;
use rstest::rstest;

fn stat_path(path: &str) -> libc::stat {
    let c = std::ffi::CString::new(path).unwrap();
    // SAFETY: zeroed stat is a valid out-parameter.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    sys(unsafe { libc::stat(c.as_ptr(), &mut st) }).unwrap_or_else(|e| panic!("stat {path}: {e}"));
    st
}

/// pts(4): "Before opening the pseudoterminal slave, you must pass the master's file
/// descriptor to grantpt(3) and unlockpt(3)." A new master's slave is locked: opening it
/// fails with EIO (drivers/tty/pty.c, pty_open: TTY_PTY_LOCK) until unlockpt(3).
#[test]
fn slave_open_before_unlockpt_fails_eio() {
    require!(ptmx_available());
    let m = open_master();
    grantpt(m.as_raw_fd()).unwrap();
    let path = ptsname(m.as_raw_fd()).unwrap();
    assert_errno!(open_path(&path, SLAVE_FLAGS), Errno::EIO);
    unlockpt(m.as_raw_fd()).unwrap();
    let s = open_path(&path, SLAVE_FLAGS).expect("open after unlockpt");
    drop(s);
}

/// ioctl_tty(2), TIOCGPTLCK (since Linux 3.8): "Place the current lock state of the
/// pseudoterminal slave device" in *argp. A fresh master reports locked (1); after
/// unlockpt(3) it reports 0.
#[test]
fn tiocgptlck_reports_locked_until_unlockpt() {
    require!(ptmx_available());
    let m = open_master();
    assert_eq!(ioctl_get_int(m.as_raw_fd(), libc::TIOCGPTLCK), Ok(1));
    unlockpt(m.as_raw_fd()).unwrap();
    assert_eq!(ioctl_get_int(m.as_raw_fd(), libc::TIOCGPTLCK), Ok(0));
}

/// ioctl_tty(2), TIOCSPTLCK: "Set (if *argp is nonzero) or remove (if *argp is zero) the lock
/// on the pseudoterminal slave device." Re-locking an unlocked slave makes open(2) fail with
/// EIO again; removing the lock lets it open.
#[test]
fn tiocsptlck_relocks_and_unlocks_the_slave() {
    require!(ptmx_available());
    let m = open_master();
    unlockpt(m.as_raw_fd()).unwrap();
    let path = ptsname(m.as_raw_fd()).unwrap();
    ioctl_set_int(m.as_raw_fd(), libc::TIOCSPTLCK, 1).unwrap();
    assert_errno!(open_path(&path, SLAVE_FLAGS), Errno::EIO);
    ioctl_set_int(m.as_raw_fd(), libc::TIOCSPTLCK, 0).unwrap();
    drop(open_path(&path, SLAVE_FLAGS).expect("open after removing the lock"));
}

/// ptsname(3): "returns the name of the slave pseudoterminal device corresponding to the
/// master referred to by the file descriptor fd"; pts(4): slaves live in /dev/pts. The name
/// is /dev/pts/N where N is the index TIOCGPTN reports.
#[test]
fn ptsname_is_dev_pts_slash_tiocgptn() {
    require!(ptmx_available());
    let m = open_master();
    let n = ptn(m.as_raw_fd()).unwrap();
    assert_eq!(ptsname(m.as_raw_fd()), Ok(format!("/dev/pts/{n}")));
}

/// Each open of /dev/ptmx is "an independent pseudoterminal master with its own associated
/// slave" (pts(4)): two masters get different indices, and a line written to each master
/// arrives on its own slave only.
#[test]
fn each_ptmx_open_is_an_independent_pair() {
    require!(ptmx_available());
    let a = Pty::open();
    let b = Pty::open();
    assert_ne!(a.index, b.index);
    write_all(a.m(), b"to-a\n");
    write_all(b.m(), b"to-b\n");
    assert_eq!(read_available(a.s(), 64), b"to-a\n");
    assert_eq!(read_available(b.s(), 64), b"to-b\n");
}

/// pts(4): opening /dev/ptmx creates "a pseudoterminal slave device ... in the /dev/pts
/// directory". The slave is a character device of the UNIX 98 pty slave driver: major 136
/// (include/linux/major.h UNIX98_PTY_SLAVE_MAJOR; the driver registers one region of 2^20
/// minors, drivers/tty/pty.c unix98_pty_init) and minor = the pty index. fstat of the open
/// slave and stat of /dev/pts/N agree.
#[test]
fn slave_device_number_is_major_136_minor_index() {
    require!(ptmx_available());
    let p = Pty::open();
    let rdev = rdev(p.s());
    assert_eq!(libc::major(rdev), UNIX98_PTY_SLAVE_MAJOR, "major of {}", p.slave_path());
    assert_eq!(libc::minor(rdev), p.index, "minor of {}", p.slave_path());
    let st = stat_path(&p.slave_path());
    assert_eq!(st.st_mode & libc::S_IFMT, libc::S_IFCHR);
    assert_eq!(st.st_rdev, rdev);
}

/// grantpt(3) NOTES: on Linux "the kernel normally sets the correct ownership and permissions
/// for the pseudoterminal slave when the master is opened"; mount(8), devpts options: "uid=
/// and gid= ... When nothing is specified, they will be set to the UID and GID of the
/// creating process"; "mode= ... The default is 0600". Asserted against the options the
/// devpts instance is mounted with (read from /proc/self/mountinfo), for the caller and for
/// an unprivileged user. grantpt(3) DESCRIPTION says mode 0620: true only with mode=620
/// (see docs/suites/pty.md, Findings).
#[rstest]
#[case::created_by_the_caller(false)]
#[case::created_by_nobody(true)]
fn slave_owner_group_and_mode_follow_the_devpts_options(#[case] as_nobody: bool) {
    require!(ptmx_available());
    if as_nobody {
        require!(fixtures::privilege::other_user_reachable());
    }
    fixtures::run_in_child("opener", || {
        if as_nobody {
            fixtures::privilege::drop_to_nobody();
        }
        let m = open_master();
        grantpt(m.as_raw_fd()).unwrap();
        let path = ptsname(m.as_raw_fd()).unwrap();
        let st = stat_path(&path);
        let opts = devpts_options(st.st_dev);
        // SAFETY: plain getters; devpts uses the filesystem ids, equal to the effective ones here.
        let (euid, egid) = unsafe { (libc::geteuid(), libc::getegid()) };
        assert_eq!(st.st_uid, opts.uid.unwrap_or(euid), "owner of {path} ({opts:?})");
        assert_eq!(st.st_gid, opts.gid.unwrap_or(egid), "group of {path} ({opts:?})");
        assert_eq!(st.st_mode & 0o7777, opts.mode, "mode of {path} ({opts:?})");
    })
    .expect_success();
}

#[derive(Clone, Copy, Debug)]
enum NotAMaster {
    Pipe,
    Slave,
}

/// Run `f` on a descriptor that is not a pty master.
fn with_non_master(kind: NotAMaster, f: impl FnOnce(RawFd)) {
    match kind {
        NotAMaster::Pipe => {
            let (r, _w) = nix::unistd::pipe().unwrap();
            f(r.as_raw_fd());
        }
        NotAMaster::Slave => {
            let p = Pty::open();
            f(p.s());
        }
    }
}

/// grantpt(3), ERRORS: "EINVAL The fd argument is valid but not associated with a master
/// pseudoterminal."
#[rstest]
fn grantpt_on_a_non_master_fails_einval(#[values(NotAMaster::Pipe, NotAMaster::Slave)] kind: NotAMaster) {
    require!(ptmx_available());
    with_non_master(kind, |fd| assert_errno!(grantpt(fd), Errno::EINVAL));
}

/// unlockpt(3), ERRORS: "EINVAL The fd argument is not associated with a master
/// pseudoterminal."
#[rstest]
fn unlockpt_on_a_non_master_fails_einval(#[values(NotAMaster::Pipe, NotAMaster::Slave)] kind: NotAMaster) {
    require!(ptmx_available());
    with_non_master(kind, |fd| assert_errno!(unlockpt(fd), Errno::EINVAL));
}

/// ptsname(3), ERRORS: "ENOTTY fd does not refer to a pseudoterminal master device."
/// (ptsname_r returns the error number.)
#[rstest]
fn ptsname_of_a_non_master_fails_enotty(#[values(NotAMaster::Pipe, NotAMaster::Slave)] kind: NotAMaster) {
    require!(ptmx_available());
    with_non_master(kind, |fd| assert_errno!(ptsname(fd), Errno::ENOTTY));
}

/// ioctl_tty(2), TIOCGPTPEER (since Linux 4.13): "Given a file descriptor in fd that refers
/// to a pseudoterminal master, open (with the given open(2)-style flags) and return a new
/// file descriptor that refers to the peer pseudoterminal slave device." Asserted: the new fd
/// is the same device as /dev/pts/N, O_CLOEXEC was honoured, and data crosses to it.
#[test]
fn tiocgptpeer_opens_the_peer_slave_with_the_given_flags() {
    require!(ptmx_available());
    require!(gate::kernel(4, 13), "TIOCGPTPEER");
    let m = open_master();
    unlockpt(m.as_raw_fd()).unwrap();
    let fd = ioctl_arg(m.as_raw_fd(), libc::TIOCGPTPEER, libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC)
        .expect("TIOCGPTPEER");
    // SAFETY: the ioctl returned a new descriptor that we now own.
    let s = unsafe { OwnedFd::from_raw_fd(fd) };
    let path = ptsname(m.as_raw_fd()).unwrap();
    assert_eq!(rdev(s.as_raw_fd()), stat_path(&path).st_rdev);
    assert_eq!(sys(unsafe { libc::fcntl(s.as_raw_fd(), libc::F_GETFD) }), Ok(libc::FD_CLOEXEC));
    write_all(m.as_raw_fd(), b"peer\n");
    assert_eq!(read_available(s.as_raw_fd(), 64), b"peer\n");
}

/// TIOCGPTPEER opens the slave through the normal tty open path, so the slave lock still
/// applies: before unlockpt(3) it fails with EIO like open(2) of /dev/pts/N
/// (drivers/tty/pty.c: ptm_open_peer -> dentry_open -> pty_open).
#[test]
fn tiocgptpeer_before_unlockpt_fails_eio() {
    require!(ptmx_available());
    require!(gate::kernel(4, 13), "TIOCGPTPEER");
    let m = open_master();
    assert_errno!(ioctl_arg(m.as_raw_fd(), libc::TIOCGPTPEER, libc::O_RDWR | libc::O_NOCTTY), Errno::EIO);
}

/// ioctl_tty(2): TIOCGPTPEER takes "a file descriptor in fd that refers to a pseudoterminal
/// master". The request is handled by the generic tty layer for every tty, and on anything
/// but a ptmx master it fails with EIO, not ENOTTY (drivers/tty/pty.c, ptm_open_peer:
/// `if (tty->driver != ptm_driver) return -EIO;`).
#[test]
fn tiocgptpeer_on_a_slave_fails_eio() {
    require!(ptmx_available());
    require!(gate::kernel(4, 13), "TIOCGPTPEER");
    let p = Pty::open();
    assert_errno!(ioctl_arg(p.s(), libc::TIOCGPTPEER, libc::O_RDWR | libc::O_NOCTTY), Errno::EIO);
}

/// ioctl_tty(2), TIOCEXCL: "Put the terminal into exclusive mode. No further open(2)
/// operations on the terminal are permitted. (They fail with EBUSY, except for a process with
/// the CAP_SYS_ADMIN capability.)" TIOCGEXCL reports the mode; TIOCNXCL ends it. Checked as an
/// unprivileged user (a root run drops to nobody first).
#[test]
fn tiocexcl_makes_further_opens_fail_ebusy_until_tiocnxcl() {
    require!(ptmx_available());
    require!(fixtures::privilege::other_user_reachable());
    fixtures::run_in_child("unprivileged opener", || {
        fixtures::privilege::drop_to_nobody();
        let p = Pty::open();
        assert_eq!(ioctl_get_int(p.s(), libc::TIOCGEXCL), Ok(0));
        ioctl_arg(p.s(), libc::TIOCEXCL, 0).unwrap();
        assert_ne!(ioctl_get_int(p.s(), libc::TIOCGEXCL), Ok(0));
        assert_errno!(open_path(&p.slave_path(), SLAVE_FLAGS), Errno::EBUSY);
        ioctl_arg(p.s(), libc::TIOCNXCL, 0).unwrap();
        drop(open_path(&p.slave_path(), SLAVE_FLAGS).expect("open after TIOCNXCL"));
    })
    .expect_success();
}

/// ioctl_tty(2), TIOCEXCL: further opens fail with EBUSY "except for a process with the
/// CAP_SYS_ADMIN capability".
#[test]
fn tiocexcl_does_not_stop_cap_sys_admin() {
    require!(ptmx_available());
    require!(gate::capability(gate::Cap::SYS_ADMIN));
    let p = Pty::open();
    ioctl_arg(p.s(), libc::TIOCEXCL, 0).unwrap();
    drop(open_path(&p.slave_path(), SLAVE_FLAGS).expect("CAP_SYS_ADMIN opens an exclusive tty"));
}
