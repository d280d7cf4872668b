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

use file_locks::locks::{open_file, open_rw, setlk};
use file_locks::proc_locks::{proc_locks_for, proc_locks_id};
use fixtures::ns::{make_mounts_private, mount, unshare_exact};
use fixtures::sync::channel;
use fixtures::{Scratch, kernel_at_least, kernel_version, needs, require_child, run_in_child, skip, spawn, variant};
use nix::errno::Errno;
use nix::mount::MsFlags;

/// On Linux >= 5.15 mount(2) with MS_MANDLOCK succeeds but the option is ignored: a write to a
/// range another process has write-locked, on a setgid/no-group-execute file, succeeds, and
/// /proc/locks calls the lock ADVISORY. On older kernels built with mandatory locking the same
/// write fails with EAGAIN (fcntl(2): "If the O_NONBLOCK flag is enabled, then the system call
/// fails with the error EAGAIN") and the lock is listed as MANDATORY. Variants: `ignored`
/// (lacking: 5.15+, mandatory locking is gone), `enforced` (an older kernel built with it),
/// `absent` (lacking: an older kernel built without CONFIG_MANDATORY_FILE_LOCKING, where the
/// mount's EPERM is asserted and the test passes).
///
/// Kernel change: 5.15, commit f7e33bdbd6d1 — the mand mount option is accepted and ignored: mandatory locks are no longer enforced.
#[test]
fn the_mand_mount_option_is_ignored_since_linux_5_15() {
    needs!(cap(SYS_ADMIN));
    let s = Scratch::new();
    let mnt = s.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let ignored = kernel_at_least(5, 15);
    let outcome = run_in_child("private mount namespace", || {
        if let Err(e) = unshare_exact(libc::CLONE_NEWNS) {
            skip!("unshare(CLONE_NEWNS) is not permitted here: {e}");
        }
        make_mounts_private().expect("make / private");
        match mount(Some("ipcspec"), &mnt, Some("tmpfs"), MsFlags::MS_MANDLOCK, Some("size=1m")) {
            Ok(()) => {}
            Err(Errno::EPERM) if !ignored => {
                variant::absent(format_args!(
                    "kernel {} (< 5.15) built without CONFIG_MANDATORY_FILE_LOCKING: mount -o mand fails EPERM (asserted)",
                    kernel_version()
                ));
                return;
            }
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
            setlk(&fd, libc::F_SETLK, libc::F_WRLCK, 0, 10).unwrap();
            locked.notify();
            wait_release.wait();
        });
        wait_locked.wait();
        let fd = open_file(&path, libc::O_RDWR | libc::O_NONBLOCK);
        let wrote = nix::unistd::write(&fd, b"X");
        let id = proc_locks_id(&fd);
        let mode = proc_locks_for(&id).first().map(|l| l.mode.clone());
        release.notify();
        holder.expect_success();
        if ignored {
            assert_eq!(wrote, Ok(1), "a write to a locked range was refused: mandatory locking is active");
            assert_eq!(mode.as_deref(), Some("ADVISORY"));
            variant::lacking("ignored", format_args!("kernel {} (>= 5.15): the mand option is accepted and ignored, the locked write succeeded", kernel_version()));
        } else {
            assert_eq!(wrote, Err(Errno::EAGAIN), "mandatory locking did not stop the write");
            assert_eq!(mode.as_deref(), Some("MANDATORY"));
            variant::observed("enforced", format_args!("kernel {} (< 5.15, mandatory locking built in): the locked write failed EAGAIN", kernel_version()));
        }
    });
    require_child!(outcome).expect_success();
}
