//! Mount options of tmpfs, the filesystem behind /dev/shm (shm_overview(7): "POSIX shared
//! memory objects ... tmpfs(5) filesystem mounted under /dev/shm").

use fixtures::{Scratch, needs, run_in_child, skip, variant};
use nix::errno::Errno;

/// tmpfs(5) (man-pages 6.20): "noswap (since Linux 6.4) Disables swap" for the instance's
/// pages; the option needs CAP_SYS_ADMIN in the initial user namespace (mm/shmem.c refuses it
/// with EINVAL in a user namespace). Asserted as root, in a child with its own mount namespace:
/// mount -t tmpfs -o noswap,size=1m succeeds and /proc/self/mountinfo lists "noswap" among the
/// instance's options. Before 6.4 (variant `absent`) the option is unknown: EINVAL ("Bad
/// value"/unknown parameter from the filesystem). As another user: SKIP (root only).
///
/// Kernel change: 6.4 — tmpfs "noswap": a tmpfs (such as /dev/shm) whose pages never go to swap.
#[test]
fn a_tmpfs_mounted_noswap_says_so_in_mountinfo() {
    needs!(root, cap(SYS_ADMIN));
    let dir = Scratch::new();
    let target = dir.join("shm");
    std::fs::create_dir(&target).unwrap();
    let o = run_in_child("own mount namespace", || {
        if let Err((step, e)) = fixtures::ns::enter_mount_ns(0) {
            skip!("{step}: {e}");
        }
        let r = fixtures::ns::mount_fs("tmpfs", "ipcspec-noswap", &target, Some("noswap,size=1m"));
        if !variant::since(6, 4, "tmpfs noswap") {
            assert_eq!(r, Err(Errno::EINVAL), "noswap before 6.4");
            return;
        }
        r.expect("mount -t tmpfs -o noswap");
        let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        let line = info.lines().find(|l| l.contains(" ipcspec-noswap ")).unwrap_or_else(|| panic!("no mountinfo line: {info}"));
        let super_opts = line.rsplit(' ').next().unwrap();
        assert!(super_opts.split(',').any(|o| o == "noswap"), "{line}");
    });
    fixtures::require_child!(o).expect_success();
}
