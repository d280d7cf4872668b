//! Mandatory locking: fcntl(2), "Mandatory locking": "Mandatory locking is enabled on a
//! filesystem using the "-o mand" option to mount(8), or the MS_MANDLOCK flag for mount(2).
//! Mandatory locking is enabled on a file by disabling group execute permission on the file
//! and enabling the set-group-ID permission bit"; "This feature is no longer supported at all
//! in Linux 5.15 and above."
//!
//! Linux 5.15 removed it in commit f7e33bdbd6d1bdf9c3df8bba5abcf3399f957ac3 ("fs: remove
//! mandatory file locking support"), which "changes the mount code to ignore the "mand" mount
//! option instead of erroring out, and to throw a big, ugly warning": path_mount() now only
//! calls warn_mand_option() for SB_MANDLOCK, and rw_verify_area() no longer checks locks.
//! Before, a kernel without CONFIG_MANDATORY_FILE_LOCKING refused the option with EPERM.
//!
//! The test mounts a tmpfs with MS_MANDLOCK in a private mount namespace of a child (root
//! only), marks a file for mandatory locking, has a grandchild write-lock it, and writes to
//! the locked range with O_NONBLOCK.

use std::ffi::CString;
use std::os::fd::AsRawFd;

use file_locks::*;
use fixtures::sync::channel;
use fixtures::{Outcome, Scratch, gate, kernel_at_least, require, run_in_child, skip, spawn, sys};
use nix::errno::Errno;

/// Exit codes the namespace child uses to ask for a skip.
const NO_MOUNT_NAMESPACE: i32 = 77;
const MAND_NOT_CONFIGURED: i32 = 78;

fn mount(source: &str, target: &std::path::Path, fstype: Option<&str>, flags: libc::c_ulong, data: &str) -> Result<(), Errno> {
    let source = CString::new(source).unwrap();
    let target = CString::new(target.as_os_str().as_encoded_bytes()).unwrap();
    let fstype = fstype.map(|t| CString::new(t).unwrap());
    let data = CString::new(data).unwrap();
    // SAFETY: valid C strings (or null for the type).
    sys(unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ref().map_or(std::ptr::null(), |t| t.as_ptr()),
            flags,
            data.as_ptr().cast(),
        )
    })
    .map(|_| ())
}

/// On Linux >= 5.15 mount(2) with MS_MANDLOCK succeeds but the option is ignored: a write to a
/// range another process has write-locked, on a setgid/no-group-execute file, succeeds, and
/// /proc/locks calls the lock ADVISORY. On older kernels built with mandatory locking the same
/// write fails with EAGAIN (fcntl(2): "If the O_NONBLOCK flag is enabled, then the system call
/// fails with the error EAGAIN") and the lock is listed as MANDATORY.
#[test]
fn the_mand_mount_option_is_ignored_since_linux_5_15() {
    require!(gate::capability(gate::Cap::SYS_ADMIN), "mount(2) in a private mount namespace");
    let s = Scratch::new();
    let mnt = s.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let ignored = kernel_at_least(5, 15);
    let outcome = run_in_child("private mount namespace", || {
        // SAFETY: unshare in this single-threaded child.
        if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
            fixtures::child::exit_now(NO_MOUNT_NAMESPACE);
        }
        mount("none", std::path::Path::new("/"), None, libc::MS_REC | libc::MS_PRIVATE, "").expect("make / private");
        match mount("ipcspec", &mnt, Some("tmpfs"), libc::MS_MANDLOCK, "size=1m") {
            Ok(()) => {}
            Err(Errno::EPERM) if !ignored => fixtures::child::exit_now(MAND_NOT_CONFIGURED),
            Err(e) => panic!("mount -o mand: {e}"),
        }
        let path = mnt.join("mandatory");
        std::fs::write(&path, b"0123456789").unwrap();
        // Set-group-ID without group execute: the mark for mandatory locking.
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o2644)).unwrap();
        let (locked, wait_locked) = channel();
        let (release, wait_release) = channel();
        let holder = spawn("lock holder", || {
            let fd = open_rw(&path);
            setlk(fd.as_raw_fd(), libc::F_SETLK, libc::F_WRLCK, 0, 10).unwrap();
            locked.notify();
            wait_release.wait();
        });
        wait_locked.wait();
        let fd = open_file(&path, libc::O_RDWR | libc::O_NONBLOCK);
        let wrote = nix::unistd::write(&fd, b"X");
        let id = proc_locks_id(fd.as_raw_fd());
        let mode = proc_locks_for(&id).first().map(|l| l.mode.clone());
        release.notify();
        holder.expect_success();
        if ignored {
            assert_eq!(wrote, Ok(1), "a write to a locked range was refused: mandatory locking is active");
            assert_eq!(mode.as_deref(), Some("ADVISORY"));
        } else {
            assert_eq!(wrote, Err(Errno::EAGAIN), "mandatory locking did not stop the write");
            assert_eq!(mode.as_deref(), Some("MANDATORY"));
        }
    });
    match outcome {
        Outcome::Exited(NO_MOUNT_NAMESPACE) => skip!("unshare(CLONE_NEWNS) is not permitted here"),
        Outcome::Exited(MAND_NOT_CONFIGURED) => skip!("kernel < 5.15 built without CONFIG_MANDATORY_FILE_LOCKING (mount -o mand: EPERM)"),
        o => o.expect_success(),
    }
}
