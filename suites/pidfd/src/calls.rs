//! The pidfd system calls as one raw call each, with the exact errno: pidfd_open(2),
//! pidfd_send_signal(2), waitid(2) with P_PIDFD, and the constants of <linux/pidfd.h> the
//! libc crate lacks.

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use fixtures::facility::{self, Availability};
use fixtures::io::owned;
use nix::errno::Errno;

/// pidfd_open(2), PIDFD_NONBLOCK (since 5.10): O_NONBLOCK.
pub const PIDFD_NONBLOCK: libc::c_uint = libc::O_NONBLOCK as libc::c_uint;
/// pidfd_open(2), PIDFD_THREAD (since 6.9): O_EXCL.
pub const PIDFD_THREAD: libc::c_uint = libc::O_EXCL as libc::c_uint;
/// pidfd_send_signal(2) flags (since 6.9).
pub const PIDFD_SIGNAL_THREAD: libc::c_uint = 1 << 0;
pub const PIDFD_SIGNAL_THREAD_GROUP: libc::c_uint = 1 << 1;
pub const PIDFD_SIGNAL_PROCESS_GROUP: libc::c_uint = 1 << 2;
/// <linux/fcntl.h> (6.15): the calling thread and the calling process as "pidfds".
pub const PIDFD_SELF_THREAD: RawFd = -10000;
pub const PIDFD_SELF_THREAD_GROUP: RawFd = -10001;
/// <linux/magic.h>: pidfs (6.9) and the anonymous inode filesystem pidfds lived on before.
pub const PID_FS_MAGIC: i64 = 0x5049_4446;
pub const ANON_INODE_FS_MAGIC: i64 = 0x0904_1934;

/// pidfd_open(2) as one raw call.
pub fn pidfd_open(pid: libc::pid_t, flags: libc::c_uint) -> Result<OwnedFd, Errno> {
    // SAFETY: integer arguments; the returned descriptor is fresh.
    let r = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, flags) };
    if r == -1 { Err(Errno::last()) } else { Ok(owned(r as RawFd)) }
}

/// pidfd_send_signal(2) with a NULL siginfo, on a raw descriptor number (the PIDFD_SELF
/// sentinels are not descriptors).
pub fn send_signal_raw(fd: RawFd, sig: libc::c_int, flags: libc::c_uint) -> Result<(), Errno> {
    // SAFETY: integer arguments and a NULL info pointer.
    let r = unsafe { libc::syscall(libc::SYS_pidfd_send_signal, fd, sig, std::ptr::null::<libc::siginfo_t>(), flags) };
    if r == -1 { Err(Errno::last()) } else { Ok(()) }
}

/// pidfd_send_signal(2) with a NULL siginfo.
pub fn send_signal(fd: impl AsFd, sig: libc::c_int, flags: libc::c_uint) -> Result<(), Errno> {
    send_signal_raw(fd.as_fd().as_raw_fd(), sig, flags)
}

/// What waitid(2) reported about a child: si_pid, si_code (CLD_EXITED, CLD_KILLED, ...) and
/// si_status (the exit status or the signal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waited {
    pub pid: libc::pid_t,
    pub code: libc::c_int,
    pub status: libc::c_int,
}

/// waitid(P_PIDFD, fd, &info, options) as one call (waitid(2), "P_PIDFD (since Linux
/// 5.4)"). `Ok(None)` when the call succeeded without a child to report (WNOHANG: si_pid 0).
pub fn waitid(fd: impl AsFd, options: libc::c_int) -> Result<Option<Waited>, Errno> {
    // SAFETY: an all-zero siginfo_t is valid.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: a valid siginfo_t to fill.
    let r = unsafe { libc::waitid(libc::P_PIDFD, fd.as_fd().as_raw_fd() as libc::id_t, &mut info, options) };
    fixtures::sys(r)?;
    // SAFETY: waitid filled the SIGCHLD fields (or left si_pid 0).
    let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
    Ok((pid != 0).then_some(Waited { pid, code: info.si_code, status }))
}

/// pidfd_open(2) here, probed on the calling process and sorted by
/// [`facility::syscall_with`]: `Present` (the kernel answers), `Absent` (ENOSYS before 5.3,
/// which added it), `Blocked` (ENOSYS on 5.3+, or EPERM under a seccomp filter).
pub fn pidfd_open_here() -> Availability {
    facility::syscall_with("pidfd_open(2)", (5, 3), || pidfd_open(std::process::id() as libc::pid_t, 0))
}

/// Gate for the tests of later pidfd features: pidfd_open(2) works here. Where it does not
/// (a sandbox without pidfds) the test skips plainly; every kernel the matrix runs has it.
pub fn pidfds_usable() -> Result<(), String> {
    pidfd_open(std::process::id() as libc::pid_t, 0).map(drop).map_err(|e| format!("pidfd_open(2) fails here: {e}"))
}

/// fstatfs(2) f_type of the filesystem a descriptor lives on.
pub fn fs_type(fd: impl AsFd) -> i64 {
    nix::sys::statfs::fstatfs(fd).expect("fstatfs").filesystem_type().0 as i64
}

/// fstat(2) st_ino.
pub fn inode(fd: impl AsFd) -> u64 {
    nix::sys::stat::fstat(fd).expect("fstat").st_ino
}

/// The "Pid:" line of a pidfd's /proc/self/fdinfo entry (proc_pid_fdinfo(5)): the pid it
/// refers to, -1 once that process is gone.
pub fn fdinfo_pid(fd: impl AsFd) -> i64 {
    let info = fixtures::procfs::fdinfo(fd);
    info.get("Pid").unwrap_or_else(|| panic!("no Pid: line in a pidfd's fdinfo: {info:?}")).parse().unwrap()
}
