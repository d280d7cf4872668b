//! What a pidfd is: before 6.9 a file on the anonymous inode filesystem, shared by every
//! pidfd; since 6.9 an inode of its own per process on pidfs, with file handles since 6.13.

use std::os::fd::AsRawFd;

use fixtures::{assert_errno, needs, variant};
use nix::errno::Errno;
use pidfd::calls::{ANON_INODE_FS_MAGIC, PID_FS_MAGIC, fdinfo_pid, fs_type, inode, pidfd_open, pidfds_usable, waitid};
use pidfd::held::Held;

/// <linux/magic.h> PID_FS_MAGIC (0x50494446), commit cb12fd8e0dab ("pidfd: add pidfs", 6.9):
/// pidfds are files of their own filesystem; fstatfs(2) of a pidfd reports PID_FS_MAGIC.
/// Before 6.9 (variant `absent`) a pidfd was an anonymous inode: ANON_INODE_FS_MAGIC
/// (0x09041934).
///
/// Kernel change: 6.9, commit cb12fd8e0dab — pidfds live on pidfs (fstatfs f_type PID_FS_MAGIC).
#[test]
fn a_pidfd_lives_on_pidfs() {
    needs!(gate(pidfds_usable()));
    let me = pidfd_open(std::process::id() as libc::pid_t, 0).unwrap();
    let f_type = fs_type(&me);
    if !variant::since(6, 9, "pidfs") {
        assert_eq!(f_type, ANON_INODE_FS_MAGIC, "f_type {f_type:#x} before 6.9");
        return;
    }
    assert_eq!(f_type, PID_FS_MAGIC, "f_type {f_type:#x}");
}

/// Commit cb12fd8e0dab ("pidfd: add pidfs", 6.9): every process has its own pidfs inode, so
/// st_ino identifies the process (the uapi-group kernel-features list: "Additional
/// identifiers for pidfds in statx()"): two pidfds of one process have the same st_ino,
/// pidfds of two processes different ones. Before 6.9 (variant `absent`) every pidfd was the
/// one anonymous inode: the same st_ino for different processes.
///
/// Kernel change: 6.9, commit cb12fd8e0dab — a pidfd's st_ino identifies its process.
#[test]
fn st_ino_of_a_pidfd_identifies_the_process() {
    needs!(gate(pidfds_usable()));
    let a = Held::fork(0);
    let b = Held::fork(0);
    let a1 = pidfd_open(a.pid(), 0).unwrap();
    let a2 = pidfd_open(a.pid(), 0).unwrap();
    let b1 = pidfd_open(b.pid(), 0).unwrap();
    if !variant::since(6, 9, "pidfs inodes per process") {
        assert_eq!(inode(&a1), inode(&b1), "one anonymous inode for every pidfd before 6.9");
        return;
    }
    assert_eq!(inode(&a1), inode(&a2), "two pidfds of one process");
    assert_ne!(inode(&a1), inode(&b1), "pidfds of two processes");
}

/// struct file_handle of open_by_handle_at(2) on pidfs (6.13, "pidfs: implement file handle
/// support"): name_to_handle_at(pidfd, "", AT_EMPTY_PATH) encodes the process (handle type
/// FILEID_KERNFS 0xfe, 8 bytes: the 64-bit pidfs inode number) and open_by_handle_at(2), with
/// a pidfd as mount_fd, opens a new pidfd of the same process (same st_ino, same fdinfo
/// "Pid:"), also for an unprivileged caller; once the process is reaped the handle is stale:
/// ESTALE. Before 6.13 (variant `absent`) pidfds cannot be encoded: name_to_handle_at(2),
/// ERRORS: "EOPNOTSUPP The filesystem does not support decoding of a pathname to a file
/// handle."
///
/// Kernel change: 6.13 — pidfds have file handles (name_to_handle_at/open_by_handle_at).
#[test]
fn a_pidfd_has_a_file_handle_that_opens_the_same_process() {
    needs!(gate(pidfds_usable()));
    let mut child = Held::fork(0);
    let fd = pidfd_open(child.pid(), 0).unwrap();
    let handle = name_to_handle(&fd);
    fixtures::skip_if_filtered!("name_to_handle_at", (2, 6), &handle);
    if !variant::since(6, 13, "pidfd file handles") {
        assert_errno!(handle, Errno::EOPNOTSUPP, "name_to_handle_at of a pidfd before 6.13");
        return;
    }
    let mut handle = handle.expect("name_to_handle_at(pidfd, \"\", AT_EMPTY_PATH)");
    assert_eq!((handle.handle_type, handle.handle_bytes), (0xfe, 8));
    let again = open_by_handle(&fd, &mut handle).expect("open_by_handle_at(pidfd, handle)");
    assert_eq!(inode(&again), inode(&fd));
    assert_eq!(fdinfo_pid(&again), i64::from(child.pid()));
    child.release();
    waitid(&fd, libc::WEXITED).unwrap();
    assert_errno!(open_by_handle(&fd, &mut handle), Errno::ESTALE, "the handle of a reaped process");
}

/// struct file_handle with room for 120 bytes of f_handle.
#[repr(C)]
#[derive(Debug)]
struct Handle {
    handle_bytes: u32,
    handle_type: i32,
    f_handle: [u8; 120],
}

fn name_to_handle(fd: &std::os::fd::OwnedFd) -> Result<Handle, Errno> {
    let mut h = Handle { handle_bytes: 120, handle_type: 0, f_handle: [0; 120] };
    let mut mount_id: libc::c_int = 0;
    // SAFETY: a handle buffer of the size it announces, an empty path with AT_EMPTY_PATH.
    let r = unsafe {
        libc::syscall(
            libc::SYS_name_to_handle_at,
            fd.as_raw_fd(),
            c"".as_ptr(),
            &mut h as *mut Handle,
            &mut mount_id as *mut libc::c_int,
            libc::AT_EMPTY_PATH,
        )
    };
    if r == -1 { Err(Errno::last()) } else { Ok(h) }
}

fn open_by_handle(mount_fd: &std::os::fd::OwnedFd, h: &mut Handle) -> Result<std::os::fd::OwnedFd, Errno> {
    // SAFETY: a handle filled by name_to_handle_at; the result is a fresh descriptor.
    let r = unsafe { libc::syscall(libc::SYS_open_by_handle_at, mount_fd.as_raw_fd(), h as *mut Handle, libc::O_RDONLY) };
    if r == -1 { Err(Errno::last()) } else { Ok(fixtures::io::owned(r as libc::c_int)) }
}
