//! The pidfd ioctls of <linux/pidfd.h>: PIDFD_GET_INFO and its struct pidfd_info (6.13,
//! extended in 6.15, 6.16, 6.19 and 7.1), and the PIDFD_GET_*_NAMESPACE ioctls (6.11).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use nix::errno::Errno;

pub const PIDFD_INFO_PID: u64 = 1 << 0;
pub const PIDFD_INFO_CREDS: u64 = 1 << 1;
pub const PIDFD_INFO_CGROUPID: u64 = 1 << 2;
pub const PIDFD_INFO_EXIT: u64 = 1 << 3;
pub const PIDFD_INFO_COREDUMP: u64 = 1 << 4;
pub const PIDFD_INFO_SUPPORTED_MASK: u64 = 1 << 5;
pub const PIDFD_INFO_COREDUMP_SIGNAL: u64 = 1 << 6;
pub const PIDFD_INFO_COREDUMP_CODE: u64 = 1 << 7;

/// The published sizes of struct pidfd_info (PIDFD_INFO_SIZE_VER0..3).
pub const SIZE_VER0: usize = 64;
pub const SIZE_VER1: usize = 72;
pub const SIZE_VER2: usize = 80;
pub const SIZE_VER3: usize = 88;

/// coredump_mask values.
pub const PIDFD_COREDUMPED: u32 = 1 << 0;
pub const PIDFD_COREDUMP_SKIP: u32 = 1 << 1;
pub const PIDFD_COREDUMP_USER: u32 = 1 << 2;
pub const PIDFD_COREDUMP_ROOT: u32 = 1 << 3;

/// struct pidfd_info of <linux/pidfd.h> as of 7.2 (88 bytes, PIDFD_INFO_SIZE_VER3).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PidfdInfo {
    pub mask: u64,
    pub cgroupid: u64,
    pub pid: u32,
    pub tgid: u32,
    pub ppid: u32,
    pub ruid: u32,
    pub rgid: u32,
    pub euid: u32,
    pub egid: u32,
    pub suid: u32,
    pub sgid: u32,
    pub fsuid: u32,
    pub fsgid: u32,
    pub exit_code: i32,
    pub coredump_mask: u32,
    pub coredump_signal: u32,
    pub coredump_code: u32,
    pub coredump_pad: u32,
    pub supported_mask: u64,
}

const _: () = assert!(std::mem::size_of::<PidfdInfo>() == SIZE_VER3);

const PIDFS_IOCTL_MAGIC: libc::c_ulong = 0xFF;

/// _IOWR(PIDFS_IOCTL_MAGIC, 11, <size bytes>): the size is part of the request number, and
/// the kernel copies out only as much of its struct as that size holds.
fn get_info_request(size: usize) -> libc::c_ulong {
    (3 << 30) | ((size as libc::c_ulong) << 16) | (PIDFS_IOCTL_MAGIC << 8) | 11
}

/// ioctl(pidfd, PIDFD_GET_INFO) with `mask` requested and the struct passed as `size` bytes
/// (one of the SIZE_VER* values); the fields beyond `size` stay zero.
pub fn get_info(fd: impl AsFd, mask: u64, size: usize) -> Result<PidfdInfo, Errno> {
    assert!(size <= SIZE_VER3);
    let mut info = PidfdInfo { mask, ..PidfdInfo::default() };
    // SAFETY: the buffer holds at least `size` bytes (checked above).
    let r = unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), get_info_request(size), &mut info as *mut PidfdInfo) };
    fixtures::sys(r).map(|_| info)
}

/// The PIDFD_GET_*_NAMESPACE ioctls: _IO(PIDFS_IOCTL_MAGIC, n) and the /proc/<pid>/ns entry
/// of the same namespace.
#[derive(Clone, Copy, Debug)]
pub struct NsIoctl {
    pub nr: libc::c_ulong,
    pub proc_name: &'static str,
}

pub const PIDFD_GET_CGROUP_NAMESPACE: NsIoctl = NsIoctl { nr: 1, proc_name: "cgroup" };
pub const PIDFD_GET_IPC_NAMESPACE: NsIoctl = NsIoctl { nr: 2, proc_name: "ipc" };
pub const PIDFD_GET_MNT_NAMESPACE: NsIoctl = NsIoctl { nr: 3, proc_name: "mnt" };
pub const PIDFD_GET_NET_NAMESPACE: NsIoctl = NsIoctl { nr: 4, proc_name: "net" };
pub const PIDFD_GET_PID_NAMESPACE: NsIoctl = NsIoctl { nr: 5, proc_name: "pid" };
pub const PIDFD_GET_USER_NAMESPACE: NsIoctl = NsIoctl { nr: 9, proc_name: "user" };
pub const PIDFD_GET_UTS_NAMESPACE: NsIoctl = NsIoctl { nr: 10, proc_name: "uts" };

/// ioctl(pidfd, PIDFD_GET_<ns>_NAMESPACE, 0): a new descriptor of the namespace.
pub fn namespace_of(fd: impl AsFd, which: NsIoctl) -> Result<OwnedFd, Errno> {
    let request = (PIDFS_IOCTL_MAGIC << 8) | which.nr;
    // SAFETY: an ioctl without argument; the result is a fresh descriptor.
    let r = unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), request, 0usize) };
    fixtures::sys(r).map(fixtures::io::owned)
}
