//! sem_open(3) and sem_unlink(3): permissions, umask and ownership. Everything that
//! depends on the umask or the user runs in a child.

use std::os::unix::fs::MetadataExt;

use fixtures::privilege::{drop_to_nobody, mode_for_other_user};
use fixtures::{IpcName, assert_errno, needs, run_in_child};
use nix::errno::Errno;
use posix_sem::named::{create, dev_shm_path, sem_open, sem_open_existing, sem_unlink};
use rstest::rstest;

/// sem_open(3): "The permissions settings are masked against the process umask."
/// Asserted on the mode of /dev/shm/sem.NAME.
#[rstest]
#[case::umask_077(0o077, 0o666, 0o600)]
#[case::umask_022(0o022, 0o666, 0o644)]
#[case::umask_0(0o000, 0o640, 0o640)]
fn the_mode_is_masked_by_the_umask(#[case] umask: u32, #[case] mode: u32, #[case] expected: u32) {
    let name = IpcName::sem("umask");
    let n = name.as_cstr().to_owned();
    let path = dev_shm_path(&name);
    run_in_child("creator with a umask", move || {
        // SAFETY: umask only changes this (single-threaded) child.
        unsafe { libc::umask(umask as libc::mode_t) };
        let _s = sem_open(&n, libc::O_CREAT | libc::O_EXCL, mode, 0).unwrap();
        let m = std::fs::metadata(&path).unwrap().mode();
        assert_eq!(m & 0o777, expected, "mode {mode:o} with umask {umask:o}");
    })
    .expect_success();
}

/// sem_open(3): "The owner (user ID) of the semaphore is set to the effective user ID of
/// the calling process. The group ownership (group ID) is set to the effective group ID of
/// the calling process." The creator is a child that became nobody when run as root.
#[test]
fn the_owner_is_the_creators_effective_uid_and_gid() {
    let name = IpcName::sem("owner");
    let n = name.as_cstr().to_owned();
    let path = dev_shm_path(&name);
    let p = path.clone();
    run_in_child("creator", move || {
        // variant: none — the creator is nobody in both runs (dropped from root, or already);
        // the owner is compared with its own effective ids.
        drop_to_nobody();
        let _s = sem_open(&n, libc::O_CREAT | libc::O_EXCL, 0o600, 0).unwrap();
        let meta = std::fs::metadata(&p).unwrap();
        assert_eq!(meta.uid(), nix::unistd::geteuid().as_raw());
        assert_eq!(meta.gid(), nix::unistd::getegid().as_raw());
    })
    .expect_success();
    assert!(path.exists());
}

/// sem_open(3), ERRORS: "EACCES The semaphore exists, but the caller does not have
/// permission to open it", and "Both read and write permission should be granted to each
/// class of user that will access the semaphore": glibc maps the file read-write, so
/// read permission alone is not enough. Only read+write opens.
#[rstest]
#[case::no_permission(0, Some(Errno::EACCES))]
#[case::read_only(4, Some(Errno::EACCES))]
#[case::write_only(2, Some(Errno::EACCES))]
#[case::read_write(6, None)]
fn another_user_needs_read_and_write_permission(#[case] others: u32, #[case] err: Option<Errno>) {
    // variant: none — as root the child becomes nobody and meets the "other" bits, as an
    // unprivileged user it meets the owner bits set to the same digit: one outcome.
    needs!(other_user);
    let name = IpcName::sem("perm");
    let mode = mode_for_other_user(others);
    // Created by the test process (root in the root run): the umask must not get in the
    // way, so set the final mode explicitly through the file.
    let _s = create(&name, 1);
    std::fs::set_permissions(dev_shm_path(&name), std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
    let n = name.as_cstr().to_owned();
    run_in_child("another user", move || {
        drop_to_nobody();
        let r = sem_open_existing(&n);
        match err {
            Some(e) => assert_errno!(r, e, "sem_open with mode {mode:o}"),
            None => assert_eq!(r.unwrap().trywait(), Ok(())),
        }
    })
    .expect_success();
}

/// sem_unlink(3), ERRORS: "EACCES The caller does not have permission to unlink this
/// semaphore." /dev/shm is sticky (mode 1777), so another user may not remove the file
/// (unlink(2) fails EPERM; glibc reports EACCES), and the semaphore survives.
#[test]
fn another_user_cannot_unlink_the_semaphore() {
    // Two distinct users: the owner (root) and a child that becomes nobody.
    needs!(cap(SETUID), cap(SETGID));
    let name = IpcName::sem("unlinkperm");
    let _s = create(&name, 0);
    let n = name.as_cstr().to_owned();
    run_in_child("another user", move || {
        drop_to_nobody();
        assert_errno!(sem_unlink(&n), Errno::EACCES);
    })
    .expect_success();
    assert!(dev_shm_path(&name).exists(), "the failed unlink must not remove the semaphore");
}
