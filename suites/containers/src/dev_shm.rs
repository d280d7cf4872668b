//! The tmpfs on /dev/shm, where POSIX shared memory objects live (shm_overview(7)): whether
//! there is one, and its size as statfs(2) reports it.

use fixtures::facility::Availability;

/// Whether /dev/shm is a directory here (a probe for `needs!(available(..))`): `present`, or
/// `blocked` (this environment gives no /dev/shm, so no POSIX shared memory and nothing to
/// mount a tmpfs over).
pub fn dev_shm() -> Availability {
    if std::path::Path::new("/dev/shm").is_dir() {
        Availability::Present("/dev/shm is a directory here".into())
    } else {
        Availability::Blocked("there is no /dev/shm here, so no POSIX shared memory".into())
    }
}

/// statfs(2) of /dev/shm: (f_type, size in bytes = f_blocks * f_bsize, free blocks, blocks).
#[track_caller]
pub fn statfs_dev_shm() -> (i64, u64, u64, u64) {
    let st = nix::sys::statfs::statfs("/dev/shm").expect("statfs /dev/shm");
    let blocks = st.blocks();
    (st.filesystem_type().0 as i64, blocks * st.block_size() as u64, st.blocks_free(), blocks)
}

/// In a child: become a container with its own /dev/shm, as a container runtime makes one:
/// enter a new mount namespace (and the namespaces `more`, e.g. CLONE_NEWIPC) and mount a
/// tmpfs with `options` on /dev/shm.
pub fn enter_with_own_dev_shm(more: libc::c_int, options: &str) {
    crate::sandbox::enter(libc::CLONE_NEWNS | more);
    crate::sandbox::mount_tmpfs(std::path::Path::new("/dev/shm"), options);
}
